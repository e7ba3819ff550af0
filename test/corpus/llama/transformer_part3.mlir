// SiLU of the FFN hidden state: out[i] = x[i] * (1 / (1 + exp(-x[i]))), static length.
func.func @transformer_part3(%out: memref<48xf32>, %x: memref<48xf32>) {
  %one = arith.constant 1.0 : f32
  affine.for %i = 0 to 48 {
    %v = affine.load %x[%i] : memref<48xf32>
    %neg = arith.negf %v : f32
    %e = math.exp %neg : f32
    %den = arith.addf %one, %e : f32
    %sig = arith.divf %one, %den : f32
    %r = arith.mulf %v, %sig : f32
    affine.store %r, %out[%i] : memref<48xf32>
  }
  return
}
