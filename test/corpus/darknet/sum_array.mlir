// darknet sum_array: sum of the first n elements of a (int, wrapping).
func.func @sum_array(%a: memref<?xi32>, %n: index) -> i32 {
  %zero = arith.constant 0 : i32
  %sum = affine.for %i = 0 to %n iter_args(%acc = %zero) -> (i32) {
    %v = affine.load %a[%i] : memref<?xi32>
    %s = arith.addi %acc, %v : i32
    affine.yield %s : i32
  }
  return %sum : i32
}
