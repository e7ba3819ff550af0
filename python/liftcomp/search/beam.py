"""Beam search over schedules (Autocomp's loop: plan, implement, evaluate, keep the best).

Each iteration, for every schedule in the beam, the planner proposes `plans_per_candidate` plans
(a menu item, with a reason) and up to `impls_per_plan` implementations of each (concrete
parameters). A child is the parent's rewrite steps plus one step. Children that the menu refuses,
or that repeat a schedule already seen, are recorded but not evaluated; the rest are simulated
(in parallel) and checked against the reference. An implementation may instead be free-form IR
(`Edit`, checked by `problem.apply_edit`, then evaluated like any child), or `Unusable` (recorded
with its reason). Only correct children may enter the beam, and in
the first `strict_iterations` iterations only those not slower than their parent beyond
`tolerance`. The beam keeps the `beam_width` fastest schedules seen (ties: earliest first), so
the search is deterministic for a seed. `budget` caps the number of evaluations.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound
from liftcomp.search.measure import Measurement
from liftcomp.search.problem import SearchProblem
from liftcomp.search.space import Refused, Step


@dataclass
class SearchOptions:
    beam_width: int = 4
    iterations: int = 8
    plans_per_candidate: int = 4
    impls_per_plan: int = 2
    budget: int = 0
    """Most schedules evaluated (the library schedule included); 0: no limit."""
    tolerance: float = 0.02
    strict_iterations: int = 2
    seed: int = 0


@dataclass
class Candidate:
    id: int
    parent: int | None
    iteration: int
    steps: list[Step]
    schedule: Any
    plan: str = ""
    metrics: Measurement | None = None
    status: str = "pending"
    ir_sha256: str = ""  # free-form candidates: the proposed IR's hash (canonical once it parsed)

    @property
    def accepted(self) -> bool:
        return self.status == "accepted"

    @property
    def cost(self) -> float:
        return self.metrics.cost if self.metrics is not None else 0

    def to_json(self, problem: SearchProblem) -> dict[str, Any]:
        d = {
            "id": self.id,
            "parent": self.parent,
            "iteration": self.iteration,
            "steps": [s.to_json() for s in self.steps],
            "plan": self.plan,
            "schedule": None if self.schedule is None else problem.schedule_json(self.schedule),
            "status": self.status,
            "accepted": self.accepted,
            "metrics": None if self.metrics is None else self.metrics.to_json(),
        }
        if self.ir_sha256:
            d["ir_sha256"] = self.ir_sha256
        return d


@dataclass
class Plan:
    """A planner's choice for one parent: a menu item (+ parameter hints) and why; or why it has none."""

    rewrite: str
    params: dict[str, Any] = field(default_factory=dict)
    reason: str = ""
    error: str = ""  # set when the planner could not produce a usable plan (e.g. a garbage LLM reply)
    freeform: bool = False  # implement by editing the target IR instead of choosing menu parameters


FREEFORM = "freeform"  # the step recorded for a free-form edit


@dataclass(frozen=True)
class Edit:
    """A free-form implementation: new target IR text for the whole kernel."""

    text: str


@dataclass(frozen=True)
class Unusable:
    """An implementation the planner could not produce (e.g. an unusable LLM reply), and why."""

    error: str


Implementation = Step | Edit | Unusable


class Planner(Protocol):
    name: str

    def plan(self, parent: Candidate, problem: SearchProblem, n: int, rng: random.Random) -> list[Plan]: ...

    def implement(self, parent: Candidate, plan: Plan, problem: SearchProblem, n: int,
                  rng: random.Random) -> Sequence[Implementation]: ...


