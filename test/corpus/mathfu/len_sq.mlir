// mathfu squared length: sum of a[i]^2 in double precision.
func.func @len_sq(%a: memref<?xf64>, %n: index) -> f64 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f64
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f64) {
    %v = memref.load %a[%i] : memref<?xf64>
    %sq = arith.mulf %v, %v : f64
    %s = arith.addf %acc, %sq : f64
    scf.yield %s : f64
  }
  return %sum : f64
}
