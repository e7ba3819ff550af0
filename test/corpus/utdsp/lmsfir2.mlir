// UTDSP lmsfir, adaptation part: coefficient[i] += input[i] * error for i < NTAPS - 1.
func.func @lmsfir2(%NTAPS: index, %input: memref<?xf32>, %coefficient: memref<?xf32>, %error: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %ub = arith.subi %NTAPS, %c1 : index
  scf.for %i = %c0 to %ub step %c1 {
    %x = memref.load %input[%i] : memref<?xf32>
    %h = memref.load %coefficient[%i] : memref<?xf32>
    %p = arith.mulf %x, %error : f32
    %s = arith.addf %h, %p : f32
    memref.store %s, %coefficient[%i] : memref<?xf32>
  }
  return
}
