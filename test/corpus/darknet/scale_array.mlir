// darknet scale_array: a[i] *= s, in place.
func.func @scale_array(%a: memref<?xf32>, %n: index, %s: f32) {
  affine.for %i = 0 to %n {
    %v = affine.load %a[%i] : memref<?xf32>
    %r = arith.mulf %v, %s : f32
    affine.store %r, %a[%i] : memref<?xf32>
  }
  return
}
