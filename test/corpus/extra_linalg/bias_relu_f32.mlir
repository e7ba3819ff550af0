// Bias + ReLU epilogue: out[i][j] = max(A[i][j] + b[j], 0) with arith.maximumf.
func.func @bias_relu_f32(%A: memref<5x8xf32>, %b: memref<8xf32>, %out: memref<5x8xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 5 {
    affine.for %j = 0 to 8 {
      %a = affine.load %A[%i, %j] : memref<5x8xf32>
      %bj = affine.load %b[%j] : memref<8xf32>
      %s = arith.addf %a, %bj : f32
      %r = arith.maximumf %s, %zero : f32
      affine.store %r, %out[%i, %j] : memref<5x8xf32>
    }
  }
  return
}
