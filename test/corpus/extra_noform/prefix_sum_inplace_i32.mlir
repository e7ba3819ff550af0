// In-place prefix sum (scan): a[i] += a[i-1] for 1 <= i < n, wrapping in i32.
func.func @prefix_sum_inplace_i32(%a: memref<?xi32>, %n: index) {
  %c1 = arith.constant 1 : index
  scf.for %i = %c1 to %n step %c1 {
    %im1 = arith.subi %i, %c1 : index
    %prev = memref.load %a[%im1] : memref<?xi32>
    %x = memref.load %a[%i] : memref<?xi32>
    %s = arith.addi %x, %prev : i32
    memref.store %s, %a[%i] : memref<?xi32>
  }
  return
}
