// simpl_array cube_in_place: arr[i] = arr[i] * arr[i] * arr[i] (int, wrapping).
func.func @cube_in_place(%arr: memref<?xi32>, %n: index) {
  affine.for %i = 0 to %n {
    %v = affine.load %arr[%i] : memref<?xi32>
    %sq = arith.muli %v, %v : i32
    %cu = arith.muli %sq, %v : i32
    affine.store %cu, %arr[%i] : memref<?xi32>
  }
  return
}
