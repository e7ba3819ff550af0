// Requantisation of an int32 accumulator matrix (Gemmini ACC scale): x * scale in f32, rounded half
// to even, clamped to [-128, 127], converted to int8.
func.func @requant_i32_i8(%acc: memref<4x6xi32>, %out: memref<4x6xi8>, %scale: f32) {
  %lo = arith.constant -128.0 : f32
  %hi = arith.constant 127.0 : f32
  affine.for %i = 0 to 4 {
    affine.for %j = 0 to 6 {
      %x = affine.load %acc[%i, %j] : memref<4x6xi32>
      %f = arith.sitofp %x : i32 to f32
      %p = arith.mulf %f, %scale : f32
      %r = math.roundeven %p : f32
      %c1 = arith.maximumf %r, %lo : f32
      %c2 = arith.minimumf %c1, %hi : f32
      %q = arith.fptosi %c2 : f32 to i8
      affine.store %q, %out[%i, %j] : memref<4x6xi8>
    }
  }
  return
}
