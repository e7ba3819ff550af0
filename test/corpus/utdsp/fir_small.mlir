// UTDSP fir (inner tap loop): sum of input[i] * coefficient[i] over NTAPS taps; buffers may be longer.
func.func @fir_small(%NTAPS: index, %input: memref<?xi32>, %coefficient: memref<?xi32>) -> i32 {
  %zero = arith.constant 0 : i32
  %sum = affine.for %i = 0 to %NTAPS iter_args(%acc = %zero) -> (i32) {
    %x = affine.load %input[%i] : memref<?xi32>
    %h = affine.load %coefficient[%i] : memref<?xi32>
    %p = arith.muli %x, %h : i32
    %s = arith.addi %acc, %p : i32
    affine.yield %s : i32
  }
  return %sum : i32
}
