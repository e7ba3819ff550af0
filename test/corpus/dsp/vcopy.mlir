// dsp vcopy: dst[i] = src[i] for the whole (dynamic) buffer.
func.func @vcopy(%src: memref<?xf64>, %dst: memref<?xf64>) {
  %c0 = arith.constant 0 : index
  %n = memref.dim %src, %c0 : memref<?xf64>
  affine.for %i = 0 to %n {
    %v = affine.load %src[%i] : memref<?xf64>
    affine.store %v, %dst[%i] : memref<?xf64>
  }
  return
}