@dataclass
class SearchResult:
    problem: SearchProblem
    options: SearchOptions
    planner: str
    root: Candidate
    best: Candidate
    candidates: list[Candidate]
    best_per_iteration: list[float]
    bound: Bound
    seconds: float
    duplicates_skipped: int = 0
    reused: int = 0  # measurements taken from tuning records (--resume) instead of evaluated
    # Other reference schedules the target names (KernelSpace.baselines, e.g. Gemmini's loop_ws
    # form of the library tiles) and their costs, for "speedup vs" columns.
    baselines: dict[str, float] = field(default_factory=dict[str, float])

    @property
    def evaluated(self) -> int:
        return sum(1 for c in self.candidates if c.metrics is not None)

    def trace_json(self) -> dict[str, Any]:
        o = self.options
        return {
            "kernel": self.problem.name,
            "planner": self.planner,
            "options": {"beam_width": o.beam_width, "iterations": o.iterations,
                        "plans_per_candidate": o.plans_per_candidate, "impls_per_plan": o.impls_per_plan,
                        "budget": o.budget, "tolerance": o.tolerance, "strict_iterations": o.strict_iterations,
                        "seed": o.seed},
            "bound": self.bound.to_json(),
            "unit": self.bound.unit,
            "library": {"id": self.root.id, "cost": self.root.cost,
                        "utilization": None if self.root.metrics is None else round(self.root.metrics.utilization, 6)},
            "best": {"id": self.best.id, "cost": self.best.cost,
                     "utilization": None if self.best.metrics is None else round(self.best.metrics.utilization, 6),
                     "steps": [s.to_json() for s in self.best.steps],
                     "schedule": self.problem.schedule_json(self.best.schedule)},
            "best_per_iteration": self.best_per_iteration,
            "evaluated": self.evaluated,
            "duplicates_skipped": self.duplicates_skipped,
            "reused": self.reused,
            "baselines": dict(self.baselines),
            "seconds": round(self.seconds, 2),
            "candidates": [c.to_json(self.problem) for c in self.candidates],
        }


def _step(impl: Step | Edit, ir_sha256: str) -> Step:
    """The step a child records: the menu step, or a free-form edit named by its IR's hash."""
    return impl if isinstance(impl, Step) else Step(FREEFORM, {"ir_sha256": ir_sha256[:16]})


ProgressFn = Callable[[str, int, float], None]  # (event, evaluated so far, best cost)


MeasureHook = Callable[[Candidate], None]  # called once per measured candidate (tuning records)
Cache = Callable[[Any], Measurement | None]  # a recorded measurement of a schedule, if any (--resume)


