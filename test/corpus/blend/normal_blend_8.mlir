// Normal blend on bytes: opacity * active + (255 - opacity) * base, computed in int and
// truncated back to a byte (the source has no division by 255, so the result wraps).
func.func @normal_blend_8(%base: memref<?xi8>, %active: memref<?xi8>, %opacity: i8, %out: memref<?xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : i32
  %ow = arith.extui %opacity : i8 to i32
  %inv = arith.subi %c255, %ow : i32
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.load %active[%i] : memref<?xi8>
    %b = memref.load %base[%i] : memref<?xi8>
    %aw = arith.extui %a : i8 to i32
    %bw = arith.extui %b : i8 to i32
    %pa = arith.muli %ow, %aw : i32
    %pb = arith.muli %inv, %bw : i32
    %s = arith.addi %pa, %pb : i32
    %t = arith.trunci %s : i32 to i8
    memref.store %t, %out[%i] : memref<?xi8>
  }
  return
}
