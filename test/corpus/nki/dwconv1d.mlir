// Depthwise conv1d (valid): y[c, w] = sum_k x[c, w + k] * f[c, k], C=256 channels, W=512, filter 3.
func.func @dwconv1d(%x: memref<256x514xf32>, %f: memref<256x3xf32>, %y: memref<256x512xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %c = 0 to 256 {
    affine.for %w = 0 to 512 {
      %s = affine.for %k = 0 to 3 iter_args(%acc = %zero) -> (f32) {
        %xv = affine.load %x[%c, %w + %k] : memref<256x514xf32>
        %fv = affine.load %f[%c, %k] : memref<256x3xf32>
        %p = arith.mulf %xv, %fv : f32
        %a = arith.addf %acc, %p : f32
        affine.yield %a : f32
      }
      affine.store %s, %y[%c, %w] : memref<256x512xf32>
    }
  }
  return
}
