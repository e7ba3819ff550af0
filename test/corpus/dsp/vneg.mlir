// dsp vneg: b[i] = -a[i] on ints, written as 0 - a[i] (INT_MIN stays INT_MIN).
func.func @vneg(%a: memref<?xi32>, %b: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %r = arith.subi %zero, %x : i32
    memref.store %r, %b[%i] : memref<?xi32>
  }
  return
}
