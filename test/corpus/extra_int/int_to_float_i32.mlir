// The same i32 bits read as signed (sitofp) and as unsigned (uitofp), rounded to f32.
func.func @int_to_float_i32(%a: memref<?xi32>, %fs: memref<?xf32>, %fu: memref<?xf32>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xi32>
    %s = arith.sitofp %x : i32 to f32
    %u = arith.uitofp %x : i32 to f32
    affine.store %s, %fs[%i] : memref<?xf32>
    affine.store %u, %fu[%i] : memref<?xf32>
  }
  return
}
