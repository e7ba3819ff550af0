// Polybench MVT: x1 += A y1 and x2 += A^T y2, two nests accumulating into their outputs.
func.func @mvt_f32(%A: memref<4x4xf32>, %x1: memref<4xf32>, %x2: memref<4xf32>, %y1: memref<4xf32>, %y2: memref<4xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 4 {
      %a = affine.load %A[%i, %j] : memref<4x4xf32>
      %b = affine.load %y1[%j] : memref<4xf32>
      %p = arith.mulf %a, %b : f32
      %v = affine.load %x1[%i] : memref<4xf32>
      %s = arith.addf %v, %p fastmath<reassoc> : f32
      affine.store %s, %x1[%i] : memref<4xf32>
    }
  }
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 4 {
      %a = affine.load %A[%j, %i] : memref<4x4xf32>
      %b = affine.load %y2[%j] : memref<4xf32>
      %p = arith.mulf %a, %b : f32
      %v = affine.load %x2[%i] : memref<4xf32>
      %s = arith.addf %v, %p fastmath<reassoc> : f32
      affine.store %s, %x2[%i] : memref<4xf32>
    }
  }
  return
}
