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
