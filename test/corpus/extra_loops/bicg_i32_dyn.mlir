// Polybench BICG with dynamic sizes: s = A^T r (accumulated with i outermost) and q = A p.
func.func @bicg_i32_dyn(%A: memref<?x?xi32>, %s: memref<?xi32>, %q: memref<?xi32>, %p: memref<?xi32>, %r: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0 : i32
  %n = memref.dim %A, %c0 : memref<?x?xi32>
  %m = memref.dim %A, %c1 : memref<?x?xi32>
  scf.for %j = %c0 to %m step %c1 {
    memref.store %z, %s[%j] : memref<?xi32>
  }
  scf.for %i = %c0 to %n step %c1 {
    memref.store %z, %q[%i] : memref<?xi32>
    scf.for %j = %c0 to %m step %c1 {
      %a = memref.load %A[%i, %j] : memref<?x?xi32>
      %ri = memref.load %r[%i] : memref<?xi32>
      %sj = memref.load %s[%j] : memref<?xi32>
      %t1 = arith.muli %ri, %a : i32
      %s1 = arith.addi %sj, %t1 : i32
      memref.store %s1, %s[%j] : memref<?xi32>
      %pj = memref.load %p[%j] : memref<?xi32>
      %qi = memref.load %q[%i] : memref<?xi32>
      %t2 = arith.muli %a, %pj : i32
      %q1 = arith.addi %qi, %t2 : i32
      memref.store %q1, %q[%i] : memref<?xi32>
    }
  }
  return
}
