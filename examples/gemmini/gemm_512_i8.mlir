// A 512x512x512 int8 GEMM with int32 accumulation, as a C compiler would emit it.
func.func @gemm_512_i8(%A: memref<512x512xi8>, %B: memref<512x512xi8>, %C: memref<512x512xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c512 = arith.constant 512 : index
  %z = arith.constant 0 : i32
  scf.for %i = %c0 to %c512 step %c1 {
    scf.for %j = %c0 to %c512 step %c1 {
      %s = scf.for %k = %c0 to %c512 step %c1 iter_args(%acc = %z) -> (i32) {
        %a = memref.load %A[%i, %k] : memref<512x512xi8>
        %b = memref.load %B[%k, %j] : memref<512x512xi8>
        %a32 = arith.extsi %a : i8 to i32
        %b32 = arith.extsi %b : i8 to i32
        %p = arith.muli %a32, %b32 : i32
        %n = arith.addi %acc, %p : i32
        scf.yield %n : i32
      }
      memref.store %s, %C[%i, %j] : memref<512x512xi32>
    }
  }
  return
}
