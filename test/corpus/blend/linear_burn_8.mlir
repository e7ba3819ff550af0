// Linear burn: base + active - 255 in int, truncated back to a byte (wraps below zero,
// as the unclamped C code does).
func.func @linear_burn_8(%base: memref<?xi8>, %active: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c255 = arith.constant 255 : i32
  scf.for %i = %c0 to %n step %c1 {
    %b = memref.load %base[%i] : memref<?xi8>
    %a = memref.load %active[%i] : memref<?xi8>
    %bw = arith.extui %b : i8 to i32
    %aw = arith.extui %a : i8 to i32
    %s = arith.addi %bw, %aw : i32
    %r = arith.subi %s, %c255 : i32
    %t = arith.trunci %r : i32 to i8
    memref.store %t, %out[%i] : memref<?xi8>
  }
  return
}
