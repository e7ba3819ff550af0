// Overlay as Tenspiler's benchmark writes it (it reads only base):
//   base >= 128 ? 2*base + base - 2*base*base/255 - 255 : 2*base*base/255
// in int, truncated back to a byte.
func.func @overlay_blend_8(%base: memref<?xi8>, %active: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : i32
  %c128 = arith.constant 128 : i32
  %c255 = arith.constant 255 : i32
  scf.for %i = %c0 to %n step %c1 {
    %b = memref.load %base[%i] : memref<?xi8>
    %bw = arith.extui %b : i8 to i32
    %hi = arith.cmpi sge, %bw, %c128 : i32
    %pixel = scf.if %hi -> (i32) {
      %db = arith.muli %c2, %bw : i32
      %tb = arith.addi %db, %bw : i32
      %sq = arith.muli %db, %bw : i32
      %q = arith.divsi %sq, %c255 : i32
      %d = arith.subi %tb, %q : i32
      %r = arith.subi %d, %c255 : i32
      scf.yield %r : i32
    } else {
      %db = arith.muli %c2, %bw : i32
      %sq = arith.muli %db, %bw : i32
      %q = arith.divsi %sq, %c255 : i32
      scf.yield %q : i32
    }
    %t = arith.trunci %pixel : i32 to i8
    memref.store %t, %out[%i] : memref<?xi8>
  }
  return
}
