// y = A x with int8 matrix and vector, int32 result (dynamic shapes from memref.dim).
func.func @matvec_i8_i32(%A: memref<?x?xi8>, %x: memref<?xi8>, %y: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %m = memref.dim %A, %c0 : memref<?x?xi8>
  %n = memref.dim %A, %c1 : memref<?x?xi8>
  affine.for %i = 0 to %m {
    %sum = affine.for %j = 0 to %n iter_args(%acc = %zero) -> (i32) {
      %a = affine.load %A[%i, %j] : memref<?x?xi8>
      %v = affine.load %x[%j] : memref<?xi8>
      %aw = arith.extsi %a : i8 to i32
      %vw = arith.extsi %v : i8 to i32
      %p = arith.muli %aw, %vw : i32
      %s = arith.addi %acc, %p : i32
      affine.yield %s : i32
    }
    affine.store %sum, %y[%i] : memref<?xi32>
  }
  return
}
