func.func @gemm_pb(%C: memref<20x25xf32>, %A: memref<20x30xf32>, %B: memref<30x25xf32>, %alpha: f32, %beta: f32) {
  affine.for %i = 0 to 20 {
    affine.for %j = 0 to 25 {
      %c = affine.load %C[%i, %j] : memref<20x25xf32>
      %m = arith.mulf %c, %beta : f32
      affine.store %m, %C[%i, %j] : memref<20x25xf32>
    }
    affine.for %k = 0 to 30 {
      affine.for %j = 0 to 25 {
        %a = affine.load %A[%i, %k] : memref<20x30xf32>
        %aa = arith.mulf %alpha, %a : f32
        %b = affine.load %B[%k, %j] : memref<30x25xf32>
        %p = arith.mulf %aa, %b : f32
        %c = affine.load %C[%i, %j] : memref<20x25xf32>
        %s = arith.addf %c, %p : f32
        affine.store %s, %C[%i, %j] : memref<20x25xf32>
      }
    }
  }
  return
}
