// C = A B: a zero-fill nest, then the accumulation with k outermost (k, j, i order), dynamic sizes.
func.func @gemm_kij_init_i32_dyn(%A: memref<?x?xi32>, %B: memref<?x?xi32>, %C: memref<?x?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0 : i32
  %m = memref.dim %A, %c0 : memref<?x?xi32>
  %kk = memref.dim %A, %c1 : memref<?x?xi32>
  %n = memref.dim %B, %c1 : memref<?x?xi32>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      memref.store %z, %C[%i, %j] : memref<?x?xi32>
    }
  }
  scf.for %k = %c0 to %kk step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      scf.for %i = %c0 to %m step %c1 {
        %a = memref.load %A[%i, %k] : memref<?x?xi32>
        %b = memref.load %B[%k, %j] : memref<?x?xi32>
        %p = arith.muli %a, %b : i32
        %c = memref.load %C[%i, %j] : memref<?x?xi32>
        %s = arith.addi %c, %p : i32
        memref.store %s, %C[%i, %j] : memref<?x?xi32>
      }
    }
  }
  return
}
