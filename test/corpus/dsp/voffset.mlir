// dsp voffset: out[i] = arr[i] + v for i < n, v a run-time scalar (int, wrapping).
func.func @voffset(%arr: memref<?xi32>, %v: i32, %out: memref<?xi32>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %arr[%i] : memref<?xi32>
    %s = arith.addi %x, %v : i32
    affine.store %s, %out[%i] : memref<?xi32>
  }
  return
}
