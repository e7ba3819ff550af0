// darknet translate_array: a[i] += s, in place; the length comes from the buffer.
func.func @translate_array(%a: memref<?xf32>, %s: f32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<?xf32>
    %r = arith.addf %v, %s : f32
    memref.store %r, %a[%i] : memref<?xf32>
  }
  return
}
