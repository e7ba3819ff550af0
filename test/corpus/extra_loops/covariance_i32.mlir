// Covariance-style upper triangle with its mirror: cov[i][j] = sum_k d[k][i] d[k][j] for j >= i,
// and cov[j][i] = cov[i][j] (the row loop stays a loop around its raised body).
func.func @covariance_i32(%d: memref<5x4xi32>, %cov: memref<4x4xi32>) {
  %z = arith.constant 0 : i32
  affine.for %i = 0 to 4 {
    affine.for %j = affine_map<(d0) -> (d0)>(%i) to 4 {
      %s = affine.for %k = 0 to 5 iter_args(%acc = %z) -> (i32) {
        %a = affine.load %d[%k, %i] : memref<5x4xi32>
        %b = affine.load %d[%k, %j] : memref<5x4xi32>
        %p = arith.muli %a, %b : i32
        %n = arith.addi %acc, %p : i32
        affine.yield %n : i32
      }
      affine.store %s, %cov[%i, %j] : memref<4x4xi32>
      affine.store %s, %cov[%j, %i] : memref<4x4xi32>
    }
  }
  return
}
