// Row-wise softmax of x[128, 512] into y: y[i, j] = exp(x[i, j] - max_j x[i, :]) / sum_j exp(x[i, :] - max).
func.func @softmax_rows(%x: memref<128x512xf32>, %y: memref<128x512xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 128 {
    %m = affine.for %j = 0 to 512 iter_args(%acc = %ninf) -> (f32) {
      %v = affine.load %x[%i, %j] : memref<128x512xf32>
      %n = arith.maximumf %acc, %v fastmath<fast> : f32
      affine.yield %n : f32
    }
    %s = affine.for %j = 0 to 512 iter_args(%acc = %zero) -> (f32) {
      %v = affine.load %x[%i, %j] : memref<128x512xf32>
      %d = arith.subf %v, %m fastmath<fast> : f32
      %e = math.exp %d fastmath<fast> : f32
      %n = arith.addf %acc, %e fastmath<fast> : f32
      affine.yield %n : f32
    }
    affine.for %j = 0 to 512 {
      %v = affine.load %x[%i, %j] : memref<128x512xf32>
      %d = arith.subf %v, %m fastmath<fast> : f32
      %e = math.exp %d fastmath<fast> : f32
      %q = arith.divf %e, %s fastmath<fast> : f32
      affine.store %q, %y[%i, %j] : memref<128x512xf32>
    }
  }
  return
}
