// Dissolve: take the active pixel where opacity - rand_val >= 0, else the base pixel, with
// rand_val = (rand % 100) + 1 drawn per pixel from an input array. The difference is taken
// in (signed) int after promoting the unsigned bytes, as C does.
func.func @dissolve_blend_8(%base: memref<?xi8>, %active: memref<?xi8>, %opacity: i8, %rand: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0 : i32
  %one = arith.constant 1 : i32
  %c100 = arith.constant 100 : i32
  %ow = arith.extui %opacity : i8 to i32
  scf.for %i = %c0 to %n step %c1 {
    %r = memref.load %rand[%i] : memref<?xi8>
    %rw = arith.extui %r : i8 to i32
    %rm = arith.remui %rw, %c100 : i32
    %rv = arith.addi %rm, %one : i32
    %diff = arith.subi %ow, %rv : i32
    %take = arith.cmpi sge, %diff, %zero : i32
    %b = memref.load %base[%i] : memref<?xi8>
    %a = memref.load %active[%i] : memref<?xi8>
    %pixel = arith.select %take, %a, %b : i8
    memref.store %pixel, %out[%i] : memref<?xi8>
  }
  return
}
