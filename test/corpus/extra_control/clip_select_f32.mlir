// Clamp to [lo, hi] with two compare + select pairs: x < lo ? lo : (x > hi ? hi : x).
func.func @clip_select_f32(%a: memref<?xf32>, %out: memref<?xf32>, %lo: f32, %hi: f32, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %above = arith.cmpf ogt, %x, %hi : f32
    %y = arith.select %above, %hi, %x : f32
    %below = arith.cmpf olt, %x, %lo : f32
    %z = arith.select %below, %lo, %y : f32
    memref.store %z, %out[%i] : memref<?xf32>
  }
  return
}
