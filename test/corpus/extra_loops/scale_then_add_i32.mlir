// Two statements updating one buffer in sequence, each in its own loop nest: x = 3 x; x += y.
func.func @scale_then_add_i32(%x: memref<?x?xi32>, %y: memref<?x?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : i32
  %m = memref.dim %x, %c0 : memref<?x?xi32>
  %n = memref.dim %x, %c1 : memref<?x?xi32>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %a = memref.load %x[%i, %j] : memref<?x?xi32>
      %s = arith.muli %a, %c3 : i32
      memref.store %s, %x[%i, %j] : memref<?x?xi32>
    }
  }
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %a = memref.load %x[%i, %j] : memref<?x?xi32>
      %b = memref.load %y[%i, %j] : memref<?x?xi32>
      %s = arith.addi %a, %b : i32
      memref.store %s, %x[%i, %j] : memref<?x?xi32>
    }
  }
  return
}
