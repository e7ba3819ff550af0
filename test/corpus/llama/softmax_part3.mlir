// softmax, third loop: the sum of x (the exponentials), length taken from the buffer.
func.func @softmax_part3(%x: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %size = memref.dim %x, %c0 : memref<?xf32>
  %sum = affine.for %i = 0 to %size iter_args(%acc = %zero) -> (f32) {
    %v = affine.load %x[%i] : memref<?xf32>
    %s = arith.addf %acc, %v : f32
    affine.yield %s : f32
  }
  return %sum : f32
}
