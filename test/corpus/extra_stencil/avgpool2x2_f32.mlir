// 2 x 2 average pooling with stride 2: out[i][j] = 0.25 * (sum of the 2 x 2 block at (2i, 2j)).
func.func @avgpool2x2_f32(%a: memref<8x10xf32>, %out: memref<4x5xf32>) {
  %q = arith.constant 0.25 : f32
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 5 {
      %x00 = affine.load %a[%i * 2, %j * 2] : memref<8x10xf32>
      %x01 = affine.load %a[%i * 2, %j * 2 + 1] : memref<8x10xf32>
      %x10 = affine.load %a[%i * 2 + 1, %j * 2] : memref<8x10xf32>
      %x11 = affine.load %a[%i * 2 + 1, %j * 2 + 1] : memref<8x10xf32>
      %s0 = arith.addf %x00, %x01 : f32
      %s1 = arith.addf %s0, %x10 : f32
      %s2 = arith.addf %s1, %x11 : f32
      %r = arith.mulf %q, %s2 : f32
      affine.store %r, %out[%i, %j] : memref<4x5xf32>
    }
  }
  return
}
