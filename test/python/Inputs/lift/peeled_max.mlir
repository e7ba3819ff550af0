func.func @s(%a: memref<?xi32>, %n: index) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %init = memref.load %a[%c0] : memref<?xi32>
  %r = scf.for %i = %c1 to %n step %c1 iter_args(%m = %init) -> (i32) {
    %x = memref.load %a[%i] : memref<?xi32>
    %s = arith.maxsi %m, %x : i32
    scf.yield %s : i32
  }
  return %r : i32
}
