// darknet mse_array (C2TACO's int version): sum of a[i] * a[i] over i < n, with n an i32 argument (wrapping).
func.func @mse_array(%a: memref<?xi32>, %n: i32) -> i32 {
  %zero = arith.constant 0 : i32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %ni = arith.index_cast %n : i32 to index
  %sum = scf.for %i = %c0 to %ni step %c1 iter_args(%acc = %zero) -> (i32) {
    %v = memref.load %a[%i] : memref<?xi32>
    %sq = arith.muli %v, %v : i32
    %s = arith.addi %acc, %sq : i32
    scf.yield %s : i32
  }
  return %sum : i32
}
