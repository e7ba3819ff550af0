// Darken: the smaller of base and active, per pixel.
func.func @darken_blend_8(%base: memref<?xi8>, %active: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %b = memref.load %base[%i] : memref<?xi8>
    %a = memref.load %active[%i] : memref<?xi8>
    %gt = arith.cmpi ugt, %b, %a : i8
    %r = arith.select %gt, %a, %b : i8
    memref.store %r, %out[%i] : memref<?xi8>
  }
  return
}
