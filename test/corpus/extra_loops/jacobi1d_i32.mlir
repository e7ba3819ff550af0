// A time loop of two ping-pong sweeps over int32 buffers: B = A[i-1] + A[i+1]; A = B[i-1] - B[i+1].
func.func @jacobi1d_i32(%A: memref<10xi32>, %B: memref<10xi32>) {
  affine.for %t = 0 to 3 {
    affine.for %i = 1 to 9 {
      %a0 = affine.load %A[%i - 1] : memref<10xi32>
      %a2 = affine.load %A[%i + 1] : memref<10xi32>
      %v = arith.addi %a0, %a2 : i32
      affine.store %v, %B[%i] : memref<10xi32>
    }
    affine.for %i = 1 to 9 {
      %b0 = affine.load %B[%i - 1] : memref<10xi32>
      %b2 = affine.load %B[%i + 1] : memref<10xi32>
      %v = arith.subi %b0, %b2 : i32
      affine.store %v, %A[%i] : memref<10xi32>
    }
  }
  return
}
