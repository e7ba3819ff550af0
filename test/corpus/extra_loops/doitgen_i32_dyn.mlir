// DOITGEN with dynamic sizes (int32): the scratch row `sum` is private to each (r, q) iteration.
func.func @doitgen_i32_dyn(%A: memref<?x?x?xi32>, %C4: memref<?x?xi32>, %sum: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %z = arith.constant 0 : i32
  %nr = memref.dim %A, %c0 : memref<?x?x?xi32>
  %nq = memref.dim %A, %c1 : memref<?x?x?xi32>
  %np = memref.dim %A, %c2 : memref<?x?x?xi32>
  scf.for %r = %c0 to %nr step %c1 {
    scf.for %q = %c0 to %nq step %c1 {
      scf.for %p = %c0 to %np step %c1 {
        %acc = scf.for %s = %c0 to %np step %c1 iter_args(%t = %z) -> (i32) {
          %a = memref.load %A[%r, %q, %s] : memref<?x?x?xi32>
          %c = memref.load %C4[%s, %p] : memref<?x?xi32>
          %m = arith.muli %a, %c : i32
          %n = arith.addi %t, %m : i32
          scf.yield %n : i32
        }
        memref.store %acc, %sum[%p] : memref<?xi32>
      }
      scf.for %p = %c0 to %np step %c1 {
        %t = memref.load %sum[%p] : memref<?xi32>
        memref.store %t, %A[%r, %q, %p] : memref<?x?x?xi32>
      }
    }
  }
  return
}
