// GEMM in the polybench order with dynamic sizes and wrapping int32 arithmetic.
func.func @gemm_pb_i32_dyn(%C: memref<?x?xi32>, %A: memref<?x?xi32>, %B: memref<?x?xi32>, %alpha: i32, %beta: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.dim %C, %c0 : memref<?x?xi32>
  %n = memref.dim %C, %c1 : memref<?x?xi32>
  %kk = memref.dim %A, %c1 : memref<?x?xi32>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %c = memref.load %C[%i, %j] : memref<?x?xi32>
      %s = arith.muli %c, %beta : i32
      memref.store %s, %C[%i, %j] : memref<?x?xi32>
    }
    scf.for %k = %c0 to %kk step %c1 {
      scf.for %j = %c0 to %n step %c1 {
        %a = memref.load %A[%i, %k] : memref<?x?xi32>
        %aa = arith.muli %alpha, %a : i32
        %b = memref.load %B[%k, %j] : memref<?x?xi32>
        %p = arith.muli %aa, %b : i32
        %c = memref.load %C[%i, %j] : memref<?x?xi32>
        %s = arith.addi %c, %p : i32
        memref.store %s, %C[%i, %j] : memref<?x?xi32>
      }
    }
  }
  return
}
