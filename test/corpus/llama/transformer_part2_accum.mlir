// Weighted sum of the values of one head in llama2.c's loop order: clear the head's slice
// of xb, then for each timestep add att[t] * v[t] into it (accumulation through memory).
func.func @transformer_part2_accum(%xb: memref<?xf32>, %att: memref<?xf32>, %value_cache: memref<?xf32>, %pos: index, %h: index, %hs: index, %kv_dim: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %steps = arith.addi %pos, %c1 : index
  %head_off = arith.muli %h, %hs : index
  %head_end = arith.addi %head_off, %hs : index
  scf.for %i = %head_off to %head_end step %c1 {
    memref.store %zero, %xb[%i] : memref<?xf32>
  }
  scf.for %t = %c0 to %steps step %c1 {
    %a = memref.load %att[%t] : memref<?xf32>
    %row = arith.muli %t, %kv_dim : index
    %v_base = arith.addi %row, %head_off : index
    scf.for %i = %c0 to %hs step %c1 {
      %vi = arith.addi %v_base, %i : index
      %xi = arith.addi %head_off, %i : index
      %v = memref.load %value_cache[%vi] : memref<?xf32>
      %p = arith.mulf %a, %v : f32
      %old = memref.load %xb[%xi] : memref<?xf32>
      %s = arith.addf %old, %p : f32
      memref.store %s, %xb[%xi] : memref<?xf32>
    }
  }
  return
}
