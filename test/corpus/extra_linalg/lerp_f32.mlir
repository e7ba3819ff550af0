// Linear interpolation out[i] = a[i] + t * (b[i] - a[i]).
func.func @lerp_f32(%a: memref<?xf32>, %b: memref<?xf32>, %out: memref<?xf32>, %t: f32, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = memref.load %b[%i] : memref<?xf32>
    %d = arith.subf %y, %x : f32
    %p = arith.mulf %t, %d : f32
    %r = arith.addf %x, %p : f32
    memref.store %r, %out[%i] : memref<?xf32>
  }
  return
}
