// Non-zero lower bound and an offset read: b[i] = a[i + 2] for 1 <= i < n (a holds n + 2 elements).
func.func @shift_offset_lb1_f32(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  affine.for %i = 1 to %n {
    %x = affine.load %a[%i + 2] : memref<?xf32>
    affine.store %x, %b[%i] : memref<?xf32>
  }
  return
}
