// u8_sum_i32 with the loop step 2^63-1.
func.func @u8_sum_i32(%a: memref<?xi8>) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 9223372036854775807 : index
  %zero = arith.constant 0 : i32
  %n = memref.dim %a, %c0 : memref<?xi8>
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (i32) {
    %x = memref.load %a[%i] : memref<?xi8>
    %w = arith.extui %x : i8 to i32
    %s = arith.addi %acc, %w : i32
    scf.yield %s : i32
  }
  return %sum : i32
}
