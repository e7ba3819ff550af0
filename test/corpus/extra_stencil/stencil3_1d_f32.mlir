// 1-D 3-point stencil on the interior only: b[i] = 0.25 a[i-1] + 0.5 a[i] + 0.25 a[i+1] for 1 <= i < n-1.
func.func @stencil3_1d_f32(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  %c1 = arith.constant 1 : index
  %q = arith.constant 0.25 : f32
  %h = arith.constant 0.5 : f32
  %last = arith.subi %n, %c1 : index
  scf.for %i = %c1 to %last step %c1 {
    %im1 = arith.subi %i, %c1 : index
    %ip1 = arith.addi %i, %c1 : index
    %l = memref.load %a[%im1] : memref<?xf32>
    %c = memref.load %a[%i] : memref<?xf32>
    %r = memref.load %a[%ip1] : memref<?xf32>
    %wl = arith.mulf %q, %l : f32
    %wc = arith.mulf %h, %c : f32
    %wr = arith.mulf %q, %r : f32
    %s0 = arith.addf %wl, %wc : f32
    %s1 = arith.addf %s0, %wr : f32
    memref.store %s1, %b[%i] : memref<?xf32>
  }
  return
}
