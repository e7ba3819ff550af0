// softmax, second loop: x[i] = exp(x[i] - max_val), in place on a static buffer.
func.func @softmax_part2(%x: memref<24xf32>, %max_val: f32) {
  affine.for %i = 0 to 24 {
    %v = affine.load %x[%i] : memref<24xf32>
    %d = arith.subf %v, %max_val : f32
    %e = math.exp %d : f32
    affine.store %e, %x[%i] : memref<24xf32>
  }
  return
}
