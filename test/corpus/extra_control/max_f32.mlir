// Maximum of a vector: arith.maximumf reduction from -inf, result returned.
func.func @max_f32(%a: memref<?xf32>, %n: index) -> f32 {
  %ninf = arith.constant 0xFF800000 : f32
  %m = affine.for %i = 0 to %n iter_args(%acc = %ninf) -> (f32) {
    %x = affine.load %a[%i] : memref<?xf32>
    %r = arith.maximumf %acc, %x : f32
    affine.yield %r : f32
  }
  return %m : f32
}
