// Gather through an index array: out[i] = x[idx[i]].
func.func @gather_f32(%idx: memref<?xi32>, %x: memref<16xf32>, %out: memref<?xf32>, %n: index) {
  affine.for %i = 0 to %n {
    %k = affine.load %idx[%i] : memref<?xi32>
    %j = arith.index_cast %k : i32 to index
    %v = memref.load %x[%j] : memref<16xf32>
    affine.store %v, %out[%i] : memref<?xf32>
  }
  return
}
