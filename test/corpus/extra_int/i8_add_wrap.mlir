// Element-wise int8 add with two's-complement wrap-around.
func.func @i8_add_wrap(%a: memref<?xi8>, %b: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xi8>
    %y = affine.load %b[%i] : memref<?xi8>
    %s = arith.addi %x, %y : i8
    affine.store %s, %out[%i] : memref<?xi8>
  }
  return
}
