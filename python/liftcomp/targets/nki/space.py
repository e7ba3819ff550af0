"""The schedule space of one NKI matmul kernel (targets/base.KernelSpace over MatmulSchedule)."""

from __future__ import annotations

import random
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound
from liftcomp.search.measure import Measurement
from liftcomp.search.space import Menu, Param, Refused, Rewrite, Step
from liftcomp.targets.base import KernelSpace
from liftcomp.targets.nki.config import NkiChip
from liftcomp.targets.nki.matmul import (
    MatmulProblem,
    MatmulSchedule,
    check_schedule,
    naive_schedule,
    short_on_moving,
    swap_roles,
)
from liftcomp.targets.nki.menu import Step as MenuStep


@dataclass(frozen=True)
class Ctx:
    problem: MatmulProblem
    chip: NkiChip


def _tile(s: MatmulSchedule, p: dict[str, Any], c: Ctx) -> MatmulSchedule:
    return s.with_(tile_m=p.get("m", s.tile_m), tile_n=p.get("n", s.tile_n), tile_k=p.get("k", s.tile_k),
                   block_m=1, block_n=1, block_k=1)


def _order(s: MatmulSchedule, p: dict[str, Any], c: Ctx) -> MatmulSchedule:
    order = tuple(p["order"].split(","))
    return s.with_(order=order)


