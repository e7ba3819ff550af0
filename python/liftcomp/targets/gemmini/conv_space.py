"""Gemmini's kernel space for a function holding one convolution: `ConvSchedule`s (conv.py).

The search starts from tiled_conv_auto's tiles (`library_conv_schedule`). The menu resizes one tile
dimension at a time (batches, output rows/cols/channels, kernel rows/cols, input channels: what
gemmini.h's tiled_conv takes and Autocomp's conv menu tiles), switches between loop_conv_ws and
im2col + matmul, and `fit` shrinks the largest tile argument the way tiled_conv_auto does until the
tiles fit (so a grown dimension can be paid for by another). Double buffering is the FSM's own (two
loops in flight, one half of each memory each) and always on. Loop orders over tiles are not on the
menu: the model has no reuse between loops (gemmini.h's a_reuse / b_reuse skip reloading only when
a tile covers the whole problem), so every order times the same.
"""

from __future__ import annotations

import itertools
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
    rewrites.append(Rewrite("fit", "shrink the other tile sizes (largest first, channels by DIM) until the tiles "
                                   "fit half the scratchpad and accumulator", (Param("keep", "choice", choices=FIELDS),),
                            _fit))
    rewrites.append(Rewrite("form", "loop_conv_ws FSM per tile, or im2col on the host + tiled matmul",
                            (Param("form", "choice", choices=("loop_conv_ws", "im2col")),), _form))
    return Menu(tuple(rewrites), conv_key, _validate)


def _extents(total: int, tile: int) -> list[int]:
    return [min(tile, total - i) for i in range(0, total, tile)]


def predict_cycles(s: ConvSchedule, shape: ConvShape, cfg: GemminiConfig) -> float:
    """Analytic estimate, tile by tile (edge tiles at their real sizes): each loop costs the larger
    of its execute time (a compute per DIM output pixels of a row: its rows + a preload cycle) and
    its load time (input window + weights at the DMA's sustained rate), as two loops in flight
    overlap one's loads with the other's computes; plus the first loop's loads, the last one's
    stores and the host's 7 RoCC instructions per loop."""
    dim = cfg.dim
    rate = cfg.dma_bytes_per_cycle()
    if s.form == "im2col":
        # Host im2col (a load, a select and a store per element) then a matmul near peak.
        host = shape.n * shape.oh * shape.ow * shape.kh * shape.kw * shape.c * (4 * cfg.host_op_cycles)
        return host + shape.macs / (dim * dim)
    total = 0.0
    first_ld = last_st = 0.0
    dims = [_extents(t, getattr(s, f)) for f, t in
            zip(FIELDS, (shape.n, shape.oh, shape.ow, shape.f, shape.kh, shape.kw, shape.c), strict=True)]
    for b, rows, cols, ochs in itertools.product(*dims[:4]):
        col_cost = cols + cfg.preload_cycles * -(-cols // dim)
        st = b * rows * cols * ochs / rate
        for kr, kc, kch in itertools.product(*dims[4:]):
            ex = b * rows * col_cost * -(-ochs // dim) * kr * kc * -(-kch // dim)
            ld = (b * (rows + kr - 1) * (cols + kc - 1) * kch + kr * kc * kch * ochs) / rate
            total += max(ex, ld) + 7 * cfg.host_issue_cycles
            first_ld = first_ld or ld
        last_st = st
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
        return None  # the generic ModelPlanner ranks the menu's steps with ConvCostModel
