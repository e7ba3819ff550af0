"""How tensors of the raised program sit in memref arguments.

The raising pass wraps operands in `tensor.extract_slice %t[0, ..][sizes][1, ..]` (a prefix of a
buffer), results in `tensor.insert_slice %v into %dest[0, ..][sizes][1, ..]`, and widens i8
operands with an element-wise `arith.extsi` generic before an i32 contraction. These helpers see
through them: a prefix slice is the same buffer with smaller sizes, and a widening generic is
folded into the contraction (linalg.matmul sign-extends anyway).
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects import arith, bufferization, tensor
from xdsl.dialects.builtin import IntegerType, MemRefType, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import SSAValue
from xdsl.ir.affine import AffineDimExpr

from liftcomp.ir.builder import IRBuilder

DYNAMIC = -9223372036854775808  # MLIR's ShapedType::kDynamic in static_sizes


def _ints(attr: Any) -> list[int]:
    return list(attr.get_values())


def prefix_slice(op: object) -> bool:
    """extract_slice / insert_slice at offset 0 with unit strides."""
    if not isinstance(op, (tensor.ExtractSliceOp, tensor.InsertSliceOp)):
        return False
    if op.offsets or op.strides:
        return False
    return all(o == 0 for o in _ints(op.static_offsets)) and all(s == 1 for s in _ints(op.static_strides))


def slice_size(b: IRBuilder, op: tensor.ExtractSliceOp | tensor.InsertSliceOp, axis: int) -> SSAValue:
    sizes = _ints(op.static_sizes)
    if sizes[axis] != DYNAMIC:
        return b.c(sizes[axis])
    dyn_index = sum(1 for s in sizes[:axis] if s == DYNAMIC)
    return op.sizes[dyn_index]


def strip_slices(v: SSAValue) -> SSAValue:
    while prefix_slice(v.owner) and isinstance(v.owner, tensor.ExtractSliceOp):
        v = v.owner.source
    return v


def memref_of(v: SSAValue) -> SSAValue | None:
    """The memref a tensor reads (through prefix slices), or None."""
    v = strip_slices(v)
    if isinstance(v.owner, bufferization.ToTensorOp):
        return v.owner.memref
    return None


def tensor_dim(b: IRBuilder, v: SSAValue, axis: int) -> SSAValue:
    """Size of axis `axis` of tensor `v` as an index value (static, or from the IR that made it)."""
    t = v.type
    if isinstance(t, TensorType):
        shape = t.get_shape()
        if shape[axis] >= 0:
            return b.c(shape[axis])
    op = v.owner
    if isinstance(op, tensor.ExtractSliceOp):
        return slice_size(b, op, axis)
    if isinstance(op, tensor.InsertSliceOp):
        return tensor_dim(b, op.dest, axis)
    if isinstance(op, tensor.EmptyOp):
        shape = op.tensor.type.get_shape()  # type: ignore[union-attr]
        dyn_index = sum(1 for s in shape[:axis] if s < 0)
        return op.dynamic_sizes[dyn_index]
    if isinstance(op, bufferization.ToTensorOp):
        return b.dim(op.memref, axis)
    if isinstance(op, (linalg.GenericOp, linalg.MatmulOp, linalg.FillOp, linalg.TransposeOp)):
        return tensor_dim(b, op.outputs[0], axis)
    raise ValueError(f"cannot find the size of a tensor made by {getattr(op, 'name', op)}")


def widened_source(v: SSAValue) -> SSAValue | None:
    """x when v = generic{yield extsi(x_elem) : i8 -> i32}(x) element-wise with identity maps."""
    op = v.owner
    if not isinstance(op, linalg.GenericOp) or len(op.inputs) != 1 or len(op.outputs) != 1:
        return None
    if any(str(it.data) != "parallel" for it in op.get_iterator_types().data):
        return None
    for m in op.get_indexing_maps().data:
        res = m.data.results
        if not all(isinstance(e, AffineDimExpr) and e.position == i for i, e in enumerate(res)):
            return None
        if len(res) != m.data.num_dims:
            return None
    block = op.body.block
    last = block.last_op
    if not isinstance(last, linalg.YieldOp) or len(last.operands) != 1:
        return None
    ext = last.operands[0].owner
    if not isinstance(ext, arith.ExtSIOp) or ext.input is not block.args[0]:
        return None
    src_t, dst_t = ext.input.type, ext.result.type
    if not (isinstance(src_t, IntegerType) and src_t.width.data == 8):
        return None
    if not (isinstance(dst_t, IntegerType) and dst_t.width.data == 32):
        return None
    return op.inputs[0]


def is_memref(v: SSAValue) -> bool:
    return isinstance(v.type, MemRefType)
