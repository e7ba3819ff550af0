"""Schedule choice for `liftcomp compile`: beam search per kernel, or replay of recorded steps.

`choose_schedules` returns, per function holding one matmul / mat-vec, the chosen rewrite steps
and schedule (plus the library schedule's cycles when it searched); `schedule_fn` turns that into
the lowering's `LowerOptions.schedule`. A replay file is a compile `report.json` (each kernel's
`steps`), or a search trace (`best.steps`); its steps are re-applied to the library schedule with
the same legality checks, so the replayed program, and its simulated cycles, are the same. A
free-form result (LLM-edited target IR) is recorded as its IR text (`ir`, `best.schedule.ir`);
replay parses and checks it again exactly as the search did, and `substitute_freeform` puts it in
place of the lowered function.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.beam import SearchOptions, SearchResult, beam_search
from liftcomp.search.problem import GemminiProblem, IRSchedule
from liftcomp.targets.gemmini.config import GemminiConfig
from liftcomp.targets.gemmini.menu import Step, apply_steps
from liftcomp.targets.gemmini.schedule import MatmulSchedule, MatmulShape, library_schedule


@dataclass
class KernelChoice:
    func: str
    shape: MatmulShape
    steps: list[Step]
    schedule: MatmulSchedule
    library_cycles: int | None = None
    result: SearchResult | None = None
    skipped: str = ""  # why this function kept the library schedule
    ir: str = ""  # free-form target IR replacing the lowered function (then `schedule` is the library's)
    library_loop_ws_cycles: int | None = None  # the library's tiles as loop_ws calls, what gemmini.h runs

    def report_fields(self, cycles: int) -> dict[str, Any]:
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
        if self.library_cycles:
            d["baseline_cycles"] = self.library_cycles
            d["speedup"] = round(self.library_cycles / max(1, cycles), 4)
        if self.library_loop_ws_cycles:
            d["baseline_loop_ws_cycles"] = self.library_loop_ws_cycles
            d["speedup_vs_loop_ws"] = round(self.library_loop_ws_cycles / max(1, cycles), 4)
        if self.result is not None:
            r = self.result
            d["search"] = {"planner": r.planner, "evaluated": r.evaluated, "seconds": round(r.seconds, 2),
                           "library_cycles": r.root.cycles, "best_cycles": r.best.cycles,
                           "bound": r.bound.to_json(), "best_per_iteration": r.best_per_iteration}
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


def substitute_freeform(lowered: ModuleOp, choices: dict[str, KernelChoice]) -> None:
    """Replace each lowered function whose chosen result is free-form IR by that IR, parsed and
    checked again (same name and signature, only the accepted dialects)."""
    from liftcomp.search.freeform import parse_kernel_ir

    for c in choices.values():
        if not c.ir:
            continue
        old = next((f for f in _functions(lowered) if f.sym_name.data == c.func), None)
        if old is None:
            raise LiftcompError(f"@{c.func}: free-form IR was chosen but the lowering has no such function")
        _, new = parse_kernel_ir(c.ir, c.func, old.function_type)
        new.detach()
        lowered.body.block.insert_op_before(new, old)
        old.detach()
        old.erase()


def _functions(module: ModuleOp) -> list[func.FuncOp]:
    return [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]


def choose_schedules(
    raised: ModuleOp,
    cfg: GemminiConfig,
    *,
    search: str | None = None,
    budget: int = 0,
    planner: str = "builtin",
    schedule_file: Path | None = None,
    form: str = "explicit",
    seed: int = 0,
    dyn_size: int = 64,
    outdir: Path | None = None,
    llm_config: Any = None,
    show_progress: bool = True,
    options: SearchOptions | None = None,
    workers: int = 0,
    llm_mode: str = "menu",
) -> dict[str, KernelChoice]:
    if search not in (None, "beam"):
        raise LiftcompError(f"unknown search '{search}' (known: beam)")
    if search and schedule_file:
        raise LiftcompError("--search and --schedule exclude each other (a schedule file replays a search)")
    if search and llm_mode != "menu" and planner != "llm":
        raise LiftcompError(f"--llm-mode {llm_mode} needs --planner llm")
    if not search and not schedule_file:
        return {}
    recorded = read_recorded(schedule_file) if schedule_file else {}
    choices: dict[str, KernelChoice] = {}
    results: list[SearchResult] = []
    for fn in _functions(raised):
        name = fn.sym_name.data
        if schedule_file:
            if name not in recorded:
                continue
            problem = _problem_or_none(fn, cfg, form, seed, dyn_size, 1)
            if problem is None:
                raise LiftcompError(f"@{name}: the schedule file has steps for it but it holds no single matmul")
            rec = recorded[name]
            start = problem.initial()
            base = problem.evaluate(start)
            if rec.ir:
                choices[name] = KernelChoice(name, problem.shape, rec.steps, start, base.cycles or None,
                                             ir=_replay_freeform(problem, rec.ir))
                continue
            sched = apply_steps(start, rec.steps, problem.ctx)
            choices[name] = KernelChoice(name, problem.shape, rec.steps, sched, base.cycles or None)
            continue
        try:
            problem = GemminiProblem.from_function(fn, cfg, form=form, seed=seed, dyn_size=dyn_size, workers=workers)
        except LiftcompError as e:
            choices[name] = KernelChoice(name, MatmulShape(0, 0, 0), [], MatmulSchedule(1, 1, 1), skipped=e.message)
            continue
        o = options or SearchOptions(seed=seed)
        if budget:
            o.budget = budget
        try:
            result = _run_search(problem, o, planner, llm_config, show_progress, llm_mode)
            result.library_loop_ws_cycles = _loop_ws_reference(problem)
        finally:
            problem.close()
        results.append(result)
        best = result.best
        if isinstance(best.schedule, IRSchedule):
            choices[name] = KernelChoice(name, problem.shape, list(best.steps), problem.initial(), result.root.cycles,
                                         result, ir=best.schedule.text,
                                         library_loop_ws_cycles=result.library_loop_ws_cycles)
        else:
            choices[name] = KernelChoice(name, problem.shape, list(best.steps), best.schedule, result.root.cycles,
                                         result, library_loop_ws_cycles=result.library_loop_ws_cycles)
        if outdir is not None:
            from liftcomp.search.report import write_trace

            write_trace(result, outdir / f"search-{name}.json")
    if results:
        from liftcomp.search.report import print_table, write_plot

        if outdir is not None:
            write_plot(results, outdir / "search.png")
        if show_progress:
            print_table(results)
    return choices


def _problem_or_none(fn: func.FuncOp, cfg: GemminiConfig, form: str, seed: int, dyn_size: int,
                     workers: int) -> GemminiProblem | None:
    try:
        return GemminiProblem.from_function(fn, cfg, form=form, seed=seed, dyn_size=dyn_size, workers=workers)
    except LiftcompError:
        return None


def _loop_ws_reference(problem: GemminiProblem) -> int | None:
    """Cycles of the library's tiles as one loop_ws per tile (what gemmini.h's tiled_matmul_auto
    issues), so speedups can be read against that too; None if the search started from it or
    loop_ws cannot run the kernel."""
    start = problem.initial()
    if start.form == "loop_ws":
        return None
    try:
        ws = apply_steps(start, [Step("form", {"form": "loop_ws"})], problem.ctx)
    except LiftcompError:
        return None
    m = problem.evaluate(ws)
    return m.cycles if m.correct else None


def _replay_freeform(problem: GemminiProblem, text: str) -> str:
    """Recorded free-form IR, accepted only if it passes the search's checks again."""
    from liftcomp.targets.gemmini.menu import Refused

    try:
        sched = problem.apply_edit(problem.initial(), text)
    except Refused as e:
        raise LiftcompError(f"@{problem.func_name}: the recorded free-form IR is refused: {e.message}") from None
    m = problem.evaluate(sched)
    if not m.correct:
        raise LiftcompError(f"@{problem.func_name}: the recorded free-form IR is rejected: {m.error or 'wrong result'}")
    return sched.text


