"""What the search optimises: one kernel space of a target, and how a schedule is scored.

`Problem` is generic over targets: the target supplies a `KernelSpace` (schedules, menu,
lowering, prompts, cost model, free-form rules) and an `Evaluator` (simulator or hardware); the
problem adds what every target shares: fixed random inputs and the numpy reference's outputs for
them (a candidate is correct only if it computes those bit for bit), free-form IR checks, repeated
measurements with medians for non-deterministic evaluators, and the executor that evaluates
candidates in parallel (search/executor.py: a local process pool, or Ray).

A candidate may also be free-form target IR (`IRSchedule`, proposed by an LLM): `apply_edit` parses
and checks it (search/freeform.py), and its evaluation adds a step budget and a second, fresh set
of random inputs before the usual evaluation. Results come back in submission order, so a search
is deterministic for a seed.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import FunctionType, ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound
from liftcomp.search.freeform import IRSchedule
from liftcomp.search.measure import Evaluator, Measurement, median_of
from liftcomp.search.space import Refused, Step
from liftcomp.targets.base import FreeformRules, KernelSpace, TargetConfig, config_hash


@dataclass
class Problem:
    """One function of a tensor-level module on one target and configuration."""

    space: KernelSpace[Any]
    evaluator: Evaluator
    inputs: list[Any]
    expected: list[Any]
    target: str = ""
    config: TargetConfig | None = None
    options: dict[str, Any] = field(default_factory=dict[str, Any])  # the target's options (e.g. Gemmini's form)
    seed: int = 0  # of `inputs`; free-form IR is also checked on inputs of a seed derived from it
    dyn_size: int = 64
    workers: int = 0  # 0: all cores
    executor: str = "local"  # local | ray
    ray_address: str | None = None
    name: str = ""
    _pool: Any = field(default=None, repr=False)
    _library_fn: func.FuncOp | None = field(default=None, repr=False)
    _step_budget: int | None = field(default=None, repr=False)
    _blocker: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.name = self.name or self.space.func_name

    @property
    def func_name(self) -> str:
        return self.space.func_name

    # -- construction ---------------------------------------------------------------------------
    @staticmethod
    def for_function(target: str, fn: func.FuncOp, config: TargetConfig | None = None,
                     options: dict[str, Any] | None = None, seed: int = 0, dyn_size: int = 64,
                     workers: int = 0, executor: str = "local", ray_address: str | None = None) -> Problem:
        """The problem of tensor-level `fn` on `target` (registered name), with random inputs of
        `seed` and their reference outputs. LiftcompError if the target has no space for it."""
        from liftcomp.targets import get_target
        from liftcomp.targets.base import with_dyn_size

        t = get_target(target)
        opts = dict(options or {})
        cfg = config if config is not None else t.config_for("default", opts)
        space = t.kernel_space(fn, cfg, with_dyn_size(opts, dyn_size))
        inputs, expected = reference_case(fn, seed, dyn_size)
        return Problem(space, t.evaluator(cfg), inputs, expected, target, cfg, opts, seed, dyn_size, workers,
                       executor, ray_address)

    def rebuild_spec(self) -> dict[str, Any]:
        """What another process needs to rebuild this problem (`spec["factory"](**spec["args"])`)."""
        from liftcomp.interop.mlir_tool import print_custom

        return {"factory": Problem.rebuild, "args": {
            "target": self.target, "text": print_custom(self.space.module), "func_name": self.func_name,
            "config": self.config, "options": dict(self.options), "seed": self.seed, "dyn_size": self.dyn_size}}

    @staticmethod
    def rebuild(target: str, text: str, func_name: str, config: TargetConfig | None, options: dict[str, Any],
                seed: int, dyn_size: int) -> Problem:
        from liftcomp.interop.mlir_tool import parse_mlir

        fn = _find_func(parse_mlir(text), func_name)
        return Problem.for_function(target, fn, config, options, seed, dyn_size, workers=1)

    def record_key(self) -> dict[str, str]:
        """What tuning records are keyed by: the tensor-level function, the target, its configuration."""
        from liftcomp.interop.mlir_tool import print_custom

        text = print_custom(self.space.module)
        return {"workload": hashlib.sha256(text.encode()).hexdigest()[:16], "target": self.target,
                "config": config_hash(self.config) if self.config is not None else ""}

    # -- schedules ------------------------------------------------------------------------------
    def initial(self) -> Any:
        return self.space.initial()

    def apply(self, schedule: Any, step: Step) -> Any:
        if isinstance(schedule, IRSchedule):
            raise Refused(f"{step.rewrite}: menu rewrites apply to schedules, not to free-form IR (edit the IR instead)")
        return self.space.menu.apply(schedule, step, self.space.context)

    def replay(self, steps: Sequence[Step]) -> Any:
        return self.space.menu.replay(self.initial(), steps, self.space.context)

    def key(self, schedule: Any) -> Hashable:
        if isinstance(schedule, IRSchedule):
            return ("freeform", schedule.sha256)
        return self.space.key(schedule)

    def schedule_json(self, schedule: Any) -> dict[str, Any]:
        if isinstance(schedule, IRSchedule):
            return schedule.to_json()
        return self.space.schedule_json(schedule)

    def schedule_from_json(self, data: dict[str, Any]) -> Any:
        if data.get("freeform"):
            text = data.get("ir")
            if not isinstance(text, str):
                raise LiftcompError("a free-form schedule's 'ir' must be the IR text")
            return self.apply_edit(None, text)
        return self.space.schedule_from_json(data)

    def describe(self, schedule: Any) -> str:
        if isinstance(schedule, IRSchedule):
            return (f"free-form target IR (sha256 {schedule.sha256[:16]}, {len(schedule.text.splitlines())} lines), "
                    "edited directly; menu rewrites no longer apply to it")
        return self.space.describe(schedule)

    def menu_text(self) -> list[str]:
        return self.space.menu.describe()

    def isa_summary(self) -> str:
        return self.space.hardware_summary()

    def bound(self) -> Bound:
        b = self.space.bound()
        return b if b is not None else Bound(0, self.evaluator.unit)

    # -- free-form IR ---------------------------------------------------------------------------
    def rules(self) -> FreeformRules | None:
        return self.space.freeform()

    def apply_edit(self, schedule: Any, text: str) -> IRSchedule:
        """Free-form IR replacing `schedule`'s program, parsed and checked (never run here)."""
        from liftcomp.interop.mlir_tool import print_custom
        from liftcomp.search.freeform import ir_sha256, parse_kernel_ir

        rules = self.rules()
        if rules is None:
            raise Refused(f"free-form IR: target {self.target or '?'} takes no free-form edits")
        module, _ = parse_kernel_ir(text, self.func_name, self.signature(), rules.dialects)
        canonical = print_custom(module)
        if schedule is not None and canonical == self.target_ir(schedule):
            raise Refused("free-form IR is the parent's program unchanged")
        return IRSchedule(canonical, ir_sha256(canonical))

    def target_ir(self, schedule: Any) -> str:
        """The kernel's target IR under `schedule`, as xDSL prints it."""
        if isinstance(schedule, IRSchedule):
            return schedule.text
        from liftcomp.interop.mlir_tool import print_custom

        return print_custom(self.space.lower(schedule))

    def signature(self) -> FunctionType:
        return self._library_function().function_type

    def freeform_blocker(self) -> str:
        """Why free-form edits cannot work for this kernel ('' if they can): the target must have
        rules, and its own target IR must pass the free-form checks."""
        if self._blocker is None:
            from liftcomp.search.freeform import parse_kernel_ir

            rules = self.rules()
            if rules is None:
                self._blocker = f"target {self.target or '?'} has no free-form rules (no functional simulator)"
                return self._blocker
            try:
                parse_kernel_ir(self.target_ir(self.initial()), self.func_name, self.signature(), rules.dialects)
                self._blocker = ""
            except Refused as e:
                self._blocker = e.message
        return self._blocker

    def _library_function(self) -> func.FuncOp:
        if self._library_fn is None:
            low = self.space.lower(self.initial())
            self._library_fn = _find_func(low, self.func_name)
        return self._library_fn

    def step_budget(self) -> int:
        """Steps a free-form program may take: a multiple of the library schedule's."""
        if self._step_budget is None:
            rules = self.rules()
            assert rules is not None
            used = rules.run_budgeted(self._library_function(), _copy(self.inputs), 1 << 62)
            self._step_budget = rules.budget_factor * used + rules.budget_margin
        return self._step_budget

    # -- evaluation -----------------------------------------------------------------------------
    def evaluate(self, schedule: Any) -> Measurement:
        """Lower with `schedule`, run it with the evaluator (median of `repeats` runs when not
        deterministic), compare with the reference."""
        if isinstance(schedule, IRSchedule):
            return self.evaluate_ir(schedule)
        t0 = time.perf_counter()
        try:
            low = self.space.lower(schedule)
        except LiftcompError as e:
            return Measurement(error=str(e), unit=self.evaluator.unit, seconds=time.perf_counter() - t0)
        return self._measure(low, t0, trusted=True)

    def _measure(self, module: ModuleOp, t0: float, trusted: bool) -> Measurement:
        runs = []
        n = 1 if self.evaluator.deterministic else max(1, self.evaluator.repeats)
        for _ in range(n):
            args = _copy(self.inputs)
            try:
                m = self.evaluator.run(module, self.func_name, args)
            except LiftcompError as e:
                return Measurement(error=str(e), unit=self.evaluator.unit, seconds=time.perf_counter() - t0)
            except Exception as e:  # noqa: BLE001 - free-form IR is untrusted: any failure is the candidate's
                if trusted:
                    raise
                return Measurement(error=f"free-form IR fails in the evaluator: {type(e).__name__}: {str(e)[:300]}",
                                   unit=self.evaluator.unit, seconds=time.perf_counter() - t0)
            m.correct = _same_arrays(args, self.expected, self.target)
            if not m.correct:
                m.error = "outputs differ from the reference"
            runs.append(m)
        out = runs[0] if n == 1 else median_of(runs)
        out.seconds = time.perf_counter() - t0
        return out

    def evaluate_ir(self, sched: IRSchedule) -> Measurement:
        """A free-form candidate's measurement, once it has passed more than a schedule must: it is
        parsed and checked again, it must stop within the step budget and compute the reference's
        result on fresh random inputs (a seed derived from the IR, so no answer can be hard-coded
        for the search's inputs) and on the search's inputs; then it is evaluated as usual."""
        from liftcomp.search.freeform import StepBudgetExceeded, parse_kernel_ir

        t0 = time.perf_counter()
        unit = self.evaluator.unit

        def fail(why: str) -> Measurement:
            return Measurement(error=why, unit=unit, seconds=time.perf_counter() - t0)

        rules = self.rules()
        if rules is None:
            return fail(f"target {self.target or '?'} takes no free-form edits")
        try:
            module, fn = parse_kernel_ir(sched.text, self.func_name, self.signature(), rules.dialects)
        except Refused as e:
            return fail(e.message)
        budget = self.step_budget()
        fresh_seed = int.from_bytes(hashlib.sha256(f"{self.seed}/{sched.sha256}".encode()).digest()[:4], "little")
        fresh_inputs, fresh_expected = self._case(fresh_seed)
        for label, inputs, expected in ((f"fresh random inputs (seed {fresh_seed})", fresh_inputs, fresh_expected),
                                        ("the search's inputs", self.inputs, self.expected)):
            args = _copy(inputs)
            try:
                rules.run_budgeted(fn, args, budget)
            except StepBudgetExceeded:
                return fail(f"free-form IR still running after {budget} simulator steps on {label} "
                            "(step budget): it may not terminate")
            except Exception as e:  # noqa: BLE001 - the simulator interprets untrusted IR: any failure is the candidate's
                return fail(f"free-form IR fails in the simulator on {label}: {type(e).__name__}: {str(e)[:300]}")
            if not _same_arrays(args, expected, self.target):
                return fail(f"free-form IR computes a wrong result on {label}")
        return self._measure(module, t0, trusted=False)

    def _case(self, seed: int) -> tuple[list[Any], list[Any]]:
        """Random inputs of `seed` for the kernel and the reference's outputs for them."""
        return reference_case(_find_func(self.space.module, self.func_name), seed, self.dyn_size)

    def evaluate_many(self, schedules: Sequence[Any],
                      on_result: Callable[[Measurement], None] | None = None) -> list[Measurement]:
        """Measurements of each schedule, in order (in parallel on the executor)."""
        from liftcomp.search.executor import evaluate_all

        return evaluate_all(self, schedules, on_result)

    def start(self) -> None:
        """Start the workers now (before any thread, e.g. a progress bar, is started)."""
        from liftcomp.search.executor import start

        start(self)

    def close(self) -> None:
        from liftcomp.search.executor import stop

        stop(self)

    def __getstate__(self) -> dict[str, Any]:
        raise TypeError("a search Problem is shared with workers by fork (or rebuilt from text on Ray), never pickled")


