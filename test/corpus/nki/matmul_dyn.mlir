// c = a @ b with every dimension dynamic (sizes from --dyn-size): a[n, n], b[n, n], c[n, n].
func.func @matmul_dyn(%a: memref<?x?xf32>, %b: memref<?x?xf32>, %c: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %m = memref.dim %a, %c0 : memref<?x?xf32>
  %k = memref.dim %a, %c1 : memref<?x?xf32>
  %n = memref.dim %b, %c1 : memref<?x?xf32>
  affine.for %i = 0 to %m {
    affine.for %j = 0 to %n {
      %s = affine.for %p = 0 to %k iter_args(%acc = %zero) -> (f32) {
        %av = affine.load %a[%i, %p] : memref<?x?xf32>
        %bv = affine.load %b[%p, %j] : memref<?x?xf32>
        %t = arith.mulf %av, %bv : f32
        %u = arith.addf %acc, %t : f32
        affine.yield %u : f32
      }
      affine.store %s, %c[%i, %j] : memref<?x?xf32>
    }
  }
  return
}
