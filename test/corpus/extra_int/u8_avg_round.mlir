// Rounded average of two u8 images, (a + b + 1) >> 1, computed in 16 bits and truncated back to 8.
func.func @u8_avg_round(%a: memref<6x7xi8>, %b: memref<6x7xi8>, %out: memref<6x7xi8>) {
  %one = arith.constant 1 : i16
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 7 {
      %x = affine.load %a[%i, %j] : memref<6x7xi8>
      %y = affine.load %b[%i, %j] : memref<6x7xi8>
      %xw = arith.extui %x : i8 to i16
      %yw = arith.extui %y : i8 to i16
      %s = arith.addi %xw, %yw : i16
      %s1 = arith.addi %s, %one : i16
      %h = arith.shrui %s1, %one : i16
      %r = arith.trunci %h : i16 to i8
      affine.store %r, %out[%i, %j] : memref<6x7xi8>
    }
  }
  return
}
