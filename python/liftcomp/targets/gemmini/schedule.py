"""Schedules: every choice the lowering makes for one matmul, as data.

The lowering consumes a `MatmulSchedule`; schedule search (issue 6) varies its fields and
re-lowers, so each field is one knob of the rewrite menu. `library_schedule` is exactly the
choice of gemmini.h's `tiled_matmul_auto` (WS, double-buffered tile limits).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig

Form = Literal["loop_ws", "explicit"]

Dataflow = Literal["WS", "OS"]

# Host loops of the explicit form that `unroll` may unroll (see MatmulSchedule.unroll).
UNROLL_LOOPS = ("i", "j", "k", "mvin", "mvout")
MAX_UNROLL = 16


@dataclass(frozen=True)
class MatmulShape:
    """C[M x N] (+)= A[M x K] @ B[K x N], in elements (int8 inputs, int32 accumulation)."""

    m: int
    k: int
    n: int

    @property
    def macs(self) -> int:
        return self.m * self.k * self.n


@dataclass(frozen=True)
class MatmulSchedule:
    """How one matmul runs on Gemmini.

    tile_i/j/k: tile sizes in DIM-blocks (the loop_ws unit of work; also the explicit form's).
    form: one `loop_ws` per tile (hardware FSM), or explicit mvin/preload/compute/mvout in scf loops.
    loop_order: order of the tile loops, outermost first; k innermost unless acc_resident is off.
    acc_resident: partial sums stay in the accumulator across k-tiles (k innermost). Off (explicit
        form, no fused epilogue): each tile's int32 partial sums are moved out in full to the
        output (or its int32 temporary) after every k-tile but the last and moved back into the
        accumulator before the next, so k may be outside i or j.
    double_buffer: explicit form only: alternate scratchpad/accumulator halves between tiles so
        the loads of the next tile overlap the computes of this one (loop_ws always does).
    hoist_a: explicit form, order "ijk" with one k-tile: load the A tile once per i-tile (reuse
        across j-tiles) instead of once per tile.
    hoist_b: explicit form, order "jik" with one k-tile: load the B tile once per j-tile (reuse
        across i-tiles) instead of once per tile.
    fuse_epilogue: a requantisation after the matmul (scale / ReLU / saturation to int8) runs in
        the mvouts (as tiled_matmul_auto does); off: int32 results go to a temporary and the host
        applies the epilogue. No effect on a matmul without an epilogue.
    a_block_len / b_block_len: DIM-blocks per mvin row for A and B (1..max_block_len): larger
        mvins use 64-byte DMA requests.
    dataflow: "WS" (weights preloaded, partial sums in the accumulator) or "OS" (explicit form
        only: A and B stream, each DIM-block of K accumulates in the PEs and drains into the
        accumulator with the accumulate flag; see `os_refusal`).
    unroll: explicit form: (loop, factor) pairs, sorted by loop, factor >= 2: host loops of a tile
        unrolled by the factor (with a remainder loop): "i" the compute_accumulated loop over the
        i-blocks of one (k, j) step, "j" the loop over j-blocks of one k-block, "k" the loop over
        k-blocks, "mvin" the inner loops of the A, B (and bias) mvins, "mvout" the inner loop of
        the mvouts. Fewer loop iterations and address computations on the host.
    remove_redundant_config: after lowering, drop config / fence instructions of the function
        that set state already in place (liftcomp-gemmini-cleanup).
    """

    tile_i: int
    tile_j: int
    tile_k: int
    form: Form = "explicit"
    loop_order: str = "ijk"
    double_buffer: bool = False
    hoist_a: bool = False
    hoist_b: bool = False
    fuse_epilogue: bool = True
    a_block_len: int = 4
    b_block_len: int = 4
    dataflow: Dataflow = "WS"
    acc_resident: bool = True
    unroll: tuple[tuple[str, int], ...] = ()
    remove_redundant_config: bool = False
    notes: tuple[str, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["notes"] = list(self.notes)
        d["unroll"] = [[name, factor] for name, factor in self.unroll]
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> MatmulSchedule:
        d = dict(d)
        d["notes"] = tuple(d.get("notes", ()))
        d["unroll"] = tuple((str(name), int(factor)) for name, factor in d.get("unroll", ()))
        return MatmulSchedule(**d)

    def unroll_factor(self, loop: str) -> int:
        """How many times `loop` (one of UNROLL_LOOPS) is unrolled (1: not unrolled)."""
        return dict(self.unroll).get(loop, 1)

    def with_unroll(self, loop: str, factor: int) -> MatmulSchedule:
        """This schedule with `loop` unrolled `factor` times (1 removes the unrolling)."""
        pairs = dict(self.unroll)
        pairs.pop(loop, None)
        if factor > 1:
            pairs[loop] = factor
        return replace(self, unroll=tuple(sorted(pairs.items())))

    def with_(self, **changes: Any) -> MatmulSchedule:
        return replace(self, **changes)

    def check(self, shape: MatmulShape, cfg: GemminiConfig = DEFAULT_CONFIG) -> None:
        """Raise LiftcompError saying why this schedule is illegal for the shape."""
        dim = cfg.dim
        if min(self.tile_i, self.tile_j, self.tile_k) < 1:
            raise LiftcompError(f"tile sizes must be >= 1 block, got {self.tile_i}x{self.tile_j}x{self.tile_k}")
        if sorted(self.loop_order) != ["i", "j", "k"]:
            raise LiftcompError(f"loop_order must be a permutation of ijk, got '{self.loop_order}'")
        if self.acc_resident and self.loop_order[-1] != "k":
            raise LiftcompError(f"loop_order '{self.loop_order}' puts k outside: partial sums must leave the "
                                "accumulator between k-tiles (acc_resident off)")
        if not (1 <= self.a_block_len <= cfg.max_block_len and 1 <= self.b_block_len <= cfg.max_block_len):
            raise LiftcompError(f"block lengths must be in [1, {cfg.max_block_len}]")
        halve = self.form == "loop_ws" or self.double_buffer
        sp = cfg.sp_rows // 2 if halve else cfg.sp_rows
        acc = cfg.acc_rows // 2 if halve else cfg.acc_rows
        ti, tj, tk = self.tile_i, self.tile_j, self.tile_k
        if (ti * tk + tk * tj) * dim > sp:
            raise LiftcompError(
                f"A and B tiles ({ti}x{tk} + {tk}x{tj} blocks = {(ti * tk + tk * tj) * dim} rows) exceed "
                f"{'half ' if halve else ''}the scratchpad ({sp} rows)"
            )
        if ti * tj * dim > acc:
            raise LiftcompError(
                f"C tile ({ti}x{tj} blocks = {ti * tj * dim} rows) exceeds "
                f"{'half ' if halve else ''}the accumulator ({acc} rows)"
            )
        if self.form == "loop_ws" and (self.hoist_a or self.hoist_b or self.double_buffer or self.loop_order != "ijk"
                                       or (self.a_block_len, self.b_block_len) != (cfg.max_block_len,) * 2):
            raise LiftcompError("loop_ws fixes its own order, buffering and mvin sizes: use the explicit form")
        why_not_os = os_refusal(self, cfg)
        if why_not_os:
            raise LiftcompError(why_not_os)
        if self.form == "loop_ws" and (not self.acc_resident or self.unroll):
            raise LiftcompError("loop_ws keeps partial sums in the accumulator and has no host loops to unroll: "
                                "use the explicit form")
        self._check_unroll(shape, cfg)
        if self.hoist_a:
            if self.loop_order != "ijk":
                raise LiftcompError("hoist_a needs loop order ijk")
            if shape.k > tk * dim:
                raise LiftcompError("hoist_a needs a single k-tile (tile_k covers K)")
        if self.hoist_b:
            if self.loop_order != "jik":
                raise LiftcompError("hoist_b needs loop order jik")
            if shape.k > tk * dim:
                raise LiftcompError("hoist_b needs a single k-tile (tile_k covers K)")

    def unroll_trips(self, shape: MatmulShape, cfg: GemminiConfig = DEFAULT_CONFIG) -> dict[str, int]:
        """The most iterations each unrollable host loop runs per entry (static bound from the tiles)."""
        dim = cfg.dim
        bi, bj, bk = (-(-x // dim) for x in (shape.m, shape.n, shape.k))
        ti, tj, tk = min(self.tile_i, bi), min(self.tile_j, bj), min(self.tile_k, bk)
        # Inner mvin loops: A along K (along M when A is stored transposed is not known here: take
        # the larger), B along K, bias along N.
        a_inner = max(-(-tk // self.a_block_len), -(-ti // self.a_block_len))
        return {"i": ti - 1, "j": tj, "k": tk - 1, "mvin": max(a_inner, tk, tj), "mvout": tj}

    def _check_unroll(self, shape: MatmulShape, cfg: GemminiConfig) -> None:
        names = [name for name, _ in self.unroll]
        if names != sorted(set(names)) or any(n not in UNROLL_LOOPS for n in names):
            raise LiftcompError(f"unroll must name distinct loops among {list(UNROLL_LOOPS)} (sorted), got {names}")
        if self.dataflow == "OS" and any(n != "mvin" for n in names):
            raise LiftcompError(f"the output-stationary tile unrolls only the mvin loops, not {names}")
        trips = self.unroll_trips(shape, cfg)
        for name, factor in self.unroll:
            if not 2 <= factor <= MAX_UNROLL:
                raise LiftcompError(f"unroll factor of loop {name} must be in [2, {MAX_UNROLL}], got {factor}")
            if factor > trips[name]:
                raise LiftcompError(f"unrolling loop {name} {factor} times exceeds its trip count (at most "
                                    f"{trips[name]} iterations with these tiles)")


def os_partial_sum_bound(k_elems: int) -> int:
    """Largest |partial sum| of `k_elems` int8 x int8 products (from a zero start): 128 * 128 * k."""
    return 128 * 128 * k_elems


def os_k_blocks_per_drain(cfg: GemminiConfig = DEFAULT_CONFIG) -> int:
    """How many DIM-blocks of K the PEs may accumulate in OS before their partial sums could leave
    the array's signed `array_output_bits` range (where the PEs wrap and the drain clips)."""
    limit = 2 ** (cfg.array_output_bits - 1) - 1
    return limit // os_partial_sum_bound(cfg.dim)


def os_refusal(s: MatmulSchedule, cfg: GemminiConfig = DEFAULT_CONFIG) -> str:
    """Why schedule `s` cannot run with its dataflow ('' when it can). OS is exact only when no
    partial sum that leaves the array can have been wrapped or clipped: the lowering drains every
    DIM-block of K into the accumulator (accumulate flag), so one block's worst case must fit."""
    if s.dataflow not in ("WS", "OS"):
        return f"dataflow must be WS or OS, got '{s.dataflow}'"
    if s.dataflow == "WS":
        return ""
    if s.form != "explicit":
        return ("OS needs the explicit form: the loop_ws FSM (LoopMatmul) issues weight-stationary "
                "preload/compute sequences only")
    if os_k_blocks_per_drain(cfg) < 1:
        bound = os_partial_sum_bound(cfg.dim)
        return (f"OS partial sums of one {cfg.dim}-element K-block of full-range int8 reach {bound}, beyond the "
                f"array's {cfg.array_output_bits}-bit output range (max {2 ** (cfg.array_output_bits - 1) - 1}): "
                "they would be wrapped/clipped in the PEs")
    return ""


def library_schedule(shape: MatmulShape, cfg: GemminiConfig = DEFAULT_CONFIG, form: Form = "explicit") -> MatmulSchedule:
    """tiled_matmul_auto's tile choice (gemmini.h), WS, double-buffered limits."""
    dim = cfg.dim
    i_blocks = -(-shape.m // dim)
    j_blocks = -(-shape.n // dim)
    k_blocks = -(-shape.k // dim)
    max_spad_rows = cfg.sp_rows // 2
    max_acc_rows = cfg.acc_rows // 2
    db_mats_in_partition = (cfg.sp_rows // 2 // 2) // dim
    db_mats_in_acc = (cfg.acc_rows // 2) // dim
    db_max_tile_i_j = math.isqrt(db_mats_in_acc)
    db_max_tile_k = db_mats_in_partition // db_max_tile_i_j
    ti = min(i_blocks, db_max_tile_i_j)
    tj = min(j_blocks, db_max_tile_i_j)
    tk = min(k_blocks, db_max_tile_k)

    def spad_rows(i: int, j: int, k: int) -> int:
        return (i * k + k * j) * dim

    def acc_rows(i: int, j: int) -> int:
        return i * j * dim

    while True:
        increased = False
        if spad_rows(ti, tj + 1, tk) <= max_spad_rows and acc_rows(ti, tj + 1) <= max_acc_rows and tj + 1 <= j_blocks:
            tj += 1
            increased = True
        if spad_rows(ti + 1, tj, tk) <= max_spad_rows and acc_rows(ti + 1, tj) <= max_acc_rows and ti + 1 <= i_blocks:
            ti += 1
            increased = True
        if spad_rows(ti, tj, tk + 1) <= max_spad_rows and tk + 1 <= k_blocks:
            tk += 1
            increased = True
        if not increased:
            break
    return MatmulSchedule(ti, tj, tk, form=form, notes=("tiled_matmul_auto",))
