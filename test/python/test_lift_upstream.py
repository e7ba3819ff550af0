"""Raised IR is always lowerable by upstream's ordinary pipeline, and `--jit-check` runs it
(issue 10). The corpus-wide native comparison is test_to_linalg_corpus.py's."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from liftcomp.interop.upstream_jit import bindings_available

INPUTS = Path(__file__).parent / "Inputs"
LIFTCOMP = str(Path(sys.executable).parent / "liftcomp")


@pytest.mark.skipif(not bindings_available(), reason="optional extra 'mlir' not installed")
def test_jit_check_runs_the_kernels_that_crashed_it(tmp_path: Path) -> None:
    out = tmp_path / "raised.mlir"
    run = subprocess.run([LIFTCOMP, "lift", str(INPUTS / "upstream_lowerable.mlir"), "--jit-check", "--jit-scale", "2", "-q", "-o", str(out)],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    for name in ("flat2d", "bmm", "st2d", "acc"):
        assert f"jit-check @{name}: equal on native runs" in run.stderr, run.stderr
    text = out.read_text()
    assert "scf.for" not in text and "linalg" in text
    # mlir-opt-22's expand-strided-metadata (which aborted on the flat read) lowers the whole module.
    pipeline = ("builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, "
                "func.func(convert-linalg-to-loops), expand-strided-metadata, lower-affine, convert-scf-to-cf, "
                "finalize-memref-to-llvm, convert-arith-to-llvm, convert-func-to-llvm, reconcile-unrealized-casts)")
    lowered = subprocess.run(["mlir-opt-22", f"--pass-pipeline={pipeline}", str(out)], capture_output=True, text=True, timeout=300)
    assert lowered.returncode == 0, lowered.stderr
    assert "affine." not in lowered.stdout and "memref.expand_shape" not in lowered.stdout


def test_a_check_that_cannot_run_keeps_the_output(tmp_path: Path) -> None:
    """--jit-check that cannot run a function (mlir-runner-22's generated main builds no i1
    memrefs) says so and still writes -o; the lift itself succeeded. An f16 scalar, which the
    bindings' JIT worker cannot pass, is compared by mlir-runner-22 (only not timed)."""
    src = tmp_path / "k.mlir"
    src.write_text(
        "func.func @scale16(%x: memref<?xf16>, %s: f16, %n: index) {\n"
        "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n"
        "  scf.for %i = %c0 to %n step %c1 {\n    %v = memref.load %x[%i] : memref<?xf16>\n"
        "    %p = arith.mulf %v, %s : f16\n    memref.store %p, %x[%i] : memref<?xf16>\n  }\n  return\n}\n"
        "func.func @positive(%x: memref<?xf32>, %m: memref<?xi1>, %n: index) {\n"
        "  %c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n  %z = arith.constant 0.0 : f32\n"
        "  scf.for %i = %c0 to %n step %c1 {\n    %v = memref.load %x[%i] : memref<?xf32>\n"
        "    %p = arith.cmpf ogt, %v, %z : f32\n    memref.store %p, %m[%i] : memref<?xi1>\n  }\n  return\n}\n"
    )
    out = tmp_path / "raised.mlir"
    run = subprocess.run([LIFTCOMP, "lift", str(src), "--jit-check", "-q", "-o", str(out)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr
    assert "jit-check @scale16: equal on native runs (mlir-runner-22)" in run.stderr, run.stderr
    assert "jit-check @positive: not run:" in run.stderr and "i1" in run.stderr, run.stderr
    assert out.read_text().count("linalg") >= 2 and "Traceback" not in run.stderr
