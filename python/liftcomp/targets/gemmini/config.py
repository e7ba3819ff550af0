"""Gemmini hardware and timing-model parameters, in one place.

Everything the dialect verifiers, the lowering and the simulator assume about the hardware is a
field of `GemminiConfig`. Defaults describe Gemmini's default configuration (ucb-bar/gemmini
`GemminiConfigs.defaultConfig`, the one Autocomp optimises for); fields marked *model* are
assumptions of our timing model, not measured from RTL. docs/GEMMINI.md explains each one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, replace


@dataclass(frozen=True)
class GemminiConfig:
    # --- Array and memories (defaultConfig) ---
    dim: int = 16
    """Systolic array is dim x dim PEs; a scratchpad row holds dim int8, an accumulator row dim int32."""
    sp_banks: int = 4
    sp_bank_rows: int = 4096
    """Scratchpad: 4 banks x 4096 rows of dim int8 (256 KiB)."""
    acc_banks: int = 2
    acc_bank_rows: int = 512
    """Accumulator: 2 banks x 512 rows of dim int32 (64 KiB)."""
    max_block_len: int = 4
    """mvin/mvout to the scratchpad move at most 4 dim-wide blocks (64 B of int8) per row."""
    max_block_len_acc: int = 1
    """mvin/mvout to the accumulator move at most 1 dim-wide block (64 B of int32) per row."""
    array_output_bits: int = 20
    """Width of the values the PEs pass on and emit (defaultConfig `spatialArrayOutputType`
    SInt(20)). In the output-stationary dataflow the PEs' partial sums wrap at this width and the
    drained results are clipped to it (PE.scala), so OS is exact only while they fit."""

    # --- DMA (defaultConfig: dma_buswidth 128, dma_maxbytes 64, max_in_flight_mem_reqs 16) ---
    dma_beat_bytes: int = 16
    dma_request_bytes: int = 64
    dma_max_inflight: int = 16
    dram_latency: int = 64
    """*model*: cycles from a DMA request to its response (FireSim-like DDR at Gemmini's clock)."""

    # --- Pipeline latencies (defaultConfig: spad_read_delay 4, acc latency 2) ---
    spad_read_delay: int = 4
    acc_latency: int = 2

    # --- Queues between the host and the three units (defaultConfig) ---
    rs_entries_ld: int = 8
    rs_entries_ex: int = 16
    rs_entries_st: int = 4
    """Reservation-station entries per unit: an instruction holds one from dispatch to completion."""

    # --- Costs of the timing model (*model*) ---
    host_issue_cycles: int = 5
    """*model*: host (Rocket) cycles to issue one RoCC instruction: packing rows/cols/address
    into rs2 (shifts and ors, as gemmini.h's macros do) plus the custom instruction itself.
    Address arithmetic of the surrounding loops is charged separately (host_op_cycles)."""
    host_op_cycles: int = 1
    """*model*: host cycles per scalar operation (index arithmetic, loads/stores of host loops)."""
    host_loop_cycles: int = 2
    """*model*: host cycles per loop iteration (increment, compare, branch)."""
    fsm_issue_cycles: int = 1
    """*model*: cycles per instruction the loop_ws FSM generates."""
    config_cycles: int = 2
    """*model*: unit busy time of a config instruction."""
    preload_cycles: int = 1
    """*model*: execute-unit cycles of a preload (the weight shift-in overlaps the next compute)."""
    preload_weight_cycles: int = 0
    """*model, off by default*: extra execute-unit cycles of a WS preload that loads real weights
    (B not GARBAGE) and does not overlap the following compute (the DIM-row weight shift-in).
    Fitted for `firesim-lean` (tools/calibrate_gemmini.py); 0 keeps the default model's figures."""
    tlb_entries: int = 0
    """*model, off by default (0)*: entries of the DMA's shared, fully associative LRU TLB of
    `page_bytes` pages (Gemmini's default `tlb_size` is 4). Each page a transfer touches that is not
    in it costs `tlb_miss_cycles` of its unit's time (the page-table walk)."""
    tlb_miss_cycles: int = 0
    """*model*: cycles a TLB miss adds to its DMA transfer (fitted for `firesim-lean`)."""
    page_bytes: int = 4096
    transposer_latency: int = 16
    """*model*: cycles A spends in the DIM x DIM transposer that OS feeds it through (Gemmini's
    README: OS uses the transposer even without a requested transposition)."""
    os_drain_cycles: int = 16
    """*model*: cycles an OS result takes to shift out of the DIM rows of PEs (it leaves while the
    next accumulation computes, so it adds latency, not execute-unit time)."""

    @property
    def sp_rows(self) -> int:
        return self.sp_banks * self.sp_bank_rows

    @property
    def acc_rows(self) -> int:
        return self.acc_banks * self.acc_bank_rows

    @property
    def fill_latency(self) -> int:
        """Cycles from the last row of A entering the array to its results in the accumulator."""
        return 2 * self.dim + self.spad_read_delay + self.acc_latency

    @property
    def os_fill_latency(self) -> int:
        """Cycles from an OS compute's last input row to its drained results in the accumulator."""
        return self.fill_latency + self.transposer_latency + self.os_drain_cycles

    def dma_bytes_per_cycle(self) -> float:
        """Sustained DMA rate with full 64 B requests: bus-bound or latency-bound, whichever is lower."""
        return min(
            float(self.dma_beat_bytes),
            self.dma_max_inflight * self.dma_request_bytes / max(1, self.dram_latency),
        )

    name: str = "default"
    """Which named configuration (`CONFIGS`) this came from; overrides keep the name, while tuning
    records key by every field (`to_json`), so they never mix two different models."""

    def to_json(self) -> dict[str, object]:
        return asdict(self)

    def with_(self, **changes: object) -> GemminiConfig:
        return replace(self, **changes)  # type: ignore[arg-type]

    def hardware(self) -> dict[str, int]:
        """The fields that decide which instructions are legal (the dialect's verifiers check them)."""
        return {f: getattr(self, f) for f in HARDWARE_FIELDS}


HARDWARE_FIELDS = ("dim", "sp_banks", "sp_bank_rows", "acc_banks", "acc_bank_rows", "max_block_len", "max_block_len_acc")
"""GemminiConfig fields that bound the instructions' operands (rows, cols, addresses, loop_ws tiles);
the others only change timing. IR lowered for another hardware configuration records these in a
`gemmini.config` attribute (dialect.py), so verifiers and the simulator check the right limits."""

GARBAGE_ADDR = 0xFFFFFFFF
"""gemmini.h's GARBAGE_ADDR. The IR writes it as an absent optional address, never as a value."""
ADDR_FLAG_BITS = 29
"""Bits 29..31 of a Gemmini local address are flags (accumulator, accumulate, read full rows); the IR
says them with properties, so an address operand must stay below 2^29."""


DEFAULT_CONFIG = GemminiConfig()

FIT_DRAM_LATENCY = 100
FIT_PRELOAD_WEIGHT_CYCLES = 0

FIRESIM_LEAN_CONFIG = GemminiConfig(
    # Autocomp's FireSim target (charleshong3/auto-comp-firesim-files): Rocket host, Lean Gemmini
    # (DIM 16, 256 KiB scratchpad, 64 KiB accumulator, 64 DMA requests in Gemmini) behind FireSim's
    # default memory model (fixed latency, 16 outstanding reads and 16 writes: the binding limit).
    dma_max_inflight=16,
    # Fitted on Autocomp's two 12544x64x256 programs (tools/calibrate_gemmini.py; docs/PERFORMANCE.md
    # "Gemmini calibration against FireSim"): the memory model's latency and the non-overlapped
    # weight preload (fitted to 0). The TLB model stays off: the fit gives it no cost.
    dram_latency=FIT_DRAM_LATENCY,
    preload_weight_cycles=FIT_PRELOAD_WEIGHT_CYCLES,
    name="firesim-lean",
)

CONFIGS: dict[str, GemminiConfig] = {
    "default": DEFAULT_CONFIG,
    "firesim-lean": FIRESIM_LEAN_CONFIG,
}
"""Named configurations (`liftcomp compile --target gemmini --config NAME`, the bench scripts'
`--config`): every figure names the configuration that produced it."""
