func.func @f(%a: memref<?xi32>, %o: memref<?xi32>, %n: index) {
  %c1 = arith.constant 1 : index
  scf.for %i = %c1 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    memref.store %x, %o[%i] : memref<?xi32>
  }
  return
}
