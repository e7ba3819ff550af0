// Transpose of a 4 x 6 row-major matrix held in flat buffers: b[j*4 + i] = a[i*6 + j] (affine maps).
func.func @flat_transpose_f32(%a: memref<24xf32>, %b: memref<24xf32>) {
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 6 {
      %v = affine.load %a[%i * 6 + %j] : memref<24xf32>
      affine.store %v, %b[%j * 4 + %i] : memref<24xf32>
    }
  }
  return
}
