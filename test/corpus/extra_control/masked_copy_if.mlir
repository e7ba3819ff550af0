// Conditional store: b[i] = a[i] only where a[i] > t; elsewhere b keeps its value.
func.func @masked_copy_if(%a: memref<?xf32>, %b: memref<?xf32>, %t: f32, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xf32>
    %gt = arith.cmpf ogt, %x, %t : f32
    scf.if %gt {
      affine.store %x, %b[%i] : memref<?xf32>
    }
  }
  return
}
