// dsp wvec: weighted vector sum z[i] = a * x[i] + y[i].
func.func @wvec(%x: memref<?xf32>, %y: memref<?xf32>, %z: memref<?xf32>, %a: f32, %n: index) {
  affine.for %i = 0 to %n {
    %xv = affine.load %x[%i] : memref<?xf32>
    %yv = affine.load %y[%i] : memref<?xf32>
    %p = arith.mulf %a, %xv : f32
    %s = arith.addf %p, %yv : f32
    affine.store %s, %z[%i] : memref<?xf32>
  }
  return
}
