// Gemmini resadd: int8 matrices added in i32 and saturated to [-128, 127] by compare + select.
func.func @i8_resadd_sat(%A: memref<?x?xi8>, %B: memref<?x?xi8>, %C: memref<?x?xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %lo = arith.constant -128 : i32
  %hi = arith.constant 127 : i32
  %m = memref.dim %A, %c0 : memref<?x?xi8>
  %n = memref.dim %A, %c1 : memref<?x?xi8>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %x = memref.load %A[%i, %j] : memref<?x?xi8>
      %y = memref.load %B[%i, %j] : memref<?x?xi8>
      %xw = arith.extsi %x : i8 to i32
      %yw = arith.extsi %y : i8 to i32
      %s = arith.addi %xw, %yw : i32
      %big = arith.cmpi sgt, %s, %hi : i32
      %s1 = arith.select %big, %hi, %s : i32
      %small = arith.cmpi slt, %s1, %lo : i32
      %s2 = arith.select %small, %lo, %s1 : i32
      %r = arith.trunci %s2 : i32 to i8
      memref.store %r, %C[%i, %j] : memref<?x?xi8>
    }
  }
  return
}
