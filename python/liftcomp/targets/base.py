"""The interface every accelerator target implements (Gemmini; NKI and CUDA next).

A target is one folder `targets/<name>/` plus one line in `targets/__init__.py:TARGETS` (or a
`liftcomp.targets` entry point, or `register_target` for a package outside liftcomp). It supplies:

- `Target`: named configurations, its own `compile` options, lowering of a tensor-level module
  (`lower`), an `Evaluator` (simulator or hardware), emitters (source files; each also an xDSL
  emission target for `xdsl-opt -t NAME`), its dialects and passes (the universe is built from
  them), and per searchable function a `KernelSpace`;
- `KernelSpace[S]`: one kernel's schedules of type S: where the search starts (`initial`), the
  rewrite `menu` (search/space.py), `lower(schedule) -> target IR`, JSON for tuning records, text
  for LLM prompts, an optional cost model (search/cost_model.py) and optional free-form IR rules.

Everything else (beam search, planners, the numpy reference comparison, worker pools, tuning
records, reports, `liftcomp compile`) is generic and lives outside `targets/<name>/`.
"""

from __future__ import annotations

import argparse
import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, Protocol, TypeVar

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.utils.target import Target as XdslTarget

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound, CostModel
from liftcomp.search.measure import Evaluator, Measurement
from liftcomp.search.space import Menu

S = TypeVar("S")


class TargetConfig(Protocol):
    """A target's hardware / model parameters (a frozen dataclass): `name` says which named
    configuration it came from; `to_json` holds every field (hashed into tuning-record keys)."""

    @property
    def name(self) -> str: ...

    def to_json(self) -> dict[str, Any]: ...


def config_hash(config: TargetConfig) -> str:
    """What tuning records key a configuration by: every field, not just the name."""
    return hashlib.sha256(json.dumps(config.to_json(), sort_keys=True).encode()).hexdigest()[:16]


