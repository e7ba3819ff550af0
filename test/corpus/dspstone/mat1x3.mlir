// DSPstone mat1x3: y = H x for a fixed 3x3 int matrix; y[i] is zeroed, then accumulated in memory.
func.func @mat1x3(%h: memref<3x3xi32>, %x: memref<3xi32>, %y: memref<3xi32>) {
  %zero = arith.constant 0 : i32
  affine.for %i = 0 to 3 {
    affine.store %zero, %y[%i] : memref<3xi32>
    affine.for %j = 0 to 3 {
      %acc = affine.load %y[%i] : memref<3xi32>
      %a = affine.load %h[%i, %j] : memref<3x3xi32>
      %b = affine.load %x[%j] : memref<3xi32>
      %p = arith.muli %a, %b : i32
      %s = arith.addi %acc, %p : i32
      affine.store %s, %y[%i] : memref<3xi32>
    }
  }
  return
}
