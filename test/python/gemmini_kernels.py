"""Hand-written tensor-level inputs (the form `liftcomp-raise` produces) for the Gemmini tests."""

from __future__ import annotations


def matmul_text(m: int, k: int, n: int, accumulate: bool = False, name: str = "matmul") -> str:
    if accumulate:
        init = f"%f = bufferization.to_tensor %C restrict : memref<{m}x{n}xi32> to tensor<{m}x{n}xi32>"
    else:
        init = (
            "%z = arith.constant 0 : i32\n"
            f"  %e = tensor.empty() : tensor<{m}x{n}xi32>\n"
            f"  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>"
        )
    return f"""func.func @{name}(%A: memref<{m}x{k}xi8>, %B: memref<{k}x{n}xi8>, %C: memref<{m}x{n}xi32>) {{
  %a = bufferization.to_tensor %A restrict : memref<{m}x{k}xi8> to tensor<{m}x{k}xi8>
  %b = bufferization.to_tensor %B restrict : memref<{k}x{n}xi8> to tensor<{k}x{n}xi8>
  {init}
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%f : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{m}x{n}xi32>, memref<{m}x{n}xi32>) -> ()
  return
}}
"""


def generic_matmul_text(m: int, k: int, n: int) -> str:
    """The same contraction as a linalg.generic with loops ordered i, k, j (reduction in the middle)."""
    return f"""func.func @gmm(%A: memref<{m}x{k}xi8>, %B: memref<{k}x{n}xi8>, %C: memref<{m}x{n}xi32>) {{
  %a = bufferization.to_tensor %A restrict : memref<{m}x{k}xi8> to tensor<{m}x{k}xi8>
  %b = bufferization.to_tensor %B restrict : memref<{k}x{n}xi8> to tensor<{k}x{n}xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{m}x{n}xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %r = linalg.generic {{indexing_maps = [affine_map<(i, k, j) -> (i, k)>, affine_map<(i, k, j) -> (k, j)>, affine_map<(i, k, j) -> (i, j)>], iterator_types = ["parallel", "reduction", "parallel"]}} ins(%a, %b : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%f : tensor<{m}x{n}xi32>) {{
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pw = arith.extsi %p : i8 to i32
    %qw = arith.extsi %q : i8 to i32
    %mul = arith.muli %qw, %pw : i32
    %s = arith.addi %mul, %acc : i32
    linalg.yield %s : i32
  }} -> tensor<{m}x{n}xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{m}x{n}xi32>, memref<{m}x{n}xi32>) -> ()
  return
}}
"""
