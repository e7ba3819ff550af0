// dsp vrecip: b[i] = 1 / a[i].
func.func @vrecip(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %r = arith.divf %one, %x : f32
    memref.store %r, %b[%i] : memref<?xf32>
  }
  return
}
