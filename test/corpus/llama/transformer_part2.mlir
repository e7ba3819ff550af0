// Weighted sum of the values of one head (Tenspiler's loop order): for each i < hs,
//   xb[h*hs + i] = sum_{t <= pos} att[t] * value_cache[t*kv_dim + h*hs + i]
// with the sum in a scalar carried through iter_args.
func.func @transformer_part2(%xb: memref<?xf32>, %att: memref<?xf32>, %value_cache: memref<?xf32>, %pos: index, %h: index, %hs: index, %kv_dim: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %steps = arith.addi %pos, %c1 : index
  %head_off = arith.muli %h, %hs : index
  scf.for %i = %c0 to %hs step %c1 {
    %col = arith.addi %head_off, %i : index
    %sum = scf.for %t = %c0 to %steps step %c1 iter_args(%acc = %zero) -> (f32) {
      %row = arith.muli %t, %kv_dim : index
      %vi = arith.addi %row, %col : index
      %a = memref.load %att[%t] : memref<?xf32>
      %v = memref.load %value_cache[%vi] : memref<?xf32>
      %p = arith.mulf %a, %v : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    memref.store %sum, %xb[%col] : memref<?xf32>
  }
  return
}
