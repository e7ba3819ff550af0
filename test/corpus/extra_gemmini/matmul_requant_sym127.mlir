// Symmetric requantisation to [-127, 127] (a common int8 convention): Gemmini saturates to
// [-128, 127], so the lowering must keep this epilogue on the host.
func.func @matmul_requant_sym127(%A: memref<16x32xi8>, %B: memref<32x16xi8>, %C: memref<16x16xi8>) {
  %zero = arith.constant 0 : i32
  %scale = arith.constant 1.000000e-03 : f32
  %lo = arith.constant -1.270000e+02 : f32
  %hi = arith.constant 1.270000e+02 : f32
  affine.for %i = 0 to 16 {
    affine.for %j = 0 to 16 {
      %sum = affine.for %k = 0 to 32 iter_args(%acc = %zero) -> (i32) {
        %a = affine.load %A[%i, %k] : memref<16x32xi8>
        %b = affine.load %B[%k, %j] : memref<32x16xi8>
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
      affine.store %q, %C[%i, %j] : memref<16x16xi8>
    }
  }
  return
}
