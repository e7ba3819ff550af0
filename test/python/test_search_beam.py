"""Beam search: deterministic for a seed (in parallel), correct results only, tolerance in early
iterations, replay reproduces cycles, trace / plot / CLI."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir  # noqa: E402
from liftcomp.search.beam import Candidate, Plan, SearchOptions, beam_search  # noqa: E402
from liftcomp.search.problem import Problem, SearchProblem  # noqa: E402
from liftcomp.search.report import write_plot, write_trace  # noqa: E402
from liftcomp.targets.gemmini.menu import Step, apply_steps  # noqa: E402
from liftcomp.targets.gemmini.policy import BuiltinPlanner  # noqa: E402
from xdsl.dialects import func  # noqa: E402

SHAPE = (96, 128, 112)


def _problem(m: int, k: int, n: int, workers: int = 1) -> Problem:
    fn = next(op for op in parse_mlir(matmul_text(m, k, n)).ops if isinstance(op, func.FuncOp))
    return Problem.for_function("gemmini", fn, workers=workers)


def _summary(r) -> list[tuple]:  # type: ignore[no-untyped-def]
    return [(c.id, c.parent, [str(s) for s in c.steps], c.cost, c.status) for c in r.candidates]


def test_search_is_deterministic_in_parallel_and_improves() -> None:
    opts = SearchOptions(iterations=3, budget=20, seed=7)
    runs = []
    for _ in range(2):
        p = _problem(*SHAPE, workers=2)
        try:
            runs.append(beam_search(p, BuiltinPlanner(), opts))
        finally:
            p.close()
    a, b = runs
    assert _summary(a) == _summary(b)
    assert a.best.cost < a.root.cost
    assert a.evaluated <= 20
    # Everything that entered the beam was simulated and correct.
    for c in a.candidates:
        if c.accepted:
            assert c.metrics is not None and c.metrics.correct
    assert a.best_per_iteration == sorted(a.best_per_iteration, reverse=True)


class _ScriptedPlanner:
    """Proposes fixed steps, to test the beam's rules independently of any policy."""

    name = "scripted"

    def __init__(self, steps: list[Step]):
        self.steps = steps

    def plan(self, parent: Candidate, problem: SearchProblem, n: int, rng: random.Random) -> list[Plan]:
        return [Plan("any", reason="scripted")] + [Plan("", error="planner had nothing")]

    def implement(self, parent: Candidate, plan: Plan, problem: SearchProblem, n: int,
                  rng: random.Random) -> list[Step]:
        return list(self.steps)


def test_slower_children_are_rejected_early_and_refusals_recorded() -> None:
    p = _problem(*SHAPE)
    slower = Step("mvin_blocks", {"a": 1, "b": 1})  # single-block mvins: more DMA requests
    refused = Step("tile", {"i": 1000})
    r = beam_search(p, _ScriptedPlanner([refused, slower]), SearchOptions(iterations=1, impls_per_plan=2,
                                                                         strict_iterations=1, tolerance=0.0))
    by_step = {str(c.steps[-1]) if c.steps else "": c for c in r.candidates if c.parent is not None and c.steps}
    assert by_step[str(refused)].status.startswith("refused: tile:")
    slow = by_step[str(slower)]
    assert slow.metrics is not None and slow.metrics.correct
    assert slow.cost > r.root.cost
    assert slow.status.startswith("rejected: slower than its parent")
    assert any(c.status == "refused: planner had nothing" for c in r.candidates)
    assert r.best is r.root
    # After the strict iterations a slower (correct) child may enter the beam.
    r2 = beam_search(p, _ScriptedPlanner([slower]), SearchOptions(iterations=1, strict_iterations=0))
    assert [c.status for c in r2.candidates if c.steps] == ["accepted"]
    assert r2.best is r2.root


def test_replayed_steps_reproduce_cycles_and_trace_plot(tmp_path: Path) -> None:
    p = _problem(*SHAPE)
    r = beam_search(p, BuiltinPlanner(), SearchOptions(iterations=2, budget=12))
    sched = apply_steps(p.initial(), r.best.steps, p.space.ctx)
    assert sched == r.best.schedule
    assert p.evaluate(sched).cost == r.best.cost
    write_trace(r, tmp_path / "t.json")
    write_plot([r], tmp_path / "p.png")
    trace = json.loads((tmp_path / "t.json").read_text())
    assert len(trace["candidates"]) == len(r.candidates)
    assert trace["best"]["cost"] == r.best.cost
    assert {"steps", "status", "metrics", "accepted"} <= set(trace["candidates"][1])
    assert (tmp_path / "p.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_compile_search_then_replay_same_cycles(tmp_path: Path) -> None:
    from liftcomp.targets.cli import compile_file

    src = tmp_path / "mm.mlir"
    src.write_text(matmul_text(*SHAPE))
    rep = compile_file(src, tmp_path / "s", check_c=True,
                       search={"search": "beam", "budget": 10, "planner": "builtin", "show_progress": False})
    k = rep["kernels"][0]
    assert k["correct"] is True and k["c_correct"] is True
    assert k["steps"] and k["cycles"] < k["baseline_cycles"]
    assert (tmp_path / "s" / "search.png").is_file() and (tmp_path / "s" / "search-matmul.json").is_file()
    rep2 = compile_file(src, tmp_path / "r", search={"schedule_file": tmp_path / "s" / "report.json"})
    k2 = rep2["kernels"][0]
    assert k2["cycles"] == k["cycles"] and k2["steps"] == k["steps"] and k2["correct"] is True
    assert k2["baseline_cycles"] == k["baseline_cycles"]
    # The loop_ws reference is the library's tiles compiled in gemmini.h's own form.
    ws = compile_file(src, tmp_path / "w", options={"form": "loop_ws"})["kernels"][0]
    assert k["baseline_loop_ws_cycles"] == ws["cycles"]
    assert k["speedup_vs_loop_ws"] == round(ws["cycles"] / k["cycles"], 4)


def test_bad_schedule_file_is_a_clear_error(tmp_path: Path) -> None:
    from liftcomp.diagnostics import LiftcompError
    from liftcomp.targets.cli import compile_file

    src = tmp_path / "mm.mlir"
    src.write_text(matmul_text(*SHAPE))
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"kernels": [{"name": "matmul", "steps": [{"rewrite": "tile", "params": {"i": 999}}]}]}))
    with pytest.raises(LiftcompError, match="does not apply"):
        compile_file(src, tmp_path / "o", search={"schedule_file": bad})
    assert not (tmp_path / "o").exists()
