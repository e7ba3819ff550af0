// int8 x int8 -> int32 matmul requantised to int8 (Gemmini's accumulator scale at mvout):
// C = clamp(roundeven(f32(A @ B) * 0.001), -128, 127), static shapes, k-sum in iter_args.
func.func @matmul_requant_i8(%A: memref<20x40xi8>, %B: memref<40x24xi8>, %C: memref<20x24xi8>) {
  %zero = arith.constant 0 : i32
  %scale = arith.constant 1.000000e-03 : f32
  %lo = arith.constant -1.280000e+02 : f32
  %hi = arith.constant 1.270000e+02 : f32
  affine.for %i = 0 to 20 {
    affine.for %j = 0 to 24 {
      %sum = affine.for %k = 0 to 40 iter_args(%acc = %zero) -> (i32) {
        %a = affine.load %A[%i, %k] : memref<20x40xi8>
        %b = affine.load %B[%k, %j] : memref<40x24xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %s = arith.addi %acc, %p : i32
        affine.yield %s : i32
      }
      %f = arith.sitofp %sum : i32 to f32
      %y = arith.mulf %f, %scale : f32
      %r = math.roundeven %y : f32
      %c1 = arith.maximumf %r, %lo : f32
      %c2 = arith.minimumf %c1, %hi : f32
      %q = arith.fptosi %c2 : f32 to i8
      affine.store %q, %C[%i, %j] : memref<20x24xi8>
    }
  }
  return
}
