// mathfu vector *= scalar on 16-bit ints: a[i] *= s, in place (wrapping).
func.func @muleq_sca(%a: memref<?xi16>, %s: i16, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi16>
    %p = arith.muli %x, %s : i16
    memref.store %p, %a[%i] : memref<?xi16>
  }
  return
}
