// Polybench DOITGEN: a scratch vector `sum` fully written, then read, in every (r, q) iteration;
// the contraction is written back into A in place.
func.func @doitgen_f32(%A: memref<2x3x4xf32>, %C4: memref<4x4xf32>, %sum: memref<4xf32>) {
  %z = arith.constant 0.0 : f32
  affine.for %r = 0 to 2 {
    affine.for %q = 0 to 3 {
      affine.for %p = 0 to 4 {
        affine.store %z, %sum[%p] : memref<4xf32>
        affine.for %s = 0 to 4 {
          %a = affine.load %A[%r, %q, %s] : memref<2x3x4xf32>
          %c = affine.load %C4[%s, %p] : memref<4x4xf32>
          %m = arith.mulf %a, %c : f32
          %t = affine.load %sum[%p] : memref<4xf32>
          %n = arith.addf %t, %m fastmath<reassoc> : f32
          affine.store %n, %sum[%p] : memref<4xf32>
        }
      }
      affine.for %p = 0 to 4 {
        %t = affine.load %sum[%p] : memref<4xf32>
        affine.store %t, %A[%r, %q, %p] : memref<2x3x4xf32>
      }
    }
  }
  return
}
