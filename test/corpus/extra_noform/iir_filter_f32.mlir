// First-order IIR filter, a loop-carried recurrence through memory: a[i] = a[i-1] * c + b[i].
func.func @iir_filter_f32(%a: memref<?xf32>, %b: memref<?xf32>, %c: f32, %n: index) {
  affine.for %i = 1 to %n {
    %prev = affine.load %a[%i - 1] : memref<?xf32>
    %x = affine.load %b[%i] : memref<?xf32>
    %p = arith.mulf %prev, %c : f32
    %s = arith.addf %p, %x : f32
    affine.store %s, %a[%i] : memref<?xf32>
  }
  return
}
