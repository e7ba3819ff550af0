// Shifts by per-element amounts s in [0, 31]: left, arithmetic right (signed), logical right (unsigned).
func.func @shifts_i32(%a: memref<?xi32>, %s: memref<?xi32>, %shl: memref<?xi32>, %sar: memref<?xi32>, %shr: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %k = memref.load %s[%i] : memref<?xi32>
    %l = arith.shli %x, %k : i32
    %r1 = arith.shrsi %x, %k : i32
    %r2 = arith.shrui %x, %k : i32
    memref.store %l, %shl[%i] : memref<?xi32>
    memref.store %r1, %sar[%i] : memref<?xi32>
    memref.store %r2, %shr[%i] : memref<?xi32>
  }
  return
}
