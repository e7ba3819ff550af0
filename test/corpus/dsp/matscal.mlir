// dsp matscal: B = s * A on a fixed 8 x 12 float matrix.
func.func @matscal(%A: memref<8x12xf32>, %B: memref<8x12xf32>, %s: f32) {
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 12 {
      %a = affine.load %A[%i, %j] : memref<8x12xf32>
      %r = arith.mulf %s, %a : f32
      affine.store %r, %B[%i, %j] : memref<8x12xf32>
    }
  }
  return
}
