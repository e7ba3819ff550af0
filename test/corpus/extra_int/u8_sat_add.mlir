// Saturating add of two u8 pixels: wrap-around is detected by an unsigned compare and replaced by 255.
func.func @u8_sat_add(%a: memref<?xi8>, %b: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %max = arith.constant 255 : i8
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi8>
    %y = memref.load %b[%i] : memref<?xi8>
    %s = arith.addi %x, %y : i8
    %ovf = arith.cmpi ult, %s, %x : i8
    %r = arith.select %ovf, %max, %s : i8
    memref.store %r, %out[%i] : memref<?xi8>
  }
  return
}
