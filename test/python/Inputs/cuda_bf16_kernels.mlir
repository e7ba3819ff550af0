func.func @mm_bf16(%a: memref<8x4xbf16>, %b: memref<4x6xbf16>, %c: memref<8x6xbf16>) {
  %zero = arith.constant 0.0 : bf16
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 6 {
      affine.store %zero, %c[%i, %j] : memref<8x6xbf16>
      affine.for %k = 0 to 4 {
        %x = affine.load %a[%i, %k] : memref<8x4xbf16>
        %y = affine.load %b[%k, %j] : memref<4x6xbf16>
        %p = arith.mulf %x, %y : bf16
        %o = affine.load %c[%i, %j] : memref<8x6xbf16>
        %s = arith.addf %o, %p : bf16
        affine.store %s, %c[%i, %j] : memref<8x6xbf16>
      }
    }
  }
  return
}
func.func @scale_bf16(%x: memref<128xbf16>, %y: memref<128xbf16>, %s: bf16) {
  affine.for %i = 0 to 128 {
    %v = affine.load %x[%i] : memref<128xbf16>
    %w = arith.mulf %v, %s : bf16
    %r = math.exp %w : bf16
    affine.store %r, %y[%i] : memref<128xbf16>
  }
  return
}
