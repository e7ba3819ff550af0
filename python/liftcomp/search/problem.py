"""What the search optimises: one kernel, its schedules, and how a schedule is scored.

`SearchProblem` is the target-independent interface the beam search and the planners use (a
target supplies its rewrite menu, evaluator and emitter); `GemminiProblem` implements it for one
matmul / mat-vec function lowered to Gemmini. A schedule is scored by lowering it and running the
simulator functionally on fixed random inputs: cycles, utilization, per-unit busy time, occupancy,
and whether the outputs equal the numpy reference of the tensor-level program bit for bit.

A candidate may also be free-form target IR (`IRSchedule`, proposed by an LLM): `apply_edit` parses
and checks it (search/freeform.py), and its evaluation adds a step budget and a second, fresh set
of random inputs before the usual simulation.

Evaluation runs in worker processes (fork: each inherits the parsed kernel, inputs and expected
outputs once); results come back in submission order, so a search is deterministic for a seed.
"""

from __future__ import annotations

import hashlib
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.menu import (
    MENU,
    KernelContext,
    Refused,
    Roofline,
    Step,
    apply_step,
    roofline,
    schedule_key,
)
from liftcomp.targets.gemmini.schedule import MatmulSchedule, MatmulShape

# Free-form IR may take this many times the library schedule's simulator steps (plus a margin)
# before it is stopped as non-terminating.
STEP_BUDGET_FACTOR = 16
STEP_BUDGET_MARGIN = 100_000


@dataclass
class Metrics:
    """A schedule's score. `error` is set when lowering or simulation failed (then cycles = 0)."""

    cycles: int = 0
    utilization: float = 0.0
    busy: dict[str, int] = field(default_factory=dict)
    spad_occupancy: float = 0.0
    acc_occupancy: float = 0.0
    dma_bytes: int = 0
    instructions: int = 0
    correct: bool = False
    error: str = ""
    seconds: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return {"cycles": self.cycles, "utilization": round(self.utilization, 6), "busy": dict(self.busy),
                "spad_occupancy": round(self.spad_occupancy, 6), "acc_occupancy": round(self.acc_occupancy, 6),
                "dma_bytes": self.dma_bytes, "instructions": self.instructions, "correct": self.correct, "error": self.error,
                "seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class IRSchedule:
    """A free-form candidate: the kernel's whole target IR as text, as xDSL prints it (canonical,
    so equal programs share `sha256`)."""

    text: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"freeform": True, "ir_sha256": self.sha256, "ir": self.text}


class SearchProblem(Protocol):
    """What a target gives the search for one kernel."""

    name: str

    def initial(self) -> Any: ...
    def apply(self, schedule: Any, step: Step) -> Any: ...  # raises Refused
    def apply_edit(self, schedule: Any, text: str) -> IRSchedule: ...  # free-form IR; raises Refused
    def target_ir(self, schedule: Any) -> str: ...
    def freeform_blocker(self) -> str: ...
    def key(self, schedule: Any) -> tuple[Any, ...]: ...
    def schedule_json(self, schedule: Any) -> dict[str, Any]: ...
    def describe(self, schedule: Any) -> str: ...
    def evaluate_many(self, schedules: Sequence[Any],
                      on_result: Callable[[Metrics], None] | None = None) -> list[Metrics]: ...
    def start(self) -> None: ...
    def close(self) -> None: ...
    def menu_text(self) -> list[str]: ...
    def isa_summary(self) -> str: ...
    def bound(self) -> Roofline: ...


# The kernel every worker evaluates; set before the pool forks.
_WORKER_PROBLEM: GemminiProblem | None = None


def _evaluate_in_worker(payload: dict[str, Any] | IRSchedule) -> Metrics:
    assert _WORKER_PROBLEM is not None
    if isinstance(payload, IRSchedule):
        return _WORKER_PROBLEM.evaluate_ir(payload)
    return _WORKER_PROBLEM.evaluate(MatmulSchedule.from_json(payload))


