// SYRK on the lower triangle with dynamic sizes (int32, wrapping): C[i, 0..i] = beta C + alpha A A^T.
func.func @syrk_lower_i32_dyn(%C: memref<?x?xi32>, %A: memref<?x?xi32>, %alpha: i32, %beta: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %A, %c0 : memref<?x?xi32>
  %m = memref.dim %A, %c1 : memref<?x?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %ip = arith.addi %i, %c1 : index
    scf.for %j = %c0 to %ip step %c1 {
      %c = memref.load %C[%i, %j] : memref<?x?xi32>
      %s = arith.muli %c, %beta : i32
      memref.store %s, %C[%i, %j] : memref<?x?xi32>
    }
    scf.for %k = %c0 to %m step %c1 {
      scf.for %j = %c0 to %ip step %c1 {
        %a = memref.load %A[%i, %k] : memref<?x?xi32>
        %aa = arith.muli %alpha, %a : i32
        %b = memref.load %A[%j, %k] : memref<?x?xi32>
        %p = arith.muli %aa, %b : i32
        %c = memref.load %C[%i, %j] : memref<?x?xi32>
        %s = arith.addi %c, %p : i32
        memref.store %s, %C[%i, %j] : memref<?x?xi32>
      }
    }
  }
  return
}
