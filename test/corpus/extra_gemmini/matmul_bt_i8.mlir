// C = A B^T with B stored N x K (int8 x int8 -> int32, e.g. a linear layer's weight matrix):
// Gemmini's B-transpose flag.
func.func @matmul_bt_i8(%A: memref<?x?xi8>, %B: memref<?x?xi8>, %C: memref<?x?xi32>, %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %sum = scf.for %l = %c0 to %k step %c1 iter_args(%acc = %zero) -> (i32) {
        %a = memref.load %A[%i, %l] : memref<?x?xi8>
        %b = memref.load %B[%j, %l] : memref<?x?xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %s = arith.addi %acc, %p : i32
        scf.yield %s : i32
      }
      memref.store %sum, %C[%i, %j] : memref<?x?xi32>
    }
  }
  return
}
