// C = A^T B with A stored K x M (int8 x int8 -> int32): Gemmini's A-transpose flag.
func.func @matmul_at_i8(%A: memref<40x20xi8>, %B: memref<40x24xi8>, %C: memref<20x24xi32>) {
  %zero = arith.constant 0 : i32
  affine.for %i = 0 to 20 {
    affine.for %j = 0 to 24 {
      %sum = affine.for %k = 0 to 40 iter_args(%acc = %zero) -> (i32) {
        %a = affine.load %A[%k, %i] : memref<40x20xi8>
        %b = affine.load %B[%k, %j] : memref<40x24xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %s = arith.addi %acc, %p : i32
        affine.yield %s : i32
      }
      affine.store %sum, %C[%i, %j] : memref<20x24xi32>
    }
  }
  return
}
