// Polybench ATAX: y = A^T (A x); the row loop i writes tmp[i] and accumulates y with i outermost.
func.func @atax_i32(%A: memref<4x5xi32>, %x: memref<5xi32>, %y: memref<5xi32>, %tmp: memref<4xi32>) {
  %z = arith.constant 0 : i32
  affine.for %j = 0 to 5 {
    affine.store %z, %y[%j] : memref<5xi32>
  }
  affine.for %i = 0 to 4 {
    affine.store %z, %tmp[%i] : memref<4xi32>
    affine.for %j = 0 to 5 {
      %a = affine.load %A[%i, %j] : memref<4x5xi32>
      %b = affine.load %x[%j] : memref<5xi32>
      %p = arith.muli %a, %b : i32
      %t = affine.load %tmp[%i] : memref<4xi32>
      %s = arith.addi %t, %p : i32
      affine.store %s, %tmp[%i] : memref<4xi32>
    }
    affine.for %j = 0 to 5 {
      %a = affine.load %A[%i, %j] : memref<4x5xi32>
      %t = affine.load %tmp[%i] : memref<4xi32>
      %p = arith.muli %a, %t : i32
      %v = affine.load %y[%j] : memref<5xi32>
      %s = arith.addi %v, %p : i32
      affine.store %s, %y[%j] : memref<5xi32>
    }
  }
  return
}
