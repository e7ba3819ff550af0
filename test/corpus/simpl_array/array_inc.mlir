// simpl_array array_inc: arr[i] += 1, in place (INT_MAX wraps to INT_MIN).
func.func @array_inc(%arr: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %arr[%i] : memref<?xi32>
    %r = arith.addi %v, %one : i32
    memref.store %r, %arr[%i] : memref<?xi32>
  }
  return
}