def _hoist(s: MatmulSchedule, p: dict[str, Any], c: Ctx) -> MatmulSchedule:
    return s.with_(block_k=c.problem.k // s.tile_k)


def _block(s: MatmulSchedule, p: dict[str, Any], c: Ctx) -> MatmulSchedule:
    return s.with_(**{f"block_{p['dim']}": p["factor"]})


def _short_moving(s: MatmulSchedule, c: Ctx) -> MatmulSchedule:
    try:
        return short_on_moving(c.problem, s, c.chip)
    except LiftcompError as e:
        raise Refused(e.message) from None


def _validate(s: MatmulSchedule, c: Ctx) -> None:
    why = check_schedule(c.problem, s, c.chip)
    if why:
        raise LiftcompError(why)
    from xdsl.utils.exceptions import VerifyException

    from liftcomp.targets.nki.matmul import build_matmul_kernel

    try:
        ModuleOp([build_matmul_kernel("k", c.problem, s, c.chip)]).verify()
    except VerifyException as e:
        raise LiftcompError(str(e).splitlines()[0]) from None


ORDERS = tuple(",".join(o) for o in (("m", "n", "k"), ("m", "k", "n"), ("n", "m", "k"), ("n", "k", "m"),
                                     ("k", "m", "n"), ("k", "n", "m")))

MENU: Menu[MatmulSchedule, Ctx] = Menu(
    (
        Rewrite("tile", "TensorE tile sizes (stationary free m <= 128, moving free n <= 512, contraction k <= 128; "
                "swapped: n <= 128, m <= 512)",
                (Param("m", "int", 1, 512, required=False), Param("n", "int", 1, 512, required=False),
                 Param("k", "int", 1, 128, required=False)), _tile),
        Rewrite("order", "order of the M/N/K block loops, outermost first (hoists the loads of the operand whose "
                "loops are outside)", (Param("order", "choice", choices=ORDERS),), _order),
        Rewrite("hoist_k", "keep the whole K extent of A^T and B resident (one K block)", (), _hoist),
        Rewrite("block", "tiles per block along m, n or k (reuse in SBUF, wider DMAs)",
                (Param("dim", "choice", choices=("m", "n", "k")), Param("factor", "int", 1, 64)), _block),
        Rewrite("bufs", "buffers per input tile (multi-buffering)", (Param("bufs", "int", 1, 4),),
                lambda s, p, c: s.with_(bufs=p["bufs"])),
        Rewrite("psum_acc", "accumulate across the K-block loop in PSUM (K innermost) instead of SBUF",
                (Param("on", "bool"),), lambda s, p, c: s.with_(psum_acc=p["on"])),
        Rewrite("swap", "put the short matrix on the moving side: B stationary and A^T moving (C^T computed, "
                "transposed back; tile n <= 128, tile m <= 512 then)", (Param("on", "bool"),),
                lambda s, p, c: swap_roles(c.problem, s, c.chip, p["on"])),
        Rewrite("short_moving", "put the shorter of A (M) and B (N) on the moving side, resident in SBUF (one K block, "
                "the short dimension in one block: its loads leave every loop) while the long operand streams; "
                "M < N swaps the roles (B stationary, A^T moving, C^T transposed back)", (),
                lambda s, p, c: _short_moving(s, c)),
        Rewrite("evict", "PSUM -> SBUF copy engine", (Param("engine", "choice", choices=("vector", "scalar")),),
                lambda s, p, c: s.with_(evict_engine=p["engine"])),
    ),
    key=lambda s: s,
    validate=_validate,
)


class NkiModel:
    """The engine-level cost model as the search's CostModel (predict: modelled ns)."""

    def __init__(self, ctx: Ctx):
        self.ctx = ctx

    def predict(self, schedule: MatmulSchedule) -> float:
        from liftcomp.targets.nki.menu import evaluate_matmul

        rep, why = evaluate_matmul(self.ctx.problem, schedule, self.ctx.chip)
        if rep is None:
            raise Refused(why or "refused")
        return rep.time_ns

    def bound(self) -> Bound:
        p, c = self.ctx.problem, self.ctx.chip
        pe_ns = p.flops() / (c.peak_bf16_tflops * 1000) * (c.matmul_fp32_factor if "f32" in str(p.a_elem) else 1)
        return Bound(pe_ns, "ns", 1.0, {"tensore": pe_ns})

    def update(self, schedule: MatmulSchedule, measurement: Measurement) -> None:
        return None


class NkiMatmulSpace(KernelSpace[MatmulSchedule]):
    def __init__(self, fn: func.FuncOp, problem: MatmulProblem, chip: NkiChip, dyn_size: int):
        self.module = ModuleOp([fn.clone()])
        self.func_name = fn.sym_name.data
        self.menu = MENU
        self.context = Ctx(problem, chip)
        self.problem = problem
        self.chip = chip
        self.dyn_size = dyn_size

    def initial(self) -> MatmulSchedule:
        return naive_schedule(self.problem, self.chip)

    def lower(self, schedule: MatmulSchedule) -> ModuleOp:
        from liftcomp.targets.nki.driver import lower_module
        from liftcomp.targets.nki.lowering import LowerOptions

        out, _ = lower_module(self.module, LowerOptions(self.chip, self.dyn_size, {self.func_name: schedule}))
        return out

    def key(self, schedule: MatmulSchedule) -> Hashable:
        return schedule

    def schedule_json(self, schedule: MatmulSchedule) -> dict[str, Any]:
        return schedule.to_json()

    def schedule_from_json(self, data: dict[str, Any]) -> MatmulSchedule:
        try:
            return MatmulSchedule.from_json(data)
        except TypeError as e:
            raise LiftcompError(f"not an NKI matmul schedule: {e}") from None

    def describe(self, schedule: MatmulSchedule) -> str:
        s = schedule
        return (f"tiles m={s.tile_m} n={s.tile_n} k={s.tile_k}; blocks m={s.block_m} n={s.block_n} k={s.block_k}; "
                f"block loop order {','.join(s.order)}; {s.bufs} buffers per input tile; "
                f"{'PSUM' if s.psum_acc else 'SBUF'} accumulation across K blocks; PSUM eviction on {s.evict_engine}"
                + ("; swapped: B stationary, A^T moving (C^T transposed back)" if s.swap else ""))

    def hardware_summary(self) -> str:
        c = self.chip
        return (f"AWS {c.name} NeuronCore: TensorE 128x128 systolic array at {c.pe_ghz} GHz "
                f"({c.peak_bf16_tflops:.0f} TFLOP/s bf16; nc_matmul computes stationary[K<=128, M<=128]^T @ "
                f"moving[K, N<=512] into fp32 PSUM), SBUF {c.sbuf_bytes_per_partition // 1024} KiB x 128 partitions, "
                f"PSUM 8 banks of 2 KiB per partition, 16 DMA queues sharing {c.hbm_gbps_per_core:.0f} GB/s of HBM.")

    def kernel_summary(self) -> str:
        p = self.problem
        return f"@{self.func_name}: C[{p.m}, {p.n}] = A[{p.m}, {p.k}] @ B[{p.k}, {p.n}] ({p.a_elem})"

    def cost_model(self) -> NkiModel:
        return NkiModel(self.context)

    def planner(self) -> NkiMatmulPlanner:
        return NkiMatmulPlanner()


def _generic_step(step: MenuStep) -> Step:
    """A step of menu.neighbours as the generic search's Step (order as "m,n,k")."""
    params = {k: ",".join(v) if k == "order" else v for k, v in step.params}
    return Step(step.name, params)


class NkiMatmulPlanner:
    """The built-in planner of an NKI matmul: the steps of the menu's own policy
    (menu.neighbours: tiles of 64..512, blocks doubled, quartered or halved, ...) ranked by the cost
    model, as tools/bench_nki.py's beam search does. (The generic model planner enumerates every
    power-of-two parameter instead, tiles of 1 included: a 1x1x1 tiling is a million-instruction
    kernel for the model.) Plan: each menu item's best predicted step, items ranked by it, with a
    seeded chance of swapping the last plan for another item; implement: that item's steps, best
    predicted first."""

    name = "builtin"

    def __init__(self, explore: float = 0.25):
        self.explore = explore
        self._predicted: dict[MatmulSchedule, float | None] = {}

    def _predict(self, space: NkiMatmulSpace, s: MatmulSchedule) -> float | None:
        if s not in self._predicted:
            from liftcomp.targets.nki.menu import evaluate_matmul

            rep, _ = evaluate_matmul(space.problem, s, space.chip)
            self._predicted[s] = None if rep is None else rep.time_ns
        return self._predicted[s]

    def _ranked(self, problem: Any, schedule: MatmulSchedule) -> dict[str, list[tuple[float, Step]]]:
        from liftcomp.targets.nki.menu import apply_step, neighbours

        space: NkiMatmulSpace = problem.space
        out: dict[str, list[tuple[float, Step]]] = {}
        for ms in neighbours(schedule, space.problem, space.chip):
            t = self._predict(space, apply_step(schedule, ms, space.problem, space.chip))
            if t is not None:
                out.setdefault(ms.name, []).append((t, _generic_step(ms)))
        for steps in out.values():
            steps.sort(key=lambda x: x[0])
        return out

    def plan(self, parent: Any, problem: Any, n: int, rng: random.Random) -> list[Any]:
        from liftcomp.search.beam import Plan

        ranked = sorted(((steps[0][0], name) for name, steps in self._ranked(problem, parent.schedule).items()))
        plans = [Plan(name, {}, f"model: {name} predicted {t:g} ns") for t, name in ranked]
        chosen, rest = plans[:n], plans[n:]
        if rest and chosen and rng.random() < self.explore:
            chosen[-1] = rng.choice(rest)
        return chosen

    def implement(self, parent: Any, plan: Any, problem: Any, n: int, rng: random.Random) -> list[Step]:
        return [s for _, s in self._ranked(problem, parent.schedule).get(plan.rewrite, [])]
