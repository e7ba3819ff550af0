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
