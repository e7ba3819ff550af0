// mathfu vector *= vector: a[i] *= b[i], in place.
func.func @muleq(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xf32>
    %y = affine.load %b[%i] : memref<?xf32>
    %p = arith.mulf %x, %y : f32
    affine.store %p, %a[%i] : memref<?xf32>
  }
  return
}
