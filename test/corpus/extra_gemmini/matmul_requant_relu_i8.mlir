// int8 matmul requantised with ReLU (Gemmini: scale, then ReLU, then saturation at mvout):
// C = clamp(roundeven(f32(A @ B) * 0.0005), 0, 127), static shapes, C used as the int32 scratch.
func.func @matmul_requant_relu_i8(%A: memref<33x50xi8>, %B: memref<50x17xi8>, %C: memref<33x17xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = arith.constant 33 : index
  %n = arith.constant 17 : index
  %kk = arith.constant 50 : index
  %zero = arith.constant 0 : i32
  %scale = arith.constant 5.000000e-04 : f32
  %fzero = arith.constant 0.000000e+00 : f32
  %hi = arith.constant 1.270000e+02 : f32
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %sum = scf.for %k = %c0 to %kk step %c1 iter_args(%acc = %zero) -> (i32) {
        %a = memref.load %A[%i, %k] : memref<33x50xi8>
        %b = memref.load %B[%k, %j] : memref<50x17xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %s = arith.addi %acc, %p : i32
        scf.yield %s : i32
      }
      %f = arith.sitofp %sum : i32 to f32
      %y = arith.mulf %scale, %f : f32
      %r = math.roundeven %y : f32
      %c2 = arith.minimumf %r, %hi : f32
      %c3 = arith.maximumf %c2, %fzero : f32
      %q = arith.fptosi %c3 : f32 to i8
      memref.store %q, %C[%i, %j] : memref<33x17xi8>
    }
  }
  return
}
