"""Schedule choice for `liftcomp compile` and the lowering passes, for any registered target.

`choose_schedules` returns, per function the target has a kernel space for, the chosen rewrite
steps and schedule (plus the library schedule's cost when it searched); `func_schedules` turns
that into what `Target.lower` takes. Sources of a choice:
- a beam search (`search="beam"`), its measurements appended to a tuning-record database as they
  arrive when `database` is given (`resume` reuses the measurements recorded there, so an
  interrupted search continues to the same result);
- a schedule file (`schedule_file`): a compile `report.json` (each kernel's `steps`) or a search
  trace (`best.steps`); its steps are re-applied to the library schedule with the same legality
  checks, so the replayed program, and its cost, are the same;
- a database alone (`database` without search): the best record of the same function, target
  and configuration (records of any other key are never used).
A free-form result (LLM-edited target IR) is recorded as its IR text; replay parses and checks it
again exactly as the search did, and `substitute_freeform` puts it in place of the lowered function.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.beam import Candidate, SearchOptions, SearchResult, beam_search
from liftcomp.search.freeform import IRSchedule
from liftcomp.search.problem import Problem
from liftcomp.search.space import Refused, Step
from liftcomp.targets.base import TargetConfig


@dataclass
class KernelChoice:
    func: str
    steps: list[Step]
    schedule: Any  # the target's schedule (the library's when `ir` replaces the lowered function)
    library_cost: float | None = None
    unit: str = "cycles"
    result: SearchResult | None = None
    skipped: str = ""  # why this function kept the library schedule
    ir: str = ""  # free-form target IR replacing the lowered function
    baselines: dict[str, float] = field(default_factory=dict[str, float])  # other reference schedules' costs
    source: str = ""  # search | schedule file | database

    def report_fields(self, cost: float) -> dict[str, Any]:
        """What `liftcomp compile` adds to a kernel's report entry: the steps (replayable with
        --schedule), the library baseline and the search summary."""
        if self.skipped:
            return {"steps": [], "search_skipped": self.skipped}
        d: dict[str, Any] = {"steps": [s.to_json() for s in self.steps]}
        if self.ir:
            from liftcomp.search.freeform import ir_sha256

            # `schedule` in the report then describes the lowering this IR replaced.
            d["ir"] = self.ir
            d["ir_sha256"] = ir_sha256(self.ir)
        if self.library_cost:
            d[f"baseline_{self.unit}"] = self.library_cost
            d["speedup"] = round(self.library_cost / max(1, cost), 4)
        for name, c in self.baselines.items():
            d[f"baseline_{name}_{self.unit}"] = c
            d[f"speedup_vs_{name}"] = round(c / max(1, cost), 4)
        if self.result is not None:
            r = self.result
            d["search"] = {"planner": r.planner, "evaluated": r.evaluated, "reused": r.reused,
                           "seconds": round(r.seconds, 2), "library_cost": r.root.cost, "best_cost": r.best.cost,
                           "unit": self.unit, "bound": r.bound.to_json(), "best_per_iteration": r.best_per_iteration}
        if self.source:
            d["schedule_source"] = self.source
        return d


@dataclass
class Recorded:
    """What a schedule file holds for one function: rewrite steps, and free-form IR if the result was one."""

    steps: list[Step]
    ir: str = ""


def read_recorded(path: Path) -> dict[str, Recorded]:
    """Steps (and free-form IR) per function name from a compile report.json or a search trace."""
    if not path.is_file():
        raise LiftcompError(f"no such schedule file: {path}")
    try:
        data = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise LiftcompError(f"{path}: not JSON ({e.msg})") from None
    out: dict[str, Recorded] = {}
    if isinstance(data, dict) and isinstance(data.get("kernels"), list):
        for k in data["kernels"]:
            if isinstance(k, dict) and isinstance(k.get("name"), str) and "steps" in k:
                out[k["name"]] = Recorded([Step.from_json(s) for s in k["steps"]], _ir_text(path, k.get("ir")))
    elif isinstance(data, dict) and isinstance(data.get("kernel"), str) and isinstance(data.get("best"), dict):
        best = data["best"]
        sched = best.get("schedule")
        ir = sched.get("ir") if isinstance(sched, dict) else None
        out[data["kernel"]] = Recorded([Step.from_json(s) for s in best.get("steps", [])], _ir_text(path, ir))
    else:
        raise LiftcompError(f"{path}: expected a compile report (kernels[].steps) or a search trace (best.steps)")
    return out


def _ir_text(path: Path, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise LiftcompError(f"{path}: a kernel's 'ir' must be the IR text, got {type(value).__name__}")
    return value


def substitute_freeform(lowered: ModuleOp, choices: dict[str, KernelChoice], problems: dict[str, Problem]) -> None:
    """Replace each lowered function whose chosen result is free-form IR by that IR, parsed and
    checked again (same name and signature, only the target's free-form dialects)."""
    from liftcomp.search.freeform import parse_kernel_ir

    for c in choices.values():
        if not c.ir:
            continue
        old = next((f for f in _functions(lowered) if f.sym_name.data == c.func), None)
        if old is None:
            raise LiftcompError(f"@{c.func}: free-form IR was chosen but the lowering has no such function")
        rules = problems[c.func].rules()
        assert rules is not None, "free-form IR is only ever chosen where the target has rules"
        _, new = parse_kernel_ir(c.ir, c.func, old.function_type, rules.dialects)
        new.detach()
        lowered.body.block.insert_op_before(new, old)
        old.detach()
        old.erase()


def _functions(module: ModuleOp) -> list[func.FuncOp]:
    return [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]


@dataclass
class SearchSettings:
    """How `choose_schedules` chooses (see the module docstring)."""

    search: str | None = None
    budget: int = 0
    planner: str = "builtin"
    schedule_file: Path | None = None
    database: Path | None = None
    resume: bool = False
    seed: int = 0
    dyn_size: int = 64
    llm_config: Any = None
    llm_mode: str = "menu"
    show_progress: bool = True
    options: SearchOptions | None = None
    workers: int = 0
    executor: str = "local"
    ray_address: str | None = None

    def check(self) -> None:
        if self.search not in (None, "beam"):
            raise LiftcompError(f"unknown search '{self.search}' (known: beam)")
        if self.search and self.schedule_file:
            raise LiftcompError("--search and --schedule exclude each other (a schedule file replays a search)")
        if self.schedule_file and self.database:
            raise LiftcompError("--schedule and --database exclude each other (both choose recorded schedules)")
        if self.search and self.llm_mode != "menu" and self.planner != "llm":
            raise LiftcompError(f"--llm-mode {self.llm_mode} needs --planner llm")
        if self.resume and not (self.search and self.database):
            raise LiftcompError("--resume needs --search and --database (it continues the search recorded there)")


def choose_schedules(raised: ModuleOp, target: str, config: TargetConfig, options: dict[str, Any],
                     settings: SearchSettings, outdir: Path | None = None
                     ) -> tuple[dict[str, KernelChoice], dict[str, Problem]]:
    """The chosen schedule of each function (see the module docstring), and the problems built."""
    s = settings
    s.check()
    if not s.search and not s.schedule_file and not s.database:
        return {}, {}
    from liftcomp.search.database import Database

    recorded = read_recorded(s.schedule_file) if s.schedule_file else {}
    db = Database(s.database) if s.database else None
    choices: dict[str, KernelChoice] = {}
    problems: dict[str, Problem] = {}
    results: list[SearchResult] = []
    for fn in _functions(raised):
        name = fn.sym_name.data
        if s.schedule_file and name not in recorded:
            continue
        try:
            problem = Problem.for_function(target, fn, config, options, s.seed, s.dyn_size,
                                           s.workers if s.search else 1, s.executor, s.ray_address)
        except LiftcompError as e:
            if s.schedule_file:
                raise LiftcompError(f"@{name}: the schedule file has steps for it but it has no schedule space "
                                    f"on this target: {e.message}") from None
            if s.search:
                choices[name] = KernelChoice(name, [], None, skipped=e.message)
            continue
        problems[name] = problem
        if s.schedule_file:
            choices[name] = _replay_steps(problem, recorded[name])
            continue
        if not s.search:
            assert db is not None
            choice = _replay_record(problem, db)
            if choice is not None:
                choices[name] = choice
            continue
        result = _run_search(problem, s, db)
        results.append(result)
        best = result.best
        unit = problem.evaluator.unit
        if isinstance(best.schedule, IRSchedule):
            choices[name] = KernelChoice(name, list(best.steps), problem.initial(), result.root.cost, unit, result,
                                         ir=best.schedule.text, baselines=result.baselines, source="search")
        else:
            choices[name] = KernelChoice(name, list(best.steps), best.schedule, result.root.cost, unit, result,
                                         baselines=result.baselines, source="search")
        if outdir is not None:
            from liftcomp.search.report import write_trace

            write_trace(result, outdir / f"search-{name}.json")
    if results:
        from liftcomp.search.report import print_table, write_plot

        if outdir is not None:
            write_plot(results, outdir / "search.png")
        if s.show_progress:
            print_table(results)
    return choices, problems


def _replay_steps(problem: Problem, rec: Recorded) -> KernelChoice:
    start = problem.initial()
    base = problem.evaluate(start)
    unit = problem.evaluator.unit
    if rec.ir:
        return KernelChoice(problem.func_name, rec.steps, start, base.cost or None, unit,
                            ir=_replay_freeform(problem, rec.ir), source="schedule file")
    sched = problem.space.menu.replay(start, rec.steps, problem.space.context)
    return KernelChoice(problem.func_name, rec.steps, sched, base.cost or None, unit, source="schedule file")


def _replay_record(problem: Problem, db: Any) -> KernelChoice | None:
    """The best record of this problem's key, checked again like a replayed schedule file."""
    rec = db.best(problem.record_key())
    if rec is None:
        return None
    steps = [Step.from_json(x) for x in rec.get("steps", [])]
    base = problem.evaluate(problem.initial())
    unit = problem.evaluator.unit
    data = rec["schedule"]
    if isinstance(data, dict) and data.get("freeform"):
        return KernelChoice(problem.func_name, steps, problem.initial(), base.cost or None, unit,
                            ir=_replay_freeform(problem, str(data.get("ir", ""))), source="database")
    return KernelChoice(problem.func_name, steps, problem.space.schedule_from_json(data), base.cost or None, unit,
                        source="database")


def _replay_freeform(problem: Problem, text: str) -> str:
    """Recorded free-form IR, accepted only if it passes the search's checks again."""
    try:
        sched = problem.apply_edit(None, text)
    except Refused as e:
        raise LiftcompError(f"@{problem.func_name}: the recorded free-form IR is refused: {e.message}") from None
    m = problem.evaluate(sched)
    if not m.correct:
        raise LiftcompError(f"@{problem.func_name}: the recorded free-form IR is rejected: {m.error or 'wrong result'}")
    return sched.text


def make_planner(problem: Problem, planner: str, llm_config: Any = None, llm_mode: str = "menu") -> Any:
    """The planner named `planner`: builtin (the target's own, else the generic model planner) or llm."""
    if planner == "builtin":
        own = problem.space.planner()
        if own is not None:
            return own
        from liftcomp.search.model_planner import ModelPlanner

        return ModelPlanner()
    if planner == "llm":
        from liftcomp.llm import LLMClient, load_config
        from liftcomp.search.llm_planner import LLMPlanner

        return LLMPlanner(LLMClient(llm_config if llm_config is not None else load_config()), mode=llm_mode)
    raise LiftcompError(f"unknown planner '{planner}' (known: builtin, llm)")


def run_search(problem: Problem, options: SearchOptions, planner: Any, show_progress: bool = False,
               db: Any = None, resume: bool = False) -> SearchResult:
    """Beam search of one problem: records each measurement in `db` as it arrives (reusing those
    already there when `resume`), then measures the target's baselines."""
    from liftcomp.search.report import progress_bar

    key = problem.record_key()
    inputs = {"seed": problem.seed, "dyn_size": problem.dyn_size}
    known = db.measurements(key, inputs) if db is not None and resume else {}

    def cached(schedule: Any) -> Any:
        return known.get(json.dumps(problem.schedule_json(schedule), sort_keys=True))

    def record(c: Candidate) -> None:
        assert c.metrics is not None and db is not None
        db.append(key, problem.func_name, problem.schedule_json(c.schedule), [x.to_json() for x in c.steps], c.metrics,
                  inputs)

    try:
        problem.start()  # fork the workers before the progress bar's thread starts
        with progress_bar(f"search @{problem.name}", options.budget or None, show_progress) as progress:
            result = beam_search(problem, planner, options, progress, record if db is not None else None,
                                 cached if known else None)
        for name, sched in problem.space.baselines().items():
            m = problem.evaluate(sched)
            if m.correct:
                result.baselines[name] = m.cost
    finally:
        problem.close()
    return result


def _run_search(problem: Problem, s: SearchSettings, db: Any) -> SearchResult:
    o = s.options or SearchOptions(seed=s.seed)
    if s.budget:
        o.budget = s.budget
    return run_search(problem, o, make_planner(problem, s.planner, s.llm_config, s.llm_mode), s.show_progress,
                      db, s.resume)


def func_schedules(choices: dict[str, KernelChoice]) -> dict[str, Any]:
    """What `Target.lower` takes: the chosen schedule per function name."""
    return {name: c.schedule for name, c in choices.items() if not c.skipped and c.schedule is not None}
