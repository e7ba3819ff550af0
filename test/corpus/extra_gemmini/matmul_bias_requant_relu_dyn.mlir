// int8 matmul plus an int32 bias, run-time scale, ReLU, dynamic shapes: the fused epilogue of a
// quantised layer. Gemmini: bias mvin'd into the accumulator, scale + ReLU + saturation at mvout.
// C = clamp(roundeven(f32(D + A @ B) * scale), 0, 127).
func.func @matmul_bias_requant_relu_dyn(%A: memref<?x?xi8>, %B: memref<?x?xi8>, %D: memref<?x?xi32>,
                                        %C: memref<?x?xi8>, %scale: f32, %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %hi = arith.constant 1.270000e+02 : f32
  %fzero = arith.constant 0.000000e+00 : f32
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %bias = memref.load %D[%i, %j] : memref<?x?xi32>
      %sum = scf.for %l = %c0 to %k step %c1 iter_args(%acc = %bias) -> (i32) {
        %a = memref.load %A[%i, %l] : memref<?x?xi8>
        %b = memref.load %B[%l, %j] : memref<?x?xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %s = arith.addi %acc, %p : i32
        scf.yield %s : i32
      }
      %f = arith.sitofp %sum : i32 to f32
      %y = arith.mulf %f, %scale : f32
      %r = math.roundeven %y : f32
      %relu = arith.maximumf %r, %fzero : f32
      %c3 = arith.minimumf %relu, %hi : f32
      %q = arith.fptosi %c3 : f32 to i8
      memref.store %q, %C[%i, %j] : memref<?x?xi8>
    }
  }
  return
}
