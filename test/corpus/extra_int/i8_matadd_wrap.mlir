// Element-wise add of two int8 matrices (Gemmini resadd without saturation): wraps in 8 bits.
func.func @i8_matadd_wrap(%A: memref<5x8xi8>, %B: memref<5x8xi8>, %C: memref<5x8xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c5 = arith.constant 5 : index
  %c8 = arith.constant 8 : index
  scf.for %i = %c0 to %c5 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %A[%i, %j] : memref<5x8xi8>
      %y = memref.load %B[%i, %j] : memref<5x8xi8>
      %s = arith.addi %x, %y : i8
      memref.store %s, %C[%i, %j] : memref<5x8xi8>
    }
  }
  return
}
