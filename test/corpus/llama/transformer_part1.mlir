// Attention scores of one head: for each timestep t <= pos,
//   att[t] = (sum_i q[h*hs + i] * key_cache[t*kv_dim + h*hs + i]) / sqrt(hs)
// with the key cache of one layer stored flat, (timesteps, kv_dim) row-major.
func.func @transformer_part1(%att: memref<?xf32>, %q: memref<?xf32>, %key_cache: memref<?xf32>, %pos: index, %h: index, %hs: index, %kv_dim: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %steps = arith.addi %pos, %c1 : index
  %head_off = arith.muli %h, %hs : index
  %hs_i = arith.index_cast %hs : index to i32
  %hs_f = arith.sitofp %hs_i : i32 to f32
  %root = math.sqrt %hs_f : f32
  scf.for %t = %c0 to %steps step %c1 {
    %row = arith.muli %t, %kv_dim : index
    %k_base = arith.addi %row, %head_off : index
    %score = scf.for %i = %c0 to %hs step %c1 iter_args(%acc = %zero) -> (f32) {
      %qi = arith.addi %head_off, %i : index
      %ki = arith.addi %k_base, %i : index
      %qv = memref.load %q[%qi] : memref<?xf32>
      %kv = memref.load %key_cache[%ki] : memref<?xf32>
      %p = arith.mulf %qv, %kv : f32
      %s = arith.addf %acc, %p : f32
      scf.yield %s : f32
    }
    %scaled = arith.divf %score, %root : f32
    memref.store %scaled, %att[%t] : memref<?xf32>
  }
  return
}
