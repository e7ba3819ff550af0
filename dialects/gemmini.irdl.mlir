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
