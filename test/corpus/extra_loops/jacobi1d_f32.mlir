// Polybench JACOBI-1D: a time loop around two sweeps that ping-pong between A and B.
func.func @jacobi1d_f32(%A: memref<?xf32>, %B: memref<?xf32>, %tsteps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %A, %c0 : memref<?xf32>
  %nm1 = arith.subi %n, %c1 : index
  %third = arith.constant 0.333333 : f32
  scf.for %t = %c0 to %tsteps step %c1 {
    scf.for %i = %c1 to %nm1 step %c1 {
      %im = arith.subi %i, %c1 : index
      %ip = arith.addi %i, %c1 : index
      %a0 = memref.load %A[%im] : memref<?xf32>
      %a1 = memref.load %A[%i] : memref<?xf32>
      %a2 = memref.load %A[%ip] : memref<?xf32>
      %s0 = arith.addf %a0, %a1 : f32
      %s1 = arith.addf %s0, %a2 : f32
      %v = arith.mulf %third, %s1 : f32
      memref.store %v, %B[%i] : memref<?xf32>
    }
    scf.for %i = %c1 to %nm1 step %c1 {
      %im = arith.subi %i, %c1 : index
      %ip = arith.addi %i, %c1 : index
      %a0 = memref.load %B[%im] : memref<?xf32>
      %a1 = memref.load %B[%i] : memref<?xf32>
      %a2 = memref.load %B[%ip] : memref<?xf32>
      %s0 = arith.addf %a0, %a1 : f32
      %s1 = arith.addf %s0, %a2 : f32
      %v = arith.mulf %third, %s1 : f32
      memref.store %v, %A[%i] : memref<?xf32>
    }
  }
  return
}
