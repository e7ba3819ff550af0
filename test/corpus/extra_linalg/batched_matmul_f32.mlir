// Batched matmul C[b] = A[b] B[b] (f32): a 4-deep nest, C zeroed inside the nest before the k loop.
func.func @batched_matmul_f32(%A: memref<3x4x5xf32>, %B: memref<3x5x4xf32>, %C: memref<3x4x4xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %b = 0 to 3 {
    affine.for %i = 0 to 4 {
      affine.for %j = 0 to 4 {
        affine.store %zero, %C[%b, %i, %j] : memref<3x4x4xf32>
        affine.for %k = 0 to 5 {
          %x = affine.load %A[%b, %i, %k] : memref<3x4x5xf32>
          %y = affine.load %B[%b, %k, %j] : memref<3x5x4xf32>
          %c = affine.load %C[%b, %i, %j] : memref<3x4x4xf32>
          %p = arith.mulf %x, %y : f32
          %s = arith.addf %c, %p : f32
          affine.store %s, %C[%b, %i, %j] : memref<3x4x4xf32>
        }
      }
    }
  }
  return
}
