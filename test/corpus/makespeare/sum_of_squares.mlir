// makespeare sum_of_squares: sum of arr[i] * arr[i] over n ints (wrapping).
func.func @sum_of_squares(%arr: memref<?xi32>, %n: index) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (i32) {
    %v = memref.load %arr[%i] : memref<?xi32>
    %sq = arith.muli %v, %v : i32
    %s = arith.addi %acc, %sq : i32
    scf.yield %s : i32
  }
  return %sum : i32
}
