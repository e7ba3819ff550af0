"""A target's analytic cost model: what the built-in planner ranks candidates with.

`predict(schedule)` estimates the cost (in the evaluator's unit) without running anything;
`bound()` is a cost no schedule of the kernel can beat (the reports' "of bound" column);
`update(schedule, measurement)` lets the model learn from what was measured (calibration).
A target without a model returns None from `KernelSpace.cost_model()`; the generic planner then
ranks by nothing but the menu's order and exploration.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from liftcomp.search.measure import Measurement

S = TypeVar("S")
S_contra = TypeVar("S_contra", contravariant=True)


@dataclass(frozen=True)
class Bound:
    """A lower bound on the cost (in `unit`), per part (e.g. execute / load / store), and the
    utilization it corresponds to (None where the target has no notion of peak)."""

    cost: float
    unit: str = "cycles"
    utilization: float | None = None
    parts: dict[str, float] = field(default_factory=dict)

    @property
    def bottleneck(self) -> str:
        return max(self.parts.items(), key=lambda x: x[1])[0] if self.parts else ""

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {**self.parts, self.unit: self.cost, "bottleneck": self.bottleneck}
        if self.utilization is not None:
            d["utilization"] = round(self.utilization, 6)
        return d


class CostModel(Protocol[S_contra]):
    def predict(self, schedule: S_contra) -> float: ...
    def bound(self) -> Bound: ...
    def update(self, schedule: S_contra, measurement: Measurement) -> None: ...


@dataclass
class NoModel(Generic[S]):
    """The cost model of a target that has none: every schedule predicts the same."""

    unit: str = "cycles"

    def predict(self, schedule: S) -> float:
        return 0.0

    def bound(self) -> Bound:
        return Bound(0.0, self.unit)

    def update(self, schedule: S, measurement: Measurement) -> None:
        return None
