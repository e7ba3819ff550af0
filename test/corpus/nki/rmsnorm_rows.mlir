// RMSNorm of each row of x[R, D]: y[i, j] = x[i, j] / sqrt(mean_j x[i, j]^2 + 1e-5) * w[j].
func.func @rmsnorm_rows(%x: memref<256x128xf32>, %w: memref<128xf32>, %y: memref<256x128xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 128.0 : f32
  %eps = arith.constant 1.0e-05 : f32
  affine.for %i = 0 to 256 {
    %ss = affine.for %j = 0 to 128 iter_args(%acc = %zero) -> (f32) {
      %v = affine.load %x[%i, %j] : memref<256x128xf32>
      %sq = arith.mulf %v, %v fastmath<fast> : f32
      %a = arith.addf %acc, %sq fastmath<fast> : f32
      affine.yield %a : f32
    }
    %mean = arith.divf %ss, %n fastmath<fast> : f32
    %me = arith.addf %mean, %eps fastmath<fast> : f32
    %r = math.rsqrt %me fastmath<fast> : f32
    affine.for %j = 0 to 128 {
      %v = affine.load %x[%i, %j] : memref<256x128xf32>
      %wv = affine.load %w[%j] : memref<128xf32>
      %t = arith.mulf %v, %r fastmath<fast> : f32
      %o = arith.mulf %t, %wv fastmath<fast> : f32
      affine.store %o, %y[%i, %j] : memref<256x128xf32>
    }
  }
  return
}
