// Lighten: the larger of base and active. Written as C's if/else with a store in each branch.
func.func @lighten_blend_8(%base: memref<?xi8>, %active: memref<?xi8>, %out: memref<?xi8>, %n: index) {
  affine.for %i = 0 to %n {
    %b = affine.load %base[%i] : memref<?xi8>
    %a = affine.load %active[%i] : memref<?xi8>
    %lt = arith.cmpi ult, %b, %a : i8
    scf.if %lt {
      affine.store %a, %out[%i] : memref<?xi8>
    } else {
      affine.store %b, %out[%i] : memref<?xi8>
    }
  }
  return
}
