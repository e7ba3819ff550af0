// One row and one column of a matrix written as their own regions: A[r, :] = x; A[:, c] = y.
func.func @set_row_col_i32(%A: memref<5x6xi32>, %x: memref<6xi32>, %y: memref<5xi32>, %r: index, %c: index) {
  affine.for %j = 0 to 6 {
    %v = affine.load %x[%j] : memref<6xi32>
    affine.store %v, %A[%r, %j] : memref<5x6xi32>
  }
  affine.for %i = 0 to 5 {
    %v = affine.load %y[%i] : memref<5xi32>
    affine.store %v, %A[%i, %c] : memref<5x6xi32>
  }
  return
}
