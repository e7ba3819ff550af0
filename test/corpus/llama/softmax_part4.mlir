// softmax, last loop: x[i] /= sum, in place.
func.func @softmax_part4(%x: memref<?xf32>, %sum: f32, %size: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %size step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %q = arith.divf %v, %sum : f32
    memref.store %q, %x[%i] : memref<?xf32>
  }
  return
}
