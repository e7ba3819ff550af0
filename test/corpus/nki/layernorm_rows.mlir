// LayerNorm of each row of x[R, D]: y = (x - mean) / sqrt(var + 1e-5) * g + b.
func.func @layernorm_rows(%x: memref<256x128xf32>, %g: memref<128xf32>, %b: memref<128xf32>, %y: memref<256x128xf32>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 128.0 : f32
  %eps = arith.constant 1.0e-05 : f32
  affine.for %i = 0 to 256 {
    %s = affine.for %j = 0 to 128 iter_args(%acc = %zero) -> (f32) {
      %v = affine.load %x[%i, %j] : memref<256x128xf32>
      %a = arith.addf %acc, %v fastmath<fast> : f32
      affine.yield %a : f32
    }
    %mean = arith.divf %s, %n fastmath<fast> : f32
    %ss = affine.for %j = 0 to 128 iter_args(%acc = %zero) -> (f32) {
      %v = affine.load %x[%i, %j] : memref<256x128xf32>
      %d = arith.subf %v, %mean fastmath<fast> : f32
      %sq = arith.mulf %d, %d fastmath<fast> : f32
      %a = arith.addf %acc, %sq fastmath<fast> : f32
      affine.yield %a : f32
    }
    %var = arith.divf %ss, %n fastmath<fast> : f32
    %ve = arith.addf %var, %eps fastmath<fast> : f32
    %r = math.rsqrt %ve fastmath<fast> : f32
    affine.for %j = 0 to 128 {
      %v = affine.load %x[%i, %j] : memref<256x128xf32>
      %gv = affine.load %g[%j] : memref<128xf32>
      %bv = affine.load %b[%j] : memref<128xf32>
      %d = arith.subf %v, %mean fastmath<fast> : f32
      %t = arith.mulf %d, %r fastmath<fast> : f32
      %u = arith.mulf %t, %gv fastmath<fast> : f32
      %o = arith.addf %u, %bv fastmath<fast> : f32
      affine.store %o, %y[%i, %j] : memref<256x128xf32>
    }
  }
  return
}
