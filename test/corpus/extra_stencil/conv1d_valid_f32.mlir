// 1-D convolution (correlation), valid region: out[i] = sum_k a[i+k] * w[k]; sizes from memref.dim.
func.func @conv1d_valid_f32(%a: memref<?xf32>, %w: memref<?xf32>, %out: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = memref.dim %out, %c0 : memref<?xf32>
  %k = memref.dim %w, %c0 : memref<?xf32>
  affine.for %i = 0 to %n {
    %sum = affine.for %t = 0 to %k iter_args(%acc = %zero) -> (f32) {
      %x = affine.load %a[%i + %t] : memref<?xf32>
      %c = affine.load %w[%t] : memref<?xf32>
      %p = arith.mulf %x, %c : f32
      %s = arith.addf %acc, %p : f32
      affine.yield %s : f32
    }
    affine.store %sum, %out[%i] : memref<?xf32>
  }
  return
}
