// darknet l2_cpu, delta part: delta[i] = truth[i] - pred[i] (double precision).
func.func @ol_l2_cpu2(%n: index, %pred: memref<?xf64>, %truth: memref<?xf64>, %delta: memref<?xf64>) {
  affine.for %i = 0 to %n {
    %p = affine.load %pred[%i] : memref<?xf64>
    %t = affine.load %truth[%i] : memref<?xf64>
    %d = arith.subf %t, %p : f64
    affine.store %d, %delta[%i] : memref<?xf64>
  }
  return
}
