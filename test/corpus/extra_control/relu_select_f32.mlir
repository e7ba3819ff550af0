// ReLU written as compare + select: x > 0 ? x : 0 (static).
func.func @relu_select_f32(%a: memref<32xf32>, %out: memref<32xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 32 {
    %x = affine.load %a[%i] : memref<32xf32>
    %pos = arith.cmpf ogt, %x, %zero : f32
    %r = arith.select %pos, %x, %zero : f32
    affine.store %r, %out[%i] : memref<32xf32>
  }
  return
}
