// In-place ReLU on a matrix with arith.maximumf (dynamic shape).
func.func @relu_maximumf_2d_f32(%A: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %m = memref.dim %A, %c0 : memref<?x?xf32>
  %n = memref.dim %A, %c1 : memref<?x?xf32>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %x = memref.load %A[%i, %j] : memref<?x?xf32>
      %r = arith.maximumf %x, %zero : f32
      memref.store %r, %A[%i, %j] : memref<?x?xf32>
    }
  }
  return
}
