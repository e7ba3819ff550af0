// dsp vmul: c[i] = a[i] * b[i] on 16-bit ints (wrapping).
func.func @vmul(%a: memref<?xi16>, %b: memref<?xi16>, %c: memref<?xi16>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xi16>
    %y = affine.load %b[%i] : memref<?xi16>
    %p = arith.muli %x, %y : i16
    affine.store %p, %c[%i] : memref<?xi16>
  }
  return
}
