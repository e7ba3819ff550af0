// mathfu matrix * scalar: out[i][j] = m[i][j] * s.
func.func @matmul_sca(%m: memref<?x?xf32>, %s: f32, %out: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = memref.dim %m, %c0 : memref<?x?xf32>
  %cols = memref.dim %m, %c1 : memref<?x?xf32>
  scf.for %i = %c0 to %rows step %c1 {
    scf.for %j = %c0 to %cols step %c1 {
      %v = memref.load %m[%i, %j] : memref<?x?xf32>
      %r = arith.mulf %v, %s : f32
      memref.store %r, %out[%i, %j] : memref<?x?xf32>
    }
  }
  return
}