def reference_case(fn: func.FuncOp, seed: int, dyn_size: int) -> tuple[list[Any], list[Any]]:
    """Random inputs of `seed` for tensor-level `fn` and the numpy reference's outputs for them."""
    from liftcomp.reference import random_inputs, run_reference

    inputs, _ = random_inputs(fn, dyn_size, np.random.default_rng(seed))
    expected = _copy(inputs)
    run_reference(fn, expected)
    return inputs, expected


def _find_func(module: ModuleOp, name: str) -> func.FuncOp:
    fn = next((op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == name), None)
    if fn is None:
        raise LiftcompError(f"no function @{name} in the module")
    return fn


def _copy(values: Sequence[Any]) -> list[Any]:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in values]


def _same_arrays(got: Sequence[Any], expected: Sequence[Any], target: str = "") -> bool:
    """The array arguments (outputs included) of a run equal the reference's, in order (as the
    target compares them: exactly, unless it says otherwise)."""
    a = [x for x in got if isinstance(x, np.ndarray)]
    b = [x for x in expected if isinstance(x, np.ndarray)]
    if len(a) != len(b):
        return False
    if target:
        from liftcomp.targets import get_target

        return get_target(target).outputs_match(a, b)
    return all(np.array_equal(x, y) for x, y in zip(a, b, strict=True))


def refused_reason(problem: Problem, schedule: Any, step: Step) -> str | None:
    """None if `step` applies to `schedule`, else why not."""
    try:
        problem.apply(schedule, step)
    except Refused as e:
        return e.message
    return None


SearchProblem = Problem  # the name the planners' signatures use
