// C += A B with the reduction loop outermost (k, i, j order).
func.func @gemm_kij_i32(%A: memref<3x4xi32>, %B: memref<4x5xi32>, %C: memref<3x5xi32>) {
  affine.for %k = 0 to 4 {
    affine.for %i = 0 to 3 {
      affine.for %j = 0 to 5 {
        %a = affine.load %A[%i, %k] : memref<3x4xi32>
        %b = affine.load %B[%k, %j] : memref<4x5xi32>
        %p = arith.muli %a, %b : i32
        %c = affine.load %C[%i, %j] : memref<3x5xi32>
        %s = arith.addi %c, %p : i32
        affine.store %s, %C[%i, %j] : memref<3x5xi32>
      }
    }
  }
  return
}
