// Row kernels as loop nests (bf16 rows of 16 x 64; tools/bench_cuda.py uses 8192 x 8192): the CUDA
// lowering fuses each function into one row kernel (one pass over the rows). The float ops carry
// fastmath<fast>: a row kernel reduces in a tree, which reassociates the sums; under the IEEE default
// (no flags) the raising keeps the loop's order and the rows stay on the host.
func.func @softmax_rows(%x: memref<16x64xbf16>, %y: memref<16x64xbf16>) {
  %ninf = arith.constant 0xFF80 : bf16
  %zero = arith.constant 0.0 : bf16
  affine.for %r = 0 to 16 {
    %m = affine.for %c = 0 to 64 iter_args(%acc = %ninf) -> (bf16) {
      %v = affine.load %x[%r, %c] : memref<16x64xbf16>
      %n = arith.maximumf %acc, %v fastmath<fast> : bf16
      affine.yield %n : bf16
    }
    %s = affine.for %c = 0 to 64 iter_args(%acc = %zero) -> (bf16) {
      %v = affine.load %x[%r, %c] : memref<16x64xbf16>
      %d = arith.subf %v, %m fastmath<fast> : bf16
      %e = math.exp %d fastmath<fast> : bf16
      affine.store %e, %y[%r, %c] : memref<16x64xbf16>
      %n = arith.addf %acc, %e fastmath<fast> : bf16
      affine.yield %n : bf16
    }
    affine.for %c = 0 to 64 {
      %e = affine.load %y[%r, %c] : memref<16x64xbf16>
      %q = arith.divf %e, %s fastmath<fast> : bf16
      affine.store %q, %y[%r, %c] : memref<16x64xbf16>
    }
  }
  return
}
func.func @rmsnorm_rows(%x: memref<16x64xbf16>, %w: memref<64xbf16>, %y: memref<16x64xbf16>) {
  %zero = arith.constant 0.0 : f32
  %n = arith.constant 64.0 : f32
  %eps = arith.constant 1.0e-5 : f32
  affine.for %r = 0 to 16 {
    %ss = affine.for %c = 0 to 64 iter_args(%acc = %zero) -> (f32) {
      %v = affine.load %x[%r, %c] : memref<16x64xbf16>
      %f = arith.extf %v : bf16 to f32
      %q = arith.mulf %f, %f fastmath<fast> : f32
      %a = arith.addf %acc, %q fastmath<fast> : f32
      affine.yield %a : f32
    }
    %mean = arith.divf %ss, %n fastmath<fast> : f32
    %t = arith.addf %mean, %eps fastmath<fast> : f32
    %rs = math.rsqrt %t fastmath<fast> : f32
    affine.for %c = 0 to 64 {
      %v = affine.load %x[%r, %c] : memref<16x64xbf16>
      %wv = affine.load %w[%c] : memref<64xbf16>
      %f = arith.extf %v : bf16 to f32
      %g = arith.extf %wv : bf16 to f32
      %a = arith.mulf %f, %rs fastmath<fast> : f32
      %b = arith.mulf %a, %g fastmath<fast> : f32
      %o = arith.truncf %b : f32 to bf16
      affine.store %o, %y[%r, %c] : memref<16x64xbf16>
    }
  }
  return
}
