// DSPstone n_real_updates: D[i] = C[i] + A[i] * B[i] for i < N (a C int).
func.func @n_real_updates(%N: i32, %A: memref<?xi32>, %B: memref<?xi32>, %C: memref<?xi32>, %D: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %ub = arith.index_cast %N : i32 to index
  scf.for %i = %c0 to %ub step %c1 {
    %a = memref.load %A[%i] : memref<?xi32>
    %b = memref.load %B[%i] : memref<?xi32>
    %c = memref.load %C[%i] : memref<?xi32>
    %p = arith.muli %a, %b : i32
    %s = arith.addi %c, %p : i32
    memref.store %s, %D[%i] : memref<?xi32>
  }
  return
}
