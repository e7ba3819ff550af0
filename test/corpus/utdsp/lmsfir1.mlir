// UTDSP lmsfir, filter part: sum of input[i] * coefficient[i] over NTAPS float taps.
func.func @lmsfir1(%NTAPS: i32, %input: memref<?xf32>, %coefficient: memref<?xf32>) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %ub = arith.index_cast %NTAPS : i32 to index
  %sum = scf.for %i = %c0 to %ub step %c1 iter_args(%acc = %zero) -> (f32) {
    %x = memref.load %input[%i] : memref<?xf32>
    %h = memref.load %coefficient[%i] : memref<?xf32>
    %p = arith.mulf %x, %h : f32
    %s = arith.addf %acc, %p : f32
    scf.yield %s : f32
  }
  return %sum : f32
}
