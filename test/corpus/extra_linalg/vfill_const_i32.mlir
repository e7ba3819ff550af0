// Vector fill with a constant (i32, length from memref.dim).
func.func @vfill_const_i32(%v: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %seven = arith.constant 7 : i32
  %n = memref.dim %v, %c0 : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    memref.store %seven, %v[%i] : memref<?xi32>
  }
  return
}
