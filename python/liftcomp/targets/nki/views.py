"""Where the tensors of a raised function live in its memref arguments, and the sizes of its
dynamic dimensions.

Kernels are specialised to static shapes (NKI traces kernels with static shapes): dynamic sizes
take the value `dyn_size` (what `liftcomp compile --dyn-size` gives index arguments and
dynamic memref dimensions), and the host wrapper checks the shapes it is called with.
A tensor read from an argument is a strided view of the argument's row-major storage:
(argument, element offset, shape, strides), through to_tensor, extract_slice, expand_shape and
collapse_shape.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import arith, bufferization, memref, tensor
from xdsl.dialects.builtin import IndexType, IntegerAttr, IntegerType, MemRefType, TensorType
from xdsl.ir import BlockArgument, Operation, SSAValue

DYNAMIC = -9223372036854775808


class Unsupported(Exception):
    """The NKI lowering does not handle this op (the function stays on the host)."""


def _ints(attr: object) -> list[int]:
    return list(attr.get_values())  # type: ignore[attr-defined]


class IndexEval:
    """Concrete values of index/integer SSA values with dynamic sizes = dyn_size."""

    def __init__(self, dyn_size: int):
        self.dyn = dyn_size
        self.memo: dict[SSAValue, int] = {}

    def __call__(self, v: SSAValue) -> int:
        if v in self.memo:
            return self.memo[v]
        r = self._eval(v)
        self.memo[v] = r
        return r

    def _eval(self, v: SSAValue) -> int:
        if isinstance(v, BlockArgument):
            if isinstance(v.type, (IndexType, IntegerType)):
                return self.dyn
            raise Unsupported(f"index value from a {v.type} argument")
        op = v.owner
        if isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr):
            return op.value.value.data
        if isinstance(op, memref.DimOp):
            return self.dim(op.source.type, self(op.index))  # type: ignore[arg-type]
        if isinstance(op, tensor.DimOp):
            return self.tensor_dim(op.source, self(op.index))
        ops = {"arith.addi": lambda a, b: a + b, "arith.subi": lambda a, b: a - b, "arith.muli": lambda a, b: a * b,
               "arith.maxsi": max, "arith.minsi": min, "arith.divsi": lambda a, b: int(a / b),
               "arith.floordivsi": lambda a, b: a // b, "arith.ceildivsi": lambda a, b: -(-a // b),
               "arith.remsi": lambda a, b: a - int(a / b) * b}
        if op.name in ops:  # type: ignore
            return ops[op.name](self(op.operands[0]), self(op.operands[1]))  # type: ignore[operator]
        if op.name in ("arith.index_cast", "arith.index_castui", "arith.extsi", "arith.trunci"):  # type: ignore
            return self(op.operands[0])  # type: ignore
        raise Unsupported(f"index value computed by {op.name}")  # type: ignore

    def dim(self, t: MemRefType | TensorType, axis: int) -> int:  # type: ignore[type-arg]
        s = t.get_shape()[axis]
        return self.dyn if s < 0 else s

    def tensor_dim(self, v: SSAValue, axis: int) -> int:
        return self.shape(v)[axis]

    def shape(self, v: SSAValue) -> tuple[int, ...]:
        t = v.type
        assert isinstance(t, TensorType)
        static = t.get_shape()
        if all(s >= 0 for s in static):
            return tuple(static)
        op = v.owner
        if isinstance(op, bufferization.ToTensorOp):
            return tuple(self.dim(op.memref.type, i) for i in range(len(static)))  # type: ignore[arg-type]
        if isinstance(op, tensor.ExtractSliceOp):
            sizes = _ints(op.static_sizes)
            dyn = iter(op.sizes)
            full = [self(next(dyn)) if s == DYNAMIC else s for s in sizes]
            src_rank = len(full)
            if len(static) < src_rank:  # rank-reducing: drop the unit dims the result does not keep
                full = _drop_units(full, static)
            return tuple(full)
        if isinstance(op, tensor.EmptyOp):
            dyn = iter(op.dynamic_sizes)
            return tuple(self(next(dyn)) if s < 0 else s for s in static)
        if isinstance(op, tensor.ExpandShapeOp):
            out = _ints(op.static_output_shape)
            dyn = iter(op.dynamic_output_shape)
            return tuple(self(next(dyn)) if s == DYNAMIC else s for s in out)
        if isinstance(op, tensor.InsertSliceOp):
            return self.shape(op.dest)
        if op is not None and hasattr(op, "outputs") and op.outputs:  # linalg ops  # type: ignore
            return self.shape(op.outputs[0])  # type: ignore[attr-defined]
        if isinstance(op, tensor.CollapseShapeOp):
            src = self.shape(op.src)
            return tuple(_prod([src[i] for i in grp]) for grp in _reassoc(op))
        raise Unsupported(f"shape of a tensor made by {getattr(op, 'name', op)}")


def _drop_units(full: list[int], kept: tuple[int, ...] | list[int]) -> list[int]:
    out: list[int] = []
    j = 0
    for s in full:
        if j < len(kept) and (kept[j] == s or kept[j] < 0) and not (s == 1 and len(full) - len(out) > len(kept) - j):
            out.append(s)
            j += 1
    return out


def _prod(xs: list[int]) -> int:
    r = 1
    for x in xs:
        r *= x
    return r


def _reassoc(op: tensor.ExpandShapeOp | tensor.CollapseShapeOp) -> list[list[int]]:
    return [[int(x.value.data) for x in grp.data] for grp in op.reassociation.data]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class HbmView:
    """A strided view of argument `arg`'s row-major storage."""

    arg: int
    offset: int
    shape: tuple[int, ...]
    strides: tuple[int, ...]

    def squeezed(self) -> HbmView:
        keep = [i for i, s in enumerate(self.shape) if s != 1]
        return HbmView(self.arg, self.offset, tuple(self.shape[i] for i in keep), tuple(self.strides[i] for i in keep))


