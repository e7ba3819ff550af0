// Multiply: base * active / 255 on 8-bit pixels, computed in 32 bits.
func.func @multiply_blend_8(%base: memref<?x?xi8>, %active: memref<?x?xi8>, %out: memref<?x?xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : i32
  %m = memref.dim %base, %c0 : memref<?x?xi8>
  %n = memref.dim %base, %c1 : memref<?x?xi8>
  affine.for %i = 0 to %m {
    affine.for %j = 0 to %n {
      %b = affine.load %base[%i, %j] : memref<?x?xi8>
      %a = affine.load %active[%i, %j] : memref<?x?xi8>
      %bw = arith.extui %b : i8 to i32
      %aw = arith.extui %a : i8 to i32
      %p = arith.muli %bw, %aw : i32
      %q = arith.divui %p, %c255 : i32
      %r = arith.trunci %q : i32 to i8
      affine.store %r, %out[%i, %j] : memref<?x?xi8>
    }
  }
  return
}
