// darknet-style axpy_cpu with strides: Y[i*incy] += alpha * X[i*incx] for i < n.
func.func @axpy_cpu(%n: index, %alpha: f32, %X: memref<?xf32>, %incx: index, %Y: memref<?xf32>, %incy: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %ix = arith.muli %i, %incx : index
    %iy = arith.muli %i, %incy : index
    %x = memref.load %X[%ix] : memref<?xf32>
    %y = memref.load %Y[%iy] : memref<?xf32>
    %p = arith.mulf %alpha, %x : f32
    %s = arith.addf %y, %p : f32
    memref.store %s, %Y[%iy] : memref<?xf32>
  }
  return
}
