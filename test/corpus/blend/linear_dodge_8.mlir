// Linear dodge: base + active in int, truncated back to a byte (wraps above 255).
func.func @linear_dodge_8(%base: memref<45xi8>, %active: memref<45xi8>, %out: memref<45xi8>) {
  affine.for %i = 0 to 45 {
    %b = affine.load %base[%i] : memref<45xi8>
    %a = affine.load %active[%i] : memref<45xi8>
    %bw = arith.extui %b : i8 to i32
    %aw = arith.extui %a : i8 to i32
    %s = arith.addi %bw, %aw : i32
    %t = arith.trunci %s : i32 to i8
    affine.store %t, %out[%i] : memref<45xi8>
  }
  return
}
