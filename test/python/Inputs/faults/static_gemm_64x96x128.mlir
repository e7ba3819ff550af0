// A static affine GEMM (64x96x128): as cheap to lift as the same GEMM with dynamic sizes.
func.func @gemm_static(%A: memref<64x128xf32>, %B: memref<128x96xf32>, %C: memref<64x96xf32>) {
  affine.for %i = 0 to 64 {
    affine.for %j = 0 to 96 {
      affine.for %k = 0 to 128 {
        %a = affine.load %A[%i, %k] : memref<64x128xf32>
        %b = affine.load %B[%k, %j] : memref<128x96xf32>
        %c = affine.load %C[%i, %j] : memref<64x96xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        affine.store %s, %C[%i, %j] : memref<64x96xf32>
      }
    }
  }
  return
}
