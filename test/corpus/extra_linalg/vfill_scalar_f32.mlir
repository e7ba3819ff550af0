// Vector fill with a scalar argument: v[i] = s for i < n.
func.func @vfill_scalar_f32(%v: memref<?xf32>, %s: f32, %n: index) {
  affine.for %i = 0 to %n {
    affine.store %s, %v[%i] : memref<?xf32>
  }
  return
}
