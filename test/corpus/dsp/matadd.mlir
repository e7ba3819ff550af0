// dsp matadd: C = A + B on m x n matrices of 16-bit ints (wrapping).
func.func @matadd(%A: memref<?x?xi16>, %B: memref<?x?xi16>, %C: memref<?x?xi16>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %a = memref.load %A[%i, %j] : memref<?x?xi16>
      %b = memref.load %B[%i, %j] : memref<?x?xi16>
      %s = arith.addi %a, %b : i16
      memref.store %s, %C[%i, %j] : memref<?x?xi16>
    }
  }
  return
}
