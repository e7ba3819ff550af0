// Element-wise requantisation of an int32 matrix to int8 (Gemmini: mvin to the accumulator,
// mvout with the accumulator scale): out = clamp(roundeven(f32(x) * 0.01), -128, 127), dynamic.
func.func @scale_i32_i8(%x: memref<?x?xi32>, %out: memref<?x?xi8>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %scale = arith.constant 0.00999999977 : f32
  %lo = arith.constant -1.280000e+02 : f32
  %hi = arith.constant 1.270000e+02 : f32
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %v = memref.load %x[%i, %j] : memref<?x?xi32>
      %f = arith.sitofp %v : i32 to f32
      %y = arith.mulf %f, %scale : f32
      %r = math.roundeven %y : f32
      %c2 = arith.maximumf %r, %lo : f32
      %c3 = arith.minimumf %c2, %hi : f32
      %q = arith.fptosi %c3 : f32 to i8
      memref.store %q, %out[%i, %j] : memref<?x?xi8>
    }
  }
  return
}
