// darknet mag_array (without the final sqrt): sum of a[i]^2; the length is a C int.
func.func @mag_array(%a: memref<?xf32>, %n: i32) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %ub = arith.index_cast %n : i32 to index
  %sum = scf.for %i = %c0 to %ub step %c1 iter_args(%acc = %zero) -> (f32) {
    %v = memref.load %a[%i] : memref<?xf32>
    %sq = arith.mulf %v, %v : f32
    %s = arith.addf %acc, %sq : f32
    scf.yield %s : f32
  }
  return %sum : f32
}
