// simpl_array fourth_in_place: arr[i] = arr[i]^4 as three multiplications (64-bit, wrapping).
func.func @fourth_in_place(%arr: memref<?xi64>, %n: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %ub = arith.index_cast %n : i32 to index
  scf.for %i = %c0 to %ub step %c1 {
    %v = memref.load %arr[%i] : memref<?xi64>
    %p2 = arith.muli %v, %v : i64
    %p3 = arith.muli %p2, %v : i64
    %p4 = arith.muli %p3, %v : i64
    memref.store %p4, %arr[%i] : memref<?xi64>
  }
  return
}
