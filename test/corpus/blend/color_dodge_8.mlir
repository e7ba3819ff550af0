// Color dodge: base / (255 - active), or 255 where active is 255. Written the way an
// if-converting compiler emits it: the divisor is replaced by 1 where it would be zero,
// so the unsigned division is always safe, and a select picks the result.
func.func @color_dodge_8(%base: memref<?xi8>, %active: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  %one = arith.constant 1 : i32
  %c255 = arith.constant 255 : i32
  affine.for %i = 0 to %n {
    %b = affine.load %base[%i] : memref<?xi8>
    %a = affine.load %active[%i] : memref<?xi8>
    %bw = arith.extui %b : i8 to i32
    %aw = arith.extui %a : i8 to i32
    %full = arith.cmpi eq, %aw, %c255 : i32
    %d = arith.subi %c255, %aw : i32
    %safe = arith.select %full, %one, %d : i32
    %q = arith.divui %bw, %safe : i32
    %pixel = arith.select %full, %c255, %q : i32
    %t = arith.trunci %pixel : i32 to i8
    affine.store %t, %out[%i] : memref<?xi8>
  }
  return
}
