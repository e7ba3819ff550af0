// Screen on a static 6x9 image: base + active - base * active / 255, in int.
func.func @screen_blend_8(%base: memref<6x9xi8>, %active: memref<6x9xi8>, %out: memref<6x9xi8>) {
  %c255 = arith.constant 255 : i32
  affine.for %i = 0 to 6 {
    affine.for %j = 0 to 9 {
      %b = affine.load %base[%i, %j] : memref<6x9xi8>
      %a = affine.load %active[%i, %j] : memref<6x9xi8>
      %bw = arith.extui %b : i8 to i32
      %aw = arith.extui %a : i8 to i32
      %s = arith.addi %bw, %aw : i32
      %p = arith.muli %bw, %aw : i32
      %q = arith.divui %p, %c255 : i32
      %r = arith.subi %s, %q : i32
      %t = arith.trunci %r : i32 to i8
      affine.store %t, %out[%i, %j] : memref<6x9xi8>
    }
  }
  return
}