def beam_search(problem: SearchProblem, planner: Planner, options: SearchOptions | None = None,
                progress: ProgressFn | None = None, on_measured: MeasureHook | None = None,
                cached: Cache | None = None) -> SearchResult:
    o = options or SearchOptions()
    if min(o.beam_width, o.plans_per_candidate, o.impls_per_plan) < 1 or o.iterations < 0:
        raise LiftcompError("beam width, plans per candidate and implementations per plan must be >= 1")
    t0 = time.perf_counter()
    rng = random.Random(o.seed)
    problem.start()
    candidates: list[Candidate] = []
    evaluated = 0
    duplicates = 0

    reused = 0

    def measure(cands: list[Candidate], done: Callable[[Measurement], None] | None = None) -> None:
        """Measure `cands` (or take their recorded measurements), in order; record each."""
        nonlocal reused
        fresh: list[Candidate] = []
        for c in cands:
            m = cached(c.schedule) if cached is not None else None
            if m is None:
                fresh.append(c)
                continue
            c.metrics = m
            reused += 1
            if done is not None:
                done(m)
        arrived = iter(fresh)

        def one(m: Measurement) -> None:
            # Recorded as each result arrives, so an interrupted search keeps what it measured.
            c = next(arrived)
            c.metrics = m
            if on_measured is not None:
                on_measured(c)
            if done is not None:
                done(m)

        problem.evaluate_many([c.schedule for c in fresh], one)

    def note(event: str, best: float) -> None:
        if progress is not None:
            progress(event, evaluated, best)

    root = Candidate(0, None, 0, [], problem.initial(), plan="library schedule")
    candidates.append(root)
    measure([root])
    assert root.metrics is not None
    evaluated = 1
    if not root.metrics.correct:
        raise LiftcompError(f"{problem.name}: the library schedule itself fails: "
                            f"{root.metrics.error or 'wrong result'}")
    root.status = "accepted"
    seen: dict[Hashable, int] = {problem.key(root.schedule): root.id}
    beam = [root]
    best_per_iteration = [root.cost]
    note("start", root.cost)
    for it in range(1, o.iterations + 1):
        left = o.budget - evaluated if o.budget else None
        if left is not None and left <= 0:
            break
        to_eval: list[Candidate] = []
        for parent in beam:
            for plan in planner.plan(parent, problem, o.plans_per_candidate, rng):
                if plan.error:
                    c = Candidate(len(candidates), parent.id, it, list(parent.steps), None,
                                  plan=plan.reason, status=f"refused: {plan.error}")
                    candidates.append(c)
                    continue
                # The planner ranks implementations; take the first ones that are new. Schedules
                # already seen are skipped (counted, not recorded); refusals are recorded.
                attempts = 0
                for impl in planner.implement(parent, plan, problem, o.impls_per_plan, rng):
                    if attempts >= o.impls_per_plan:
                        break
                    if isinstance(impl, Unusable):
                        attempts += 1
                        candidates.append(Candidate(len(candidates), parent.id, it, list(parent.steps), None,
                                                    plan=plan.reason, status=f"refused: {impl.error}"))
                        continue
                    sha = ""
                    try:
                        if isinstance(impl, Edit):
                            sha = hashlib.sha256(impl.text.encode()).hexdigest()  # the raw text's, if refused
                            edited = problem.apply_edit(parent.schedule, impl.text)
                            sha = edited.sha256
                            sched: Any = edited
                        else:
                            sched = problem.apply(parent.schedule, impl)
                    except Refused as e:
                        attempts += 1
                        candidates.append(Candidate(len(candidates), parent.id, it, [*parent.steps, _step(impl, sha)],
                                                    None, plan=plan.reason, status=f"refused: {e.message}",
                                                    ir_sha256=sha))
                        continue
                    step = _step(impl, sha)
                    k = problem.key(sched)
                    if k in seen:
                        duplicates += 1
                        continue
                    attempts += 1
                    c = Candidate(len(candidates), parent.id, it, [*parent.steps, step], sched, plan=plan.reason,
                                  ir_sha256=sha)
                    candidates.append(c)
                    seen[k] = c.id
                    to_eval.append(c)
        if left is not None and len(to_eval) > left:
            for c in to_eval[left:]:
                c.status = "not evaluated: budget exhausted"
                # Let a later search with more budget still try it.
                del seen[problem.key(c.schedule)]
            to_eval = to_eval[:left]

        best_now = beam[0].cost

        def one_done(m: Measurement) -> None:
            nonlocal evaluated, best_now
            evaluated += 1
            if m.correct and m.cost:
                best_now = min(best_now, m.cost)
            note("evaluated", best_now)

        measure(to_eval, one_done)
        for c in to_eval:
            m = c.metrics
            assert m is not None
            parent = candidates[c.parent] if c.parent is not None else root
            if m.error and not m.cost:
                c.status = f"rejected: {m.error}"
            elif not m.correct:
                c.status = f"rejected: incorrect ({m.error})"
            elif it <= o.strict_iterations and m.cost > parent.cost * (1 + o.tolerance):
                c.status = (f"rejected: slower than its parent #{parent.id} ({m.cost} > {parent.cost} {m.unit} "
                            f"+ {o.tolerance:.0%}) in iteration {it} <= {o.strict_iterations}")
            else:
                c.status = "accepted"
        pool = beam + [c for c in to_eval if c.accepted]
        pool.sort(key=lambda c: (c.cost, c.id))
        beam = pool[: o.beam_width]
        best_per_iteration.append(beam[0].cost)
        note("iteration", beam[0].cost)
    best = min((c for c in candidates if c.accepted), key=lambda c: (c.cost, c.id))
    return SearchResult(problem, o, planner.name, root, best, candidates, best_per_iteration, problem.bound(),
                        time.perf_counter() - t0, duplicates, reused)
