"""The schedule space of one NKI row-wise kernel (softmax, rmsnorm, layernorm, element-wise
chains: rowwise.py) as a targets/base.KernelSpace over RowSchedule.

Menu (Autocomp's NKI items that apply to row kernels): `fuse_activation` (fuse multiply-add into
ScalarE's activation: scale/bias instead of separate VectorE tensor_scalar ops), `engine`
(VectorE / ScalarE / GpSimd for the element-wise tensor_scalar ops), `row_tile` (partitions per
row tile) and `bufs` (multi-buffering of the row tiles). Scored by the engine-level cost model
on the lowered kernel.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field, replace
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import VerifyException

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound
from liftcomp.search.measure import Measurement
from liftcomp.search.space import Menu, Param, Refused, Rewrite
from liftcomp.targets.base import KernelSpace
from liftcomp.targets.nki.config import NkiChip
from liftcomp.targets.nki.cost_model import CostReport, estimate
from liftcomp.targets.nki.lowering import LowerOptions
from liftcomp.targets.nki.rowwise import RowSchedule, lower_rowwise
from liftcomp.targets.nki.views import Unsupported


@dataclass(frozen=True)
class RowCtx:
    fn: func.FuncOp
    chip: NkiChip
    dyn_size: int
    # evaluate_rowwise's answers: the planner's ranking, the menu's validation and the model's
    # prediction all ask about the same schedules (each a kernel built, verified and modelled)
    cache: dict[RowSchedule, tuple[CostReport | None, str | None]] = field(default_factory=dict, compare=False,
                                                                            hash=False)


def evaluate_rowwise(ctx: RowCtx, s: RowSchedule) -> tuple[CostReport | None, str | None]:
    """The model's cost of the kernel lowered with `s`, or why it is refused."""
    if s not in ctx.cache:
        ctx.cache[s] = _evaluate(ctx, s)
    return ctx.cache[s]


def _evaluate(ctx: RowCtx, s: RowSchedule) -> tuple[CostReport | None, str | None]:
    try:
        kernel, _, _ = lower_rowwise(ctx.fn, LowerOptions(ctx.chip, ctx.dyn_size, {ctx.fn.sym_name.data: s}))
        ModuleOp([kernel]).verify()
    except Unsupported as e:
        return None, str(e)
    except VerifyException as e:
        return None, str(e).splitlines()[0]
    return estimate(kernel, ctx.chip), None


def _validate(s: RowSchedule, c: RowCtx) -> None:
    _, why = evaluate_rowwise(c, s)
    if why:
        raise LiftcompError(why)


ROW_MENU: Menu[RowSchedule, RowCtx] = Menu(
    (
        Rewrite("fuse_activation", "fuse multiply-add into activation: x * s + b feeding exp/rsqrt/... becomes one "
                "ScalarE activation with scale/bias instead of separate VectorE tensor_scalar ops",
                (Param("on", "bool"),), lambda s, p, c: replace(s, fuse_activation=p["on"])),
        Rewrite("engine", "engine choice for element-wise tensor_scalar ops (VectorE, ScalarE or GpSimd)",
                (Param("engine", "choice", choices=("vector", "scalar", "gpsimd")),),
                lambda s, p, c: replace(s, elementwise_engine=p["engine"])),
        Rewrite("row_tile", "rows per tile on the partition dim (a divisor of the row count, <= 128): fewer, "
                "wider instructions amortise the ~100-cycle fixed cost", (Param("rows", "int", 1, 128),),
                lambda s, p, c: replace(s, rows_per_tile=p["rows"])),
        Rewrite("bufs", "buffers per row tile (multi-buffering: DMA of tile i+1 overlaps compute on tile i)",
                (Param("bufs", "int", 1, 4),), lambda s, p, c: replace(s, bufs=p["bufs"])),
    ),
    key=lambda s: s,
    validate=_validate,
)


class NkiRowModel:
    """The engine-level cost model on the lowered row kernel (predict: modelled ns)."""

    def __init__(self, ctx: RowCtx):
        self.ctx = ctx

    def predict(self, schedule: RowSchedule) -> float:
        rep, why = evaluate_rowwise(self.ctx, schedule)
        if rep is None:
            raise Refused(why or "refused")
        return rep.time_ns

    def bound(self) -> Bound:
        # Memory-bound: every argument crosses HBM once at the core's bandwidth.
        c = self.ctx.chip
        nbytes = 0
        for a in self.ctx.fn.body.block.args:
            shape = getattr(a.type, "shape", None)
            if shape is None:
                continue
            n = 1
            for d in a.type.get_shape():  # type: ignore[attr-defined]
                n *= d if d > 0 else self.ctx.dyn_size
            nbytes += 4 * n
        ns = nbytes / c.hbm_gbps_per_core
        return Bound(ns, "ns", 1.0, {"hbm": ns})

    def update(self, schedule: RowSchedule, measurement: Measurement) -> None:
        return None


class NkiRowSpace(KernelSpace[RowSchedule]):
    def __init__(self, fn: func.FuncOp, chip: NkiChip, dyn_size: int):
        self.module = ModuleOp([fn.clone()])
        self.func_name = fn.sym_name.data
        self.menu = ROW_MENU
        self.chip = chip
        self.dyn_size = dyn_size
        self.context = RowCtx(fn.clone(), chip, dyn_size)

    def initial(self) -> RowSchedule:
        return RowSchedule()

    def lower(self, schedule: RowSchedule) -> ModuleOp:
        from liftcomp.targets.nki.driver import lower_module

        out, _ = lower_module(self.module, LowerOptions(self.chip, self.dyn_size, {self.func_name: schedule}))
        return out

    def key(self, schedule: RowSchedule) -> Hashable:
        return schedule

    def schedule_json(self, schedule: RowSchedule) -> dict[str, Any]:
        return schedule.to_json()

    def schedule_from_json(self, data: dict[str, Any]) -> RowSchedule:
        try:
            return RowSchedule(**data)
        except TypeError as e:
            raise LiftcompError(f"not an NKI row-wise schedule: {e}") from None

    def describe(self, schedule: RowSchedule) -> str:
        s = schedule
        return (f"{s.rows_per_tile} rows per tile; {s.bufs} buffers per tile; element-wise tensor_scalar on "
                f"{s.elementwise_engine}; multiply-add {'fused into' if s.fuse_activation else 'separate from'} "
                "the activation")

    def hardware_summary(self) -> str:
        c = self.chip
        return (f"AWS {c.name} NeuronCore: rows on 128 SBUF partitions; VectorE, ScalarE (activation(op, x * scale "
                "+ bias)) and GpSimd run concurrently, ~100 cycles fixed cost per dependent instruction; "
                f"16 DMA queues sharing {c.hbm_gbps_per_core:.0f} GB/s of HBM.")

    def kernel_summary(self) -> str:
        return f"@{self.func_name}: a row-wise kernel (element-wise chain and row reductions)"

    def cost_model(self) -> NkiRowModel:
        return NkiRowModel(self.context)
