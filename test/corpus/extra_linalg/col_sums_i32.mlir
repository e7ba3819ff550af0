// Column sums (matrix2 style) of an i32 matrix, wrapping: c zeroed, then c[j] += A[i][j] with i outer.
func.func @col_sums_i32(%A: memref<6x5xi32>, %c: memref<5xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0 : i32
  scf.for %j = %c0 to %c5 step %c1 {
    memref.store %zero, %c[%j] : memref<5xi32>
  }
  scf.for %i = %c0 to %c6 step %c1 {
    scf.for %j = %c0 to %c5 step %c1 {
      %a = memref.load %A[%i, %j] : memref<6x5xi32>
      %v = memref.load %c[%j] : memref<5xi32>
      %s = arith.addi %v, %a : i32
      memref.store %s, %c[%j] : memref<5xi32>
    }
  }
  return
}
