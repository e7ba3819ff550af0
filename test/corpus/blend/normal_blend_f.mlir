// Normal blend on float pixels: opacity * active + (1 - opacity) * base.
func.func @normal_blend_f(%base: memref<?xf32>, %active: memref<?xf32>, %opacity: f32, %out: memref<?xf32>, %n: index) {
  %one = arith.constant 1.0 : f32
  affine.for %i = 0 to %n {
    %a = affine.load %active[%i] : memref<?xf32>
    %b = affine.load %base[%i] : memref<?xf32>
    %pa = arith.mulf %opacity, %a : f32
    %inv = arith.subf %one, %opacity : f32
    %pb = arith.mulf %inv, %b : f32
    %s = arith.addf %pa, %pb : f32
    affine.store %s, %out[%i] : memref<?xf32>
  }
  return
}
