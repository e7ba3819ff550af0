// int8 matmul requantised to int8 with a run-time scale (gemmini_extended_config_st's acc_scale),
// dynamic shapes: C = clamp(roundeven(f32(A @ B) * scale), -128, 127).
func.func @matmul_requant_dyn(%A: memref<?x?xi8>, %B: memref<?x?xi8>, %C: memref<?x?xi8>, %scale: f32,
                              %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %lo = arith.constant -1.280000e+02 : f32
  %hi = arith.constant 1.270000e+02 : f32
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %sum = scf.for %l = %c0 to %k step %c1 iter_args(%acc = %zero) -> (i32) {
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
      %c2 = arith.maximumf %r, %lo : f32
      %c3 = arith.minimumf %c2, %hi : f32
      %q = arith.fptosi %c3 : f32 to i8
      memref.store %q, %C[%i, %j] : memref<?x?xi8>
    }
  }
  return
}
