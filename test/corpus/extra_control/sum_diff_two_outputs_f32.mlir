// One loop body, two stores: s[i] = a[i] + b[i] and d[i] = a[i] - b[i].
func.func @sum_diff_two_outputs_f32(%a: memref<?xf32>, %b: memref<?xf32>, %s: memref<?xf32>, %d: memref<?xf32>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xf32>
    %y = affine.load %b[%i] : memref<?xf32>
    %p = arith.addf %x, %y : f32
    %q = arith.subf %x, %y : f32
    affine.store %p, %s[%i] : memref<?xf32>
    affine.store %q, %d[%i] : memref<?xf32>
  }
  return
}
