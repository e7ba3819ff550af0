"""The numpy reference of tensor programs (liftcomp.reference): rank-reducing slices."""

from __future__ import annotations

import numpy as np
import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.reference import run_reference
from xdsl.dialects import func

# Column 0 of a (rank-reducing extract_slice to tensor<?xf32>), doubled, stored as a vector and
# inserted (rank-reducing insert_slice) into column 0 of a zero matrix.
COLUMN = """
func.func @f(%arg0: memref<4x8xf32>, %arg1: memref<?xf32>, %arg2: memref<4x8xf32>, %n: index) {
  %0 = bufferization.to_tensor %arg0 restrict : memref<4x8xf32> to tensor<4x8xf32>
  %1 = tensor.extract_slice %0[0, 0] [%n, 1] [1, 1] : tensor<4x8xf32> to tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} ins(%1 : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<?xf32>
  bufferization.materialize_in_destination %2 in restrict writable %arg1 : (tensor<?xf32>, memref<?xf32>) -> ()
  %z = tensor.empty() : tensor<4x8xf32>
  %3 = tensor.insert_slice %2 into %z[0, 0] [%n, 1] [1, 1] : tensor<?xf32> into tensor<4x8xf32>
  bufferization.materialize_in_destination %3 in restrict writable %arg2 : (tensor<4x8xf32>, memref<4x8xf32>) -> ()
  return
}
"""


def _fn() -> func.FuncOp:
    fn = parse_mlir(COLUMN, "column.mlir").body.block.first_op
    assert isinstance(fn, func.FuncOp)
    return fn


def test_rank_reducing_slices() -> None:
    a = np.arange(32, dtype=np.float32).reshape(4, 8)
    vec, mat = np.zeros(4, np.float32), np.ones((4, 8), np.float32)
    run_reference(_fn(), [a, vec, mat, 4])
    np.testing.assert_array_equal(vec, 2 * a[:, 0])
    expected = np.zeros((4, 8), np.float32)
    expected[:, 0] = 2 * a[:, 0]
    np.testing.assert_array_equal(mat, expected)
    # A window past the tensor is the reference's error (compile then falls back), not numpy's.
    with pytest.raises(LiftcompError, match="extract_slice to .* out of bounds"):
        run_reference(_fn(), [a, np.zeros(6, np.float32), mat, 6])


# maximumf / minimumf with the constant first: on a tie np.maximum returns its second operand, so
# maximumf(+0.0, -0.0) came out -0.0 in the reference and the loop interpreter (MLIR: +0.0).
TIES_LOOP = """
func.func @ties(%x: memref<?xf32>, %hi: memref<?xf32>, %lo: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  %nz = arith.constant -0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %a = arith.maximumf %z, %v : f32
    %b = arith.minimumf %nz, %v : f32
    memref.store %a, %hi[%i] : memref<?xf32>
    memref.store %b, %lo[%i] : memref<?xf32>
  }
  return
}
"""

TIES_TENSOR = """
func.func @ties(%arg0: memref<4xf32>, %arg1: memref<4xf32>, %arg2: memref<4xf32>) {
  %0 = bufferization.to_tensor %arg0 restrict : memref<4xf32> to tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %1 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} ins(%0 : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %a = arith.maximumf %z, %v : f32
    linalg.yield %a : f32
  } -> tensor<4xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]} ins(%0 : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %nz = arith.constant -0.0 : f32
    %b = arith.minimumf %nz, %v : f32
    linalg.yield %b : f32
  } -> tensor<4xf32>
  bufferization.materialize_in_destination %1 in restrict writable %arg1 : (tensor<4xf32>, memref<4xf32>) -> ()
  bufferization.materialize_in_destination %2 in restrict writable %arg2 : (tensor<4xf32>, memref<4xf32>) -> ()
  return
}
"""


def test_maximumf_and_minimumf_order_signed_zeros_like_mlir() -> None:
    from liftcomp.executor import Interpreter

    x = np.array([-0.0, 0.0, np.nan, 1.0], np.float32)
    want_hi = np.array([0.0, 0.0, np.nan, 1.0], np.float32)
    want_lo = np.array([-0.0, -0.0, np.nan, -0.0], np.float32)
    hi, lo = np.full(4, 7, np.float32), np.full(4, 7, np.float32)
    Interpreter(parse_mlir(TIES_LOOP, "ties.mlir")).call("ties", [x.copy(), hi, lo, 4])
    fn = parse_mlir(TIES_TENSOR, "ties_tensor.mlir").body.block.first_op
    assert isinstance(fn, func.FuncOp)
    hi2, lo2 = np.full(4, 7, np.float32), np.full(4, 7, np.float32)
    run_reference(fn, [x.copy(), hi2, lo2])
    for got in (hi, hi2):
        assert got.view(np.uint32)[[0, 1, 3]].tolist() == want_hi.view(np.uint32)[[0, 1, 3]].tolist() and np.isnan(got[2]), got
    for got in (lo, lo2):
        assert got.view(np.uint32)[[0, 1, 3]].tolist() == want_lo.view(np.uint32)[[0, 1, 3]].tolist() and np.isnan(got[2]), got


@pytest.mark.parametrize("op", ["divsi", "remsi", "floordivsi", "ceildivsi"])
def test_the_loop_interpreter_calls_int_min_over_minus_one_undefined(op: str) -> None:
    """LLVM's sdiv/srem of the most negative value by -1 is undefined (it traps natively): the
    reference run of the original must not give it a value (a differential test skips the input)."""
    from liftcomp.executor import ExecutionError, Interpreter

    src = f"func.func @d(%a: i32, %b: i32) -> i32 {{\n  %q = arith.{op} %a, %b : i32\n  return %q : i32\n}}\n"
    m = parse_mlir(src, "d.mlir")
    assert Interpreter(m).call("d", [-7, 2])[0] & 0xFFFFFFFF in (-3 & 0xFFFFFFFF, -4 & 0xFFFFFFFF, -1 & 0xFFFFFFFF)
    with pytest.raises(ExecutionError, match="signed overflow"):
        Interpreter(m).call("d", [-(2**31), -1])
