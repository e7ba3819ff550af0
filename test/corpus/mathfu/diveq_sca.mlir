// mathfu vector /= scalar on ints: a[i] /= s, in place, C division (truncates toward zero).
func.func @diveq_sca(%a: memref<?xi32>, %s: i32, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xi32>
    %q = arith.divsi %x, %s : i32
    affine.store %q, %a[%i] : memref<?xi32>
  }
  return
}
