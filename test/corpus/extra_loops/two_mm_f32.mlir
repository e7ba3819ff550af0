// Polybench 2MM: tmp = alpha A B, then D *= beta; D += tmp C (sequential statements on D).
func.func @two_mm_f32(%A: memref<3x4xf32>, %B: memref<4x5xf32>, %C: memref<5x2xf32>, %D: memref<3x2xf32>, %tmp: memref<3x5xf32>, %alpha: f32, %beta: f32) {
  %z = arith.constant 0.0 : f32
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 5 {
      affine.store %z, %tmp[%i, %j] : memref<3x5xf32>
      affine.for %k = 0 to 4 {
        %a = affine.load %A[%i, %k] : memref<3x4xf32>
        %aa = arith.mulf %alpha, %a : f32
        %b = affine.load %B[%k, %j] : memref<4x5xf32>
        %p = arith.mulf %aa, %b : f32
        %t = affine.load %tmp[%i, %j] : memref<3x5xf32>
        %s = arith.addf %t, %p fastmath<reassoc> : f32
        affine.store %s, %tmp[%i, %j] : memref<3x5xf32>
      }
    }
  }
  affine.for %i = 0 to 3 {
    affine.for %j = 0 to 2 {
      %d = affine.load %D[%i, %j] : memref<3x2xf32>
      %db = arith.mulf %d, %beta : f32
      affine.store %db, %D[%i, %j] : memref<3x2xf32>
      affine.for %k = 0 to 5 {
        %t = affine.load %tmp[%i, %k] : memref<3x5xf32>
        %c = affine.load %C[%k, %j] : memref<5x2xf32>
        %p = arith.mulf %t, %c : f32
        %d2 = affine.load %D[%i, %j] : memref<3x2xf32>
        %s = arith.addf %d2, %p fastmath<reassoc> : f32
        affine.store %s, %D[%i, %j] : memref<3x2xf32>
      }
    }
  }
  return
}
