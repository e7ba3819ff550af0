"""Fast numpy reference for tensor-level kernels (what `liftcomp-raise` produces).

Every target checks its simulated result against this. It runs the raised function directly:
to_tensor reads an argument, linalg ops compute on whole arrays (a reduction loops over its
reduction indices only, the rest is vectorised), materialize_in_destination writes an argument.
Integers follow arith's semantics: values of width w wrap modulo 2^w (kept as signed int64).
The raised program is proven equal to the original loops, so this is a reference for those too,
and it takes seconds where interpreting a 512^3 loop nest would take hours.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects import arith, bufferization, func, tensor
from xdsl.dialects.builtin import (
    AnyFloat,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.ir.affine import AffineBinaryOpExpr, AffineBinaryOpKind, AffineConstantExpr, AffineDimExpr

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.ir.types import numpy_dtype
from liftcomp.lowering.match import conv_2d_form, is_mac_body
from liftcomp.reference.ieee import maximumf, minimumf

Array = np.ndarray[Any, Any]


class ReferenceError_(LiftcompError):
    """The reference evaluator cannot run this program."""


class SliceOutOfBounds(ReferenceError_):
    """An extract_slice past its source: on inputs too small for the program (a dynamic buffer
    that must hold n + taps - 1 elements, say). `argument` is the function argument the source
    was read from (None if it is no argument) and `sizes` the slice's sizes, to grow inputs by."""

    def __init__(self, message: str, location: str | None, argument: int | None, sizes: list[int]):
        super().__init__(message, location)
        self.argument = argument
        self.sizes = sizes


def _width(t: Any) -> int | None:
    if isinstance(t, IntegerType):
        return t.width.data
    if isinstance(t, IndexType):
        return 64
    return None


def _wrap(x: Array, w: int) -> Array:
    if w >= 64:
        return x.astype(np.int64)
    if w == 1:
        return x.astype(np.int64) & 1
    half = 1 << (w - 1)
    return ((x.astype(np.int64) + half) & ((1 << w) - 1)) - half


def _unsigned(x: Array, w: int) -> Array:
    if w >= 64:
        return x.astype(np.uint64)
    return x.astype(np.int64) & ((1 << w) - 1)


def _trunc_div(a: Array, b: Array) -> Array:
    if np.any(b == 0):
        raise ReferenceError_("integer division by zero")
    q = np.abs(a) // np.abs(b)
    return np.where((a >= 0) == (b >= 0), q, -q)


