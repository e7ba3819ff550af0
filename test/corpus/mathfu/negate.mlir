// mathfu negate: out[i] = -a[i] on a fixed 16-element vector.
func.func @negate(%a: memref<16xf32>, %out: memref<16xf32>) {
  affine.for %i = 0 to 16 {
    %x = affine.load %a[%i] : memref<16xf32>
    %r = arith.negf %x : f32
    affine.store %r, %out[%i] : memref<16xf32>
  }
  return
}
