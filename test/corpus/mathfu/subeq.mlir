// mathfu vector -= vector: a[i] -= b[i], in place, over the first n elements.
func.func @subeq(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xf32>
    %y = memref.load %b[%i] : memref<?xf32>
    %d = arith.subf %x, %y : f32
    memref.store %d, %a[%i] : memref<?xf32>
  }
  return
}
