// BLAS-style C = alpha * (A B) + beta * C: a 3-deep nest whose k-sum is scaled in an epilogue.
func.func @gemm_alpha_beta_f32(%A: memref<?x?xf32>, %B: memref<?x?xf32>, %C: memref<?x?xf32>, %alpha: f32, %beta: f32, %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %sum = scf.for %l = %c0 to %k step %c1 iter_args(%acc = %zero) -> (f32) {
        %a = memref.load %A[%i, %l] : memref<?x?xf32>
        %b = memref.load %B[%l, %j] : memref<?x?xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %acc, %p : f32
        scf.yield %s : f32
      }
      %c = memref.load %C[%i, %j] : memref<?x?xf32>
      %as = arith.mulf %alpha, %sum : f32
      %bc = arith.mulf %beta, %c : f32
      %r = arith.addf %as, %bc : f32
      memref.store %r, %C[%i, %j] : memref<?x?xf32>
    }
  }
  return
}
