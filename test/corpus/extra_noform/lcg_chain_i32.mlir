// Linked dependence x[i+1] = f(x[i]) with f a linear congruential step (wrapping i32 arithmetic).
func.func @lcg_chain_i32(%x: memref<?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %mul = arith.constant 1103515245 : i32
  %inc = arith.constant 12345 : i32
  %n = memref.dim %x, %c0 : memref<?xi32>
  %last = arith.subi %n, %c1 : index
  scf.for %i = %c0 to %last step %c1 {
    %v = memref.load %x[%i] : memref<?xi32>
    %m = arith.muli %v, %mul : i32
    %s = arith.addi %m, %inc : i32
    %ip1 = arith.addi %i, %c1 : index
    memref.store %s, %x[%ip1] : memref<?xi32>
  }
  return
}
