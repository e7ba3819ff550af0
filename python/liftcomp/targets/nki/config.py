"""NeuronCore parameters of the NKI target: the limits the verifiers check and every number of the
engine-level cost model, each with where it comes from (`SOURCES`).

trn2 (NeuronCore-v3) is the default; trn1 (NeuronCore-v2) is available. Where a figure is given per
device, the per-NeuronCore value is derived in the comment. Nothing here is fitted to the figures
the model is validated against (docs/PERFORMANCE.md, "NKI cost model vs published figures").
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

# Documents the numbers come from (cited by key in SOURCES).
ARCH_TRN2 = "NKI docs, Trainium2 architecture guide (nki/guides/architecture/trainium2_arch, Neuron 2.29+)"
ARCH_TRN1 = "NKI docs, Trainium/Inferentia2 architecture guide (nki/guides/architecture/trainium_inferentia2_arch)"
ISA_V226 = "NKI ISA reference v2.26 (per-instruction 'Estimated instruction cost' paragraphs)"
PERF_GUIDE = "NKI performance guide (nki/deep-dives/nki_perf_guide)"
DMA_GUIDE = "NKI DMA bandwidth guide / 'Introduction to DMA with NKI' (nki/about/nki-dma-overview)"
AUTOCOMP = "Autocomp trn2 hardware notes (ucb-bar/autocomp, agent_builder trn notes)"
TRN2_SPEC = "AWS Trn2 product page: 2.9 TB/s HBM per Trainium2 device, 8 NeuronCores per device"
TRN1_SPEC = "AWS Trn1 product page: 820 GB/s HBM per Trainium device, 2 NeuronCores per device"
NKI_API = "NKI API reference (nki.language.tile_size, nc_matmul), Neuron 2.33 / NKI 0.6"


@dataclass(frozen=True)
class NkiChip:
    name: str
    # -- limits (verifiers and the numpy NKI implementation check these) --
    partitions: int                 # SBUF/PSUM partitions; tile partition dim <= this
    sbuf_bytes_per_partition: int   # usable SBUF per partition
    psum_bytes_per_partition: int   # 8 banks x 2 KiB
    psum_banks: int
    psum_bank_bytes: int            # one PSUM tile's free size <= one bank (512 fp32)
    gemm_stationary_fmax: int       # nc_matmul stationary free size
    gemm_moving_fmax: int           # nc_matmul moving free size
    has_fp8: bool
    # -- clocks (GHz) --
    pe_ghz: float
    vector_ghz: float
    scalar_ghz: float
    gpsimd_ghz: float
    # -- instruction costs (cycles of the engine's clock) --
    min_ii: int                     # minimum initiation interval of Vector/Scalar/GpSimd instructions
    matmul_fp32_factor: int         # fp32 matmul runs at 1/4 of the bf16 rate
    matmul_min_moving: int          # nc_matmul cost max(min(64, N_stationary), N_moving): the 64
    gpsimd_fixed: int               # GpSimd ~150 + N
    psum_read_extra: int            # activation reading PSUM: +~64
    access_overhead: int            # SBUF/PSUM access fixed latency per instruction (~60 cycles)
    dep_overhead: int               # static overhead per dependency (semaphore wait) (~100 cycles)
    vector_perf_modes: bool         # NC-v3 VectorE performance modes (2x/4x for bf16/fp16)
    # -- DMA --
    dma_engines: int                # DMA queues per NeuronCore
    dma_engine_gbps: float          # GB/s per DMA engine
    hbm_gbps_per_core: float        # HBM bandwidth one NeuronCore gets
    dma_fixed_ns: float             # fixed latency of one DMA transfer (not queue occupancy)
    dma_desc_overhead_bytes: int    # per contiguous chunk (descriptor) cost, in bytes of transfer time
    dma_transpose_efficiency: float  # DMA transpose: 2-byte element descriptors
    # -- engines that share SBUF/PSUM ports (NC-v2) --
    shared_ports: tuple[tuple[str, str, str], ...]  # (engine a, engine b, memory) that serialise

    def to_json(self) -> dict[str, object]:
        from dataclasses import asdict

        return asdict(self)

    def with_(self, **kw: object) -> NkiChip:
        return replace(self, **kw)  # type: ignore[arg-type]

    @property
    def peak_bf16_tflops(self) -> float:
        # 128 x 128 MACs per cycle, 2 FLOP each
        return 2 * self.partitions * self.gemm_stationary_fmax * self.pe_ghz / 1000.0

    def clock(self, engine: str) -> float:
        return {"pe": self.pe_ghz, "act": self.scalar_ghz, "dve": self.vector_ghz, "pool": self.gpsimd_ghz}[engine]


TRN2 = NkiChip(
    name="trn2",
    partitions=128,
    sbuf_bytes_per_partition=192 * 1024,  # 24 MiB / 128 usable of the 224 KiB (the rest reserved)
    psum_bytes_per_partition=16 * 1024,
    psum_banks=8,
    psum_bank_bytes=2048,
    gemm_stationary_fmax=128,
    gemm_moving_fmax=512,
    has_fp8=True,
    pe_ghz=2.4,
    vector_ghz=0.96,
    scalar_ghz=1.2,
    gpsimd_ghz=1.2,
    min_ii=64,
    matmul_fp32_factor=4,
    matmul_min_moving=64,
    gpsimd_fixed=150,
    psum_read_extra=64,
    access_overhead=60,
    dep_overhead=100,
    vector_perf_modes=True,
    dma_engines=16,
    dma_engine_gbps=27.2,
    hbm_gbps_per_core=362.5,  # 2.9 TB/s / 8 NeuronCores
    dma_fixed_ns=1300.0,
    dma_desc_overhead_bytes=64,
    dma_transpose_efficiency=0.25,
    shared_ports=(),
)

# trn1 differs from trn2 only in these (same partitions, PSUM, TensorE tile limits and overheads).
TRN1 = replace(
    TRN2,
    name="trn1",
    sbuf_bytes_per_partition=176 * 1024,
    has_fp8=False,
    pe_ghz=2.8,
    vector_ghz=1.12,
    scalar_ghz=1.4,
    gpsimd_ghz=1.4,
    vector_perf_modes=False,
    hbm_gbps_per_core=410.0,  # 820 GB/s / 2 NeuronCores
    shared_ports=(("dve", "pool", "sbuf"), ("dve", "act", "psum")),
)

CHIPS = {"trn2": TRN2, "trn1": TRN1}
DEFAULT_CHIP = TRN2

# Where each parameter comes from.
SOURCES: dict[str, str] = {
    "partitions": f"{ARCH_TRN2}: SBUF and PSUM have 128 partitions; tile partition dim <= nl.tile_size.pmax = 128 ({NKI_API})",
    "sbuf_bytes_per_partition": f"trn2: 24 MiB SBUF = 128 x 192 KiB ({ARCH_TRN2}); trn1: ~176 KiB usable of 192 KiB ({ARCH_TRN1})",
    "psum_bytes_per_partition": f"2 MiB PSUM = 128 x 16 KiB ({ARCH_TRN1}, {ARCH_TRN2})",
    "psum_banks": f"8 PSUM banks per partition ({ARCH_TRN1})",
    "psum_bank_bytes": f"one PSUM tile <= 2 KiB per partition = 512 fp32, nl.tile_size.psum_fmax ({NKI_API})",
    "gemm_stationary_fmax": f"nc_matmul stationary free size <= 128 ({NKI_API})",
    "gemm_moving_fmax": f"nc_matmul moving free size <= 512 ({NKI_API})",
    "has_fp8": f"trn2 TensorE: 158 TF fp8 vs 79 TF bf16 ({ARCH_TRN2}); NC-v2 has no fp8 double-row mode",
    "pe_ghz": f"TensorE 128x128 at 2.4 GHz = 79 TF bf16 (trn2, {ARCH_TRN2}); 2.8 GHz = 92 TF (trn1, {ARCH_TRN1})",
    "vector_ghz": f"VectorE 0.96 GHz (trn2, {ARCH_TRN2}); 1.12 GHz (trn1, {ARCH_TRN1})",
    "scalar_ghz": f"ScalarE 1.2 GHz (trn2); 1.4 GHz (trn1) ({ARCH_TRN2}, {ARCH_TRN1})",
    "gpsimd_ghz": f"GpSimd 1.2 GHz (trn2); 1.4 GHz (trn1) ({ARCH_TRN2}, {ARCH_TRN1})",
    "min_ii": f"MIN_II 'roughly 64 engine cycles' ({ISA_V226}: activation, tensor_scalar, tensor_copy)",
    "matmul_fp32_factor": f"fp32 matmul at 1/4 of the bf16 rate: 23 TF vs 92 TF on trn1 ({ARCH_TRN1}; nc_matmul cost x4, {ISA_V226})",
    "matmul_min_moving": f"nc_matmul cost max(min(64, N_stationary), N_moving) cycles ({ISA_V226})",
    "gpsimd_fixed": f"GpSimd instructions ~150 + N cycles ({ISA_V226}: iota, tensor_tensor on GpSimd)",
    "psum_read_extra": f"activation reading PSUM +~64 cycles ({ISA_V226}: activation_reduce 'max(MIN_II, N) + MIN_II')",
    "access_overhead": f"~60 cycles fixed SBUF/PSUM access bubble per instruction ({PERF_GUIDE}, 'instruction fixed overhead')",
    "dep_overhead": f"~100 cycles static overhead per semaphore dependency ({PERF_GUIDE})",
    "vector_perf_modes": f"NC-v3 VectorE 2x/4x performance modes for bf16/fp16 ({ARCH_TRN2})",
    "dma_engines": f"16 DMA engines (queues) per NeuronCore ({ARCH_TRN1}, {ARCH_TRN2})",
    "dma_engine_gbps": f"27.2 GB/s per DMA engine ({AUTOCOMP})",
    "hbm_gbps_per_core": f"{TRN2_SPEC} -> 362.5 GB/s per NeuronCore; {TRN1_SPEC} -> 410 GB/s",
    "dma_fixed_ns": "fixed latency of one transfer (descriptor generation, semaphore, packet setup: neuron-explorer guide 'How to reduce inefficient DMA transfers' names the parts, gives no number): 2 us, the order the NKI perf guide's 32 KiB advice implies; latency only, it does not occupy the queues",
    "dma_desc_overhead_bytes": f"each contiguous chunk costs as much as 512 more bytes: a 4 KiB chunk runs at 89%, 512 B at 50% ({DMA_GUIDE}: payloads >= 4 KiB are needed to saturate HBM bandwidth)",
    "dma_transpose_efficiency": f"dma_transpose moves 2-byte elements per descriptor: 'slow', prefer load + nc_transpose ({PERF_GUIDE})",
    "shared_ports": f"NC-v2: VectorE and GpSimd share the SBUF port; VectorE and ScalarE the PSUM port ({ARCH_TRN1}); NC-v3 has separate ports ({ARCH_TRN2})",
}


def chip_named(name: str) -> NkiChip:
    chip = CHIPS.get(name)
    if chip is None:
        from liftcomp.diagnostics import LiftcompError

        raise LiftcompError(f"unknown NKI chip '{name}' (known: {', '.join(CHIPS)})")
    return chip


def _check_sources() -> None:
    missing = [f.name for f in fields(NkiChip) if f.name != "name" and f.name not in SOURCES]
    if missing:
        raise AssertionError(f"NKI parameters without a source: {missing}")


_check_sources()
