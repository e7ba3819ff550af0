// Histogram: hist[a[i]] += 1, the store address is data (index_cast of the loaded value).
func.func @histogram_i32(%a: memref<?xi32>, %hist: memref<16xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<?xi32>
    %bin = arith.index_cast %v : i32 to index
    %h = memref.load %hist[%bin] : memref<16xi32>
    %h1 = arith.addi %h, %one : i32
    memref.store %h1, %hist[%bin] : memref<16xi32>
  }
  return
}
