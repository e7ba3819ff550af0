// C += A B with int8 operands and an int32 accumulator (dynamic shapes); the k-sum is carried in iter_args.
func.func @gemm_i8_i32_acc_dyn(%A: memref<?x?xi8>, %B: memref<?x?xi8>, %C: memref<?x?xi32>, %m: index, %n: index, %k: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %init = memref.load %C[%i, %j] : memref<?x?xi32>
      %sum = scf.for %l = %c0 to %k step %c1 iter_args(%acc = %init) -> (i32) {
        %a = memref.load %A[%i, %l] : memref<?x?xi8>
        %b = memref.load %B[%l, %j] : memref<?x?xi8>
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
