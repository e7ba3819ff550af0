// Alpha compositing as image libraries write it: (opacity * active + (255 - opacity) * base) / 255,
// an unsigned division of a 32-bit intermediate; the result always fits a byte.
func.func @normal_blend_8_div255(%base: memref<?xi8>, %active: memref<?xi8>, %opacity: i8, %out: memref<?xi8>, %n: index) {
  %c255 = arith.constant 255 : i32
  affine.for %i = 0 to %n {
    %ow = arith.extui %opacity : i8 to i32
    %a = affine.load %active[%i] : memref<?xi8>
    %b = affine.load %base[%i] : memref<?xi8>
    %aw = arith.extui %a : i8 to i32
    %bw = arith.extui %b : i8 to i32
    %pa = arith.muli %ow, %aw : i32
    %inv = arith.subi %c255, %ow : i32
    %pb = arith.muli %inv, %bw : i32
    %s = arith.addi %pa, %pb : i32
    %q = arith.divui %s, %c255 : i32
    %t = arith.trunci %q : i32 to i8
    affine.store %t, %out[%i] : memref<?xi8>
  }
  return
}
