// mathfu vector += vector on ints: a[i] += b[i], in place (wrapping).
func.func @pluseq(%a: memref<?xi32>, %b: memref<?xi32>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xi32>
    %y = affine.load %b[%i] : memref<?xi32>
    %s = arith.addi %x, %y : i32
    affine.store %s, %a[%i] : memref<?xi32>
  }
  return
}
