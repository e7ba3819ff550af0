// Element-wise i32 multiply; the product wraps modulo 2^32.
func.func @i32_mul_wrap(%a: memref<?xi32>, %b: memref<?xi32>, %out: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %y = memref.load %b[%i] : memref<?xi32>
    %p = arith.muli %x, %y : i32
    memref.store %p, %out[%i] : memref<?xi32>
  }
  return
}
