"""`liftcomp compile` says why a function runs as host code on every target, including loops the
raising left (issue 14 part 4: the summary showed "0.0% ... correct" with no reason)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from liftcomp.cli import main

AXPY = next((Path(__file__).resolve().parents[1] / "corpus").rglob("axpy_cpu.mlir"))


@pytest.mark.parametrize("target", ["gemmini", "nki", "cuda"])
def test_unraised_function_reports_why_it_stays_on_the_host(tmp_path: Path, target: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["compile", str(AXPY), "--target", target, "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    assert report["schema"] == 1 and report["tool"].startswith("liftcomp ") and report["target"] == target
    (k,) = report["kernels"]
    assert k["proof"] is None
    assert any(r.startswith("kept on the host: not raised (loop-carried dependence") for r in k["remarks"]), k["remarks"]
    fallbacks = [line for line in out.splitlines() if "host fallback:" in line]
    assert len(fallbacks) == 1 and "not raised (loop-carried dependence" in fallbacks[0], out
