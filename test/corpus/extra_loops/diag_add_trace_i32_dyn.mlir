// A[i][i] += x[i] on the diagonal of a dynamic matrix, then the trace of the result.
func.func @diag_add_trace_i32_dyn(%A: memref<?x?xi32>, %x: memref<?xi32>) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0 : i32
  %n = memref.dim %x, %c0 : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.load %A[%i, %i] : memref<?x?xi32>
    %b = memref.load %x[%i] : memref<?xi32>
    %s = arith.addi %a, %b : i32
    memref.store %s, %A[%i, %i] : memref<?x?xi32>
  }
  %t = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %z) -> (i32) {
    %a = memref.load %A[%i, %i] : memref<?x?xi32>
    %s = arith.addi %acc, %a : i32
    scf.yield %s : i32
  }
  return %t : i32
}
