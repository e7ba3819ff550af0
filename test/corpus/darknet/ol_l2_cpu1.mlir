// darknet l2_cpu, error part: error[i] = (truth[i] - pred[i])^2.
func.func @ol_l2_cpu1(%n: index, %pred: memref<?xf32>, %truth: memref<?xf32>, %error: memref<?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %p = memref.load %pred[%i] : memref<?xf32>
    %t = memref.load %truth[%i] : memref<?xf32>
    %d = arith.subf %t, %p : f32
    %e = arith.mulf %d, %d : f32
    memref.store %e, %error[%i] : memref<?xf32>
  }
  return
}
