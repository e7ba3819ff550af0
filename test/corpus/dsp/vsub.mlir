// dsp vsub: c[i] = a[i] - b[i] on 64-bit ints (wrapping).
func.func @vsub(%a: memref<?xi64>, %b: memref<?xi64>, %c: memref<?xi64>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xi64>
    %y = affine.load %b[%i] : memref<?xi64>
    %d = arith.subi %x, %y : i64
    affine.store %d, %c[%i] : memref<?xi64>
  }
  return
}
