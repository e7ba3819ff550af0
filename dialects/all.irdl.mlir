// IRDL for the 'cuda' dialect, generated from the xDSL dialect 'cuda' of liftcomp.universe by tools/gen_irdl.py.
// Do not edit: run tools/gen_irdl.py (a test fails when this file is stale).
// Load with mlir-opt-22 --irdl-file=<this file>; IR must carry properties as attributes.
irdl.dialect @cuda {
  irdl.operation @block_reduce {
    %v0 = irdl.base "#builtin.string"
    %v1 = irdl.base "#builtin.string"
    irdl.attributes {"combine" = %v0, "scope" = %v1}
  }
  irdl.operation @cp_async {
    %v0 = irdl.base "#builtin.array"
    %v1 = irdl.base "#builtin.integer"
    %v2 = irdl.base "#builtin.integer"
    irdl.attributes {"box" = %v0, "bytes" = %v1, "operand" = %v2}
  }
  irdl.operation @epilogue {
    %v0 = irdl.base "#builtin.string"
    irdl.attributes {"op" = %v0}
  }
  irdl.operation @fma {
  }
  irdl.operation @k_loop {
    %v0 = irdl.base "#builtin.integer"
    %v1 = irdl.base "#builtin.integer"
    irdl.attributes {"k_tile" = %v0, "stages" = %v1}
  }
  irdl.operation @k_loop_end {
  }
  irdl.operation @kernel {
    %v0 = irdl.base "#builtin.string"
    %v1 = irdl.base "#builtin.array"
    %v2 = irdl.base "#builtin.array"
    %v3 = irdl.base "#builtin.array"
    %v4 = irdl.base "#builtin.string"
    %v5 = irdl.base "#builtin.integer"
    %v6 = irdl.base "#builtin.integer"
    %v7 = irdl.base "#builtin.dictionary"
    %v8 = irdl.base "#builtin.string"
    irdl.attributes {"arch" = %v0, "block" = %v1, "cluster" = %v2, "grid" = %v3, "kind" = %v4, "regs" = %v5, "smem_bytes" = %v6, "spec" = %v7, "sym_name" = %v8}
  }
  irdl.operation @mma_sync {
    %v0 = irdl.base "#builtin.string"
    %v1 = irdl.base "#builtin.string"
    %v2 = irdl.base "#builtin.array"
    irdl.attributes {"a_type" = %v0, "acc_type" = %v1, "shape" = %v2}
  }
  irdl.operation @ordered_sum {
    %v0 = irdl.base "#builtin.string"
    %v1 = irdl.base "#builtin.string"
    irdl.attributes {"acc_type" = %v0, "combine" = %v1}
  }
  irdl.operation @row_load {
    %v0 = irdl.base "#builtin.integer"
    %v1 = irdl.base "#builtin.integer"
    %v2 = irdl.base "#builtin.integer"
    irdl.attributes {"items" = %v0, "operand" = %v1, "vec" = %v2}
  }
  irdl.operation @row_math {
    %v0 = irdl.base "#builtin.string"
    irdl.attributes {"op" = %v0}
  }
  irdl.operation @store_tile {
    %v0 = irdl.base "#builtin.integer"
    %v1 = irdl.base "#builtin.string"
    %v2 = irdl.base "#builtin.string"
    irdl.attributes {"operand" = %v0, "out_type" = %v1, "via" = %v2}
  }
  irdl.operation @tma_load {
    %v0 = irdl.base "#builtin.array"
    %v1 = irdl.base "#builtin.integer"
    %v2 = irdl.base "#builtin.integer"
    %v3 = irdl.base "#builtin.integer"
    irdl.attributes {"box" = %v0, "elem_bytes" = %v1, "multicast" = %v2, "operand" = %v3}
  }
  irdl.operation @transpose_tile {
    %v0 = irdl.base "#builtin.integer"
    irdl.attributes {"tile" = %v0}
  }
  irdl.operation @warp_role {
    %v0 = irdl.base "#builtin.integer"
    %v1 = irdl.base "#builtin.string"
    %v2 = irdl.base "#builtin.integer"
    irdl.attributes {"max_regs" = %v0, "role" = %v1, "warpgroups" = %v2}
  }
  irdl.operation @wgmma {
    %v0 = irdl.base "#builtin.string"
    %v1 = irdl.base "#builtin.string"
    %v2 = irdl.base "#builtin.string"
    %v3 = irdl.base "#builtin.string"
    %v4 = irdl.base "#builtin.array"
    irdl.attributes {"a_major" = %v0, "a_type" = %v1, "acc_type" = %v2, "b_major" = %v3, "shape" = %v4}
  }
}

