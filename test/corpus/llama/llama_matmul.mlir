// llama2.c matmul: xout[i] = sum_j w[i * n + j] * x[j] for W (d, n) stored row-major in a flat buffer.
// The running sum is a scalar carried through iter_args.
func.func @llama_matmul(%xout: memref<?xf32>, %x: memref<?xf32>, %w: memref<?xf32>, %n: index, %d: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %d step %c1 {
    %row = arith.muli %i, %n : index
    %val = scf.for %j = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
      %k = arith.addi %row, %j : index
      %wv = memref.load %w[%k] : memref<?xf32>
      %xv = memref.load %x[%j] : memref<?xf32>
      %p = arith.mulf %wv, %xv : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %val, %xout[%i] : memref<?xf32>
  }
  return
}
