"""Adding a target is one folder plus one registry line (issue 11): the test-only vector unit in
toy_target/ is registered at run time, with no edit to any shared file, and then compiles,
searches, records, replays and emits through the same commands as Gemmini."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from liftcomp.cli import main  # noqa: E402
from liftcomp.targets import get_target, register_target, target_names  # noqa: E402

N = 1000
VADD = f"""func.func @vadd(%A: memref<{N}xi32>, %B: memref<{N}xi32>, %C: memref<{N}xi32>) {{
  %a = bufferization.to_tensor %A restrict : memref<{N}xi32> to tensor<{N}xi32>
  %b = bufferization.to_tensor %B restrict : memref<{N}xi32> to tensor<{N}xi32>
  %e = tensor.empty() : tensor<{N}xi32>
  %r = linalg.generic {{indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                        iterator_types = ["parallel"]}}
      ins(%a, %b : tensor<{N}xi32>, tensor<{N}xi32>) outs(%e : tensor<{N}xi32>) {{
  ^bb0(%x: i32, %y: i32, %o: i32):
    %s = arith.addi %x, %y : i32
    linalg.yield %s : i32
  }} -> tensor<{N}xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{N}xi32>, memref<{N}xi32>) -> ()
  return
}}
"""


@pytest.fixture(autouse=True)
def toy() -> None:
    register_target("toy", "toy_target.target:ToyTarget")


def _kernel(out: Path) -> dict[str, Any]:
    (k,) = json.loads((out / "report.json").read_text())["kernels"]
    return k


def test_toy_target_compiles_searches_records_replays_and_emits(tmp_path: Path) -> None:
    assert "toy" in target_names() and get_target("toy").name == "toy"
    src = tmp_path / "vadd.mlir"
    src.write_text(VADD)
    # Compile with the default schedule: one lane.
    assert main(["compile", str(src), "--target", "toy", "-o", str(tmp_path / "lib")]) == 0
    lib = _kernel(tmp_path / "lib")
    assert lib["correct"] is True and lib["cycles"] == N + N * 3
    assert "vadd.1 v0" in (tmp_path / "lib" / "kernels.s").read_text()
    # Search (the generic model planner: the toy brings no planner), recording every measurement.
    db = tmp_path / "toy.jsonl"
    assert main(["compile", str(src), "--target", "toy", "-o", str(tmp_path / "s"), "--search", "beam",
                 "--budget", "12", "--database", str(db), "--workers", "1"]) == 0
    best = _kernel(tmp_path / "s")
    assert best["correct"] is True and best["cycles"] == -(-N // 16) + -(-N // (16 * 8)) * 3
    assert best["speedup"] > 10 and {s["rewrite"] for s in best["steps"]} == {"lanes", "unroll"}
    records = [json.loads(line) for line in db.read_text().splitlines()]
    assert len(records) == best["search"]["evaluated"] and {r["key"]["target"] for r in records} == {"toy"}
    assert {r["inputs"]["seed"] for r in records} == {0}
    assert "vadd.16 v7" in (tmp_path / "s" / "kernels.s").read_text()
    # --resume reuses measurements taken on the same inputs only (correctness was judged on them).
    for seed, reused in (("0", best["search"]["evaluated"]), ("1", 0)):
        assert main(["compile", str(src), "--target", "toy", "-o", str(tmp_path / f"re{seed}"), "--search", "beam",
                     "--budget", "12", "--database", str(db), "--resume", "--seed", seed, "--workers", "1"]) == 0
        assert _kernel(tmp_path / f"re{seed}")["search"]["reused"] == reused
    # Replay from the records; another configuration never uses them.
    assert main(["compile", str(src), "--target", "toy", "-o", str(tmp_path / "r"), "--database", str(db)]) == 0
    assert (_kernel(tmp_path / "r")["cycles"], _kernel(tmp_path / "r")["schedule_source"]) == (best["cycles"], "database")
    assert main(["compile", str(src), "--target", "toy", "--config", "narrow", "-o", str(tmp_path / "n"),
                 "--database", str(db)]) == 0
    assert _kernel(tmp_path / "n")["cycles"] == lib["cycles"]
    # Its emitter is an xDSL emission target too, through the registry.
    from liftcomp.universe import liftcomp_emitters

    assert liftcomp_emitters()["toy-asm"]().name == "toy-asm"


def test_unknown_target_lists_the_registered_ones(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["compile", "x.mlir", "--target", "nki9", "-o", str(tmp_path)])
    assert "gemmini" in capsys.readouterr().err and "toy" in target_names()


def test_a_non_deterministic_evaluator_is_repeated_and_its_median_kept() -> None:
    from dataclasses import dataclass

    from liftcomp.interop.mlir_tool import parse_mlir
    from liftcomp.search.measure import Measurement
    from liftcomp.search.problem import Problem
    from toy_target.target import ToyConfig, ToyEvaluator

    @dataclass
    class Board(ToyEvaluator):
        """Hardware-like: each run's time is off by a different amount."""

        deterministic: bool = False
        repeats: int = 5
        runs: int = 0

        def run(self, module: Any, func_name: str, args: list[Any]) -> Measurement:
            m = super().run(module, func_name, args)
            self.runs += 1
            m.cost += (7, -3, 0, 40, 1)[(self.runs - 1) % 5]
            return m

    (fn,) = parse_mlir(VADD).ops
    problem = Problem.for_function("toy", fn, workers=1)  # type: ignore[arg-type]
    board = Board(ToyConfig())
    problem.evaluator = board
    m = problem.evaluate(problem.initial())
    assert (m.repeats, board.runs, m.correct) == (5, 5, True)
    assert m.cost == N + N * 3 + 1  # the median of +7, -3, 0, +40, +1
