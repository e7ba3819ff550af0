// Sum of a 3-D i32 tensor into one scalar through three nested iter_args loops (wraps modulo 2^32).
func.func @reduce3_sum_i32(%T: memref<3x4x5xi32>) -> i32 {
  %zero = arith.constant 0 : i32
  %r = affine.for %i = 0 to 3 iter_args(%a0 = %zero) -> (i32) {
    %r1 = affine.for %j = 0 to 4 iter_args(%a1 = %a0) -> (i32) {
      %r2 = affine.for %k = 0 to 5 iter_args(%a2 = %a1) -> (i32) {
        %x = affine.load %T[%i, %j, %k] : memref<3x4x5xi32>
        %s = arith.addi %a2, %x : i32
        affine.yield %s : i32
      }
      affine.yield %r2 : i32
    }
    affine.yield %r1 : i32
  }
  return %r : i32
}
