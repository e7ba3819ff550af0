// C = A^T B^T (f32), static shapes: A is k x m, B is n x k. The accumulation nest is in i-k-j order.
func.func @gemm_tt_f32(%A: memref<6x4xf32>, %B: memref<5x6xf32>, %C: memref<4x5xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c5 step %c1 {
      memref.store %zero, %C[%i, %j] : memref<4x5xf32>
    }
  }
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %k = %c0 to %c6 step %c1 {
      %a = memref.load %A[%k, %i] : memref<6x4xf32>
      scf.for %j = %c0 to %c5 step %c1 {
        %b = memref.load %B[%j, %k] : memref<5x6xf32>
        %c = memref.load %C[%i, %j] : memref<4x5xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %c, %p : f32
        memref.store %s, %C[%i, %j] : memref<4x5xf32>
      }
    }
  }
  return
}
