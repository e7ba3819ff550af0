"""Reference executor: runs func/scf/affine/memref/arith/math IR on numpy buffers.

It is the oracle for every differential test, so it follows MLIR's semantics exactly:
integers are kept as their unsigned bit pattern of the type's width (arith is signless; each
op decides how to read the bits), floats are numpy scalars of the type's width so that f32
code rounds like f32 hardware, and undefined behaviour (division by zero, out-of-bounds
access) stops execution with an error instead of producing a value.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import builtin, func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    AffineSetAttr,
    AnyFloat,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.ir.affine import AffineMap

from liftcomp.diagnostics import LiftcompError
from liftcomp.ir import types


class ExecutionError(LiftcompError):
    """The program did something with no defined result (UB) or that the executor cannot run."""


class OutOfBounds(ExecutionError):
    """A load or store outside its buffer; `array` is the buffer (to grow test inputs)."""

    def __init__(self, message: str, array: np.ndarray[Any, Any]):
        super().__init__(message)
        self.array = array


def numpy_dtype(t: Attribute, unsigned: bool = False) -> np.dtype[Any]:
    """The numpy dtype that holds elements of an MLIR scalar type (ExecutionError if none)."""
    try:
        return types.numpy_dtype(t, unsigned)
    except LiftcompError as e:
        raise ExecutionError(str(e)) from None


def _float_type(t: Attribute) -> type[np.floating[Any]]:
    return numpy_dtype(t).type  # type: ignore[return-value]


def to_signed(v: int, w: int) -> int:
    v &= (1 << w) - 1
    return v - (1 << w) if v >> (w - 1) else v


def _width(t: Attribute) -> int:
    if isinstance(t, IntegerType):
        return t.width.data
    return 64  # index


@dataclass
class _Return:
    values: list[Any]


def _map_eval(m: AffineMap, operands: Sequence[int]) -> list[int]:
    dims = list(operands[: m.num_dims])
    syms = list(operands[m.num_dims :])
    return list(m.eval(dims, syms))


class Interpreter:
    """Runs functions of one module. Buffers are numpy arrays; scalars are ints / numpy floats."""

    def __init__(self, module: ModuleOp, max_steps: int = 50_000_000):
        self.module = module
        self.functions: dict[str, func.FuncOp] = {
            op.sym_name.data: op for op in module.ops if isinstance(op, func.FuncOp)
        }
        self.steps = 0
        self.max_steps = max_steps
        from liftcomp.lift.budget import current_wall_deadline

        # Inside `liftcomp lift`: the function's --kernel-timeout bounds the run too.
        self.wall = current_wall_deadline()

    # ---------------------------------------------------------------- entry
    def call(self, name: str, args: Sequence[Any]) -> list[Any]:
        """Call function `name`; memref arguments are numpy arrays mutated in place.

        Integer results are returned as Python ints in the signed reading of their type
        (i1 as 0/1), float results as numpy scalars.
        """
        fn = self.functions.get(name)
        if fn is None:
            raise ExecutionError(f"no function named '{name}' in the module")
        if fn.is_declaration:
            raise ExecutionError(f"function '{name}' has no body")
        block = fn.body.block
        if len(args) != len(block.args):
            raise ExecutionError(f"'{name}' takes {len(block.args)} arguments, got {len(args)}")
        env: dict[SSAValue, Any] = {}
        for i, (arg, value) in enumerate(zip(block.args, args, strict=True)):
            env[arg] = self._import_arg(arg.type, value, f"argument {i} of '{name}'")
        results = self._run_function_body(block, env)
        return [self._export_scalar(v, t) for v, t in zip(results, fn.function_type.outputs, strict=True)]

    def _run_function_body(self, block: Block, env: dict[SSAValue, Any]) -> list[Any]:
        try:
            self._run_block(block, env)
        except _ReturnSignal as r:
            return r.values
        raise ExecutionError("function body ended without func.return")

    def _import_arg(self, t: Attribute, value: Any, what: str) -> Any:
        if isinstance(t, MemRefType):
            if not isinstance(value, np.ndarray):
                raise ExecutionError(f"{what}: expected a numpy array for {t}")
            shape = t.get_shape()
            if len(shape) != value.ndim or any(s != DYNAMIC_INDEX and s != v for s, v in zip(shape, value.shape, strict=False)):
                raise ExecutionError(f"{what}: array of shape {value.shape} does not fit {t}")
            expect = numpy_dtype(t.element_type)
            if value.dtype.itemsize != expect.itemsize or value.dtype.kind not in _kinds_for(expect):
                raise ExecutionError(f"{what}: array dtype {value.dtype} does not fit {t.element_type}")
            return value
        if isinstance(t, IntegerType):
            return int(value) & ((1 << t.width.data) - 1)
        if isinstance(t, IndexType):
            return int(value)
        if isinstance(t, AnyFloat):
            return _float_type(t)(value)
        raise ExecutionError(f"{what}: unsupported argument type {t}")

    @staticmethod
    def _export_scalar(v: Any, t: Attribute) -> Any:
        if isinstance(t, IntegerType):
            w = t.width.data
            return v if w == 1 else to_signed(v, w)
        return v

    # ---------------------------------------------------------------- blocks
    def _run_block(self, block: Block, env: dict[SSAValue, Any]) -> list[Any]:
        """Run a block; returns the operands of its region terminator (yield)."""
        for op in block.ops:
            self.steps += 1
            if self.steps > self.max_steps:
                raise ExecutionError(f"step limit of {self.max_steps} exceeded")
            if self.steps & 0xFFFF == 0 and self.wall is not None:
                self.wall.check("the reference executor")
            handler = _HANDLERS.get(op.name)
            if handler is None:
                raise ExecutionError(f"the executor cannot run '{op.name}'")
            out = handler(self, op, env)
            if op.name in _TERMINATORS:
                return out
            for res, val in zip(op.results, out, strict=True):
                env[res] = val
        return []

    def _run_region_block(self, block: Block, env: dict[SSAValue, Any], args: Sequence[Any]) -> list[Any]:
        for a, v in zip(block.args, args, strict=True):
            env[a] = v
        return self._run_block(block, env)


class _ReturnSignal(Exception):
    def __init__(self, values: list[Any]):
        self.values = values


def _kinds_for(dt: np.dtype[Any]) -> str:
    if dt.kind in "iu":
        return "iu"
    if dt.kind == "b":
        return "b"
    return dt.kind


Handler = Callable[[Interpreter, Operation, dict[SSAValue, Any]], list[Any]]
_HANDLERS: dict[str, Handler] = {}
_TERMINATORS = {"scf.yield", "affine.yield", "func.return", "scf.condition"}


def _h(*names: str) -> Callable[[Handler], Handler]:
    def deco(f: Handler) -> Handler:
        for n in names:
            _HANDLERS[n] = f
        return f

    return deco


def _prop(op: Operation, name: str) -> Attribute | None:
    value = op.properties.get(name)
    return value if value is not None else op.attributes.get(name)


def _ops(op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [env[o] for o in op.operands]


# ------------------------------------------------------------------- func / control flow
@_h("func.return")
def _return(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    raise _ReturnSignal(_ops(op, env))


@_h("func.call")
def _call(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    callee = _prop(op, "callee")
    assert isinstance(callee, builtin.SymbolRefAttr)
    fn = it.functions.get(callee.root_reference.data)
    if fn is None or fn.is_declaration:
        raise ExecutionError(f"call to unknown or external function '{callee.root_reference.data}'")
    inner: dict[SSAValue, Any] = {}
    for a, v in zip(fn.body.block.args, _ops(op, env), strict=True):
        inner[a] = v
    return it._run_function_body(fn.body.block, inner)


@_h("scf.yield", "affine.yield")
def _yield(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return _ops(op, env)


@_h("scf.condition")
def _condition(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return _ops(op, env)


@_h("scf.for")
def _scf_for(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    vals = _ops(op, env)
    lb, ub, step = vals[0], vals[1], vals[2]
    carried = vals[3:]
    if step <= 0:
        raise ExecutionError("scf.for with a non-positive step")
    body = op.regions[0].block
    i = lb
    while i < ub:
        carried = it._run_region_block(body, env, [i, *carried])
        i += step
    return list(carried)


@_h("affine.for")
def _affine_for(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    lb_map = op.properties["lowerBoundMap"]
    ub_map = op.properties["upperBoundMap"]
    step_attr = op.properties["step"]
    assert isinstance(lb_map, AffineMapAttr) and isinstance(ub_map, AffineMapAttr)
    assert isinstance(step_attr, IntegerAttr)
    seg = _prop(op, "operandSegmentSizes")
    vals = _ops(op, env)
    if seg is not None:
        sizes = list(seg.get_values())  # type: ignore[attr-defined]
    else:
        n_lb = lb_map.data.num_dims + lb_map.data.num_symbols
        n_ub = ub_map.data.num_dims + ub_map.data.num_symbols
        sizes = [n_lb, n_ub, len(vals) - n_lb - n_ub]
    lb_ops = vals[: sizes[0]]
    ub_ops = vals[sizes[0] : sizes[0] + sizes[1]]
    carried = vals[sizes[0] + sizes[1] :]
    lb = max(_map_eval(lb_map.data, lb_ops))
    ub = min(_map_eval(ub_map.data, ub_ops))
    step = step_attr.value.data
    body = op.regions[0].block
    i = lb
    while i < ub:
        carried = it._run_region_block(body, env, [i, *carried])
        i += step
    return list(carried)


@_h("scf.if")
def _scf_if(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    cond = env[op.operands[0]]
    region = op.regions[0] if cond else op.regions[1]
    if not region.blocks:
        return []
    return it._run_block(region.block, env)


@_h("affine.if")
def _affine_if(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    cond = op.properties["condition"]
    assert isinstance(cond, AffineSetAttr)
    iset = cond.data
    vals = _ops(op, env)
    holds = True
    for c in iset.constraints:
        lhs, rhs = _map_eval(AffineMap(iset.num_dims, iset.num_symbols, (c.lhs, c.rhs)), vals)
        holds = holds and {">=": lhs >= rhs, "<=": lhs <= rhs, "==": lhs == rhs}[c.kind.value]
    region = op.regions[0] if holds else op.regions[1]
    if not region.blocks:
        return []
    return it._run_block(region.block, env)


@_h("scf.while")
def _scf_while(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    args = _ops(op, env)
    before, after = op.regions[0].block, op.regions[1].block
    while True:
        cond_and_args = it._run_region_block(before, env, args)
        if not cond_and_args[0]:
            return cond_and_args[1:]
        args = it._run_region_block(after, env, cond_and_args[1:])


@_h("affine.apply")
def _affine_apply(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    m = op.properties["map"]
    assert isinstance(m, AffineMapAttr)
    return _map_eval(m.data, _ops(op, env))


@_h("affine.min")
def _affine_min(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    m = op.properties["map"]
    assert isinstance(m, AffineMapAttr)
    return [min(_map_eval(m.data, _ops(op, env)))]


@_h("affine.max")
def _affine_max(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    m = op.properties["map"]
    assert isinstance(m, AffineMapAttr)
    return [max(_map_eval(m.data, _ops(op, env)))]


# ------------------------------------------------------------------- memory
def _check_index(arr: np.ndarray[Any, Any], idx: tuple[int, ...], what: str) -> None:
    if len(idx) != arr.ndim or any(not (0 <= i < s) for i, s in zip(idx, arr.shape, strict=True)):
        raise OutOfBounds(f"{what}: index {list(idx)} out of bounds for shape {list(arr.shape)}", arr)


def _read(arr: np.ndarray[Any, Any], idx: tuple[int, ...], t: Attribute) -> Any:
    v = arr[idx]
    if isinstance(t, IntegerType):
        return int(v) & ((1 << t.width.data) - 1)
    if isinstance(t, IndexType):
        return int(v)
    return v


def _write(arr: np.ndarray[Any, Any], idx: tuple[int, ...], v: Any) -> None:
    kind = arr.dtype.kind
    if kind == "i":
        arr[idx] = to_signed(v, arr.dtype.itemsize * 8)
    elif kind == "u" or kind == "b":
        arr[idx] = v
    else:
        arr[idx] = v


@_h("memref.load")
def _memref_load(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    vals = _ops(op, env)
    arr, idx = vals[0], tuple(vals[1:])
    _check_index(arr, idx, "memref.load")
    return [_read(arr, idx, op.results[0].type)]


@_h("memref.store")
def _memref_store(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    vals = _ops(op, env)
    v, arr, idx = vals[0], vals[1], tuple(vals[2:])
    _check_index(arr, idx, "memref.store")
    _write(arr, idx, v)
    return []


@_h("affine.load")
def _affine_load(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    vals = _ops(op, env)
    m = op.properties["map"]
    assert isinstance(m, AffineMapAttr)
    arr, idx = vals[0], tuple(_map_eval(m.data, vals[1:]))
    _check_index(arr, idx, "affine.load")
    return [_read(arr, idx, op.results[0].type)]


@_h("affine.store")
def _affine_store(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    vals = _ops(op, env)
    m = op.properties["map"]
    assert isinstance(m, AffineMapAttr)
    v, arr, idx = vals[0], vals[1], tuple(_map_eval(m.data, vals[2:]))
    _check_index(arr, idx, "affine.store")
    _write(arr, idx, v)
    return []


@_h("memref.dim")
def _memref_dim(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    arr, d = _ops(op, env)
    if not 0 <= d < arr.ndim:
        raise ExecutionError(f"memref.dim: dimension {d} out of range")
    return [int(arr.shape[d])]


@_h("memref.alloc", "memref.alloca")
def _memref_alloc(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    t = op.results[0].type
    assert isinstance(t, MemRefType)
    dyn = iter(_ops(op, env))
    shape = [next(dyn) if s == DYNAMIC_INDEX else s for s in t.get_shape()]
    # Fresh memory is undefined in MLIR; zeros keep runs deterministic.
    arr = np.zeros(shape, dtype=numpy_dtype(t.element_type))
    return [arr]


@_h("memref.dealloc")
def _memref_dealloc(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return []


@_h("memref.cast")
def _memref_cast(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [env[op.operands[0]]]


@_h("memref.copy")
def _memref_copy(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    src, dst = _ops(op, env)
    if src.shape != dst.shape:
        raise ExecutionError("memref.copy between buffers of different shapes")
    dst[...] = src
    return []


# ------------------------------------------------------------------- memref views
# Views are numpy views of the same memory, so writes through them reach the original buffer.
def _mixed(static: Sequence[int], dynamic: Sequence[Any]) -> list[int]:
    dyn = iter(dynamic)
    return [int(next(dyn)) if s == DYNAMIC_INDEX else s for s in static]


@_h("memref.subview")
def _memref_subview(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    src = env[op.operands[0]]
    props = {k: _prop(op, k) for k in ("static_offsets", "static_sizes", "static_strides")}
    seg = _prop(op, "operandSegmentSizes")
    assert isinstance(seg, DenseArrayBase)
    n_off, n_size, _ = seg.get_values()[1:]  # type: ignore[misc]
    dyn = _ops(op, env)[1:]
    static = {k: v.get_values() for k, v in props.items() if isinstance(v, DenseArrayBase)}  # type: ignore[misc]
    offsets = _mixed(static["static_offsets"], dyn[:n_off])  # type: ignore[arg-type]
    sizes = _mixed(static["static_sizes"], dyn[n_off : n_off + n_size])  # type: ignore[arg-type]
    strides = _mixed(static["static_strides"], dyn[n_off + n_size :])  # type: ignore[arg-type]
    if not len(offsets) == len(sizes) == len(strides) == src.ndim:
        raise ExecutionError("memref.subview: offsets/sizes/strides do not match the source rank")
    index: list[slice] = []
    for d, (o, n, s) in enumerate(zip(offsets, sizes, strides, strict=True)):
        if s <= 0 or o < 0 or n < 0 or (n > 0 and o + (n - 1) * s >= src.shape[d]):
            raise OutOfBounds(
                f"memref.subview: [{o}, size {n}, stride {s}] out of bounds for dimension {d} of shape {list(src.shape)}", src
            )
        index.append(slice(o, o + n * s, s))
    view = src[tuple(index)]
    rt = op.results[0].type
    assert isinstance(rt, MemRefType)
    res_shape = list(rt.get_shape())
    if len(res_shape) == view.ndim:
        return [view]
    # Rank reduction drops unit dims; match the kept ones left to right like MLIR does.
    keep: list[int] = []
    j = 0
    for d, n in enumerate(static["static_sizes"]):  # type: ignore[arg-type]
        if j < len(res_shape) and (res_shape[j] == n or (res_shape[j] == DYNAMIC_INDEX and n == DYNAMIC_INDEX)):
            keep.append(d)
            j += 1
        elif sizes[d] != 1:
            raise ExecutionError(f"memref.subview: cannot drop dimension {d} of size {sizes[d]}")
    if j != len(res_shape):
        raise ExecutionError("memref.subview: result type does not match the sizes")
    return [view[tuple(slice(None) if d in keep else 0 for d in range(view.ndim))]]


def _reshape_view(arr: np.ndarray[Any, Any], shape: list[int], what: str) -> np.ndarray[Any, Any]:
    try:
        return np.reshape(arr, shape, copy=False)
    except ValueError:
        raise ExecutionError(f"{what}: shape {list(arr.shape)} cannot be viewed as {shape} without a copy") from None


@_h("memref.expand_shape")
def _memref_expand_shape(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    vals = _ops(op, env)
    static = _prop(op, "static_output_shape")
    assert isinstance(static, DenseArrayBase)
    shape = _mixed(static.get_values(), vals[1:])  # type: ignore[arg-type]
    return [_reshape_view(vals[0], shape, "memref.expand_shape")]


@_h("memref.collapse_shape")
def _memref_collapse_shape(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    src = env[op.operands[0]]
    reassoc = _prop(op, "reassociation")
    assert isinstance(reassoc, builtin.ArrayAttr)
    shape = [int(np.prod([src.shape[i.value.data] for i in group.data], dtype=np.int64)) for group in reassoc.data]  # type: ignore[attr-defined]
    return [_reshape_view(src, shape, "memref.collapse_shape")]


# ------------------------------------------------------------------- arith
@_h("arith.constant")
def _constant(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    value = _prop(op, "value")
    t = op.results[0].type
    if isinstance(value, IntegerAttr):
        v = value.value.data
        if isinstance(t, IntegerType):
            return [v & ((1 << t.width.data) - 1)]
        return [v]
    if isinstance(value, FloatAttr):
        return [_float_type(t)(value.value.data)]
    if isinstance(value, DenseIntOrFPElementsAttr):
        raise ExecutionError("vector/tensor constants are not supported by the executor")
    raise ExecutionError(f"unsupported constant {value}")


def _int_binop(f: Callable[[int, int, int], int]) -> Handler:
    def run(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
        a, b = _ops(op, env)
        w = _width(op.results[0].type)
        r = f(a, b, w)
        if isinstance(op.results[0].type, IndexType):
            return [r]
        return [r & ((1 << w) - 1)]

    return run


def _no_signed_overflow(name: str, a: int, b: int, w: int) -> None:
    """The most negative value divided by -1 is undefined behaviour (LLVM's sdiv / srem)."""
    if b == -1 and a == -(1 << (w - 1)):
        raise ExecutionError(f"{name}: signed overflow (the most negative i{w} divided by -1)")


def _sdiv(a: int, b: int, w: int) -> int:
    a, b = to_signed(a, w), to_signed(b, w)
    if b == 0:
        raise ExecutionError("arith.divsi: division by zero")
    _no_signed_overflow("arith.divsi", a, b, w)
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _udiv(a: int, b: int, w: int) -> int:
    if b == 0:
        raise ExecutionError("arith.divui: division by zero")
    return (a & ((1 << w) - 1)) // (b & ((1 << w) - 1))


def _srem(a: int, b: int, w: int) -> int:
    a, b = to_signed(a, w), to_signed(b, w)
    if b == 0:
        raise ExecutionError("arith.remsi: division by zero")
    _no_signed_overflow("arith.remsi", a, b, w)
    r = abs(a) % abs(b)
    return r if a >= 0 else -r


def _urem(a: int, b: int, w: int) -> int:
    if b == 0:
        raise ExecutionError("arith.remui: division by zero")
    return (a & ((1 << w) - 1)) % (b & ((1 << w) - 1))


def _floordiv(a: int, b: int, w: int) -> int:
    a, b = to_signed(a, w), to_signed(b, w)
    if b == 0:
        raise ExecutionError("arith.floordivsi: division by zero")
    _no_signed_overflow("arith.floordivsi", a, b, w)
    return a // b


def _ceildiv(a: int, b: int, w: int) -> int:
    a, b = to_signed(a, w), to_signed(b, w)
    if b == 0:
        raise ExecutionError("arith.ceildivsi: division by zero")
    _no_signed_overflow("arith.ceildivsi", a, b, w)
    return -((-a) // b)


def _shift_amount(b: int, w: int) -> int:
    if b >= w:
        raise ExecutionError("shift amount not smaller than the bit width (poison)")
    return b


_HANDLERS.update(
    {
        "arith.addi": _int_binop(lambda a, b, w: a + b),
        "arith.subi": _int_binop(lambda a, b, w: a - b),
        "arith.muli": _int_binop(lambda a, b, w: a * b),
        "arith.divsi": _int_binop(_sdiv),
        "arith.divui": _int_binop(_udiv),
        "arith.remsi": _int_binop(_srem),
        "arith.remui": _int_binop(_urem),
        "arith.floordivsi": _int_binop(_floordiv),
        "arith.ceildivsi": _int_binop(_ceildiv),
        "arith.andi": _int_binop(lambda a, b, w: a & b),
        "arith.ori": _int_binop(lambda a, b, w: a | b),
        "arith.xori": _int_binop(lambda a, b, w: a ^ b),
        "arith.shli": _int_binop(lambda a, b, w: a << _shift_amount(b, w)),
        "arith.shrui": _int_binop(lambda a, b, w: (a & ((1 << w) - 1)) >> _shift_amount(b, w)),
        "arith.shrsi": _int_binop(lambda a, b, w: to_signed(a, w) >> _shift_amount(b, w)),
        "arith.maxsi": _int_binop(lambda a, b, w: a if to_signed(a, w) >= to_signed(b, w) else b),
        "arith.minsi": _int_binop(lambda a, b, w: a if to_signed(a, w) <= to_signed(b, w) else b),
        "arith.maxui": _int_binop(lambda a, b, w: max(a, b)),
        "arith.minui": _int_binop(lambda a, b, w: min(a, b)),
    }
)


def _float_binop(f: Callable[[Any, Any], Any]) -> Handler:
    def run(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
        a, b = _ops(op, env)
        ft = _float_type(op.results[0].type)
        with np.errstate(all="ignore"):
            return [ft(f(a, b))]

    return run


def _maximumf(a: Any, b: Any) -> Any:
    """arith.maximumf: NaN if either is NaN, +0.0 > -0.0 (np.maximum returns its second operand
    on a tie, so np.maximum(+0.0, -0.0) is -0.0)."""
    if np.isnan(a) or np.isnan(b):
        return np.nan
    if a == b:
        return b if np.signbit(a) else a
    return np.maximum(a, b)


def _minimumf(a: Any, b: Any) -> Any:
    """arith.minimumf: NaN if either is NaN, -0.0 < +0.0."""
    if np.isnan(a) or np.isnan(b):
        return np.nan
    if a == b:
        return a if np.signbit(a) else b
    return np.minimum(a, b)


_HANDLERS.update(
    {
        "arith.addf": _float_binop(lambda a, b: a + b),
        "arith.subf": _float_binop(lambda a, b: a - b),
        "arith.mulf": _float_binop(lambda a, b: a * b),
        "arith.divf": _float_binop(lambda a, b: a / b),
        "arith.remf": _float_binop(lambda a, b: np.fmod(a, b)),
        "arith.maximumf": _float_binop(_maximumf),
        "arith.minimumf": _float_binop(_minimumf),
        "arith.maxnumf": _float_binop(np.fmax),
        "arith.minnumf": _float_binop(np.fmin),
        "math.powf": _float_binop(lambda a, b: np.power(a, b)),
        "math.copysign": _float_binop(np.copysign),
        "math.atan2": _float_binop(np.arctan2),
    }
)


@_h("arith.negf")
def _negf(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [-env[op.operands[0]]]


_CMPI: dict[int, Callable[[int, int, int], bool]] = {
    0: lambda a, b, w: a == b,
    1: lambda a, b, w: a != b,
    2: lambda a, b, w: to_signed(a, w) < to_signed(b, w),
    3: lambda a, b, w: to_signed(a, w) <= to_signed(b, w),
    4: lambda a, b, w: to_signed(a, w) > to_signed(b, w),
    5: lambda a, b, w: to_signed(a, w) >= to_signed(b, w),
    6: lambda a, b, w: a < b,
    7: lambda a, b, w: a <= b,
    8: lambda a, b, w: a > b,
    9: lambda a, b, w: a >= b,
}


@_h("arith.cmpi")
def _cmpi(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    a, b = _ops(op, env)
    pred = op.properties["predicate"]
    assert isinstance(pred, IntegerAttr)
    t = op.operands[0].type
    if isinstance(t, IndexType):
        # index compares as a 64-bit integer; Python ints are already signed.
        w = 64
        a &= (1 << 64) - 1
        b &= (1 << 64) - 1
    else:
        w = _width(t)
    return [int(_CMPI[pred.value.data](a, b, w))]


def _cmpf_pred(p: int, a: Any, b: Any) -> bool:
    unordered = bool(np.isnan(a) or np.isnan(b))
    if p == 0:
        return False
    if p == 15:
        return True
    if p == 7:
        return not unordered
    if p == 14:
        return unordered
    ordered_result = {1: a == b, 2: a > b, 3: a >= b, 4: a < b, 5: a <= b, 6: a != b}
    if 1 <= p <= 6:
        return (not unordered) and bool(ordered_result[p])
    return unordered or bool(ordered_result[p - 7])


@_h("arith.cmpf")
def _cmpf(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    a, b = _ops(op, env)
    pred = op.properties["predicate"]
    assert isinstance(pred, IntegerAttr)
    return [int(_cmpf_pred(pred.value.data, a, b))]


@_h("arith.select")
def _select(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    c, a, b = _ops(op, env)
    return [a if c else b]


@_h("arith.extui")
def _extui(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [env[op.operands[0]]]


@_h("arith.extsi")
def _extsi(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    v = to_signed(env[op.operands[0]], _width(op.operands[0].type))
    return [v & ((1 << _width(op.results[0].type)) - 1)]


@_h("arith.trunci")
def _trunci(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [env[op.operands[0]] & ((1 << _width(op.results[0].type)) - 1)]


@_h("arith.index_cast")
def _index_cast(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    v = env[op.operands[0]]
    src, dst = op.operands[0].type, op.results[0].type
    if isinstance(src, IndexType):
        return [v & ((1 << _width(dst)) - 1)]
    return [to_signed(v, _width(src))]


@_h("arith.index_castui")
def _index_castui(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    v = env[op.operands[0]]
    dst = op.results[0].type
    if isinstance(dst, IndexType):
        return [v]
    return [v & ((1 << _width(dst)) - 1)]


@_h("arith.sitofp")
def _sitofp(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    v = to_signed(env[op.operands[0]], _width(op.operands[0].type))
    return [_float_type(op.results[0].type)(v)]


@_h("arith.uitofp")
def _uitofp(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [_float_type(op.results[0].type)(env[op.operands[0]])]


def _fp_to_int(v: Any, w: int, signed: bool, name: str) -> int:
    if not np.isfinite(v):
        raise ExecutionError(f"{name}: non-finite value (poison)")
    t = math.trunc(float(v))
    lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if signed else (0, (1 << w) - 1)
    if not lo <= t <= hi:
        raise ExecutionError(f"{name}: {t} does not fit the result type (poison)")
    return t & ((1 << w) - 1)


@_h("arith.fptosi")
def _fptosi(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [_fp_to_int(env[op.operands[0]], _width(op.results[0].type), True, "arith.fptosi")]


@_h("arith.fptoui")
def _fptoui(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [_fp_to_int(env[op.operands[0]], _width(op.results[0].type), False, "arith.fptoui")]


@_h("arith.extf", "arith.truncf")
def _fpcast(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    return [_float_type(op.results[0].type)(env[op.operands[0]])]


# ------------------------------------------------------------------- math
def round_half_away(x: Any) -> Any:
    """math.round of a scalar: halves away from zero. x - trunc(x) is exact in floating point, so
    unlike floor(|x| + 0.5) no addition rounds first (0.49999997f stays 0, 2^23 + 1 stays odd)."""
    whole = np.trunc(x)
    return whole + np.sign(x) if np.abs(x - whole) >= 0.5 else whole


def _float_unop(f: Callable[[Any], Any]) -> Handler:
    def run(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
        ft = _float_type(op.results[0].type)
        with np.errstate(all="ignore"):
            return [ft(f(env[op.operands[0]]))]

    return run


_HANDLERS.update(
    {
        "math.exp": _float_unop(np.exp),
        "math.exp2": _float_unop(np.exp2),
        "math.expm1": _float_unop(np.expm1),
        "math.log": _float_unop(np.log),
        "math.log2": _float_unop(np.log2),
        "math.log10": _float_unop(np.log10),
        "math.log1p": _float_unop(np.log1p),
        "math.sqrt": _float_unop(np.sqrt),
        "math.rsqrt": _float_unop(lambda x: np.reciprocal(np.sqrt(x))),
        "math.tanh": _float_unop(np.tanh),
        "math.sin": _float_unop(np.sin),
        "math.cos": _float_unop(np.cos),
        "math.tan": _float_unop(np.tan),
        "math.atan": _float_unop(np.arctan),
        "math.absf": _float_unop(np.abs),
        "math.floor": _float_unop(np.floor),
        "math.ceil": _float_unop(np.ceil),
        "math.trunc": _float_unop(np.trunc),
        "math.roundeven": _float_unop(np.rint),
        "math.round": _float_unop(round_half_away),
        "math.erf": _float_unop(lambda x: math.erf(float(x))),
        "math.cbrt": _float_unop(np.cbrt),
    }
)


@_h("math.absi")
def _absi(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    w = _width(op.results[0].type)
    return [abs(to_signed(env[op.operands[0]], w)) & ((1 << w) - 1)]


@_h("math.fma")
def _fma(it: Interpreter, op: Operation, env: dict[SSAValue, Any]) -> list[Any]:
    a, b, c = _ops(op, env)
    ft = _float_type(op.results[0].type)
    return [ft(a * b + c)]


def run_function(module: ModuleOp, name: str, args: Sequence[Any]) -> list[Any]:
    """Convenience: run `name` in `module` on `args` (arrays mutated in place); returns results."""
    return Interpreter(module).call(name, args)
