"""The Gemmini rewrite menu: semantics-preserving transformations of a matmul's schedule.

A schedule (`MatmulSchedule`) is the lowering's whole input besides the kernel, so a rewrite is a
function from schedule to schedule: the lowering then emits the target IR. Semantics are kept by
construction (every schedule the lowering accepts computes the same product; tests check it on
random inputs). Each rewrite has typed parameters and a legality check that either returns the
new schedule or raises `Refused` saying why not (capacities, alignment, hardware rules, or what
the lowering and simulator do not implement).

`apply_steps(library, steps)` replays a search result; `roofline(shape, cfg)` is the analytic
lower bound the built-in policy and the reports use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from liftcomp.search.space import Menu, Param
from liftcomp.search.space import Refused as Refused
from liftcomp.search.space import Rewrite as _Rewrite
from liftcomp.search.space import Step as Step
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.schedule import (
    MAX_UNROLL,
    UNROLL_LOOPS,
    MatmulSchedule,
    MatmulShape,
    os_refusal,
)


@dataclass(frozen=True)
class KernelContext:
    """What a legality check may need to know about the kernel besides its schedule."""

    shape: MatmulShape
    config: GemminiConfig = DEFAULT_CONFIG
    # Requantisation after the matmul (scale / activation to int8) Gemmini's mvout computes
    # exactly; None: none, or one it cannot compute (then `epilogue_refused` says why).
    epilogue: str | None = None
    epilogue_refused: str = ""
    # Operands as stored in DRAM (the lowering takes plain row-major A[M,K] and B[K,N]).
    a_transposed: bool = False
    b_transposed: bool = False
    # How many config / fence instructions liftcomp-gemmini-cleanup would remove from the kernel's
    # function lowered with a schedule (None: the function is not known; the matmul alone repeats
    # nothing).
    redundant_config: Callable[[MatmulSchedule], int] | None = field(default=None, compare=False)

    def blocks(self) -> tuple[int, int, int]:
        """Padded sizes in DIM-blocks: (I, J, K)."""
        d = self.config.dim
        s = self.shape
        return -(-s.m // d), -(-s.n // d), -(-s.k // d)


Rewrite = _Rewrite[MatmulSchedule, KernelContext]


def schedule_key(s: MatmulSchedule) -> tuple[Any, ...]:
    """What makes two schedules produce the same program (notes excluded)."""
    return (s.tile_i, s.tile_j, s.tile_k, s.form, s.loop_order, s.double_buffer, s.hoist_a, s.hoist_b,
            s.fuse_epilogue, s.a_block_len, s.b_block_len, s.dataflow, s.acc_resident, s.unroll,
            s.remove_redundant_config)


# ------------------------------------------------------------------------------- the rewrites --
def _tile(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    bi, bj, bk = ctx.blocks()
    for letter, limit in (("i", bi), ("j", bj), ("k", bk)):
        v = p.get(letter)
        if v is not None and v > limit:
            dim_name = {"i": "M", "j": "N", "k": "K"}[letter]
            raise Refused(f"tile: tile_{letter} = {v} blocks exceeds {dim_name} ({limit} blocks of {ctx.config.dim})")
    out = s.with_(tile_i=p.get("i", s.tile_i), tile_j=p.get("j", s.tile_j), tile_k=p.get("k", s.tile_k))
    for flag, name in ((out.hoist_a, "A"), (out.hoist_b, "B")):
        if flag and out.tile_k < bk:
            raise Refused(f"tile: tile_k = {out.tile_k} < K ({bk} blocks) while {name} is hoisted "
                          f"(hoist_{name.lower()} needs one k-tile); turn hoist_{name.lower()} off first")
    return out


def _loop_order(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    order = p["order"]
    if order[-1] != "k" and s.acc_resident:
        raise Refused(f"loop_order: '{order}' puts k outside; partial sums would have to leave the accumulator "
                      "between k-tiles: turn acc_resident off first (spills them to DRAM in int32)")
    if s.form == "loop_ws":
        raise Refused("loop_order: loop_ws runs its tiles in the order ijk; switch to the explicit form first")
    if s.hoist_a and order != "ijk":
        raise Refused("loop_order: hoisted A (reuse across j) needs i outside j; turn hoist_a off first")
    if s.hoist_b and order != "jik":
        raise Refused("loop_order: hoisted B (reuse across i) needs j outside i; turn hoist_b off first")
    return s.with_(loop_order=order)


def _hoist_a(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    on = p["on"]
    if not on:
        return s.with_(hoist_a=False)
    if s.form != "explicit":
        raise Refused("hoist_a: loop_ws loads its own operands; switch to the explicit form first")
    if s.loop_order != "ijk":
        raise Refused(f"hoist_a: reusing A across j-tiles needs loop order ijk, not {s.loop_order}")
    _, _, bk = ctx.blocks()
    if s.tile_k < bk:
        raise Refused(f"hoist_a: needs all of K in one tile (tile_k = {s.tile_k} < {bk} blocks); raise tile k first")
    return s.with_(hoist_a=True)


def _hoist_b(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    on = p["on"]
    if not on:
        return s.with_(hoist_b=False)
    if s.form != "explicit":
        raise Refused("hoist_b: loop_ws loads its own operands; switch to the explicit form first")
    if s.loop_order != "jik":
        raise Refused(f"hoist_b: reusing B across i-tiles needs loop order jik (j outside i), not {s.loop_order}")
    _, _, bk = ctx.blocks()
    if s.tile_k < bk:
        raise Refused(f"hoist_b: needs all of K in one tile (tile_k = {s.tile_k} < {bk} blocks); raise tile k first")
    return s.with_(hoist_b=True)


def _double_buffer(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    on = p["on"]
    if s.form == "loop_ws":
        raise Refused("double_buffer: loop_ws always double-buffers (it owns half of each memory per tile)")
    return s.with_(double_buffer=on)


def _mvin_blocks(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    if s.form == "loop_ws":
        raise Refused("mvin_blocks: loop_ws always moves max_block_len blocks per mvin")
    return s.with_(a_block_len=p.get("a", s.a_block_len), b_block_len=p.get("b", s.b_block_len))


def _form(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    form = p["form"]
    cfg = ctx.config
    if form == "loop_ws":
        if ctx.a_transposed or ctx.b_transposed:
            raise Refused("form: loop_ws with transposed operands is not modelled by the simulator and the host "
                          "header (the explicit form uses the transpose flags)")
        # The FSM fixes its loop order, buffering and mvin sizes; these knobs do not exist there.
        return s.with_(form="loop_ws", loop_order="ijk", double_buffer=False, hoist_a=False, hoist_b=False,
                       a_block_len=cfg.max_block_len, b_block_len=cfg.max_block_len, acc_resident=True, unroll=())
    # Explicit instructions with loop_ws's own buffering, so the rewrite is a pure change of form.
    return s.with_(form="explicit", double_buffer=s.form == "loop_ws" or s.double_buffer)


def _dataflow(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    if p["dataflow"] == "WS":
        return s.with_(dataflow="WS")
    if s.form == "loop_ws":
        raise Refused("dataflow: the loop_ws FSM issues weight-stationary preload/compute sequences only; "
                      "switch to form(explicit) first")
    if ctx.b_transposed:
        # config_ex: OS feeds A through the transposer unless A^T is requested, so B^T needs A^T too;
        # the lowering keeps A row-major (A^T with B^T is copied on the host, the WS rule).
        raise Refused("dataflow: OS forbids transposing B alone (B is stored transposed and the lowering "
                      "keeps A row-major)")
    why = os_refusal(s.with_(dataflow="OS"), ctx.config)
    if why:
        raise Refused(f"dataflow: {why}")
    return s.with_(dataflow="OS")


def _transpose(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    at, bt = p.get("a", False), p.get("b", False)
    # Hardware rules first (gemmini.h: WS forbids A^T with B^T; OS forbids B^T alone).
    if at and bt:
        raise Refused("transpose: WS forbids transposing A and B together")
    if at != ctx.a_transposed or bt != ctx.b_transposed:
        stored = f"A {'transposed' if ctx.a_transposed else 'row-major'}, B {'transposed' if ctx.b_transposed else 'row-major'}"
        raise Refused(f"transpose: the operands are stored {stored} in DRAM; transposing in the array "
                      "would multiply by a different matrix")
    raise Refused("transpose: no change (the lowering already sets the transpose flags the operands' layout needs)")


def _fuse_epilogue(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    on = p["on"]
    if ctx.epilogue is None and not ctx.epilogue_refused:
        raise Refused("fuse_epilogue: the kernel has no scaling/activation after the matmul "
                      "(its output is the raw int32 accumulator), nothing to fuse into mvout")
    if ctx.epilogue is None:
        if on:
            raise Refused(f"fuse_epilogue: Gemmini's mvout computes a different epilogue: {ctx.epilogue_refused}")
        raise Refused("fuse_epilogue: the epilogue already runs on the host (Gemmini computes it differently)")
    if on and not s.acc_resident:
        raise Refused("fuse_epilogue: partial sums are spilled in int32 between k-tiles (acc_resident off) and "
                      "the mvouts cannot both requantise and spill; turn acc_resident on first")
    # Off: the int32 product goes to a temporary and the host applies the same epilogue.
    return s.with_(fuse_epilogue=on)


def _acc_resident(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    if p["on"]:
        if s.loop_order[-1] != "k":
            raise Refused(f"acc_resident: loop order '{s.loop_order}' has k outside i or j, so partial sums must "
                          "leave the accumulator between k-tiles; set a loop_order with k innermost first")
        return s.with_(acc_resident=True)
    if s.form == "loop_ws":
        raise Refused("acc_resident: the loop_ws FSM keeps partial sums in the accumulator (k innermost); "
                      "switch to the explicit form first")
    _, _, bk = ctx.blocks()
    if s.tile_k >= bk:
        raise Refused(f"acc_resident: K fits one k-tile (tile_k = {s.tile_k} >= {bk} blocks): there are no partial "
                      "sums to spill; lower tile k first")
    if ctx.epilogue is not None and s.fuse_epilogue:
        raise Refused("acc_resident: the requantisation is fused into the mvouts, which cannot also move out "
                      "int32 partial sums; turn fuse_epilogue off first (the product then goes to an int32 temporary)")
    # Partial sums go out in full int32 after each k-tile but the last and come back before the next.
    return s.with_(acc_resident=False)


def _unroll(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    loop, factor = p["loop"], p["factor"]
    if s.form == "loop_ws":
        raise Refused("unroll: loop_ws has no host loops inside a tile to unroll")
    if s.dataflow == "OS" and loop != "mvin":
        raise Refused(f"unroll: the output-stationary tile's {loop} loop is not unrolled by the lowering "
                      "(only the A/B mvin loops are shared with WS)")
    trips = s.unroll_trips(ctx.shape, ctx.config)
    if factor > 1 and factor > trips[loop]:
        raise Refused(f"unroll: loop {loop} runs at most {trips[loop]} iterations with these tiles "
                      f"(tile {s.tile_i}x{s.tile_j}x{s.tile_k} blocks); unrolling it {factor} times leaves nothing "
                      "but the remainder loop")
    return s.with_unroll(loop, factor)


def _remove_redundant(s: MatmulSchedule, p: dict[str, Any], ctx: KernelContext) -> MatmulSchedule:
    if s.remove_redundant_config:
        return s
    if ctx.redundant_config is None:
        raise Refused("remove_redundant_config: the matmul issues each configuration once (config_ex, config_st, "
                      "one config_ld per operand) and one fence before the host may read its result; none is "
                      "redundant")
    n = ctx.redundant_config(s)
    if n == 0:
        raise Refused("remove_redundant_config: no config_ex / config_ld / config_st of this function sets state "
                      "already in place and every fence follows Gemmini work: nothing to remove")
    return s.with_(remove_redundant_config=True)


MENU: tuple[Rewrite, ...] = (
    Rewrite("tile", "set tile sizes (DIM-blocks) of loops i, j, k; bigger tiles reuse more but must fit the "
            "scratchpad (A + B tiles) and accumulator (C tile), halved when double-buffered or loop_ws",
            (Param("i", "int", 1, 4096, required=False), Param("j", "int", 1, 4096, required=False),
             Param("k", "int", 1, 4096, required=False)), _tile),
    Rewrite("loop_order", "order of the tile loops (outermost first; k innermost unless acc_resident is off)",
            (Param("order", "choice", choices=("ijk", "jik", "ikj", "jki", "kij", "kji")),), _loop_order),
    Rewrite("hoist_a", "load each A row-tile once and reuse it across all j-tiles (needs one k-tile, order ijk)",
            (Param("on", "bool"),), _hoist_a),
    Rewrite("hoist_b", "load each B column-tile once and reuse it across all i-tiles (needs one k-tile, order jik)",
            (Param("on", "bool"),), _hoist_b),
    Rewrite("acc_resident", "keep partial sums in the accumulator across k-tiles (on, k innermost) or spill them "
            "to DRAM in int32 after each k-tile and reload them (off: k may be outside; more DMA traffic)",
            (Param("on", "bool"),), _acc_resident),
    Rewrite("double_buffer", "explicit form: alternate scratchpad/accumulator halves so loads overlap compute",
            (Param("on", "bool"),), _double_buffer),
    Rewrite("mvin_blocks", "DIM-blocks per mvin for A and B (1..4; larger mvins use full 64-byte DMA requests)",
            (Param("a", "int", 1, 4, required=False), Param("b", "int", 1, 4, required=False)), _mvin_blocks),
    Rewrite("form", "one loop_ws FSM call per tile (few host instructions) or explicit mvin/preload/compute/mvout",
            (Param("form", "choice", choices=("loop_ws", "explicit")),), _form),
    Rewrite("dataflow", "weight-stationary or output-stationary", (Param("dataflow", "choice", choices=("WS", "OS")),),
            _dataflow),
    Rewrite("transpose", "let the array transpose A or B (hardware rules: WS forbids both at once)",
            (Param("a", "bool", required=False), Param("b", "bool", required=False)), _transpose),
    Rewrite("fuse_epilogue", "apply the kernel's requantisation (scale, ReLU, int8 saturation) in the mvouts (on) "
            "or on the host from an int32 temporary (off); on only where Gemmini computes it exactly",
            (Param("on", "bool"),), _fuse_epilogue),
    Rewrite("unroll", "unroll an explicit-form host loop of each tile by a factor (fewer loop and address "
            "instructions; 1 undoes it): i = compute loop over i-blocks, j = over j-blocks, k = over k-blocks, "
            "mvin = inner loops of the mvins, mvout = inner loop of the mvouts",
            (Param("loop", "choice", choices=UNROLL_LOOPS), Param("factor", "int", 1, MAX_UNROLL)), _unroll),
    Rewrite("remove_redundant_config", "drop config instructions of the kernel's function that set state already "
            "in place and fences with no Gemmini work since the previous one (functions with several kernels)", (),
            _remove_redundant),
)

MENU_BY_NAME: dict[str, Rewrite] = {r.name: r for r in MENU}


def _validate(s: MatmulSchedule, ctx: KernelContext) -> None:
    s.check(ctx.shape, ctx.config)


GEMMINI_MENU: Menu[MatmulSchedule, KernelContext] = Menu(MENU, schedule_key, _validate)


def apply_step(sched: MatmulSchedule, step: Step, ctx: KernelContext) -> MatmulSchedule:
    return GEMMINI_MENU.apply(sched, step, ctx)


def apply_steps(start: MatmulSchedule, steps: Sequence[Step], ctx: KernelContext) -> MatmulSchedule:
    """Replay `steps` from `start`; any refusal is an error (a replayed schedule must apply as recorded)."""
    return GEMMINI_MENU.replay(start, steps, ctx)


# ---------------------------------------------------------------------------------- the bound --
@dataclass(frozen=True)
class Roofline:
    """Lower bounds (cycles) per unit under the simulator's own cost model, and the bound on utilization."""

    execute: int
    load: int
    store: int
    macs: int
    dim: int

    @property
    def cycles(self) -> int:
        return max(self.execute, self.load, self.store)

    @property
    def utilization(self) -> float:
        return self.macs / (self.dim * self.dim * max(1, self.cycles))

    @property
    def bottleneck(self) -> str:
        return max((("execute", self.execute), ("load", self.load), ("store", self.store)), key=lambda x: x[1])[0]

    def to_json(self) -> dict[str, Any]:
        return {"execute": self.execute, "load": self.load, "store": self.store, "cycles": self.cycles,
                "utilization": round(self.utilization, 6), "bottleneck": self.bottleneck}


