"""Upstream MLIR bindings out of process (optional extra `mlir`): verify, JIT-run, compare."""

from __future__ import annotations

import numpy as np
import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.upstream_jit import bindings_available, jit_compare, jit_run, upstream_verify

pytestmark = pytest.mark.skipif(not bindings_available(), reason="optional extra 'mlir' not installed")

GEMV_LOOPS = """\
func.func @gemv(%A: memref<?x?xi32>, %x: memref<?xi32>, %y: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %m = memref.dim %A, %c0 : memref<?x?xi32>
  %n = memref.dim %A, %c1 : memref<?x?xi32>
  scf.for %i = %c0 to %m step %c1 {
    %row = scf.for %j = %c0 to %n step %c1 iter_args(%acc = %zero) -> (i32) {
      %a = memref.load %A[%i, %j] : memref<?x?xi32>
      %b = memref.load %x[%j] : memref<?xi32>
      %p = arith.muli %a, %b : i32
      %s = arith.addi %acc, %p : i32
      scf.yield %s : i32
    }
    memref.store %row, %y[%i] : memref<?xi32>
  }
  return
}
"""

# The shape liftcomp-raise emits: to_tensor of the arguments, linalg on tensors, materialize.
GEMV_LINALG = """\
func.func @gemv(%A: memref<?x?xi32>, %x: memref<?xi32>, %y: memref<?xi32>) {
  %ta = bufferization.to_tensor %A restrict : memref<?x?xi32> to tensor<?x?xi32>
  %tx = bufferization.to_tensor %x restrict : memref<?xi32> to tensor<?xi32>
  %c0 = arith.constant 0 : index
  %m = tensor.dim %ta, %c0 : tensor<?x?xi32>
  %zero = arith.constant ZERO : i32
  %e = tensor.empty(%m) : tensor<?xi32>
  %init = linalg.fill ins(%zero : i32) outs(%e : tensor<?xi32>) -> tensor<?xi32>
  %r = linalg.matvec ins(%ta, %tx : tensor<?x?xi32>, tensor<?xi32>) outs(%init : tensor<?xi32>) -> tensor<?xi32>
  bufferization.materialize_in_destination %r in restrict writable %y : (tensor<?xi32>, memref<?xi32>) -> ()
  return
}
"""

DOT = """\
func.func @dot(%x: memref<?xf32>, %y: memref<?xf32>, %n: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
    %a = memref.load %x[%i] : memref<?xf32>
    %b = memref.load %y[%i] : memref<?xf32>
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    scf.yield %s : f32
  }
  return %r : f32
}
"""


def gemv_inputs(m: int, n: int) -> list[np.ndarray]:
    rng = np.random.default_rng(7)
    a = rng.integers(np.iinfo(np.int32).min, np.iinfo(np.int32).max, size=(m, n), dtype=np.int32)
    x = rng.integers(-1000, 1000, size=n, dtype=np.int32)
    return [a, x, np.full(m, 123, dtype=np.int32)]


def test_loops_and_linalg_agree_with_each_other_and_numpy() -> None:
    args = gemv_inputs(300, 200)
    cmp = jit_compare(GEMV_LOOPS, GEMV_LINALG.replace("ZERO", "0"), "gemv", args, repeats=3)
    assert cmp.equal, cmp.mismatches
    a, x, y = args
    expected = (a.astype(np.int64) @ x.astype(np.int64)).astype(np.int32)  # i32 wrap-around
    assert np.array_equal(cmp.raised.outputs[2], expected)
    assert np.array_equal(y, np.full(300, 123, dtype=np.int32))  # the caller's arrays are untouched
    assert len(cmp.original.seconds) == 3 and cmp.speedup > 0


def test_a_wrong_program_is_caught() -> None:
    cmp = jit_compare(GEMV_LOOPS, GEMV_LINALG.replace("ZERO", "1"), "gemv", gemv_inputs(20, 10), repeats=1)
    assert cmp.mismatches == ["argument 2 differs after the call"]


def test_scalar_arguments_and_results() -> None:
    x = np.linspace(-1, 1, 50, dtype=np.float32)
    y = np.linspace(2, 3, 50, dtype=np.float32)
    run = jit_run(DOT, "dot", [x, y, 40], repeats=1)
    assert run.results[0] == pytest.approx(float(np.dot(x[:40].astype(np.float64), y[:40])), rel=1e-5)


def test_upstream_verifier() -> None:
    upstream_verify(GEMV_LINALG.replace("ZERO", "0"))
    bad = GEMV_LINALG.replace("ZERO", "0").replace(
        "outs(%init : tensor<?xi32>) -> tensor<?xi32>\n", "outs(%init : tensor<?xi32>) -> tensor<?xi64>\n"
    )
    with pytest.raises(LiftcompError, match="upstream MLIR rejects the module"):
        upstream_verify(bad)