// IRDL for the 'gemmini' dialect, generated from the xDSL dialect 'gemmini' of liftcomp.universe by tools/gen_irdl.py.
// Do not edit: run tools/gen_irdl.py (a test fails when this file is stale).
// Load with mlir-opt-22 --irdl-file=<this file>; IR must carry properties as attributes.
irdl.dialect @gemmini {
  irdl.operation @compute_accumulated {
    %v0 = irdl.base "!builtin.index"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.index"
    %v3 = irdl.base "!builtin.index"
    %v4 = irdl.base "!builtin.index"
    %v5 = irdl.base "!builtin.index"
    irdl.operands(a_addr: optional %v0, bd_addr: optional %v1, a_rows: %v2, a_cols: %v3, bd_rows: %v4, bd_cols: %v5)
  }
  irdl.operation @compute_preloaded {
    %v0 = irdl.base "!builtin.index"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.index"
    %v3 = irdl.base "!builtin.index"
    %v4 = irdl.base "!builtin.index"
    %v5 = irdl.base "!builtin.index"
    irdl.operands(a_addr: optional %v0, bd_addr: optional %v1, a_rows: %v2, a_cols: %v3, bd_rows: %v4, bd_cols: %v5)
  }
  irdl.operation @config_ex {
  }
  irdl.operation @config_ld {
    %v0 = irdl.base "!builtin.index"
    irdl.operands(stride: %v0)
  }
  irdl.operation @config_st {
    %v0 = irdl.base "!builtin.index"
    %v1 = irdl.base "!builtin.f32"
    irdl.operands(stride: %v0, scale_value: optional %v1)
  }
  irdl.operation @fence {
  }
  irdl.operation @flush {
  }
  irdl.operation @loop_conv_ws {
    %v0 = irdl.base "!builtin.index"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.index"
    %v3 = irdl.base "!builtin.index"
    %v4 = irdl.base "!builtin.index"
    %v5 = irdl.base "!builtin.index"
    %v6 = irdl.base "!builtin.index"
    %v7 = irdl.base "!builtin.index"
    %v8 = irdl.base "!builtin.index"
    %v9 = irdl.base "!builtin.index"
    %v10 = irdl.base "!builtin.index"
    %v11 = irdl.base "!builtin.index"
    %v12 = irdl.base "!builtin.index"
    %v13 = irdl.base "!builtin.index"
    %v14 = irdl.base "!builtin.index"
    %v15 = irdl.base "!builtin.index"
    %v16 = irdl.base "!builtin.index"
    %v17 = irdl.base "!builtin.index"
    %v18 = irdl.base "!builtin.index"
    %v19 = irdl.base "!builtin.index"
    %v20 = irdl.base "!builtin.index"
    %v21 = irdl.base "!builtin.index"
    %v22 = irdl.base "!builtin.index"
    %v23 = irdl.base "!builtin.index"
    %v24 = irdl.base "!builtin.memref"
    %v25 = irdl.base "!builtin.index"
    %v26 = irdl.base "!builtin.memref"
    %v27 = irdl.base "!builtin.index"
    %v28 = irdl.base "!builtin.memref"
    %v29 = irdl.base "!builtin.index"
    %v30 = irdl.base "!builtin.memref"
    %v31 = irdl.base "!builtin.index"
    irdl.operands(batch_size: %v0, in_row_dim: %v1, in_col_dim: %v2, in_channels: %v3, out_channels: %v4, out_row_dim: %v5, out_col_dim: %v6, stride: %v7, padding: %v8, kernel_dim: %v9, batches: %v10, porows: %v11, pocols: %v12, pochs: %v13, krows: %v14, kcols: %v15, kchs: %v16, lpad: %v17, rpad: %v18, upad: %v19, dpad: %v20, in_stride: %v21, weight_stride: %v22, out_stride: %v23, input: %v24, input_offset: %v25, weights: %v26, weights_offset: %v27, bias: optional %v28, bias_offset: optional %v29, output: optional %v30, output_offset: optional %v31)
  }
  irdl.operation @loop_ws {
    %v0 = irdl.base "!builtin.index"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.index"
    %v3 = irdl.base "!builtin.index"
    %v4 = irdl.base "!builtin.index"
    %v5 = irdl.base "!builtin.index"
    %v6 = irdl.base "!builtin.memref"
    %v7 = irdl.base "!builtin.index"
    %v8 = irdl.base "!builtin.index"
    %v9 = irdl.base "!builtin.memref"
    %v10 = irdl.base "!builtin.index"
    %v11 = irdl.base "!builtin.index"
    %v12 = irdl.base "!builtin.memref"
    %v13 = irdl.base "!builtin.index"
    %v14 = irdl.base "!builtin.index"
    %v15 = irdl.base "!builtin.memref"
    %v16 = irdl.base "!builtin.index"
    %v17 = irdl.base "!builtin.index"
    irdl.operands(i_blocks: %v0, j_blocks: %v1, k_blocks: %v2, pad_i: %v3, pad_j: %v4, pad_k: %v5, a: %v6, a_offset: %v7, a_stride: %v8, b: %v9, b_offset: %v10, b_stride: %v11, d: optional %v12, d_offset: optional %v13, d_stride: optional %v14, c: optional %v15, c_offset: optional %v16, c_stride: optional %v17)
  }
  irdl.operation @mvin {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.index"
    %v3 = irdl.base "!builtin.index"
    %v4 = irdl.base "!builtin.index"
    %v5 = irdl.base "#builtin.string"
    irdl.operands(dram: %v0, offset: %v1, addr: %v2, rows: %v3, cols: %v4)
    irdl.attributes {"space" = %v5}
  }
  irdl.operation @mvout {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.index"
    %v3 = irdl.base "!builtin.index"
    %v4 = irdl.base "!builtin.index"
    %v5 = irdl.base "#builtin.string"
    irdl.operands(dram: %v0, offset: %v1, addr: %v2, rows: %v3, cols: %v4)
    irdl.attributes {"space" = %v5}
  }
  irdl.operation @preload {
    %v0 = irdl.base "!builtin.index"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.index"
    %v3 = irdl.base "!builtin.index"
    %v4 = irdl.base "!builtin.index"
    %v5 = irdl.base "!builtin.index"
    irdl.operands(b_addr: optional %v0, c_addr: optional %v1, b_rows: %v2, b_cols: %v3, c_rows: %v4, c_cols: %v5)
  }
}

