"""Gemmini's kernel space for a function holding one convolution: `ConvSchedule`s (conv.py).

The search starts from tiled_conv_auto's tiles (`library_conv_schedule`). The menu resizes one tile
dimension at a time (batches, output rows/cols/channels, kernel rows/cols, input channels: what
gemmini.h's tiled_conv takes and Autocomp's conv menu tiles) or several at once (`tiles`), switches
between loop_conv_ws and im2col + matmul, and `fit` shrinks the largest tile argument the way
tiled_conv_auto does until the tiles fit (so a grown dimension can be paid for by another). The
built-in planner (`ConvPlanner`) is the generic model planner plus `tiles` steps from a grid of
whole tilings ranked by `predict_cycles`. Double buffering is the FSM's own (two
loops in flight, one half of each memory each) and always on. Loop orders over tiles are not on the
menu: the model has no reuse between loops (gemmini.h's a_reuse / b_reuse skip reloading only when
a tile covers the whole problem), so every order times the same.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound
from liftcomp.search.measure import Measurement
from liftcomp.search.space import Menu, Param, Refused, Rewrite
from liftcomp.targets.base import KernelSpace
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.conv import ConvSchedule, ConvShape, library_conv_schedule

FIELDS = ("batches", "porows", "pocols", "pochs", "krows", "kcols", "kchs")


@dataclass(frozen=True)
class ConvContext:
    shape: ConvShape
    config: GemminiConfig = DEFAULT_CONFIG

    def limits(self) -> dict[str, int]:
        s = self.shape
        return dict(zip(FIELDS, (s.n, s.oh, s.ow, s.f, s.kh, s.kw, s.c), strict=True))


def conv_key(s: ConvSchedule) -> Hashable:
    if s.form == "im2col":
        return ("im2col",)
    return (s.form, *(getattr(s, f) for f in FIELDS))


def _validate(s: ConvSchedule, ctx: ConvContext) -> None:
    why = s.check(ctx.shape, ctx.config)
    if why:
        raise LiftcompError(why)


def _resize(field: str):  # noqa: ANN202 (a rewrite function per tile field)
    def fn(s: ConvSchedule, p: dict[str, Any], ctx: ConvContext) -> ConvSchedule:
        if s.form != "loop_conv_ws":
            raise Refused(f"{field}: the schedule runs im2col + matmul (switch form to loop_conv_ws first)")
        v = p["n"]
        limit = ctx.limits()[field]
        if v > limit:
            raise Refused(f"{field}: {v} exceeds the problem's {limit}")
        return s.with_(**{field: v})

    return fn


def _fit(s: ConvSchedule, p: dict[str, Any], ctx: ConvContext) -> ConvSchedule:
    """Shrink the largest tile argument (channels by DIM) until the tiles fit, keeping `keep`."""
    if s.form != "loop_conv_ws":
        raise Refused("fit: the schedule runs im2col + matmul")
    keep = p["keep"]
    dim = ctx.config.dim
    args = {f: getattr(s, f) for f in FIELDS}
    while s.with_(**args).check(ctx.shape, ctx.config):
        cand = [f for f in FIELDS if f != keep and args[f] > 1]
        if not cand:
            raise Refused(f"fit: nothing left to shrink besides {keep}")
        f = max(cand, key=lambda x: args[x])
        v = args[f]
        args[f] = max(1, ((v // dim) * dim if v % dim else v - dim) if f in ("pochs", "kchs") else v - 1)
    return s.with_(**args)


def _tiles(s: ConvSchedule, p: dict[str, Any], ctx: ConvContext) -> ConvSchedule:
    """Set several tile arguments at once (the others stay)."""
    if s.form != "loop_conv_ws":
        raise Refused("tiles: the schedule runs im2col + matmul (switch form to loop_conv_ws first)")
    limits = ctx.limits()
    for f, v in p.items():
        if v > limits[f]:
            raise Refused(f"tiles: {f} = {v} exceeds the problem's {limits[f]}")
    return s.with_(**p)


def _form(s: ConvSchedule, p: dict[str, Any], ctx: ConvContext) -> ConvSchedule:
    if p["form"] == "im2col":
        return s.with_(form="im2col")
    lib = library_conv_schedule(ctx.shape, ctx.config)
    return s.with_(form="loop_conv_ws", **{f: getattr(lib, f) for f in FIELDS}) if s.form == "im2col" else s


def conv_menu(shape: ConvShape) -> Menu[ConvSchedule, ConvContext]:
    limits = dict(zip(FIELDS, (shape.n, shape.oh, shape.ow, shape.f, shape.kh, shape.kw, shape.c), strict=True))
    docs = {
        "batches": "images per loop_conv_ws tile",
        "porows": "output rows per tile",
        "pocols": "output columns per tile (a compute streams up to DIM of them)",
        "pochs": "output channels per tile (weights reused across the tile's pixels)",
        "krows": "kernel rows per tile (fewer: partial sums stay in the accumulator across tiles)",
        "kcols": "kernel columns per tile",
        "kchs": "input channels per tile",
    }
    rewrites: list[Rewrite[ConvSchedule, ConvContext]] = [
        Rewrite(f, f"set {docs[f]} (1..{limits[f]})", (Param("n", "int", 1, limits[f]),), _resize(f)) for f in FIELDS
    ]
    rewrites.append(Rewrite("tiles", "set several tile arguments at once (those not given stay)",
                            tuple(Param(f, "int", 1, limits[f], required=False) for f in FIELDS), _tiles))
    rewrites.append(Rewrite("fit", "shrink the other tile sizes (largest first, channels by DIM) until the tiles "
                                   "fit half the scratchpad and accumulator", (Param("keep", "choice", choices=FIELDS),),
                            _fit))
    rewrites.append(Rewrite("form", "loop_conv_ws FSM per tile, or im2col on the host + tiled matmul",
                            (Param("form", "choice", choices=("loop_conv_ws", "im2col")),), _form))
    return Menu(tuple(rewrites), conv_key, _validate)


def _extents(total: int, tile: int) -> list[tuple[int, int]]:
    """(tile size, how many tiles have it) along one dimension: full tiles, then the remainder."""
    full, rest = divmod(total, tile)
    return [(tile, full)] * (full > 0) + [(rest, 1)] * (rest > 0)


def predict_cycles(s: ConvSchedule, shape: ConvShape, cfg: GemminiConfig) -> float:
    """Analytic estimate, tile by tile (edge tiles at their real sizes; tiles of equal sizes
    counted once): each loop costs the larger of its execute time (a compute per DIM output pixels
    of a row: its rows + a preload cycle) and its load time (input window + weights at the DMA's
    sustained rate), as two loops in flight overlap one's loads with the other's computes; plus the
    first loop's loads, the last one's stores and the host's 7 RoCC instructions per loop."""
    dim = cfg.dim
    rate = cfg.dma_bytes_per_cycle()
    if s.form == "im2col":
        # Host im2col (a load, a select and a store per element) then a matmul near peak.
        host = shape.n * shape.oh * shape.ow * shape.kh * shape.kw * shape.c * (4 * cfg.host_op_cycles)
        return host + shape.macs / (dim * dim)
    dims = [_extents(t, getattr(s, f)) for f, t in
            zip(FIELDS, (shape.n, shape.oh, shape.ow, shape.f, shape.kh, shape.kw, shape.c), strict=True)]
    total = 0.0
    for combo in itertools.product(*dims):
        (b, _), (rows, _), (cols, _), (ochs, _), (kr, _), (kc, _), (kch, _) = combo
        count = math.prod(n for _, n in combo)
        ex = b * rows * (cols + cfg.preload_cycles * -(-cols // dim)) * -(-ochs // dim) * kr * kc * -(-kch // dim)
        ld = (b * (rows + kr - 1) * (cols + kc - 1) * kch + kr * kc * kch * ochs) / rate
        total += count * (max(ex, ld) + 7 * cfg.host_issue_cycles)
    first = [d[0][0] for d in dims]
    last = [d[-1][0] for d in dims]
    first_ld = (first[0] * (first[1] + first[4] - 1) * (first[2] + first[5] - 1) * first[6]
                + first[4] * first[5] * first[6] * first[3]) / rate
    last_st = last[0] * last[1] * last[2] * last[3] / rate
    return total + first_ld + last_st


@dataclass
class ConvCostModel:
    space: GemminiConvSpace

    def predict(self, schedule: ConvSchedule) -> float:
        return predict_cycles(schedule, self.space.shape, self.space.config)

    def bound(self) -> Bound:
        cfg = self.space.config
        cycles = self.space.shape.macs / (cfg.dim * cfg.dim)
        return Bound(int(cycles), "cycles", 1.0, {"execute": int(cycles)})

    def update(self, schedule: ConvSchedule, measurement: Measurement) -> None:
        return None


@dataclass
class GemminiConvSpace(KernelSpace[ConvSchedule]):
    module: ModuleOp
    func_name: str
    shape: ConvShape
    config: GemminiConfig = DEFAULT_CONFIG
    epilogue: str | None = None

    def __post_init__(self) -> None:
        self.menu = conv_menu(self.shape)
        self.context = ConvContext(self.shape, self.config)

    @staticmethod
    def from_function(fn: func.FuncOp, config: GemminiConfig = DEFAULT_CONFIG) -> GemminiConvSpace | None:
        """The space of `fn` when it lowers to exactly one convolution, else None."""
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report

        module = ModuleOp([fn.clone()])
        try:
            _, report = lower_module_with_report(module, LowerOptions(config=config))
        except LiftcompError:
            return None
        convs = [k for k in report.kernels if k.kind == "conv"]
        if len(report.kernels) != 1 or len(convs) != 1:
            return None
        shape = getattr(convs[0], "conv_shape", None)
        if not isinstance(shape, ConvShape):
            return None
        return GemminiConvSpace(module, fn.sym_name.data, shape, config, convs[0].epilogue)

    def initial(self) -> ConvSchedule:
        return library_conv_schedule(self.shape, self.config)

    def lower(self, schedule: ConvSchedule) -> ModuleOp:
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module

        why = schedule.check(self.shape, self.config)
        if why:
            raise LiftcompError(why)
        return lower_module(self.module, LowerOptions(conv_schedule=schedule, config=self.config))

    def schedule_json(self, schedule: ConvSchedule) -> dict[str, Any]:
        return schedule.to_json()

    def schedule_from_json(self, data: dict[str, Any]) -> ConvSchedule:
        try:
            d = dict(data)
            d.pop("notes", None)
            return ConvSchedule(**d)
        except (TypeError, ValueError) as e:
            raise LiftcompError(f"not a Gemmini conv schedule: {e}") from None

    def kernel_summary(self) -> str:
        return f"@{self.func_name}: conv {self.shape.describe()}"

    def describe(self, schedule: ConvSchedule) -> str:
        s = schedule
        lines = [f"convolution {self.shape.describe()} (NHWC x HWCF, int8 x int8 -> int32"
                 f"{', ' + self.epilogue if self.epilogue else ''})",
                 f"form: {s.form}" + (" (one gemmini_loop_conv_ws per tile, FSM double-buffered)"
                                      if s.form == "loop_conv_ws" else " (im2col on the host, then a tiled matmul)")]
        if s.form == "loop_conv_ws":
            lines.append("tiles: " + ", ".join(f"{f}={getattr(s, f)}" for f in FIELDS))
        return "\n".join(lines)

    def hardware_summary(self) -> str:
        c = self.config
        return (f"Gemmini: {c.dim}x{c.dim} int8 systolic array (peak {c.dim * c.dim} MAC/cycle), scratchpad "
                f"{c.sp_rows} rows of {c.dim} int8, accumulator {c.acc_rows} rows of {c.dim} int32. loop_conv_ws is "
                "a hardware FSM that loads one tile's input (one row per pixel, padding as zero rows) and weights, "
                "then runs its preload/compute pairs (one compute: up to DIM output pixels x DIM channels), then "
                "stores; it owns half of each memory so two tiles overlap. DMA: 16 B/beat, 64 B requests, "
                f"{c.dma_max_inflight} in flight, DRAM latency {c.dram_latency} cycles. "
                "Utilization = MACs / (DIM^2 * cycles).")

    def describe_measurement(self, m: Measurement) -> list[str]:
        c = m.counters
        busy = ", ".join(f"{u} {n} ({n / max(1, m.cost):.0%})" for u, n in c.get("busy", {}).items())
        return [f"cycles: {m.cost}, utilization: {m.utilization:.1%}", f"busy cycles per unit: {busy}"]

    def cost_model(self) -> ConvCostModel:
        return ConvCostModel(self)

    def planner(self) -> Any:
        return ConvPlanner()


def tile_grid(shape: ConvShape) -> list[dict[str, int]]:
    """Whole tilings worth trying (the whole kernel per tile; channels in DIM multiples): images 1, 2
    or all; 1-8 or all output rows; 16, 32 or all output columns; 16-64 or all output channels;
    16, 64 or all input channels."""
    def pick(*vals: int, limit: int) -> list[int]:
        return sorted({min(v, limit) for v in vals})

    grid = []
    for t in itertools.product(pick(1, 2, shape.n, limit=shape.n), pick(1, 2, 4, 8, shape.oh, limit=shape.oh),
                               pick(16, 32, shape.ow, limit=shape.ow), pick(16, 32, 64, shape.f, limit=shape.f),
                               pick(16, 64, shape.c, limit=shape.c)):
        b, r, c, f, k = t
        grid.append({"batches": b, "porows": r, "pocols": c, "pochs": f, "krows": shape.kh, "kcols": shape.kw,
                     "kchs": k})
    return grid


class ConvPlanner:
    """The generic model planner, plus `tiles` steps: every legal tiling of `tile_grid` ranked by
    the cost model (single-dimension steps reach a better tiling only 3-4 steps away)."""

    name = "builtin"

    def __init__(self) -> None:
        from liftcomp.search.model_planner import ModelPlanner

        self.generic = ModelPlanner()
        self._ranked: dict[Any, list[tuple[float, Any]]] = {}

    def _tiles(self, parent: Any, problem: Any) -> list[tuple[float, Any]]:
        key = (id(problem), problem.space.key(parent.schedule))
        if key not in self._ranked:
            self._ranked[key] = self._rank_tiles(parent, problem)
        return self._ranked[key]

    def _rank_tiles(self, parent: Any, problem: Any) -> list[tuple[float, Any]]:
        from liftcomp.search.space import Step

        space = problem.space
        model = space.cost_model()
        out = []
        for params in tile_grid(space.shape):
            step = Step("tiles", params)
            try:
                child = problem.apply(parent.schedule, step)
            except Refused:
                continue
            out.append((model.predict(child), step))
        out.sort(key=lambda x: x[0])
        return out

    def plan(self, parent: Any, problem: Any, n: int, rng: Any) -> list[Any]:
        from liftcomp.search.beam import Plan

        plans = [p for p in self.generic.plan(parent, problem, n, rng) if p.rewrite != "tiles"]
        ranked = self._tiles(parent, problem)
        if ranked:
            plans.insert(0, Plan("tiles", {}, f"model: whole tilings, best predicted {ranked[0][0]:g}"))
        return plans[:n]

    def implement(self, parent: Any, plan: Any, problem: Any, n: int, rng: Any) -> list[Any]:
        if plan.rewrite == "tiles":
            return [s for _, s in self._tiles(parent, problem)]
        return self.generic.implement(parent, plan, problem, n, rng)
