"""What a target cannot run stays on the host: tensor ops become scf loops over memrefs.

`lower_to_host_loops(b, value, dest, memref_of)` writes the tensor `value` into the memref `dest`:
to_tensor -> copy, fill -> stores of the constant, linalg.generic / matmul -> its iteration space
as nested scf.for with loads through the indexing maps, the body cloned, and a store of the
yielded value. Operands that are themselves computed tensors go through a memref.alloc.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import memref, tensor
from xdsl.dialects.builtin import MemRefType, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
)

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.ir.builder import IRBuilder
from liftcomp.lowering import views

MemrefOf = Callable[[SSAValue], SSAValue | None]


def lower_to_host_loops(b: IRBuilder, value: SSAValue, dest: SSAValue, memref_of: MemrefOf) -> None:
    op = value.owner
    if views.prefix_slice(op) and isinstance(op, tensor.InsertSliceOp):
        if memref_of(op.dest) is dest:
            lower_to_host_loops(b, op.source, dest, memref_of)
            return
    src_mem = memref_of(value)
    if src_mem is not None:
        if src_mem is not dest:
            _copy(b, src_mem, dest, value)
        return
    if isinstance(op, tensor.EmptyOp):
        return
    if isinstance(op, linalg.FillOp):
        _fill(b, op.inputs[0], dest, value)
        return
    if isinstance(op, (linalg.GenericOp, linalg.MatmulOp, linalg.TransposeOp)):
        _structured(b, op, dest, memref_of)
        return
    where = op_location(op) if isinstance(op, Operation) else "<block argument>"
    raise LiftcompError(f"cannot lower this tensor value to host loops: {getattr(op, 'name', op)}", where)


def _buffer(b: IRBuilder, v: SSAValue, memref_of: MemrefOf) -> SSAValue:
    """A memref holding tensor `v` (its source buffer, or a fresh one it is computed into)."""
    mem = memref_of(v)
    if mem is not None:
        return mem
    t = v.type
    if not isinstance(t, TensorType):
        raise LiftcompError(f"expected a tensor, got {t}")
    dyn = [d for d in t.get_shape() if d < 0]
    if dyn:
        raise LiftcompError("host fallback cannot allocate a dynamically shaped temporary")
    alloc = b.insert(memref.AllocOp.get(t.element_type, shape=t.get_shape()))
    buf = alloc.results[0]
    lower_to_host_loops(b, v, buf, memref_of)
    return buf


def _loop_nest(b: IRBuilder, sizes: list[SSAValue]) -> tuple[list[SSAValue], list[object]]:
    ivs: list[SSAValue] = []
    cms: list[object] = []
    for s in sizes:
        cm = b.for_(b.c(0), s, b.c(1))
        ivs.append(cm.__enter__())
        cms.append(cm)
    return ivs, cms


def _close(cms: list[object]) -> None:
    for cm in reversed(cms):
        cm.__exit__(None, None, None)  # type: ignore[attr-defined]


def _copy(b: IRBuilder, src: SSAValue, dest: SSAValue, value: SSAValue) -> None:
    t = dest.type
    assert isinstance(t, MemRefType)
    ivs, cms = _loop_nest(b, [views.tensor_dim(b, value, i) for i in range(len(t.shape.data))])
    v = b.insert(memref.LoadOp.get(src, ivs)).results[0]
    b.insert(memref.StoreOp.get(v, dest, ivs))
    _close(cms)


def _fill(b: IRBuilder, value: SSAValue, dest: SSAValue, tensor_value: SSAValue) -> None:
    t = dest.type
    assert isinstance(t, MemRefType)
    ivs, cms = _loop_nest(b, [views.tensor_dim(b, tensor_value, i) for i in range(len(t.shape.data))])
    b.insert(memref.StoreOp.get(value, dest, ivs))
    _close(cms)


def _expr(b: IRBuilder, e: AffineExpr, ivs: list[SSAValue]) -> SSAValue:
    if isinstance(e, AffineDimExpr):
        return ivs[e.position]
    if isinstance(e, AffineConstantExpr):
        return b.c(e.value)
    if isinstance(e, AffineBinaryOpExpr):
        lhs, rhs = _expr(b, e.lhs, ivs), _expr(b, e.rhs, ivs)
        if e.kind == AffineBinaryOpKind.Add:
            return b.add(lhs, rhs)
        if e.kind == AffineBinaryOpKind.Mul:
            return b.mul(lhs, rhs)
    raise LiftcompError(f"host fallback does not support the affine expression {e}")


def _structured(b: IRBuilder, op: linalg.GenericOp | linalg.MatmulOp | linalg.TransposeOp, dest: SSAValue,
                memref_of: MemrefOf) -> None:
    # The output starts as the init tensor (destination-passing style).
    init = op.outputs[0]
    lower_to_host_loops(b, init, dest, memref_of)
    ins = [_buffer(b, v, memref_of) for v in op.inputs]
    bufs = [*ins, dest]
    maps = [m.data for m in op.get_indexing_maps().data]
    n_loops = maps[0].num_dims
    sizes: list[SSAValue | None] = [None] * n_loops
    for v, m in zip([*op.inputs, *op.outputs], maps, strict=True):
        for axis, e in enumerate(m.results):
            if isinstance(e, AffineDimExpr) and sizes[e.position] is None:
                sizes[e.position] = views.tensor_dim(b, v, axis)
    if any(s is None for s in sizes):
        raise LiftcompError("host fallback cannot infer every loop bound", op_location(op))
    ivs, cms = _loop_nest(b, [s for s in sizes if s is not None])
    block = op.body.block
    mapping: dict[SSAValue, SSAValue] = {}
    for arg, buf, m in zip(block.args, bufs, maps, strict=True):
        if not arg.uses:
            continue
        idx = [_expr(b, e, ivs) for e in m.results]
        mapping[arg] = b.insert(memref.LoadOp.get(buf, idx)).results[0]
    for body_op in block.ops:
        if isinstance(body_op, linalg.YieldOp):
            out_map = maps[-1]
            idx = [_expr(b, e, ivs) for e in out_map.results]
            b.insert(memref.StoreOp.get(mapping.get(body_op.operands[0], body_op.operands[0]), dest, idx))
            break
        if isinstance(body_op, linalg.IndexOp):
            mapping[body_op.result] = ivs[body_op.dim.value.data]
            continue
        clone = body_op.clone(value_mapper=mapping)
        b.insert(clone)
        for old, new in zip(body_op.results, clone.results, strict=True):
            mapping[old] = new
    _close(cms)



