// Loop with step 2: only the even elements are scaled, b[i] = s * a[i] for i = 0, 2, 4, ... < n.
func.func @even_scale_step2_f32(%a: memref<?xf32>, %b: memref<?xf32>, %s: f32, %n: index) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c0 to %n step %c2 {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = arith.mulf %s, %x : f32
    memref.store %y, %b[%i] : memref<?xf32>
  }
  return
}
