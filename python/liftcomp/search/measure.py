"""Measurements of a schedule and the evaluators that take them.

An `Evaluator` runs one function of target IR: a simulator (deterministic: one run is the answer)
or hardware / a profiler (not deterministic: the search runs it `repeats` times and keeps the
median cost). It writes the function's results into the array arguments it is given (like the
numpy reference does), so the search compares them with the reference itself; the evaluator only
says what the run cost and any counters worth showing (utilization, per-unit busy time, bytes).
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from xdsl.dialects.builtin import ModuleOp


@dataclass
class Measurement:
    """A schedule's score. `cost` is in `unit` (lower is better; 0 when `error` is set);
    `correct` is decided by the caller against the reference; `counters` are free-form, JSON-ready
    numbers a target reports (its built-in planner and the reports may read them)."""

    cost: float = 0
    unit: str = "cycles"
    correct: bool = False
    error: str = ""
    counters: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0
    repeats: int = 1

    @property
    def utilization(self) -> float:
        """The conventional counter (fraction of peak), 0.0 where the target reports none."""
        return float(self.counters.get("utilization", 0.0))

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {"cost": self.cost, "unit": self.unit, "correct": self.correct, "error": self.error,
                             "counters": dict(self.counters), "seconds": round(self.seconds, 3)}
        if self.repeats != 1:
            d["repeats"] = self.repeats
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> Measurement:
        return Measurement(d["cost"], d.get("unit", "cycles"), bool(d["correct"]), d.get("error", ""),
                           dict(d.get("counters", {})), float(d.get("seconds", 0.0)), int(d.get("repeats", 1)))


class Evaluator(Protocol):
    """What a target supplies to score target IR.

    - `name`: shown in reports ("gemmini-sim", "nki-simulator", "h100");
    - `unit`: of `Measurement.cost` ("cycles", "ns");
    - `deterministic`: True for a simulator; False for hardware (the search then repeats each
      measurement `repeats` times and takes the median, see `median_of`);
    - `run(module, func_name, args)`: run `@func_name` of `module` (target IR) on `args` (numpy
      arrays for memrefs, Python numbers for scalars), updating the arrays in place with what the
      function writes; return the cost and counters. Raise `liftcomp.diagnostics.LiftcompError`
      (or any exception, for untrusted free-form IR) when it cannot run.
    """

    name: str
    unit: str
    deterministic: bool
    repeats: int

    def run(self, module: ModuleOp, func_name: str, args: list[Any]) -> Measurement: ...


def median_of(runs: Sequence[Measurement]) -> Measurement:
    """One measurement from repeated runs of a non-deterministic evaluator: the median cost,
    the counters of the run closest to it, correct only if every run was."""
    assert runs, "median_of needs at least one run"
    cost = statistics.median(m.cost for m in runs)
    near = min(runs, key=lambda m: abs(m.cost - cost))
    return Measurement(cost, near.unit, all(m.correct for m in runs), next((m.error for m in runs if m.error), ""),
                       dict(near.counters), sum(m.seconds for m in runs), len(runs))
