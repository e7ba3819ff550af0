// Row sums (matrix1 style): r[i] = sum_j A[i][j], accumulator in iter_args.
func.func @row_sums_f32(%A: memref<?x?xf32>, %r: memref<?xf32>, %m: index, %n: index) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to %m {
    %sum = affine.for %j = 0 to %n iter_args(%acc = %zero) -> (f32) {
      %a = affine.load %A[%i, %j] : memref<?x?xf32>
      %s = arith.addf %acc, %a : f32
      affine.yield %s : f32
    }
    affine.store %sum, %r[%i] : memref<?xf32>
  }
  return
}