@dataclass
class GemminiProblem:
    """One function of a tensor-level module holding a single matmul or mat-vec, lowered to Gemmini."""

    module: ModuleOp  # a module with just this function (tensor level)
    func_name: str
    shape: MatmulShape
    kind: str
    inputs: list[Any]
    expected: list[Any]
    config: GemminiConfig = DEFAULT_CONFIG
    workers: int = 0  # 0: all cores
    name: str = ""
    form: str = "explicit"  # form of the library schedule the search starts from
    epilogue: str | None = None  # the requantisation Gemmini applies at mvout, if any
    epilogue_refused: str = ""  # why an epilogue after the matmul cannot go into the mvouts
    a_transposed: bool = False
    b_transposed: bool = False
    seed: int = 0  # of `inputs`; free-form IR is also checked on inputs of a seed derived from it
    dyn_size: int = 64

    def __post_init__(self) -> None:
        self.name = self.name or self.func_name
        self.ctx = KernelContext(self.shape, self.config, self.epilogue, self.epilogue_refused,
                                 self.a_transposed, self.b_transposed, redundant_config=self.redundant_config)
        self._pool: Any = None
        self._redundant: dict[tuple[Any, ...], int] = {}
        self._library_fn: func.FuncOp | None = None  # lowered with the library schedule (free-form checks)
        self._step_budget: int | None = None
        self._blocker: str | None = None

    # -- construction ---------------------------------------------------------------------------
    @staticmethod
    def from_function(fn: func.FuncOp, config: GemminiConfig = DEFAULT_CONFIG, seed: int = 0,
                      dyn_size: int = 64, workers: int = 0, form: str = "explicit") -> GemminiProblem:
        """The problem for `fn` (tensor level), with random inputs of `seed` and their reference outputs.
        Raises LiftcompError unless the function lowers to exactly one matmul / mat-vec."""
        from liftcomp.targets.cli import random_inputs
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
        from liftcomp.targets.reference import run_reference

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
        rng = np.random.default_rng(seed)
        inputs, _ = random_inputs(fn, dyn_size, rng)
        expected = [a.copy() if isinstance(a, np.ndarray) else a for a in inputs]
        run_reference(fn, expected)
        rec = mm[0]
        assert rec.shape is not None
        return GemminiProblem(module, fn.sym_name.data, rec.shape, rec.kind, inputs, expected, config,
                              workers, form=form, epilogue=rec.epilogue, epilogue_refused=rec.epilogue_refused,
                              a_transposed=rec.a_transposed, b_transposed=rec.b_transposed, seed=seed,
                              dyn_size=dyn_size)

    # -- the SearchProblem interface ------------------------------------------------------------
    def initial(self) -> MatmulSchedule:
        from liftcomp.targets.gemmini.schedule import library_schedule

        lib = library_schedule(self.shape, self.config, "loop_ws" if self.form == "loop_ws" else "explicit")
        if lib.form == "loop_ws" and (self.a_transposed or self.b_transposed):
            # What the lowering runs instead (loop_ws with transposes is not modelled).
            lib = lib.with_(form="explicit", double_buffer=True, notes=(*lib.notes, "explicit: transposed operand"))
        return lib

    def apply(self, schedule: MatmulSchedule | IRSchedule, step: Step) -> MatmulSchedule:
        if isinstance(schedule, IRSchedule):
            raise Refused(f"{step.rewrite}: menu rewrites apply to schedules, not to free-form IR (edit the IR instead)")
        return apply_step(schedule, step, self.ctx)

    def apply_edit(self, schedule: MatmulSchedule | IRSchedule, text: str) -> IRSchedule:
        """Free-form IR replacing `schedule`'s program, parsed and checked (never run here)."""
        from liftcomp.interop.mlir_tool import print_custom
        from liftcomp.search.freeform import ir_sha256, parse_kernel_ir

        module, _ = parse_kernel_ir(text, self.func_name, self.signature())
        canonical = print_custom(module)
        if canonical == self.target_ir(schedule):
            raise Refused("free-form IR is the parent's program unchanged")
        return IRSchedule(canonical, ir_sha256(canonical))

    def target_ir(self, schedule: MatmulSchedule | IRSchedule) -> str:
        """The kernel's target IR (gemmini dialect) under `schedule`, as xDSL prints it."""
        if isinstance(schedule, IRSchedule):
            return schedule.text
        from liftcomp.interop.mlir_tool import print_custom
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module

        return print_custom(lower_module(self.module, LowerOptions(schedule=schedule, config=self.config)))

    def signature(self) -> FunctionType:
        return self._library_function().function_type

    def freeform_blocker(self) -> str:
        """Why free-form edits cannot work for this kernel ('' if they can): its own target IR must
        pass the free-form checks (a host epilogue may use dialects they do not accept)."""
        if self._blocker is None:
            from liftcomp.search.freeform import parse_kernel_ir

            try:
                parse_kernel_ir(self.target_ir(self.initial()), self.func_name, self.signature())
                self._blocker = ""
            except Refused as e:
                self._blocker = e.message
        return self._blocker

    def _library_function(self) -> func.FuncOp:
        if self._library_fn is None:
            from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module
            from liftcomp.targets.gemmini.sim.simulate import find_func

            low = lower_module(self.module, LowerOptions(schedule=self.initial(), config=self.config))
            self._library_fn = find_func(low, self.func_name)
        return self._library_fn

    def step_budget(self) -> int:
        """Simulator steps a free-form program may take: a multiple of the library schedule's."""
        if self._step_budget is None:
            from liftcomp.search.freeform import run_with_budget

            used = run_with_budget(self._library_function(), _copy(self.inputs), self.config, 1 << 62)
            self._step_budget = STEP_BUDGET_FACTOR * used + STEP_BUDGET_MARGIN
        return self._step_budget

    def key(self, schedule: MatmulSchedule | IRSchedule) -> tuple[Any, ...]:
        if isinstance(schedule, IRSchedule):
            return ("freeform", schedule.sha256)
        return schedule_key(schedule)

    def schedule_json(self, schedule: MatmulSchedule | IRSchedule) -> dict[str, Any]:
        return schedule.to_json()

    def describe(self, schedule: MatmulSchedule | IRSchedule) -> str:
        if isinstance(schedule, IRSchedule):
            return (f"free-form target IR (sha256 {schedule.sha256[:16]}, {len(schedule.text.splitlines())} lines), "
                    "edited directly; menu rewrites no longer apply to it")
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

    def menu_text(self) -> list[str]:
        return [r.describe() for r in MENU]

    def isa_summary(self) -> str:
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

    def bound(self) -> Roofline:
        # Some schedule may fuse the requantisation into the mvouts: then C leaves as int8.
        return roofline(self.shape, self.config, int8_out=self.epilogue is not None)

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

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, schedule: MatmulSchedule | IRSchedule) -> Metrics:
        """Lower with `schedule`, simulate functionally, compare with the reference."""
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module
        from liftcomp.targets.gemmini.sim import simulate

        if isinstance(schedule, IRSchedule):
            return self.evaluate_ir(schedule)
        t0 = time.perf_counter()
        try:
            schedule.check(self.shape, self.config)
            low = lower_module(self.module, LowerOptions(schedule=schedule, config=self.config))
            r = simulate(low, [a.copy() if isinstance(a, np.ndarray) else a for a in self.inputs], self.config,
                         functional=True,
                         func_name=self.func_name)
        except LiftcompError as e:
            return Metrics(error=str(e), seconds=time.perf_counter() - t0)
        return self._metrics(r, t0)

    def evaluate_ir(self, sched: IRSchedule) -> Metrics:
        """A free-form candidate's metrics, once it has passed more than a schedule must: it is
        parsed and checked again, it must stop within the step budget and compute the reference's
        result on fresh random inputs (a seed derived from the IR, so no answer can be hard-coded
        for the search's inputs) and on the search's inputs; then it is simulated as usual."""
        from liftcomp.search.freeform import StepBudgetExceeded, parse_kernel_ir, run_with_budget
        from liftcomp.targets.gemmini.sim import simulate

        t0 = time.perf_counter()

        def fail(why: str) -> Metrics:
            return Metrics(error=why, seconds=time.perf_counter() - t0)

        try:
            module, fn = parse_kernel_ir(sched.text, self.func_name, self.signature())
        except Refused as e:
            return fail(e.message)
        budget = self.step_budget()
        fresh_seed = int.from_bytes(hashlib.sha256(f"{self.seed}/{sched.sha256}".encode()).digest()[:4], "little")
        fresh_inputs, fresh_expected = self._case(fresh_seed)
        for label, inputs, expected in ((f"fresh random inputs (seed {fresh_seed})", fresh_inputs, fresh_expected),
                                        ("the search's inputs", self.inputs, self.expected)):
            args = _copy(inputs)
            try:
                run_with_budget(fn, args, self.config, budget)
            except StepBudgetExceeded:
                return fail(f"free-form IR still running after {budget} simulator steps on {label} "
                            "(step budget): it may not terminate")
            except Exception as e:  # noqa: BLE001 - the simulator interprets untrusted IR: any failure is the candidate's
                return fail(f"free-form IR fails in the simulator on {label}: {type(e).__name__}: {str(e)[:300]}")
            if not _same_arrays(args, expected):
                return fail(f"free-form IR computes a wrong result on {label}")
        try:
            r = simulate(module, _copy(self.inputs), self.config, functional=True, func_name=self.func_name)
        except Exception as e:  # noqa: BLE001 - as above
            return fail(f"free-form IR fails in the simulator: {type(e).__name__}: {str(e)[:300]}")
        return self._metrics(r, t0)

    def _metrics(self, r: Any, t0: float) -> Metrics:
        """Metrics of a functional simulation `r` (started at `t0`), checked against the reference."""
        outs = list(r.outputs.values())
        arrays = [e for e in self.expected if isinstance(e, np.ndarray)]
        correct = len(outs) == len(arrays) and all(np.array_equal(o, e) for o, e in zip(outs, arrays, strict=True))
        return Metrics(r.cycles, r.utilization, dict(r.busy), r.spad_occupancy, r.acc_occupancy, r.dma_bytes,
                       sum(r.instructions.values()), correct, "" if correct else "simulated outputs differ from the reference",
                       time.perf_counter() - t0)

    def _case(self, seed: int) -> tuple[list[Any], list[Any]]:
        """Random inputs of `seed` for the kernel and the reference's outputs for them."""
        from liftcomp.targets.cli import random_inputs
        from liftcomp.targets.reference import run_reference

        fn = next(op for op in self.module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == self.func_name)
        inputs, _ = random_inputs(fn, self.dyn_size, np.random.default_rng(seed))
        expected = _copy(inputs)
        run_reference(fn, expected)
        return inputs, expected

    def evaluate_many(self, schedules: Sequence[MatmulSchedule | IRSchedule],
                      on_result: Callable[[Metrics], None] | None = None) -> list[Metrics]:
        """Metrics of each schedule, in order (in parallel over `workers` processes)."""
        n = self.workers or os.cpu_count() or 1
        out: list[Metrics] = []
        if n <= 1 or len(schedules) <= 1:
            results: Iterable[Metrics] = (self.evaluate(s) for s in schedules)
        else:
            payloads = [s if isinstance(s, IRSchedule) else s.to_json() for s in schedules]
            results = self._get_pool(n).imap(_evaluate_in_worker, payloads, chunksize=1)
        for m in results:
            out.append(m)
            if on_result is not None:
                on_result(m)
        return out

    def start(self) -> None:
        """Fork the workers now (before any thread, e.g. a progress bar, is started)."""
        n = self.workers or os.cpu_count() or 1
        if n > 1:
            self._get_pool(n)

    def _get_pool(self, n: int) -> Any:
        global _WORKER_PROBLEM
        if self._pool is None:
            _WORKER_PROBLEM = self
            self._pool = multiprocessing.get_context("fork").Pool(n)
            _WORKER_PROBLEM = None
        return self._pool

    def close(self) -> None:
        if self._pool is not None:
            self._pool.close()
            self._pool.join()
            self._pool = None

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("GemminiProblem is shared with workers by fork, never pickled")


def _copy(values: Sequence[Any]) -> list[Any]:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in values]


def _same_arrays(got: Sequence[Any], expected: Sequence[Any]) -> bool:
    """The array arguments (outputs included) of a run equal the reference's, in order."""
    a = [x for x in got if isinstance(x, np.ndarray)]
    b = [x for x in expected if isinstance(x, np.ndarray)]
    return len(a) == len(b) and all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def refused_reason(problem: SearchProblem, schedule: Any, step: Step) -> str | None:
    """None if `step` applies to `schedule`, else why not."""
    try:
        problem.apply(schedule, step)
    except Refused as e:
        return e.message
    return None
