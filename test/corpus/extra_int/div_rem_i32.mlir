// Signed vs unsigned division and remainder of the same i32 bits (b > 0), plus signed division by
// negative divisors c (truncating toward zero).
func.func @div_rem_i32(%a: memref<?xi32>, %b: memref<?xi32>, %c: memref<?xi32>, %qs: memref<?xi32>, %rs: memref<?xi32>, %qu: memref<?xi32>, %ru: memref<?xi32>, %qn: memref<?xi32>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xi32>
    %y = affine.load %b[%i] : memref<?xi32>
    %z = affine.load %c[%i] : memref<?xi32>
    %q1 = arith.divsi %x, %y : i32
    %r1 = arith.remsi %x, %y : i32
    %q2 = arith.divui %x, %y : i32
    %r2 = arith.remui %x, %y : i32
    %q3 = arith.divsi %x, %z : i32
    affine.store %q1, %qs[%i] : memref<?xi32>
    affine.store %r1, %rs[%i] : memref<?xi32>
    affine.store %q2, %qu[%i] : memref<?xi32>
    affine.store %r2, %ru[%i] : memref<?xi32>
    affine.store %q3, %qn[%i] : memref<?xi32>
  }
  return
}
