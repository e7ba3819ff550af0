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
