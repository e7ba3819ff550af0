// rmsnorm, first loop: the sum of squares of x, returned as a scalar.
func.func @rmsnorm_part1(%x: memref<?xf32>, %size: index) -> f32 {
  %zero = arith.constant 0.0 : f32
  %ss = affine.for %j = 0 to %size iter_args(%acc = %zero) -> (f32) {
    %v = affine.load %x[%j] : memref<?xf32>
    %sq = arith.mulf %v, %v : f32
    %s = arith.addf %acc, %sq : f32
    affine.yield %s : f32
  }
  return %ss : f32
}
