// 2-D convolution with a 3 x 3 kernel over the valid region of an 8 x 9 image: a 4-deep nest,
// out zeroed first, then out[i][j] += img[i+p][j+q] * k[p][q].
func.func @conv2d_3x3_f32(%img: memref<8x9xf32>, %k: memref<3x3xf32>, %out: memref<6x7xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 7 {
      affine.store %zero, %out[%i, %j] : memref<6x7xf32>
    }
  }
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 7 {
      affine.for %p = 0 to 3 {
        affine.for %q = 0 to 3 {
          %x = affine.load %img[%i + %p, %j + %q] : memref<8x9xf32>
          %c = affine.load %k[%p, %q] : memref<3x3xf32>
          %o = affine.load %out[%i, %j] : memref<6x7xf32>
          %m = arith.mulf %x, %c : f32
          %s = arith.addf %o, %m : f32
          affine.store %s, %out[%i, %j] : memref<6x7xf32>
        }
      }
    }
  }
  return
}