// IRDL for the 'nki' dialect, generated from the xDSL dialect 'nki' of liftcomp.universe by tools/gen_irdl.py.
// Do not edit: run tools/gen_irdl.py (a test fails when this file is stale).
// Load with mlir-opt-22 --irdl-file=<this file>; IR must carry properties as attributes.
irdl.dialect @nki {
  irdl.operation @activation {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    %v2 = irdl.base "!builtin.memref"
    %v3 = irdl.base "!builtin.memref"
    %v4 = irdl.base "!builtin.memref"
    %v5 = irdl.base "#builtin.string"
    irdl.operands(dst: %v0, src: %v1, bias: optional %v2, scale: optional %v3, reduce_res: optional %v4)
    irdl.attributes {"op" = %v5}
  }
  irdl.operation @alloc {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "#builtin.string"
    %v2 = irdl.base "#builtin.string"
    irdl.results(result: %v0)
    irdl.attributes {"buffer" = %v1, "name" = %v2}
  }
  irdl.operation @hbm_view {
    %v0 = irdl.any
    %v1 = irdl.base "!builtin.memref"
    %v2 = irdl.base "#builtin.integer"
    %v3 = irdl.base "#builtin.integer"
    irdl.operands(source: %v0)
    irdl.results(result: %v1)
    irdl.attributes {"cols" = %v2, "rows" = %v3}
  }
  irdl.operation @iota {
    %v0 = irdl.base "!builtin.memref"
    irdl.operands(dst: %v0)
  }
  irdl.operation @load {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    %v2 = irdl.base "!builtin.index"
    irdl.operands(dst: %v0, src: %v1, offsets: variadic %v2)
  }
  irdl.operation @matmul {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    %v2 = irdl.base "!builtin.memref"
    irdl.operands(dst: %v0, stationary: %v1, moving: %v2)
  }
  irdl.operation @memset {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "#builtin.float"
    irdl.operands(dst: %v0)
    irdl.attributes {"value" = %v1}
  }
  irdl.operation @select {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    %v2 = irdl.base "!builtin.memref"
    %v3 = irdl.base "!builtin.memref"
    irdl.operands(dst: %v0, pred: %v1, on_true: %v2, on_false: %v3)
  }
  irdl.operation @store {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.memref"
    irdl.operands(dst: %v0, offsets: variadic %v1, src: %v2)
  }
  irdl.operation @tensor_copy {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    irdl.operands(dst: %v0, src: %v1)
  }
  irdl.operation @tensor_reduce {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    %v2 = irdl.base "#builtin.string"
    irdl.operands(dst: %v0, src: %v1)
    irdl.attributes {"op" = %v2}
  }
  irdl.operation @tensor_scalar {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    %v2 = irdl.base "!builtin.memref"
    %v3 = irdl.base "!builtin.memref"
    %v4 = irdl.base "#builtin.string"
    irdl.operands(dst: %v0, src: %v1, operand0: optional %v2, operand1: optional %v3)
    irdl.attributes {"op0" = %v4}
  }
  irdl.operation @tensor_tensor {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    %v2 = irdl.base "!builtin.memref"
    %v3 = irdl.base "#builtin.string"
    irdl.operands(dst: %v0, a: %v1, b: %v2)
    irdl.attributes {"op" = %v3}
  }
  irdl.operation @transpose {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.memref"
    irdl.operands(dst: %v0, src: %v1)
  }
  irdl.operation @view {
    %v0 = irdl.base "!builtin.memref"
    %v1 = irdl.base "!builtin.index"
    %v2 = irdl.base "!builtin.memref"
    irdl.operands(source: %v0, offset: %v1)
    irdl.results(result: %v2)
  }
}
