// darknet mult_add_into_cpu: Z[i] += X[i] * Y[i].
func.func @mult_add_into_cpu(%n: index, %X: memref<?xf32>, %Y: memref<?xf32>, %Z: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %X[%i] : memref<?xf32>
    %y = memref.load %Y[%i] : memref<?xf32>
    %z = memref.load %Z[%i] : memref<?xf32>
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %z, %p : f32
    memref.store %s, %Z[%i] : memref<?xf32>
  }
  return
}
