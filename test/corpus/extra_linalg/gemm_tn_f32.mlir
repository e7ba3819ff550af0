// C = A^T B (f32), static shapes: A is k x m, B is k x n; init loop, then accumulation in memory.
func.func @gemm_tn_f32(%A: memref<4x5xf32>, %B: memref<4x6xf32>, %C: memref<5x6xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 5 {
    affine.for %j = 0 to 6 {
      affine.store %zero, %C[%i, %j] : memref<5x6xf32>
    }
  }
  affine.for %i = 0 to 5 {
    affine.for %j = 0 to 6 {
      affine.for %k = 0 to 4 {
        %a = affine.load %A[%k, %i] : memref<4x5xf32>
        %b = affine.load %B[%k, %j] : memref<4x6xf32>
        %c = affine.load %C[%i, %j] : memref<5x6xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        affine.store %s, %C[%i, %j] : memref<5x6xf32>
      }
    }
  }
  return
}
