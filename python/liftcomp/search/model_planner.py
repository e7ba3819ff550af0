"""The generic built-in planner: for a target that brings no planner of its own
(`KernelSpace.planner()` is None), rank every legal menu step by the target's cost model.

Plan: each menu item's best legal step (parameters enumerated from `Param.values()`, at most
`MAX_STEPS_PER_ITEM` per item) predicted by `KernelSpace.cost_model()`; items ranked by that
prediction (menu order without a model), with a seeded chance of swapping the last plan for
another item (exploration). Implement: that item's legal steps, best predicted first.
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from liftcomp.search.beam import Candidate, Plan
from liftcomp.search.problem import Problem
from liftcomp.search.space import Refused, Rewrite, Step

MAX_STEPS_PER_ITEM = 64


class ModelPlanner:
    name = "builtin"

    def __init__(self, explore: float = 0.25):
        self.explore = explore

    def _steps(self, problem: Problem, schedule: Any, rw: Rewrite[Any, Any]) -> list[tuple[float, Step]]:
        """Legal steps of `rw` from `schedule`, with the model's prediction (lower first)."""
        model = problem.space.cost_model()
        names = [p.name for p in rw.params]
        out: list[tuple[float, Step]] = []
        for values in itertools.islice(itertools.product(*(p.values() for p in rw.params)), MAX_STEPS_PER_ITEM):
            step = Step(rw.name, dict(zip(names, values, strict=True)))
            try:
                child = problem.apply(schedule, step)
            except Refused:
                continue
            out.append((model.predict(child) if model is not None else 0.0, step))
        out.sort(key=lambda x: x[0])
        return out

    def plan(self, parent: Candidate, problem: Problem, n: int, rng: random.Random) -> list[Plan]:
        ranked: list[tuple[float, int, Plan]] = []
        for i, rw in enumerate(problem.space.menu.rewrites):
            steps = self._steps(problem, parent.schedule, rw)
            if steps:
                ranked.append((steps[0][0], i, Plan(rw.name, {}, f"model: {rw.name} predicted {steps[0][0]:g}")))
        ranked.sort(key=lambda x: (x[0], x[1]))
        plans = [p for _, _, p in ranked]
        chosen, rest = plans[:n], plans[n:]
        if rest and chosen and rng.random() < self.explore:
            chosen[-1] = rng.choice(rest)
        return chosen

    def implement(self, parent: Candidate, plan: Plan, problem: Problem, n: int, rng: random.Random) -> list[Step]:
        rw = problem.space.menu.get(plan.rewrite)
        return [] if rw is None else [s for _, s in self._steps(problem, parent.schedule, rw)]
