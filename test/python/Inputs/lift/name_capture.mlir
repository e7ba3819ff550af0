func.func @s(%out: memref<?xi32>, %a: memref<?xi32>, %n: index, %i1: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %k = arith.constant 12345 : i32
  %one = arith.constant 1 : i32
  %zero = arith.constant 0 : i32
  scf.for %j = %c0 to %n step %c1 {
    %x = memref.load %a[%i1] : memref<?xi32>
    %c = arith.cmpi eq, %x, %k : i32
    %d = arith.select %c, %one, %zero : i32
    memref.store %d, %out[%j] : memref<?xi32>
  }
  return
}
