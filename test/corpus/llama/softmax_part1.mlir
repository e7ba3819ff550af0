// softmax, first loop: the maximum of x, starting from x[0] and scanning from index 1.
func.func @softmax_part1(%x: memref<?xf32>, %size: index) -> f32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %first = memref.load %x[%c0] : memref<?xf32>
  %max = scf.for %i = %c1 to %size step %c1 iter_args(%m = %first) -> (f32) {
    %v = memref.load %x[%i] : memref<?xf32>
    %gt = arith.cmpf ogt, %v, %m : f32
    %nm = arith.select %gt, %v, %m : f32
    scf.yield %nm : f32
  }
  return %max : f32
}