def _int_binop(name: str) -> Callable[[Array, Array, int], Array] | None:
    table: dict[str, Callable[[Array, Array, int], Array]] = {
        "arith.addi": lambda a, b, w: _wrap(a + b, w),
        "arith.subi": lambda a, b, w: _wrap(a - b, w),
        "arith.muli": lambda a, b, w: _wrap(a * b, w),
        "arith.divsi": lambda a, b, w: _wrap(_trunc_div(a, b), w),
        "arith.remsi": lambda a, b, w: _wrap(a - _trunc_div(a, b) * b, w),
        # Python's // (the Python frontend): toward minus infinity.
        "arith.floordivsi": lambda a, b, w: _wrap(np.floor_divide(a, b), w) if not np.any(b == 0) else _raise_div0(),
        "arith.ceildivsi": lambda a, b, w: _wrap(-np.floor_divide(-a, b), w) if not np.any(b == 0) else _raise_div0(),
        "arith.divui": lambda a, b, w: _wrap(_unsigned(a, w) // np.where(_unsigned(b, w) == 0, 1, _unsigned(b, w)), w)
        if not np.any(_unsigned(b, w) == 0) else _raise_div0(),
        "arith.remui": lambda a, b, w: _wrap(_unsigned(a, w) % np.where(_unsigned(b, w) == 0, 1, _unsigned(b, w)), w)
        if not np.any(_unsigned(b, w) == 0) else _raise_div0(),
        "arith.maxsi": lambda a, b, w: np.maximum(a, b),
        "arith.minsi": lambda a, b, w: np.minimum(a, b),
        "arith.maxui": lambda a, b, w: np.where(_unsigned(a, w) >= _unsigned(b, w), a, b),
        "arith.minui": lambda a, b, w: np.where(_unsigned(a, w) <= _unsigned(b, w), a, b),
        "arith.andi": lambda a, b, w: _wrap(a & b, w),
        "arith.ori": lambda a, b, w: _wrap(a | b, w),
        "arith.xori": lambda a, b, w: _wrap(a ^ b, w),
        "arith.shli": lambda a, b, w: _wrap(_unsigned(a, w) << np.minimum(b, 63), w) if np.all((b >= 0) & (b < w)) else _raise_shift(),
        "arith.shrsi": lambda a, b, w: a >> b if np.all((b >= 0) & (b < w)) else _raise_shift(),
        "arith.shrui": lambda a, b, w: _wrap(_unsigned(a, w) >> b, w) if np.all((b >= 0) & (b < w)) else _raise_shift(),
    }
    return table.get(name)


def _raise_div0() -> Array:
    raise ReferenceError_("integer division by zero")


def _raise_shift() -> Array:
    raise ReferenceError_("shift amount out of range (poison)")


_CMP: dict[int, Callable[[Array, Array], Array]] = {
    0: np.equal, 1: np.not_equal, 2: np.less, 3: np.less_equal, 4: np.greater, 5: np.greater_equal,
}


def eval_scalar_op(op: Operation, env: dict[SSAValue, Any]) -> None:  # noqa: C901
    name = op.name
    if isinstance(op, arith.ConstantOp):
        v = op.value
        if isinstance(v, IntegerAttr):
            env[op.result] = _wrap(np.asarray(v.value.data), _width(op.result.type) or 64)
        elif isinstance(v, FloatAttr):
            dt = np.float32 if _float_bits(op.result.type) == 32 else np.float64
            env[op.result] = np.asarray(v.value.data, dtype=dt)
        else:
            raise ReferenceError_(f"unsupported constant {v}")
        return
    args = [env[v] for v in op.operands]
    rt = op.results[0].type if op.results else None
    w = _width(rt)
    f = _int_binop(name)
    if f is not None and w is not None:
        env[op.results[0]] = f(args[0], args[1], w)
        return
    if name == "arith.cmpi":
        assert isinstance(op, arith.CmpiOp)
        pred = op.predicate.value.data
        wi = _width(op.lhs.type) or 64
        a, b = args
        if pred >= 6:
            a, b = _unsigned(a, wi), _unsigned(b, wi)
            pred -= 4
        env[op.result] = _CMP[pred](a, b).astype(np.int64)
        return
    if name == "arith.cmpf":
        # Ordered predicates are false on NaN, unordered ones true (MLIR's arith.cmpf).
        a, b = np.asarray(args[0]), np.asarray(args[1])
        pred = op.properties["predicate"].value.data  # type: ignore[union-attr]
        unordered = np.isnan(a) | np.isnan(b)
        rel = {1: a == b, 2: a > b, 3: a >= b, 4: a < b, 5: a <= b, 6: a != b, 7: ~unordered, 8: a == b,
               9: a > b, 10: a >= b, 11: a < b, 12: a <= b, 13: a != b, 14: unordered}
        if pred in (0, 15):
            env[op.results[0]] = np.full(np.broadcast(a, b).shape, pred == 15, dtype=np.int64)
            return
        r = rel[pred] if pred == 7 or pred == 14 else (rel[pred] & ~unordered if pred <= 6 else rel[pred] | unordered)
        env[op.results[0]] = np.asarray(r).astype(np.int64)
        return
    if name == "arith.select":
        env[op.results[0]] = np.where(args[0] != 0, args[1], args[2])
        return
    if name in ("arith.extsi", "arith.index_cast"):
        env[op.results[0]] = _wrap(args[0], w or 64)
        return
    if name in ("arith.extui", "arith.index_castui"):
        env[op.results[0]] = _wrap(_unsigned(args[0], _width(op.operands[0].type) or 64), w or 64)
        return
    if name == "arith.trunci":
        env[op.results[0]] = _wrap(args[0], w or 64)
        return
    if name in ("arith.addf", "arith.subf", "arith.mulf", "arith.divf", "arith.maximumf", "arith.minimumf"):
        fn = {"arith.addf": np.add, "arith.subf": np.subtract, "arith.mulf": np.multiply,
              "arith.divf": np.divide, "arith.maximumf": maximumf, "arith.minimumf": minimumf}[name]
        with np.errstate(all="ignore"):
            env[op.results[0]] = fn(args[0], args[1]).astype(_float_dtype(rt))
        return
    if name == "arith.sitofp":
        env[op.results[0]] = args[0].astype(_float_dtype(rt))
        return
    if name == "arith.uitofp":
        env[op.results[0]] = _unsigned(args[0], _width(op.operands[0].type) or 64).astype(_float_dtype(rt))
        return
    if name in ("arith.maxnumf", "arith.minnumf"):
        fn2 = np.fmax if name == "arith.maxnumf" else np.fmin
        env[op.results[0]] = fn2(args[0], args[1]).astype(_float_dtype(rt))
        return
    if name in ("arith.extf", "arith.truncf", "arith.negf", "math.absf", "math.floor", "math.ceil", "math.trunc",
                "math.roundeven", "math.round"):
        x = np.asarray(args[0])
        if name == "math.round":
            # Halves away from zero; x - trunc(x) is exact.
            t = np.trunc(x)
            y = np.where(np.abs(x - t) >= 0.5, t + np.sign(x), t)
        else:
            unary = {"arith.extf": lambda v: v, "arith.truncf": lambda v: v, "arith.negf": np.negative,
                     "math.absf": np.abs, "math.floor": np.floor, "math.ceil": np.ceil, "math.trunc": np.trunc,
                     "math.roundeven": np.rint}[name]
            y = unary(x)
        env[op.results[0]] = np.asarray(y).astype(_float_dtype(rt))
        return
    if name in _MATH_UNARY:
        with np.errstate(all="ignore"):
            env[op.results[0]] = np.asarray(_MATH_UNARY[name](np.asarray(args[0]))).astype(_float_dtype(rt))
        return
    if name in ("arith.fptosi", "arith.fptoui"):
        x = np.asarray(args[0])
        if not np.all(np.isfinite(x)):
            raise ReferenceError_(f"{name} of a non-finite value (poison)", op_location(op))
        # Out-of-range values are poison in MLIR; wrap them like the executors do.
        env[op.results[0]] = _wrap(np.trunc(x).astype(np.int64), w or 64)
        return
    raise ReferenceError_(f"the numpy reference does not support '{name}'", op_location(op))


# math ops with a numpy counterpart (the raised row kernels: softmax's exp, the norms' sqrt).
_MATH_UNARY: dict[str, Callable[[Array], Array]] = {
    "math.exp": np.exp, "math.exp2": np.exp2, "math.log": np.log, "math.log2": np.log2, "math.sqrt": np.sqrt,
    "math.rsqrt": lambda x: 1.0 / np.sqrt(x), "math.tanh": np.tanh, "math.sin": np.sin, "math.cos": np.cos}


def _float_bits(t: Any) -> int:
    if isinstance(t, AnyFloat):
        return t.bitwidth
    raise ReferenceError_(f"not a float type: {t}")


def _float_dtype(t: Any) -> type[np.floating[Any]]:
    return np.float32 if _float_bits(t) == 32 else np.float64


def _structured(op: linalg.GenericOp | linalg.MatmulOp | linalg.TransposeOp | linalg.FillOp,
                env: dict[SSAValue, Any]) -> Array:
    maps = [m.data for m in op.get_indexing_maps().data]
    iters = [str(it.data) for it in op.get_iterator_types().data]
    operands = [env[v] for v in (*op.inputs, *op.outputs)]
    n = len(iters)
    sizes: list[int | None] = [None] * n
    for k, (arr, m) in enumerate(zip(operands, maps, strict=True)):
        for axis, e in enumerate(m.results):
            # An input may read one fixed position of an axis ((d0, d1) -> (d0, 0) broadcasts a
            # reduced column along d1: the raised row kernels) or a window (d0, d1 + d2): a
            # depthwise conv1d); their sizes come from the other operands.
            if k < len(op.inputs) and not isinstance(e, AffineDimExpr) and _linear(e) is not None:
                continue
            if not isinstance(e, AffineDimExpr):
                raise ReferenceError_("indexing maps other than permutations/projections (and constant or d + d' "
                                      "input positions) are not supported", op_location(op))
            if np.ndim(arr) > axis:
                sizes[e.position] = np.shape(arr)[axis]
    if any(s is None for s in sizes):
        raise ReferenceError_("cannot infer every loop bound", op_location(op))
    sizes_: list[int] = [s for s in sizes if s is not None]
    par = [d for d in range(n) if iters[d] == "parallel"]
    red = [d for d in range(n) if iters[d] != "parallel"]
    out = np.array(operands[-1], copy=True)
    out_map = maps[-1]
    out_dims = [e.position for e in out_map.results]  # type: ignore[union-attr]
    if sorted(out_dims) != sorted(par):
        raise ReferenceError_("output map must index exactly the parallel dims")
    block = op.body.block
    par_sizes = [sizes_[d] for d in par]

    def gather(arr: Array, m: Any, red_idx: dict[int, int]) -> Array:
        # An operand as an array over the parallel dims (in `par` order), at fixed reduction indices.
        idx: list[Any] = []
        kept: list[int] = []
        for e in m.results:
            if isinstance(e, AffineDimExpr):
                idx.append(red_idx[e.position] if e.position in red_idx else slice(None))
                kept += [] if e.position in red_idx else [e.position]
                continue
            lin = _linear(e)
            assert lin is not None  # checked with the sizes
            coefs, const = lin
            moving = [d for d, c in coefs.items() if c and d not in red_idx]
            start = const + sum(c * red_idx[d] for d, c in coefs.items() if d in red_idx)
            if not moving:
                idx.append(start)
                continue
            if len(moving) > 1 or coefs[moving[0]] != 1:
                raise ReferenceError_(f"an input position {e} with several parallel dims", op_location(op))
            idx.append(slice(start, start + sizes_[moving[0]]))
            kept.append(moving[0])
        sub = np.asarray(arr)[tuple(idx)] if idx else np.asarray(arr)
        # Put kept dims in `par` order, broadcast the missing ones.
        order = sorted(range(len(kept)), key=lambda i: par.index(kept[i]))
        sub = np.transpose(sub, order) if len(order) > 1 else sub
        kept_sorted = [kept[i] for i in order]
        shape = [sizes_[d] if d in kept_sorted else 1 for d in par]
        return np.broadcast_to(np.reshape(sub, shape), par_sizes)

    out_perm = [out_dims.index(d) for d in par]
    fast = _mac_einsum(block, operands, maps, red, n)
    if fast is not None:
        return _wrap(fast + out.astype(np.int64), _width(block.args[-1].type) or 64)

    for point in itertools.product(*(range(sizes_[d]) for d in red)):  # type: ignore[arg-type]
        red_idx = dict(zip(red, point, strict=True))
        env_b: dict[SSAValue, Any] = {}
        for arg, arr, m in zip(block.args[:-1], operands[:-1], maps[:-1], strict=True):
            env_b[arg] = gather(arr, m, red_idx)
        env_b[block.args[-1]] = np.transpose(out, out_perm) if out.ndim > 1 else out
        for body_op in block.ops:
            if isinstance(body_op, linalg.YieldOp):
                res = env_b.get(body_op.operands[0])
                if res is None:
                    res = env[body_op.operands[0]]
                res = np.broadcast_to(res, par_sizes)
                inv = np.argsort(out_perm)
                out = np.array(np.transpose(res, inv) if res.ndim > 1 else res, dtype=out.dtype, copy=True)
                break
            if isinstance(body_op, linalg.IndexOp):
                d = body_op.dim.value.data
                if d in red_idx:
                    env_b[body_op.result] = np.asarray(red_idx[d])
                else:
                    shape = [sizes_[x] if x == d else 1 for x in par]
                    env_b[body_op.result] = np.broadcast_to(np.arange(sizes_[d]).reshape(shape), par_sizes)  # type: ignore[arg-type]
                continue
            local = {**env, **env_b}
            eval_scalar_op(body_op, local)
            for r in body_op.results:
                env_b[r] = local[r]
    return out


def _linear(e: Any) -> tuple[dict[int, int], int] | None:
    """An affine expression as ({dim: coefficient}, constant), or None (mod, floordiv, ...)."""
    if isinstance(e, AffineConstantExpr):
        return {}, e.value
    if isinstance(e, AffineDimExpr):
        return {e.position: 1}, 0
    if not isinstance(e, AffineBinaryOpExpr) or e.kind not in (AffineBinaryOpKind.Add, AffineBinaryOpKind.Mul):
        return None
    a, b = _linear(e.lhs), _linear(e.rhs)
    if a is None or b is None:
        return None
    if e.kind == AffineBinaryOpKind.Add:
        return {d: a[0].get(d, 0) + b[0].get(d, 0) for d in {*a[0], *b[0]}}, a[1] + b[1]
    if a[0] and b[0]:
        return None  # a product of two dims is not affine
    (coefs, c), k = (a, b[1]) if not b[0] else (b, a[1])
    return {d: v * k for d, v in coefs.items()}, c * k


def _mac_einsum(block: Any, operands: list[Any], maps: list[Any], red: list[int], n: int) -> Array | None:
    """sum over the reduction of sext(a) * sext(b) (i8 inputs), exactly, with BLAS: float64 holds
    every partial sum exactly while K * 2^14 < 2^53."""
    if len(operands) != 3 or not red or not is_mac_body(block):
        return None
    if not all(isinstance(e, AffineDimExpr) for m in maps for e in m.results):
        return None
    letters = "abcdefghijklmnopqrstuvwxyz"
    specs = ["".join(letters[e.position] for e in m.results) for m in maps]
    a, b = (np.asarray(x, dtype=np.float64) for x in operands[:2])
    spec = f"{specs[0]},{specs[1]}->{specs[2]}"
    return np.rint(np.einsum(spec, a, b, optimize=True)).astype(np.int64)


def _pad(op: tensor.PadOp, env: dict[SSAValue, Any]) -> Array:
    """tensor.pad with static sizes and a constant (region-invariant) padding value."""
    if op.low or op.high:
        raise ReferenceError_("tensor.pad with dynamic padding is not supported", op_location(op))
    y = op.region.block.last_op
    assert y is not None
    if len(y.operands) != 1 or y.operands[0] not in env:
        raise ReferenceError_("tensor.pad's value must be defined outside its region", op_location(op))
    src = np.asarray(env[op.source])
    widths = list(zip(op.static_low.get_values(), op.static_high.get_values(), strict=True))
    return np.pad(src, widths, constant_values=np.asarray(env[y.operands[0]]).item())


def _conv_2d(op: Operation, env: dict[SSAValue, Any]) -> Array:
    """out[n, oh, ow, f] += sum x[n, oh*s + kh, ow*s + kw, c] * w[kh, kw, c, f] (i8 x i8 -> i32,
    exact in float64 per kernel position, wrapped to 32 bits); NCHW / FCHW / NFHW through the same
    sum on transposed views."""
    form = conv_2d_form(op)
    assert form is not None
    layout, s = form
    x, w, out = (np.asarray(env[v]) for v in op.operands[:3])
    if layout == "nchw":
        x, w, out = x.transpose(0, 2, 3, 1), w.transpose(2, 3, 1, 0), out.transpose(0, 2, 3, 1)
    _, oh, ow, _ = out.shape
    kh, kw, _, _ = w.shape
    acc = out.astype(np.int64)
    for i in range(kh):
        for j in range(kw):
            win = x[:, i : i + s * (oh - 1) + 1 : s, j : j + s * (ow - 1) + 1 : s, :].astype(np.float64)
            acc += np.rint(np.einsum("nhwc,cf->nhwf", win, w[i, j].astype(np.float64))).astype(np.int64)
    acc = _wrap(acc, 32)
    return np.ascontiguousarray(acc.transpose(0, 3, 1, 2)) if layout == "nchw" else acc


def _slice(op: tensor.ExtractSliceOp | tensor.InsertSliceOp, env: dict[SSAValue, Any]) -> Array:
    """extract_slice / insert_slice with static or dynamic offsets, sizes and positive strides."""
    def values(static: Any, dynamic: Any) -> list[int]:
        dyn = iter(dynamic)  # a negative static entry is MLIR's marker of a dynamic one
        return [int(env[next(dyn)]) if v < 0 else int(v) for v in static.get_values()]

    offsets = values(op.static_offsets, op.offsets)
    sizes = values(op.static_sizes, op.sizes)
    strides = values(op.static_strides, op.strides)
    if any(o < 0 for o in offsets) or any(st < 1 for st in strides):
        raise ReferenceError_(f"slice offsets {offsets} / strides {strides} not supported (negative)", op_location(op))
    region = tuple(slice(o, o + (s - 1) * st + 1 if s else o, st) for o, s, st in zip(offsets, sizes, strides, strict=True))
    ends = [o + (s - 1) * st + 1 if s else o for o, s, st in zip(offsets, sizes, strides, strict=True)]
    if isinstance(op, tensor.ExtractSliceOp):
        src = np.asarray(env[op.source])
        if src.ndim != len(sizes) or any(e > d for e, d in zip(ends, src.shape, strict=True)):
            raise SliceOutOfBounds(f"extract_slice to {ends} out of bounds of a {list(src.shape)} tensor",
                                   op_location(op), _argument_index(op.source), ends)
        # Rank-reducing: the result drops unit dims (which ones does not matter in row-major order).
        return np.reshape(src[region], _reduced(sizes, len(op.result.type.get_shape()), op)).copy()  # type: ignore[union-attr]
    dest = np.array(env[op.dest], copy=True)
    src = np.asarray(env[op.source])
    if dest.ndim != len(sizes) or src.size != math.prod(sizes) or any(e > d for e, d in zip(ends, dest.shape, strict=True)):
        raise ReferenceError_(f"insert_slice of a {list(src.shape)} tensor into a {sizes} window of "
                              f"{list(dest.shape)}", op_location(op))
    dest[region] = np.reshape(src, sizes)  # a rank-reduced source fills its window row-major
    return dest


def _argument_index(v: SSAValue) -> int | None:
    """The function argument a tensor was read from (`bufferization.to_tensor %argK`), or None."""
    owner = v.owner
    if isinstance(owner, bufferization.ToTensorOp) and isinstance(owner.memref, BlockArgument):
        return owner.memref.index
    return None


def _reduced(sizes: list[int], rank: int, op: Operation) -> list[int]:
    """`sizes` without as many unit dims (leftmost first) as a rank-`rank` result drops."""
    drop = len(sizes) - rank
    out: list[int] = []
    for s in sizes:
        if drop > 0 and s == 1:
            drop -= 1
            continue
        out.append(s)
    if drop:
        raise ReferenceError_(f"extract_slice of sizes {sizes} to rank {rank} drops a non-unit dim", op_location(op))
    return out


def run_reference(fn: func.FuncOp, args: list[Any],
                  hook: Callable[[Operation, dict[SSAValue, Any]], bool] | None = None) -> list[Any]:
    """Run a tensor-level function on numpy arrays (memref arguments updated in place).

    `hook(op, env)` runs first on every op and returns True when it evaluated the op (a target's
    interpreter handles its own ops, e.g. cuda.launch, this way)."""
    from liftcomp.interop.linalg_ops import STRUCTURED, generalize

    if any(isinstance(op, STRUCTURED) for op in fn.walk()):
        fn = fn.clone()
        generalize(fn)  # named ops as the linalg.generic they stand for
    env: dict[SSAValue, Any] = {}
    for a, v in zip(fn.body.block.args, args, strict=True):
        if isinstance(a.type, MemRefType):
            if not isinstance(v, np.ndarray):
                raise ReferenceError_("memref arguments must be numpy arrays")
            env[a] = v
        else:
            env[a] = np.asarray(v)
    for op in fn.body.block.ops:
        if hook is not None and hook(op, env):
            continue
        if isinstance(op, func.ReturnOp):
            return [env[v] for v in op.operands]
        if isinstance(op, bufferization.ToTensorOp):
            mem = env[op.memref]
            env[op.tensor] = _wrap(mem, _width(op.tensor.type.element_type) or 64) if mem.dtype.kind in "iu" else mem.copy()  # type: ignore[union-attr]
            continue
        if isinstance(op, bufferization.MaterializeInDestinationOp):
            dest = env[op.dest]
            dest[...] = env[op.source].astype(dest.dtype)
            continue
        if isinstance(op, (tensor.ExtractSliceOp, tensor.InsertSliceOp)):
            env[op.result] = _slice(op, env)
            continue
        if isinstance(op, (tensor.ExpandShapeOp, tensor.CollapseShapeOp)):
            # Row-major reshapes (the NKI target's matmuls and norms read operands through them).
            t = op.result.type
            dyn = iter(op.dynamic_output_shape) if isinstance(op, tensor.ExpandShapeOp) else iter(())
            shape = [d if d >= 0 else int(env[next(dyn)]) for d in t.get_shape()]  # type: ignore[union-attr]
            env[op.result] = np.reshape(env[op.src], shape)
            continue
        if isinstance(op, tensor.FromElementsOp):
            shape = op.result.type.get_shape()  # type: ignore[union-attr]
            env[op.result] = np.reshape(np.array([env[v] for v in op.elements]), shape)
            continue
        if isinstance(op, tensor.ExtractOp):
            env[op.result] = np.asarray(env[op.tensor][tuple(int(env[i]) for i in op.indices)])
            continue
        if isinstance(op, tensor.EmptyOp):
            t = op.tensor.type
            shape = [d if d >= 0 else 0 for d in t.get_shape()]  # type: ignore[union-attr]
            if any(d < 0 for d in t.get_shape()):  # type: ignore[union-attr]
                dyn = iter(op.dynamic_sizes)
                shape = [int(env[next(dyn)]) if d < 0 else d for d in t.get_shape()]  # type: ignore[union-attr]
            # Integers compute in int64 and wrap where they are read; floats in their own width.
            et = op.tensor.type.element_type  # type: ignore[union-attr]
            env[op.tensor] = np.zeros(shape, dtype=_float_dtype(et) if isinstance(et, AnyFloat) else np.int64)
            continue
        if isinstance(op, linalg.FillOp):
            base = env[op.outputs[0]]
            env[op.res[0]] = np.full(np.shape(base), env[op.inputs[0]], dtype=np.asarray(env[op.inputs[0]]).dtype)
            continue
        if isinstance(op, tensor.PadOp):
            env[op.result] = _pad(op, env)
            continue
        if conv_2d_form(op) is not None:
            env[op.results[0]] = _conv_2d(op, env)
            continue
        if isinstance(op, (linalg.GenericOp, linalg.MatmulOp, linalg.TransposeOp)):
            if len(op.res) != 1:  # argmax: (value, index) pairs
                raise ReferenceError_(f"{op.name} with {len(op.res)} results is not supported", op_location(op))
            env[op.res[0]] = _structured(op, env)
            continue
        if op.name.startswith("arith."):
            eval_scalar_op(op, env)
            continue
        if op.name == "memref.alloc":
            mt = op.results[0].type
            assert isinstance(mt, MemRefType)
            dyn = iter(op.operands)
            shape = [int(env[next(dyn)]) if d.data < 0 else d.data for d in mt.shape.data]
            env[op.results[0]] = np.zeros(shape, dtype=numpy_dtype(mt.element_type))
            continue
        if op.name == "memref.copy":
            np.copyto(env[op.operands[1]], env[op.operands[0]])
            continue
        if op.name == "memref.dim":
            env[op.results[0]] = np.asarray(env[op.operands[0]].shape[int(env[op.operands[1]])])
            continue
        raise ReferenceError_(f"the numpy reference does not support '{op.name}'", op_location(op))
    return []

