// Gate of the FFN: hb[i] = hb[i] * hb2[i], in place, length taken from the buffer.
func.func @transformer_part4(%hb: memref<?xf32>, %hb2: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %hb, %c0 : memref<?xf32>
  affine.for %i = 0 to %n {
    %a = affine.load %hb[%i] : memref<?xf32>
    %b = affine.load %hb2[%i] : memref<?xf32>
    %r = arith.mulf %a, %b : f32
    affine.store %r, %hb[%i] : memref<?xf32>
  }
  return
}
