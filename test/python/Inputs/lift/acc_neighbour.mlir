func.func @acc(%A: memref<?xi32>, %B: memref<?xi32>, %n: index, %m: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %k = arith.constant 12345 : i32
  %zero = arith.constant 0 : i32
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %m step %c1 {
      %j1 = arith.addi %j, %c1 : index
      %a = memref.load %A[%j] : memref<?xi32>
      %b = memref.load %A[%j1] : memref<?xi32>
      %x = memref.load %B[%i] : memref<?xi32>
      %c = arith.cmpi eq, %b, %k : i32
      %d = arith.select %c, %x, %zero : i32
      %s = arith.addi %a, %d : i32
      memref.store %s, %A[%j] : memref<?xi32>
    }
  }
  return
}