@dataclass
class Lowered:
    """Target IR plus what the lowering decided: one JSON-ready record per lowered op (with at
    least "func" and "kind"; "remark" if it has one), remarks for the whole module."""

    module: ModuleOp
    kernels: list[dict[str, Any]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class FreeformRules:
    """How a target accepts free-form target IR (an LLM's direct edit) for a kernel.

    - `dialects`: the only dialects the IR may use (parsed with nothing else loaded);
    - `run_budgeted(fn, args, budget) -> steps`: run `fn` functionally on `args` (arrays updated
      in place) charging steps against `budget`; raise `search.freeform.StepBudgetExceeded`
      past it. A program may take `budget_factor` x the library schedule's steps + `budget_margin`.
    A target without a functional simulator supplies no rules: free-form edits are then off.
    """

    dialects: tuple[Dialect, ...]
    run_budgeted: Callable[[func.FuncOp, list[Any], int], int]
    budget_factor: int = 16
    budget_margin: int = 100_000


class KernelSpace(ABC, Generic[S]):
    """The schedules of one function (one searchable kernel) on one target and configuration.

    `module` is a tensor-level module holding only this function, `func_name` its name. `menu`
    and `context` are what the search applies rewrites with: `menu.apply(s, step, context)`.
    """

    module: ModuleOp
    func_name: str
    menu: Menu[S, Any]
    context: Any

    @abstractmethod
    def initial(self) -> S:
        """The schedule the search starts from (the target's library / default schedule)."""

    @abstractmethod
    def lower(self, schedule: S) -> ModuleOp:
        """`module` lowered to target IR with `schedule` (raises LiftcompError if it cannot)."""

    def key(self, schedule: S) -> Hashable:
        """What makes two schedules the same program (defaults to the menu's key)."""
        return self.menu.key(schedule)

    @abstractmethod
    def schedule_json(self, schedule: S) -> dict[str, Any]:
        """A schedule as JSON (tuning records, traces, reports)."""

    @abstractmethod
    def schedule_from_json(self, data: dict[str, Any]) -> S:
        """The inverse of `schedule_json` (replay of tuning records); LiftcompError if malformed."""

    @abstractmethod
    def describe(self, schedule: S) -> str:
        """A few lines on a schedule, for the LLM planner's prompts."""

    @abstractmethod
    def hardware_summary(self) -> str:
        """The hardware in a paragraph, for the LLM planner's prompts."""

    def kernel_summary(self) -> str:
        """One line on the kernel (shape, element types), for prompts and reports."""
        return f"@{self.func_name}"

    def describe_measurement(self, m: Measurement) -> list[str]:
        """A measurement as prompt lines: the cost, then the counters the target reports."""
        lines = [f"{m.unit}: {m.cost}"]
        lines += [f"{k}: {v}" for k, v in sorted(m.counters.items())]
        return lines

    def cost_model(self) -> CostModel[S] | None:
        """The analytic model the built-in planner ranks with; None: none."""
        return None

    def bound(self) -> Bound | None:
        """A cost no schedule can beat (reports: "of bound"); None: unknown."""
        model = self.cost_model()
        return None if model is None else model.bound()

    def freeform(self) -> FreeformRules | None:
        """Rules for free-form IR edits; None (the default): free-form edits are off."""
        return None

    def baselines(self) -> dict[str, S]:
        """Other reference schedules worth measuring beside `initial()` (e.g. what the vendor
        library runs), by name: reports add "speedup vs NAME" columns."""
        return {}

    def planner(self) -> Any:
        """The target's own built-in planner (a `search.beam.Planner`), or None for the generic
        model planner (which ranks menu steps with `cost_model()`)."""
        return None


def same_bits(got: list[Any], expected: list[Any]) -> bool:
    """Arrays equal as the machine's values are: bit for bit, any NaN equal to any NaN."""
    import numpy as np

    from liftcomp.lift.floats import same

    if len(got) != len(expected):
        return False
    for g, e in zip(got, expected, strict=True):
        g, e = np.asarray(g), np.asarray(e)
        if g.shape != e.shape or g.dtype != e.dtype:
            return False
        if not bool(np.all(same(g, e) if e.dtype.kind == "f" else g == e)):
            return False
    return True


def outputs_match_ordered(target: Target, got: list[Any], expected: list[Any]) -> bool:
    """The check of a function whose float sums all keep the loop's order: f32 / f64 (and integer)
    arrays bit for bit; 16-bit floats by the target's own comparison, because the reference
    computes them in f64 and rounds once at the store (reference/tensor_ir.py)."""
    import numpy as np

    narrow = [i for i, e in enumerate(expected) if np.asarray(e).dtype.kind in "fV" and np.asarray(e).dtype.itemsize < 4]
    wide = [i for i in range(len(expected)) if i not in narrow]
    return len(got) == len(expected) and same_bits([got[i] for i in wide], [expected[i] for i in wide]) and \
        target.outputs_match([got[i] for i in narrow], [expected[i] for i in narrow])


def with_dyn_size(options: Mapping[str, Any], dyn_size: int) -> dict[str, Any]:
    """The options `Target.lower` and `Target.kernel_space` get from the generic drivers: the
    target's own plus "dyn_size", the size of every dynamic dimension of the inputs they run on
    (`--dyn-size`). Kept out of reports and tuning-record options, which hold the target's own."""
    return {**options, "dyn_size": dyn_size}


class Target(ABC):
    """One accelerator. Instances are cheap to make: import heavy modules inside methods."""

    name: ClassVar[str]
    summary: ClassVar[str] = ""  # one line for `liftcomp compile --help`

    # -- configuration and options ---------------------------------------------------------------
    @abstractmethod
    def configs(self) -> Mapping[str, TargetConfig]:
        """Named configurations ("default" among them)."""

    def add_arguments(self, group: argparse._ArgumentGroup) -> None:  # pyright: ignore[reportPrivateUsage]
        """Declare this target's own `liftcomp compile` options (prefer `--<target>-...` names:
        every registered target's options share one parser)."""
        return None

    def options_from_args(self, ns: argparse.Namespace) -> dict[str, Any]:
        """This target's options (JSON-ready) from what `add_arguments` declared."""
        return {}

    def config_for(self, name: str = "default", options: Mapping[str, Any] | None = None) -> TargetConfig:
        """The named configuration, with any overrides the options carry."""
        configs = self.configs()
        if name not in configs:
            raise LiftcompError(f"target {self.name}: unknown configuration '{name}' (known: {', '.join(configs)})")
        return configs[name]

    # -- the compiler ---------------------------------------------------------------------------
    @abstractmethod
    def lower(self, module: ModuleOp, config: TargetConfig, options: Mapping[str, Any],
              schedules: Mapping[str, Any] | None = None, originals: Mapping[str, func.FuncOp] | None = None
              ) -> Lowered:
        """Tensor-level module -> target IR (the input is not modified); `options` also carry
        "dyn_size" (`with_dyn_size`) when the generic driver calls. `schedules` maps a
        function name to the schedule its kernel space chose (else the target's default);
        `originals` are the input loop nests of each function, for ops kept on the host."""

    @abstractmethod
    def kernel_space(self, fn: func.FuncOp, config: TargetConfig, options: Mapping[str, Any]) -> KernelSpace[Any]:
        """The schedule space of tensor-level `fn`; LiftcompError saying why if it has none."""

    @abstractmethod
    def evaluator(self, config: TargetConfig) -> Evaluator:
        """What scores and runs target IR (simulator or hardware)."""

    @abstractmethod
    def emit(self, module: ModuleOp, config: TargetConfig) -> dict[str, str]:
        """Target IR -> source files for the target's toolchain (file name -> text)."""

    def outputs_match(self, got: list[Any], expected: list[Any]) -> bool:
        """Whether a run's arrays equal the reference's (exactly, by default; a target whose
        hardware reorders float sums says how close is equal)."""
        import numpy as np

        return len(got) == len(expected) and all(np.array_equal(g, e) for g, e in zip(got, expected, strict=True))

    def evaluates_exactly(self, config: TargetConfig) -> bool:
        """Whether the evaluator computes what the lowered IR says bit for bit (a simulator, numpy, host
        code): then a function whose float sums keep the loop's order (ir/float_order.py) must equal the
        reference bit for bit. False for hardware whose math functions round differently (a GPU)."""
        return True

    def check_emitted(self, files: Mapping[str, str], fn: func.FuncOp, args: list[Any],
                      shapes: list[tuple[int, ...] | None], expected: list[Any]) -> bool:
        """Build and run the emitted files on `args`; True if they compute `expected`
        (`compile --check-c`). Targets without a host build say so."""
        raise LiftcompError(f"target {self.name}: no check of the emitted code (--check-c)")

    # -- what the xDSL universe registers -------------------------------------------------------
    def dialects(self) -> dict[str, Callable[[], Dialect]]:
        return {}

    def passes(self) -> dict[str, Callable[[], type[ModulePass]]]:
        return {}

    def emitters(self) -> dict[str, Callable[[], type[XdslTarget]]]:
        """xDSL emission targets (`xdsl-opt -t NAME`), e.g. {"gemmini-c": ...}."""
        return {}
