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
    assert report["schema"] == 2 and report["tool"].startswith("liftcomp ") and report["target"] == target
    (k,) = report["kernels"]
    assert k["proof"] is None
    assert any(r.startswith("kept on the host: not raised (loop-carried dependence") for r in k["remarks"]), k["remarks"]
    fallbacks = [line for line in out.splitlines() if "host fallback:" in line]
    assert len(fallbacks) == 1 and "not raised (loop-carried dependence" in fallbacks[0], out


RMSNORM_ROWS = Path(__file__).resolve().parents[1] / "corpus" / "nki" / "rmsnorm_rows.mlir"


def test_compile_raises_under_its_float_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """`compile --float-model` is the raising's (as `liftcomp lift`'s): without flags the row
    sums keep the loop's order, so only each row's body is raised (its IEEE whole-function proof
    is beyond the prover's float budget); under `fast` the whole kernel is raised and lowered."""
    src = tmp_path / "rmsnorm_ieee.mlir"
    src.write_text(RMSNORM_ROWS.read_text().replace(" fastmath<fast>", ""))
    assert "fastmath" not in src.read_text()
    for model, on_host in (("ieee", True), ("fast", False)):
        out = tmp_path / model
        assert main(["compile", str(src), "--target", "nki", "--float-model", model, "-o", str(out)]) == 0
        capsys.readouterr()
        report = json.loads((out / "report.json").read_text())
        (k,) = report["kernels"]
        assert report["raising"]["float-model"] == model and k["proof"] == "proved", report
        assert k["floats"] is not None and k["floats"].startswith(f"{model}:"), k["floats"]
        assert any("loops left by the raising" in r for r in k["remarks"]) == on_host, k["remarks"]
