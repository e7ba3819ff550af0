// darknet scale_matrix: m[i][j] *= scale, in place, on a fixed-size int matrix.
func.func @scale_matrix(%m: memref<6x10xi32>, %scale: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c6 = arith.constant 6 : index
  %c10 = arith.constant 10 : index
  scf.for %i = %c0 to %c6 step %c1 {
    scf.for %j = %c0 to %c10 step %c1 {
      %v = memref.load %m[%i, %j] : memref<6x10xi32>
      %r = arith.muli %scale, %v : i32
      memref.store %r, %m[%i, %j] : memref<6x10xi32>
    }
  }
  return
}
