// An element type liftcomp has no numpy dtype for.
func.func @copy_i128(%a: memref<?xi128>, %b: memref<?xi128>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xi128>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi128>
    %y = arith.addi %x, %x : i128
    memref.store %y, %b[%i] : memref<?xi128>
  }
  return
}
