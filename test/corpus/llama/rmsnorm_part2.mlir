// rmsnorm, second part: ss = 1 / sqrt(ss / size + 1e-5); o[j] = weight[j] * (ss * x[j]).
func.func @rmsnorm_part2(%o: memref<?xf32>, %x: memref<?xf32>, %weight: memref<?xf32>, %ss: f32, %size: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %eps = arith.constant 1.0e-05 : f32
  %one = arith.constant 1.0 : f32
  %size_i = arith.index_cast %size : index to i32
  %size_f = arith.sitofp %size_i : i32 to f32
  %mean = arith.divf %ss, %size_f : f32
  %shifted = arith.addf %mean, %eps : f32
  %root = math.sqrt %shifted : f32
  %scale = arith.divf %one, %root : f32
  scf.for %j = %c0 to %size step %c1 {
    %xv = memref.load %x[%j] : memref<?xf32>
    %wv = memref.load %weight[%j] : memref<?xf32>
    %sx = arith.mulf %scale, %xv : f32
    %r = arith.mulf %wv, %sx : f32
    memref.store %r, %o[%j] : memref<?xf32>
  }
  return
}
