// C = A B (f32) with the dot-product accumulator carried in iter_args; C is written once per element.
func.func @matmul_acc_f32(%A: memref<6x8xf32>, %B: memref<8x5xf32>, %C: memref<6x5xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 5 {
      %sum = affine.for %k = 0 to 8 iter_args(%acc = %zero) -> (f32) {
        %a = affine.load %A[%i, %k] : memref<6x8xf32>
        %b = affine.load %B[%k, %j] : memref<8x5xf32>
        %p = arith.mulf %a, %b : f32
        %s = arith.addf %acc, %p : f32
        affine.yield %s : f32
      }
      affine.store %sum, %C[%i, %j] : memref<6x5xf32>
    }
  }
  return
}
