// dsp matsub on row-major flat buffers: C[i*n + j] = A[i*n + j] - B[i*n + j].
func.func @matsub(%A: memref<?xi32>, %B: memref<?xi32>, %C: memref<?xi32>, %m: index, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %m step %c1 {
    %row = arith.muli %i, %n : index
    scf.for %j = %c0 to %n step %c1 {
      %k = arith.addi %row, %j : index
      %a = memref.load %A[%k] : memref<?xi32>
      %b = memref.load %B[%k] : memref<?xi32>
      %d = arith.subi %a, %b : i32
      memref.store %d, %C[%k] : memref<?xi32>
    }
  }
  return
}
