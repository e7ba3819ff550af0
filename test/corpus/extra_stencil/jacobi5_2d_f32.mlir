// 2-D 5-point Jacobi step on the interior of an 8 x 8 grid: B = 0.2 * (centre + four neighbours).
func.func @jacobi5_2d_f32(%A: memref<8x8xf32>, %B: memref<8x8xf32>) {
  %fifth = arith.constant 0.2 : f32
  affine.for %i = 1 to 7 {
    affine.for %j = 1 to 7 {
      %c = affine.load %A[%i, %j] : memref<8x8xf32>
      %n = affine.load %A[%i - 1, %j] : memref<8x8xf32>
      %s = affine.load %A[%i + 1, %j] : memref<8x8xf32>
      %w = affine.load %A[%i, %j - 1] : memref<8x8xf32>
      %e = affine.load %A[%i, %j + 1] : memref<8x8xf32>
      %t0 = arith.addf %c, %n : f32
      %t1 = arith.addf %t0, %s : f32
      %t2 = arith.addf %t1, %w : f32
      %t3 = arith.addf %t2, %e : f32
      %r = arith.mulf %fifth, %t3 : f32
      affine.store %r, %B[%i, %j] : memref<8x8xf32>
    }
  }
  return
}
