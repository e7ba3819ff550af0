// A static shape too large to allocate (compile's simulator and reference).
func.func @huge(%A: memref<100000x100000xi8>, %B: memref<100000x100000xi8>) {
  affine.for %i = 0 to 100000 {
    affine.for %j = 0 to 100000 {
      %a = affine.load %A[%i, %j] : memref<100000x100000xi8>
      affine.store %a, %B[%i, %j] : memref<100000x100000xi8>
    }
  }
  return
}
