// Polybench SYRK (lower triangle): C = alpha A A^T + beta C on j <= i, reduction loop outside j.
// The row loop stays a loop around its raised body.
func.func @syrk_lower_f32(%C: memref<5x5xf32>, %A: memref<5x3xf32>, %alpha: f32, %beta: f32) {
  affine.for %i = 0 to 5 {
    affine.for %j = 0 to affine_map<(d0) -> (d0 + 1)>(%i) {
      %c = affine.load %C[%i, %j] : memref<5x5xf32>
      %m = arith.mulf %c, %beta : f32
      affine.store %m, %C[%i, %j] : memref<5x5xf32>
    }
    affine.for %k = 0 to 3 {
      affine.for %j = 0 to affine_map<(d0) -> (d0 + 1)>(%i) {
        %a = affine.load %A[%i, %k] : memref<5x3xf32>
        %aa = arith.mulf %alpha, %a : f32
        %b = affine.load %A[%j, %k] : memref<5x3xf32>
        %p = arith.mulf %aa, %b : f32
        %c = affine.load %C[%i, %j] : memref<5x5xf32>
        %s = arith.addf %c, %p fastmath<reassoc> : f32
        affine.store %s, %C[%i, %j] : memref<5x5xf32>
      }
    }
  }
  return
}
