// Polybench GEMM loop order: scale a row of C by beta, then accumulate with the reduction loop k
// outside the column loop j (C = alpha A B + beta C; the sums are reassociable: fastmath).
func.func @gemm_pb_f32(%C: memref<4x5xf32>, %A: memref<4x3xf32>, %B: memref<3x5xf32>, %alpha: f32, %beta: f32) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 5 {
      %c = affine.load %C[%i, %j] : memref<4x5xf32>
      %m = arith.mulf %c, %beta : f32
      affine.store %m, %C[%i, %j] : memref<4x5xf32>
    }
    affine.for %k = 0 to 3 {
      affine.for %j = 0 to 5 {
        %a = affine.load %A[%i, %k] : memref<4x3xf32>
        %aa = arith.mulf %alpha, %a : f32
        %b = affine.load %B[%k, %j] : memref<3x5xf32>
        %p = arith.mulf %aa, %b : f32
        %c = affine.load %C[%i, %j] : memref<4x5xf32>
        %s = arith.addf %c, %p fastmath<reassoc> : f32
        affine.store %s, %C[%i, %j] : memref<4x5xf32>
      }
    }
  }
  return
}
