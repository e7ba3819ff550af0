// FIR filter over a block: y[i] = sum_k h[k] * x[i + k] for i < n, k < ntaps (x holds n + ntaps - 1 samples).
func.func @fir_filter(%x: memref<?xf32>, %h: memref<?xf32>, %y: memref<?xf32>, %n: index, %ntaps: index) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to %n {
    %acc = affine.for %k = 0 to %ntaps iter_args(%a = %zero) -> (f32) {
      %xv = affine.load %x[%i + %k] : memref<?xf32>
      %hv = affine.load %h[%k] : memref<?xf32>
      %p = arith.mulf %hv, %xv : f32
      %s = arith.addf %a, %p : f32
      affine.yield %s : f32
    }
    affine.store %acc, %y[%i] : memref<?xf32>
  }
  return
}