def _run_search(problem: GemminiProblem, o: SearchOptions, planner: str, llm_config: Any,
                show_progress: bool, llm_mode: str = "menu") -> SearchResult:
    from liftcomp.search.report import progress_bar

    if planner == "builtin":
        from liftcomp.search.gemmini_policy import BuiltinPlanner

        p: Any = BuiltinPlanner()
    elif planner == "llm":
        from liftcomp.llm import LLMClient, load_config
        from liftcomp.search.llm_planner import LLMPlanner

        p = LLMPlanner(LLMClient(llm_config if llm_config is not None else load_config()), mode=llm_mode)
    else:
        raise LiftcompError(f"unknown planner '{planner}' (known: builtin, llm)")
    problem.start()  # fork the workers before the progress bar's thread starts
    with progress_bar(f"search @{problem.name}", o.budget or None, show_progress) as progress:
        return beam_search(problem, p, o, progress)


def schedule_fn(choices: dict[str, KernelChoice], cfg: GemminiConfig) -> Callable[[MatmulShape], MatmulSchedule] | None:
    """The lowering's schedule hook: the chosen schedule for a kernel's shape, else the library's."""
    if not choices:
        return None
    chosen = [c for c in choices.values() if not c.skipped]
    if not chosen:
        return None
    by_shape = {c.shape: c.schedule for c in chosen}
    shapes = list(by_shape)
    if len({(c.shape, c.schedule) for c in chosen}) != len(shapes):
        raise LiftcompError("two kernels of the same shape got different schedules; compile them separately")

    def pick(shape: MatmulShape) -> MatmulSchedule:
        s = by_shape.get(shape)
        return s if s is not None else library_schedule(shape, cfg)

    return pick
