// y = W x where W is an m x n matrix stored row-major in a 1-D buffer: w[i*n + j], index math by arith.
func.func @flat_matvec_f32(%w: memref<?xf32>, %x: memref<?xf32>, %y: memref<?xf32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %m step %c1 {
    %row = arith.muli %i, %n : index
    %sum = scf.for %j = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
      %idx = arith.addi %row, %j : index
      %a = memref.load %w[%idx] : memref<?xf32>
      %b = memref.load %x[%j] : memref<?xf32>
      %p = arith.mulf %a, %b : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %y[%i] : memref<?xf32>
  }
  return
}
