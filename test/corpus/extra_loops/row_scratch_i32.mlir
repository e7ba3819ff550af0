// A scratch row reused by every row of the output: tmp = 2 A[i]; B[i] = tmp + 1 (tmp private to i).
func.func @row_scratch_i32(%A: memref<4x6xi32>, %B: memref<4x6xi32>, %tmp: memref<6xi32>) {
  %c2 = arith.constant 2 : i32
  %c1 = arith.constant 1 : i32
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 6 {
      %a = affine.load %A[%i, %j] : memref<4x6xi32>
      %t = arith.muli %a, %c2 : i32
      affine.store %t, %tmp[%j] : memref<6xi32>
    }
    affine.for %j = 0 to 6 {
      %t = affine.load %tmp[%j] : memref<6xi32>
      %u = arith.addi %t, %c1 : i32
      affine.store %u, %B[%i, %j] : memref<4x6xi32>
    }
  }
  return
}
