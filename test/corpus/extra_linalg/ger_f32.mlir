// BLAS ger: A += alpha * x y^T (rank-1 update, f32, dynamic).
func.func @ger_f32(%A: memref<?x?xf32>, %x: memref<?xf32>, %y: memref<?xf32>, %alpha: f32, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %m step %c1 {
    %xi = memref.load %x[%i] : memref<?xf32>
    %ax = arith.mulf %alpha, %xi : f32
    scf.for %j = %c0 to %n step %c1 {
      %yj = memref.load %y[%j] : memref<?xf32>
      %p = arith.mulf %ax, %yj : f32
      %a = memref.load %A[%i, %j] : memref<?x?xf32>
      %s = arith.addf %a, %p : f32
      memref.store %s, %A[%i, %j] : memref<?x?xf32>
    }
  }
  return
}
