// Color burn on a 2-D image: 255 - (255 - base) / active, or 255 where active is 0.
// The division sits in the else branch of an scf.if, so it never runs with a zero divisor;
// the C front end emits a signed division because the operands were promoted to int.
func.func @color_burn_8(%base: memref<?x?xi8>, %active: memref<?x?xi8>, %out: memref<?x?xi8>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %c255 = arith.constant 255 : i32
  %m = memref.dim %base, %c0 : memref<?x?xi8>
  %n = memref.dim %base, %c1 : memref<?x?xi8>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %b = memref.load %base[%i, %j] : memref<?x?xi8>
      %a = memref.load %active[%i, %j] : memref<?x?xi8>
      %bw = arith.extui %b : i8 to i32
      %aw = arith.extui %a : i8 to i32
      %is_zero = arith.cmpi eq, %aw, %zero : i32
      %pixel = scf.if %is_zero -> (i32) {
        scf.yield %c255 : i32
      } else {
        %inv = arith.subi %c255, %bw : i32
        %q = arith.divsi %inv, %aw : i32
        %r = arith.subi %c255, %q : i32
        scf.yield %r : i32
      }
      %t = arith.trunci %pixel : i32 to i8
      memref.store %t, %out[%i, %j] : memref<?x?xi8>
    }
  }
  return
}
