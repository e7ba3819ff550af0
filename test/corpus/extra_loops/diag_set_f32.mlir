// Correlation's diagonal and its superdiagonal as their own regions: corr[i][i] = 1 (a loop
// variable used twice in one index), corr[i][i+1] = 0.5.
func.func @diag_set_f32(%corr: memref<5x5xf32>) {
  %one = arith.constant 1.0 : f32
  %half = arith.constant 0.5 : f32
  affine.for %i = 0 to 5 {
    affine.store %one, %corr[%i, %i] : memref<5x5xf32>
  }
  affine.for %i = 0 to 4 {
    affine.store %half, %corr[%i, %i + 1] : memref<5x5xf32>
  }
  return
}
