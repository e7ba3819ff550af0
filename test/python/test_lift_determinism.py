"""Lifting outcomes depend on counted budgets only (lift/budget.py): the same kernel lifted on an
idle machine and on a loaded single core gives the same report, timing fields aside."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

INPUT = Path(__file__).parent / "Inputs" / "lift" / "determinism.mlir"


def _lift(tmp: Path, tag: str, load: bool) -> dict[str, Any]:
    report = tmp / f"{tag}.json"
    cmd = [sys.executable, "-m", "liftcomp.cli", "lift", str(INPUT), "-o", str(tmp / f"{tag}.mlir"), "--report", str(report), "-q"]
    burners: list[subprocess.Popen[bytes]] = []
    cpu = min(os.sched_getaffinity(0))

    def pin() -> None:
        os.sched_setaffinity(0, {cpu})

    try:
        if load:
            # Two busy processes on the one core the lift runs on: it gets about a third of it.
            burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"], preexec_fn=pin) for _ in range(2)]
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=600, preexec_fn=pin if load else None)
    finally:
        for b in burners:
            b.kill()
            b.wait()
    assert p.returncode == 0, p.stderr
    return json.loads(report.read_text())


def _without_timing(x: Any) -> Any:
    if isinstance(x, dict):
        return {k: _without_timing(v) for k, v in x.items() if k != "seconds"}
    if isinstance(x, list):
        return [_without_timing(v) for v in x]
    return x


def test_report_is_the_same_under_load(tmp_path: Path) -> None:
    idle = _lift(tmp_path, "idle", load=False)
    loaded = _lift(tmp_path, "loaded", load=True)
    assert _without_timing(idle) == _without_timing(loaded)
    assert (tmp_path / "idle.mlir").read_text() == (tmp_path / "loaded.mlir").read_text()
    # The kernels cover the levels the budgets decide between.
    assert {f["name"]: f["proof"] for f in idle["functions"]} == {"gemm_pb": "proved"}
