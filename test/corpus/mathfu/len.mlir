// mathfu length: sqrt of the sum of squares of the first n elements.
func.func @len(%a: memref<?xf32>, %n: index) -> f32 {
  %zero = arith.constant 0.0 : f32
  %sum = affine.for %i = 0 to %n iter_args(%acc = %zero) -> (f32) {
    %v = affine.load %a[%i] : memref<?xf32>
    %sq = arith.mulf %v, %v : f32
    %s = arith.addf %acc, %sq : f32
    affine.yield %s : f32
  }
  %r = math.sqrt %sum : f32
  return %r : f32
}
