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
