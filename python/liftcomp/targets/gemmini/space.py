"""Gemmini's kernel space: the schedules of one function holding a single matmul or mat-vec.

A schedule is a `MatmulSchedule` (schedule.py), rewritten by the menu (menu.py) and lowered by
lowering.py; the search starts from tiled_matmul_auto's choice (`library_schedule`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound
from liftcomp.search.measure import Measurement
from liftcomp.search.space import Step
from liftcomp.targets.base import FreeformRules, KernelSpace
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.menu import GEMMINI_MENU, KernelContext, roofline, schedule_key
from liftcomp.targets.gemmini.schedule import MatmulSchedule, MatmulShape, library_schedule


@dataclass
class GemminiSpace(KernelSpace[MatmulSchedule]):
    module: ModuleOp  # a module with just this function (tensor level)
    func_name: str
    shape: MatmulShape
    kind: str
    config: GemminiConfig = DEFAULT_CONFIG
    form: str = "explicit"  # form of the library schedule the search starts from
    epilogue: str | None = None  # the requantisation Gemmini applies at mvout, if any
    epilogue_refused: str = ""  # why an epilogue after the matmul cannot go into the mvouts
    a_transposed: bool = False
    b_transposed: bool = False
    _redundant: dict[Any, int] = field(default_factory=dict[Any, int], repr=False)

    def __post_init__(self) -> None:
        self.menu = GEMMINI_MENU
        self.context = KernelContext(self.shape, self.config, self.epilogue, self.epilogue_refused,
                                     self.a_transposed, self.b_transposed, redundant_config=self.redundant_config)

    @property
    def ctx(self) -> KernelContext:
        return self.context

    @staticmethod
    def from_function(fn: func.FuncOp, config: GemminiConfig = DEFAULT_CONFIG, form: str = "explicit") -> GemminiSpace:
        """The space of `fn` (tensor level). Raises LiftcompError unless the function lowers to
        exactly one matmul / mat-vec of static sizes."""
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report

        module = ModuleOp([fn.clone()])
        _, report = lower_module_with_report(module, LowerOptions(config=config))
        mm = [k for k in report.kernels if k.kind in ("matmul", "matvec")]
        if len(mm) != 1 or mm[0].shape is None:
            raise LiftcompError(f"@{fn.sym_name.data}: schedule search needs exactly one matmul or mat-vec, "
                                f"found {len(mm)}")
        if min(mm[0].shape.m, mm[0].shape.k, mm[0].shape.n) < 0:
            # The lowering schedules dynamic sizes for a size it cannot know: nothing to tune against.
            raise LiftcompError(f"@{fn.sym_name.data}: schedule search needs static sizes "
                                f"(the {mm[0].kind} has dynamic dimensions)")
        rec = mm[0]
        assert rec.shape is not None
        return GemminiSpace(module, fn.sym_name.data, rec.shape, rec.kind, config, form, rec.epilogue,
                            rec.epilogue_refused, rec.a_transposed, rec.b_transposed)

    # -- KernelSpace ------------------------------------------------------------------------------
    def initial(self) -> MatmulSchedule:
        lib = library_schedule(self.shape, self.config, "loop_ws" if self.form == "loop_ws" else "explicit")
        if lib.form == "loop_ws" and (self.a_transposed or self.b_transposed):
            # What the lowering runs instead (loop_ws with transposes is not modelled).
            lib = lib.with_(form="explicit", double_buffer=True, notes=(*lib.notes, "explicit: transposed operand"))
        return lib

    def lower(self, schedule: MatmulSchedule) -> ModuleOp:
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module

        schedule.check(self.shape, self.config)
        return lower_module(self.module, LowerOptions(schedule=schedule, config=self.config))

    def schedule_json(self, schedule: MatmulSchedule) -> dict[str, Any]:
        return schedule.to_json()

    def schedule_from_json(self, data: dict[str, Any]) -> MatmulSchedule:
        try:
            return MatmulSchedule.from_json(data)
        except (TypeError, ValueError) as e:
            raise LiftcompError(f"not a Gemmini schedule: {e}") from None

    def kernel_summary(self) -> str:
        return f"@{self.func_name}: {self.kind} {self.shape.m}x{self.shape.k}x{self.shape.n}"

    def describe(self, schedule: MatmulSchedule) -> str:
        s = schedule
        d = self.config.dim
        lines = [
            f"matmul C[{self.shape.m} x {self.shape.n}] = A[{self.shape.m} x {self.shape.k}] @ "
            f"B[{self.shape.k} x {self.shape.n}] (int8 x int8 -> int32), {s.dataflow} dataflow",
            f"form: {s.form}" + (" (one gemmini_loop_ws per tile)" if s.form == "loop_ws" else
                                 " (mvin / preload / compute / mvout in host loops)"),
            f"tiles (DIM={d} blocks): tile_i={s.tile_i} tile_j={s.tile_j} tile_k={s.tile_k} "
            f"({s.tile_i * d} x {s.tile_j * d} x {s.tile_k * d} elements)",
            f"loop order: {s.loop_order} " + ("(k innermost: partial sums stay in the accumulator)" if s.acc_resident
                                              else "(partial sums spilled to DRAM in int32 between k-tiles)"),
            f"double_buffer: {s.double_buffer}, hoist_a: {s.hoist_a}, hoist_b: {s.hoist_b}, "
            f"mvin blocks A/B: {s.a_block_len}/{s.b_block_len}",
        ]
        if s.unroll:
            lines.append("unrolled host loops: " + ", ".join(f"{n} x{f}" for n, f in s.unroll))
        if s.remove_redundant_config:
            lines.append("redundant config / fence instructions of the function removed")
        if self.a_transposed or self.b_transposed:
            lines.append(f"operands stored transposed: A {self.a_transposed}, B {self.b_transposed} "
                         "(the array's transpose flags; explicit form only)")
        if self.epilogue is not None:
            lines.append(f"epilogue: {self.epilogue} ({'in the mvouts' if s.fuse_epilogue else 'on the host'})")
        elif self.epilogue_refused:
            lines.append(f"epilogue on the host: {self.epilogue_refused}")
        return "\n".join(lines)

    def hardware_summary(self) -> str:
        c = self.config
        return (
            f"Gemmini: {c.dim}x{c.dim} int8 systolic array (peak {c.dim * c.dim} MAC/cycle), "
            f"scratchpad {c.sp_rows} rows of {c.dim} int8, accumulator {c.acc_rows} rows of {c.dim} int32. "
            "Load, execute and store units run concurrently, synchronised by local-address dependencies. "
            "mvin moves <= DIM rows x <= 4 blocks from DRAM (16 B/beat, 64 B requests, "
            f"{c.dma_max_inflight} in flight, DRAM latency {c.dram_latency} cycles); preload + compute "
            "multiplies one DIM x DIM block in about DIM cycles (weights stay in the array in WS); mvout "
            "moves accumulator rows back. Each host-issued instruction costs "
            f"{c.host_issue_cycles} host cycles; loop_ws is a hardware FSM issuing a whole tile "
            "(it uses half of each memory, double-buffering). Utilization = MACs / (DIM^2 * cycles)."
        )

    def describe_measurement(self, m: Measurement) -> list[str]:
        c = m.counters
        busy = ", ".join(f"{u} {n} ({n / max(1, m.cost):.0%})" for u, n in c.get("busy", {}).items())
        return [f"cycles: {m.cost}, utilization: {m.utilization:.1%}", f"busy cycles per unit: {busy}",
                f"scratchpad occupancy: {c.get('spad_occupancy', 0):.0%}, "
                f"accumulator occupancy: {c.get('acc_occupancy', 0):.0%}"]

    def baselines(self) -> dict[str, MatmulSchedule]:
        """The library's tiles as one loop_ws per tile (what gemmini.h's tiled_matmul_auto issues),
        unless the search starts from that form or loop_ws cannot run the kernel."""
        start = self.initial()
        if start.form == "loop_ws":
            return {}
        try:
            return {"loop_ws": self.menu.apply(start, Step("form", {"form": "loop_ws"}), self.context)}
        except LiftcompError:
            return {}

    def cost_model(self) -> GemminiCostModel:
        return GemminiCostModel(self)

    def freeform(self) -> FreeformRules:
        from liftcomp.targets.gemmini.freeform import freeform_rules

        return freeform_rules(self.config)

    def planner(self) -> Any:
        from liftcomp.targets.gemmini.policy import BuiltinPlanner

        return BuiltinPlanner()

    # -- Gemmini's own ----------------------------------------------------------------------------
    def redundant_config(self, schedule: MatmulSchedule) -> int:
        """How many config / fence instructions liftcomp-gemmini-cleanup removes from this function
        lowered with `schedule` (0 when it does not lower)."""
        from liftcomp.targets.gemmini.liftcomp_gemmini_cleanup import redundant_ops
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module

        plain = schedule.with_(remove_redundant_config=False)
        key = schedule_key(plain)
        if key not in self._redundant:
            try:
                low = lower_module(self.module, LowerOptions(schedule=plain, config=self.config))
            except LiftcompError:
                self._redundant[key] = 0
            else:
                fn = next(op for op in low.ops if isinstance(op, func.FuncOp) and op.sym_name.data == self.func_name)
                self._redundant[key] = len(redundant_ops(fn))
        return self._redundant[key]


@dataclass
class GemminiCostModel:
    """The roofline of the timing model as the bound; the built-in policy's tile pipeline model
    (uncalibrated here; the policy calibrates it on each parent) as the prediction."""

    space: GemminiSpace

    def predict(self, schedule: MatmulSchedule) -> float:
        from liftcomp.targets.gemmini.policy import TileModel

        cfg = self.space.config
        return TileModel(cfg, self.space.ctx.blocks(), 0.0, cfg.host_issue_cycles + 8 * cfg.host_op_cycles
                         ).estimate(schedule)

    def bound(self) -> Bound:
        # Some schedule may fuse the requantisation into the mvouts: then C leaves as int8.
        r = roofline(self.space.shape, self.space.config, int8_out=self.space.epilogue is not None)
        return Bound(r.cycles, "cycles", r.utilization, {"execute": r.execute, "load": r.load, "store": r.store})

    def update(self, schedule: MatmulSchedule, measurement: Measurement) -> None:
        return None
