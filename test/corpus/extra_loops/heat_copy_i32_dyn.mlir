// A time loop whose step is a sweep into a scratch buffer and a copy back (dynamic sizes).
func.func @heat_copy_i32_dyn(%A: memref<?xi32>, %B: memref<?xi32>, %steps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %B, %c0 : memref<?xi32>
  scf.for %t = %c0 to %steps step %c1 {
    scf.for %i = %c0 to %n step %c1 {
      %ip = arith.addi %i, %c1 : index
      %a = memref.load %A[%i] : memref<?xi32>
      %b = memref.load %A[%ip] : memref<?xi32>
      %s = arith.addi %a, %b : i32
      memref.store %s, %B[%i] : memref<?xi32>
    }
    scf.for %i = %c0 to %n step %c1 {
      %b = memref.load %B[%i] : memref<?xi32>
      memref.store %b, %A[%i] : memref<?xi32>
    }
  }
  return
}
