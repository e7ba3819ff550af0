// Strided downsample: b[i] = a[2*i] (a holds 2n elements), index computed with arith.muli.
func.func @downsample2_i32(%a: memref<?xi32>, %b: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %n = memref.dim %b, %c0 : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %j = arith.muli %i, %c2 : index
    %x = memref.load %a[%j] : memref<?xi32>
    memref.store %x, %b[%i] : memref<?xi32>
  }
  return
}
