// Polybench JACOBI-2D: time steps of two 5-point sweeps, A -> B then B -> A, on a 6 x 6 grid.
func.func @jacobi2d_f32(%A: memref<6x6xf32>, %B: memref<6x6xf32>) {
  %fifth = arith.constant 0.2 : f32
  affine.for %t = 0 to 2 {
    affine.for %i = 1 to 5 {
      affine.for %j = 1 to 5 {
        %c = affine.load %A[%i, %j] : memref<6x6xf32>
        %n = affine.load %A[%i - 1, %j] : memref<6x6xf32>
        %s = affine.load %A[%i + 1, %j] : memref<6x6xf32>
        %w = affine.load %A[%i, %j - 1] : memref<6x6xf32>
        %e = affine.load %A[%i, %j + 1] : memref<6x6xf32>
        %t0 = arith.addf %c, %n : f32
        %t1 = arith.addf %t0, %s : f32
        %t2 = arith.addf %t1, %w : f32
        %t3 = arith.addf %t2, %e : f32
        %r = arith.mulf %fifth, %t3 : f32
        affine.store %r, %B[%i, %j] : memref<6x6xf32>
      }
    }
    affine.for %i = 1 to 5 {
      affine.for %j = 1 to 5 {
        %c = affine.load %B[%i, %j] : memref<6x6xf32>
        %n = affine.load %B[%i - 1, %j] : memref<6x6xf32>
        %s = affine.load %B[%i + 1, %j] : memref<6x6xf32>
        %w = affine.load %B[%i, %j - 1] : memref<6x6xf32>
        %e = affine.load %B[%i, %j + 1] : memref<6x6xf32>
        %t0 = arith.addf %c, %n : f32
        %t1 = arith.addf %t0, %s : f32
        %t2 = arith.addf %t1, %w : f32
        %t3 = arith.addf %t2, %e : f32
        %r = arith.mulf %fifth, %t3 : f32
        affine.store %r, %A[%i, %j] : memref<6x6xf32>
      }
    }
  }
  return
}
