"""Candidate evaluation on Ray (issue 11): a local Ray head on loopback gives the same search as
the local process pool for the same seed."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir  # noqa: E402
from liftcomp.search.beam import SearchOptions  # noqa: E402
from liftcomp.search.driver import make_planner, run_search  # noqa: E402
from liftcomp.search.problem import Problem  # noqa: E402

ray = pytest.importorskip("ray", reason="Ray is the 'ray' extra (tools/setup.sh installs it)")


def _search(executor: str) -> list[tuple[object, ...]]:
    (fn,) = parse_mlir(matmul_text(96, 64, 80)).ops
    problem = Problem.for_function("gemmini", fn, workers=2, executor=executor)  # type: ignore[arg-type]
    r = run_search(problem, SearchOptions(budget=7, seed=3, iterations=2), make_planner(problem, "builtin"))
    return [(c.id, c.parent, [str(s) for s in c.steps], c.cost, c.status) for c in r.candidates]


def test_ray_cluster_gives_the_local_pool_result() -> None:
    ray.init(_node_ip_address="127.0.0.1", num_cpus=2, include_dashboard=False, log_to_driver=False,
             configure_logging=False)
    try:
        on_ray = _search("ray")
    finally:
        ray.shutdown()
    local = _search("local")
    assert on_ray == local
    assert len([c for c in local if c[3]]) >= 5 and any(c[4] == "accepted" and c[2] for c in local)
