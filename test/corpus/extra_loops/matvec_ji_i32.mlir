// y = A x with the reduction loop outside the output loop (column-major traversal).
func.func @matvec_ji_i32(%A: memref<5x6xi32>, %x: memref<6xi32>, %y: memref<5xi32>) {
  %z = arith.constant 0 : i32
  affine.for %i = 0 to 5 {
    affine.store %z, %y[%i] : memref<5xi32>
  }
  affine.for %j = 0 to 6 {
    affine.for %i = 0 to 5 {
      %a = affine.load %A[%i, %j] : memref<5x6xi32>
      %b = affine.load %x[%j] : memref<6xi32>
      %p = arith.muli %a, %b : i32
      %c = affine.load %y[%i] : memref<5xi32>
      %s = arith.addi %c, %p : i32
      affine.store %s, %y[%i] : memref<5xi32>
    }
  }
  return
}
