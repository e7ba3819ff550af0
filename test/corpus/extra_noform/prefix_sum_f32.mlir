// Out-of-place inclusive prefix sum: the running sum is carried in iter_args and stored every step.
func.func @prefix_sum_f32(%a: memref<24xf32>, %b: memref<24xf32>) {
  %zero = arith.constant 0.0 : f32
  %total = affine.for %i = 0 to 24 iter_args(%acc = %zero) -> (f32) {
    %x = affine.load %a[%i] : memref<24xf32>
    %s = arith.addf %acc, %x : f32
    affine.store %s, %b[%i] : memref<24xf32>
    affine.yield %s : f32
  }
  return
}