def _copied_argument(m: SSAValue) -> SSAValue:
    """An argument copied into a fresh buffer (memref.alloc + memref.copy, the raising's way to
    read an argument it then overwrites) reads as the argument: kernels write outputs apart."""
    if not isinstance(m.owner, memref.AllocOp):
        return m
    copies = [u.operation for u in m.uses if isinstance(u.operation, memref.CopyOp) and u.operation.destination is m]
    if len(copies) == 1 and isinstance(copies[0].source, BlockArgument):
        return copies[0].source
    return m


def hbm_view(v: SSAValue, ev: IndexEval) -> HbmView | None:
    """The view of an argument that tensor `v` is, or None (computed tensors)."""
    op = v.owner
    if isinstance(op, bufferization.ToTensorOp):
        m = _copied_argument(op.memref)
        if not isinstance(m, BlockArgument) or not isinstance(m.type, MemRefType):
            return None
        shape = ev.shape(v)
        strides = [1] * len(shape)
        for i in range(len(shape) - 2, -1, -1):
            strides[i] = strides[i + 1] * shape[i + 1]
        return HbmView(m.index, 0, tuple(shape), tuple(strides))
    if isinstance(op, tensor.ExtractSliceOp):
        src = hbm_view(op.source, ev)
        if src is None:
            return None
        if op.offsets or op.strides:
            dyn = iter(op.offsets)
            offs = [ev(next(dyn)) if o == DYNAMIC else o for o in _ints(op.static_offsets)]
        else:
            offs = _ints(op.static_offsets)
        steps = _ints(op.static_strides) if not op.strides else None
        if steps is None or any(s != 1 for s in steps):
            raise Unsupported("strided extract_slice")
        sizes = list(ev.shape(v)) if len(ev.shape(v)) == len(src.shape) else None
        full_sizes = _ints(op.static_sizes)
        dyn = iter(op.sizes)
        full = [ev(next(dyn)) if s == DYNAMIC else s for s in full_sizes]
        off = src.offset + sum(o * st for o, st in zip(offs, src.strides, strict=True))
        if sizes is None:  # rank-reducing: drop unit dims
            keep = [i for i, s in enumerate(full) if s != 1]
            res_shape = ev.shape(v)
            if len(keep) != len([s for s in res_shape if s != 1]):
                raise Unsupported("rank-reducing extract_slice")
            strides = [src.strides[i] for i in keep]
            shape = [full[i] for i in keep]
            # put unit dims back where the result has them
            it = iter(zip(shape, strides, strict=True))
            out_shape, out_strides = [], []
            for s in res_shape:
                if s == 1:
                    out_shape.append(1)
                    out_strides.append(1)
                else:
                    a, b = next(it)
                    out_shape.append(a)
                    out_strides.append(b)
            return HbmView(src.arg, off, tuple(out_shape), tuple(out_strides))
        return HbmView(src.arg, off, tuple(full), src.strides)
    if isinstance(op, tensor.ExpandShapeOp):
        src = hbm_view(op.src, ev)
        if src is None:
            return None
        out_shape = ev.shape(v)
        strides: list[int] = []
        for grp, st in zip(_reassoc(op), src.strides, strict=True):
            sizes = [out_shape[i] for i in grp]
            acc = st
            group_strides = []
            for s in reversed(sizes):
                group_strides.append(acc)
                acc *= s
            strides += list(reversed(group_strides))
        return HbmView(src.arg, src.offset, tuple(out_shape), tuple(strides))
    if isinstance(op, tensor.CollapseShapeOp):
        src = hbm_view(op.src, ev)
        if src is None:
            return None
        shape, strides = [], []
        for grp in _reassoc(op):
            dims = [(src.shape[i], src.strides[i]) for i in grp if src.shape[i] != 1] or [(1, 1)]
            for (_s0, st0), (s1, st1) in zip(dims, dims[1:], strict=False):
                if st0 != s1 * st1:
                    raise Unsupported("collapse_shape of non-contiguous dims")
            shape.append(_prod([d[0] for d in dims]))
            strides.append(dims[-1][1])
        return HbmView(src.arg, src.offset, tuple(shape), tuple(strides))
    return None


def is_structured(op: Operation) -> bool:
    """A linalg op with indexing maps and a body (generic, map, reduce, elementwise, ...)."""
    return (op.name.startswith("linalg.") and op.name not in ("linalg.fill", "linalg.matmul", "linalg.batch_matmul",
                                                               "linalg.yield")
            and hasattr(op, "get_indexing_maps") and hasattr(op, "body"))
