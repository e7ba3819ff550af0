// Out-of-place transpose: B[j][i] = A[i][j] (dynamic).
func.func @transpose_copy_f32(%A: memref<?x?xf32>, %B: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.dim %A, %c0 : memref<?x?xf32>
  %n = memref.dim %A, %c1 : memref<?x?xf32>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %a = memref.load %A[%i, %j] : memref<?x?xf32>
      memref.store %a, %B[%j, %i] : memref<?x?xf32>
    }
  }
  return
}
