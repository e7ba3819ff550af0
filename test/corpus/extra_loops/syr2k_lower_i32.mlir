// Polybench SYR2K (lower triangle): C = A B^T + B A^T + beta C on j <= i (int32).
func.func @syr2k_lower_i32(%C: memref<4x4xi32>, %A: memref<4x3xi32>, %B: memref<4x3xi32>, %beta: i32) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to affine_map<(d0) -> (d0 + 1)>(%i) {
      %c = affine.load %C[%i, %j] : memref<4x4xi32>
      %m = arith.muli %c, %beta : i32
      affine.store %m, %C[%i, %j] : memref<4x4xi32>
    }
    affine.for %k = 0 to 3 {
      affine.for %j = 0 to affine_map<(d0) -> (d0 + 1)>(%i) {
        %a1 = affine.load %A[%j, %k] : memref<4x3xi32>
        %b1 = affine.load %B[%i, %k] : memref<4x3xi32>
        %a2 = affine.load %B[%j, %k] : memref<4x3xi32>
        %b2 = affine.load %A[%i, %k] : memref<4x3xi32>
        %p1 = arith.muli %a1, %b1 : i32
        %p2 = arith.muli %a2, %b2 : i32
        %p = arith.addi %p1, %p2 : i32
        %c = affine.load %C[%i, %j] : memref<4x4xi32>
        %s = arith.addi %c, %p : i32
        affine.store %s, %C[%i, %j] : memref<4x4xi32>
      }
    }
  }
  return
}
