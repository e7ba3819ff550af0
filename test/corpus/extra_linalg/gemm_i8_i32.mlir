// int8 x int8 -> int32 GEMM (Gemmini style), static shapes: operands sign-extended, products summed in i32.
func.func @gemm_i8_i32(%A: memref<8x16xi8>, %B: memref<16x12xi8>, %C: memref<8x12xi32>) {
  %zero = arith.constant 0 : i32
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 12 {
      affine.store %zero, %C[%i, %j] : memref<8x12xi32>
    }
  }
  affine.for %i = 0 to 8 {
    affine.for %j = 0 to 12 {
      affine.for %k = 0 to 16 {
        %a = affine.load %A[%i, %k] : memref<8x16xi8>
        %b = affine.load %B[%k, %j] : memref<16x12xi8>
        %aw = arith.extsi %a : i8 to i32
        %bw = arith.extsi %b : i8 to i32
        %p = arith.muli %aw, %bw : i32
        %c = affine.load %C[%i, %j] : memref<8x12xi32>
        %s = arith.addi %c, %p : i32
        affine.store %s, %C[%i, %j] : memref<8x12xi32>
      }
    }
  }
  return
}
