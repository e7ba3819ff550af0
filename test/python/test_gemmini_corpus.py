"""Corpus int8 kernels end to end: loop nests -> raise -> Gemmini -> simulate + emitted C (gcc)."""

from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest
from liftcomp.targets.cli import compile_file

CORPUS = Path(__file__).parents[1] / "corpus"
KERNELS = {
    "extra_linalg/gemm_i8_i32": "matmul",
    "extra_linalg/gemm_i8_i32_acc_dyn": "matmul",
    "extra_linalg/matvec_i8_i32": "matvec",
    "extra_int/i8_resadd_sat": "resadd",
    "extra_int/i8_add_wrap": "host",  # Gemmini saturates; a wrapping add stays on the host
}

pytestmark = [
    pytest.mark.skipif(importlib.util.find_spec("liftcomp.lift.liftcomp_raise") is None, reason="no raising pass"),
    pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed"),
]


@pytest.mark.parametrize("kernel", sorted(KERNELS))
def test_corpus_kernel_end_to_end(kernel: str, tmp_path: Path) -> None:
    path = CORPUS / f"{kernel}.mlir"
    if not path.is_file():
        pytest.skip(f"{kernel} not in the corpus")
    report = compile_file(path, tmp_path / "out", dyn_size=37, check_c=True)
    (k,) = report["kernels"]
    assert k["correct"] is True, k.get("reference_error")
    assert k["c_correct"] is True
    assert [s["kind"] for s in k["schedule"]] == [KERNELS[kernel]]
    assert json.loads((tmp_path / "out" / "report.json").read_text())["kernels"][0]["name"] == k["name"]