def roofline(shape: MatmulShape, cfg: GemminiConfig = DEFAULT_CONFIG, int8_out: bool = False) -> Roofline:
    """Cycles no schedule can beat in the timing model (sim/timing.py, sim/machine.py):

    - execute: every (k, j) block column needs each of the M rows of A streamed once (a compute
      is busy for its A rows; an OS compute for all DIM rows, so the bound holds for both
      dataflows), plus one preload per compute (`preload_cycles`);
    - load: A and B cross the DMA at least once, in full 64-byte requests: the bus (16 B/beat)
      or the window of `dma_max_inflight` requests of `dram_latency + 4` cycles, whichever is slower;
    - store: C (int32) leaves once, one request per accumulator row of at most DIM int32, each
      mvout busy for at least its rows + the accumulator latency. With `int8_out` (a kernel whose
      requantisation some schedule fuses into the mvouts) C may leave as int8, up to
      `max_block_len` blocks (64 B) per mvout row, so the bound counts that: bytes through the
      bus, requests of <= 64 B through the window (at the shortest request time), and every
      accumulator row read once plus one accumulator latency per mvout of max_block_len blocks.
    The host's issue cost is left out (loop_ws makes it negligible)."""
    d = cfg.dim
    bi, bj, bk = -(-shape.m // d), -(-shape.n // d), -(-shape.k // d)
    execute = bk * bj * (shape.m + bi * cfg.preload_cycles)
    req = cfg.dma_request_bytes

    def dma(rows: int, row_bytes: int) -> int:
        """`rows` rows of `row_bytes` contiguous bytes, each split into requests of <= 64 B."""
        reqs = rows * -(-row_bytes // req)
        per_req = cfg.dram_latency + -(-min(row_bytes, req) // cfg.dma_beat_bytes)
        return max(rows * -(-row_bytes // cfg.dma_beat_bytes), -(-reqs * per_req // cfg.dma_max_inflight))

    load = dma(shape.m, shape.k) + dma(shape.k, shape.n)
    if int8_out:
        mvouts = bi * -(-bj // cfg.max_block_len)
        beats = shape.m * -(-shape.n // cfg.dma_beat_bytes)
        window = -(-shape.m * -(-shape.n // req) * (cfg.dram_latency + 1) // cfg.dma_max_inflight)
        store = max(beats, window, shape.m * bj + mvouts * cfg.acc_latency)
        return Roofline(execute, load, store, shape.macs, d)
    # C leaves once: per DIM-wide column block, each row is one request of <= DIM int32.
    cols_last = shape.n - (bj - 1) * d
    store = (bj - 1) * dma(shape.m, d * 4) + dma(shape.m, cols_last * 4)
    store = max(store, shape.m * bj + bi * bj * cfg.acc_latency)
    return Roofline(execute, load, store, shape.macs, d)
