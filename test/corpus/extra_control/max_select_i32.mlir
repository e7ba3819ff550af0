// Signed maximum of an i32 matrix with compare + select, starting from INT32_MIN (2-deep iter_args).
func.func @max_select_i32(%A: memref<5x6xi32>) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c6 = arith.constant 6 : index
  %min = arith.constant -2147483648 : i32
  %r = scf.for %i = %c0 to %c5 step %c1 iter_args(%outer = %min) -> (i32) {
    %row = scf.for %j = %c0 to %c6 step %c1 iter_args(%acc = %outer) -> (i32) {
      %x = memref.load %A[%i, %j] : memref<5x6xi32>
      %gt = arith.cmpi sgt, %x, %acc : i32
      %m = arith.select %gt, %x, %acc : i32
      scf.yield %m : i32
    }
    scf.yield %row : i32
  }
  return %r : i32
}
