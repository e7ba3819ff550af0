// y = relu(a @ b + bias): a[32, 64], b[64, 128], bias[128].
func.func @matmul_bias_relu(%a: memref<32x64xf32>, %b: memref<64x128xf32>, %bias: memref<128xf32>, %y: memref<32x128xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 32 {
    affine.for %j = 0 to 128 {
      %s = affine.for %k = 0 to 64 iter_args(%acc = %zero) -> (f32) {
        %av = affine.load %a[%i, %k] : memref<32x64xf32>
        %bv = affine.load %b[%k, %j] : memref<64x128xf32>
        %p = arith.mulf %av, %bv : f32
        %t = arith.addf %acc, %p : f32
        affine.yield %t : f32
      }
      %bb = affine.load %bias[%j] : memref<128xf32>
      %v = arith.addf %s, %bb : f32
      %r = arith.maximumf %v, %zero : f32
      affine.store %r, %y[%i, %j] : memref<32x128xf32>
    }
  }
  return
}
