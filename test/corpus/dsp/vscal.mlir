// dsp vscal: y[i] = s * x[i] for i < n, a C int length.
func.func @vscal(%x: memref<?xf32>, %y: memref<?xf32>, %s: f32, %n: i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %ub = arith.index_cast %n : i32 to index
  scf.for %i = %c0 to %ub step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %r = arith.mulf %s, %v : f32
    memref.store %r, %y[%i] : memref<?xf32>
  }
  return
}
