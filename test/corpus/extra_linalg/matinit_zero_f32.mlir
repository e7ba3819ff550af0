// Matrix initialisation: every element of a static matrix set to 0.
func.func @matinit_zero_f32(%A: memref<7x9xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 7 {
    affine.for %j = 0 to 9 {
      affine.store %zero, %A[%i, %j] : memref<7x9xf32>
    }
  }
  return
}
