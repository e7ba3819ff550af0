// darknet matrix_add_matrix: to[i][j] += from[i][j], in place, on int matrices.
func.func @matrix_add_matrix(%from: memref<?x?xi32>, %to: memref<?x?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %from, %c0 : memref<?x?xi32>
  %cols = memref.dim %from, %c1 : memref<?x?xi32>
  affine.for %i = 0 to %rows {
    affine.for %j = 0 to %cols {
      %f = affine.load %from[%i, %j] : memref<?x?xi32>
      %t = affine.load %to[%i, %j] : memref<?x?xi32>
      %s = arith.addi %t, %f : i32
      affine.store %s, %to[%i, %j] : memref<?x?xi32>
    }
  }
  return
}
