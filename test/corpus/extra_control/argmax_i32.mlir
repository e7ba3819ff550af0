// Index of the first maximum: value and index carried together; a strict compare keeps the first on ties.
func.func @argmax_i32(%a: memref<?xi32>) -> index {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xi32>
  %first = memref.load %a[%c0] : memref<?xi32>
  %r:2 = scf.for %i = %c1 to %n step %c1 iter_args(%best = %first, %bi = %c0) -> (i32, index) {
    %x = memref.load %a[%i] : memref<?xi32>
    %gt = arith.cmpi sgt, %x, %best : i32
    %nb = arith.select %gt, %x, %best : i32
    %ni = arith.select %gt, %i, %bi : index
    scf.yield %nb, %ni : i32, index
  }
  return %r#1 : index
}
