"""Tile-level interpreter of the cuda dialect on numpy: the functional check without a GPU.

Host glue runs through the tensor-level reference (reference/tensor_ir.py); each `@<kernel>.launch` call runs
its kernel's body at the granularity of tiles: a GEMM walks its output tiles and K steps with the
schedule's tile sizes (split-K partial sums added at the end, as the GPU does), accumulates in f32
(int64 for 8-bit inputs, wrapped to 32 bits on store) and applies the body's epilogue ops in their
order, then converts to the output type (bf16 rounds to nearest even through ml_dtypes, as
__float2bfloat16_rn does); row kernels run their reductions and row math in f32; elementwise and
reduction kernels evaluate their map function on whole arrays.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects import func, tensor
from xdsl.dialects.builtin import ModuleOp, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue

from liftcomp.diagnostics import LiftcompError
from liftcomp.reference.ieee import maximumf, minimumf
from liftcomp.reference.tensor_ir import eval_scalar_op, run_reference
from liftcomp.targets.cuda import dialect as cu
from liftcomp.targets.cuda.kernels import _function as function_of  # pyright: ignore[reportPrivateUsage]
from liftcomp.targets.cuda.kernels import body_ops, map_of, spec_of
from liftcomp.targets.cuda.spec import KernelSpec

Array = np.ndarray[Any, Any]
DYNAMIC = -(1 << 63)  # MLIR's marker of a dynamic offset / size / stride


class InterpError(LiftcompError):
    """The interpreter cannot run this kernel (a malformed body)."""


def np_dtype(t: str) -> np.dtype[Any]:
    if t == "bf16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype({"f16": np.float16, "f32": np.float32, "f64": np.float64, "i8": np.int8, "i32": np.int32,
                     "i64": np.int64}[t])


def _store(x: Array, t: str) -> Array:
    if t.startswith("i"):
        w = int(t[1:])
        x = np.asarray(x).astype(np.int64)
        if w < 64:
            half = 1 << (w - 1)
            x = ((x + half) & ((1 << w) - 1)) - half
        return x.astype(np_dtype(t))
    return np.asarray(x, dtype=np.float32 if t != "f64" else np.float64).astype(np_dtype(t))


def _ops(op: cu.KernelOp) -> list[Operation]:
    return body_ops(op)


def _ordered_sum(start: Array, terms: Any, n: int, t: str, combine: str = "sum") -> Array:
    """acc = start; acc = round_t(acc + terms(k)) for k = 0 .. n-1 (cuda.ordered_sum; max / min:
    acc = b > acc ? b : acc): f32 numpy additions round every step as __fadd_rn does; a 16-bit
    type rounds again."""
    acc = start.astype(np.float32)
    with np.errstate(all="ignore"):
        for k in range(n):
            b = terms(k)
            if combine == "sum":
                acc = acc + b
            else:
                acc = np.where(b > acc if combine == "selmax" else b < acc, b, acc).astype(np.float32)
            if t != "f32":
                acc = acc.astype(np_dtype(t)).astype(np.float32)
    return acc


def run_ordered_gemm(spec: KernelSpec, bufs: list[Array]) -> Array:
    """A GEMM whose sum keeps the loop's order: per output element, from the residual (else +0.0),
    add the K products in order, each product and sum rounded to the element type."""
    a, b = bufs[0], bufs[1]
    batched = a.ndim == 3
    a3 = (a if batched else a[None]).astype(np.float32)
    b3 = (b if batched else b[None]).astype(np.float32)
    if spec.b_layout == "col":
        b3 = np.swapaxes(b3, -1, -2)
    names = spec.buffer_names()
    n_l, m, kk = a3.shape
    start = np.zeros((n_l, m, b3.shape[-1]), dtype=np.float32)
    if "residual" in spec.epilogue:
        r = bufs[names.index("residual")]
        start = (r if batched else r[None]).astype(np.float32)
    t = spec.out_type

    def product(k: int) -> Array:
        with np.errstate(all="ignore"):
            p = a3[:, :, k:k + 1] * b3[:, k:k + 1, :]
        return p if t == "f32" else p.astype(np_dtype(t)).astype(np.float32)

    out = _store(_ordered_sum(start, product, kk, t), t)
    return out if batched else out[0]


def run_gemm(k: cu.KernelOp, spec: KernelSpec, bufs: list[Array], scalars: list[Any]) -> Array:
    body = _ops(k)
    if any(isinstance(o, cu.OrderedSumOp) for o in body):
        return run_ordered_gemm(spec, bufs)
    if not any(isinstance(o, (cu.WgmmaOp, cu.MmaSyncOp, cu.FmaLoopOp)) for o in body):
        raise InterpError(f"@{spec.name}: a gemm body without a multiply-accumulate op")
    kl = next(o for o in body if isinstance(o, cu.KLoopOp))
    tk = kl.k_tile.value.data
    if any(isinstance(o, cu.WgmmaOp) for o in body):
        tm, tn = spec.gemm.tile[0], spec.gemm.tile[1]
    elif any(isinstance(o, cu.MmaSyncOp) for o in body):
        tm, tn = 128, 128
    else:
        tm, tn = 16, 16
    a, b = bufs[0], bufs[1]
    batched = a.ndim == 3
    a3 = a if batched else a[None]
    b3 = b if batched else b[None]
    if spec.b_layout == "col":
        b3 = np.swapaxes(b3, -1, -2)
    integer = spec.acc_type == "i32"
    acc_t = np.int64 if integer else np.float32
    a3 = a3.astype(acc_t)
    b3 = b3.astype(acc_t)
    n_l, m, kk = a3.shape
    n = b3.shape[-1]
    names = spec.buffer_names()
    out = np.zeros((n_l, m, n), dtype=np_dtype(spec.out_type))
    ksteps = list(range(0, kk, tk))
    splits = max(1, min(spec.gemm.split_k, len(ksteps) or 1))
    groups = [ksteps[i::splits] for i in range(splits)] if spec.gemm.split_k > 1 else [ksteps]
    groups = [sorted(g) for g in groups]
    epi = [o for o in body if isinstance(o, cu.EpilogueOp)]
    for li in range(n_l):
        for m0 in range(0, m, tm):
            for n0 in range(0, n, tn):
                acc = np.zeros((min(tm, m - m0), min(tn, n - n0)), dtype=acc_t)
                for g in groups:
                    part = np.zeros_like(acc)
                    for k0 in g:
                        part += a3[li, m0:m0 + tm, k0:k0 + tk] @ b3[li, k0:k0 + tk, n0:n0 + tn]
                    acc += part
                v: Array = acc
                for e in epi:
                    op = e.op.data
                    if op == "scale":
                        v = v * acc_t(scalars[0])
                    elif op == "residual":
                        r = bufs[names.index("residual")]
                        r3 = r if batched else r[None]
                        v = v + r3[li, m0:m0 + tm, n0:n0 + tn].astype(acc_t)
                    elif op == "bias":
                        v = v + bufs[names.index("bias")][n0:n0 + tn].astype(acc_t)
                    elif op == "relu":
                        v = np.where(v > 0, v, acc_t(0))  # the kernels' `v > 0 ? v : 0` (NaN -> 0)
                    elif op == "convert":
                        v = _store(v, spec.out_type)
                out[li, m0:m0 + tm, n0:n0 + tn] = v
    return out if batched else out[0]


def run_row(k: cu.KernelOp, spec: KernelSpec, bufs: list[Array], scalars: list[Any] | None = None) -> Array:
    if spec.row_op == "fused":
        fn = function_of(k, "rows")
        if fn is None:
            raise InterpError(f"@{spec.name}: a fused row kernel without @{spec.name}.rows")
        (out,) = run_reference(fn, [*bufs, *(scalars or [])], glue_hook)
        return _store(np.asarray(out), spec.out_type)
    x = bufs[0].astype(np.float32)
    reds = [o.combine.data for o in _ops(k) if isinstance(o, cu.BlockReduceOp)]
    math = next((o for o in _ops(k) if isinstance(o, cu.RowMathOp)), None)
    if math is None:
        raise InterpError(f"@{spec.name}: a row kernel without cuda.row_math")
    op, cols = math.op.data, x.shape[-1]
    eps = np.float32(spec.eps)
    if op == "softmax" and reds == ["max", "sum"]:
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        y = e * (np.float32(1) / e.sum(axis=-1, keepdims=True, dtype=np.float32))
    elif op == "rmsnorm" and reds == ["sum"]:
        r = np.float32(1) / np.sqrt((x * x).sum(axis=-1, keepdims=True, dtype=np.float32) / np.float32(cols) + eps)
        y = x * r * bufs[1].astype(np.float32)
    elif op == "layernorm" and reds == ["sum", "sum"]:
        mean = x.sum(axis=-1, keepdims=True, dtype=np.float32) / np.float32(cols)
        d = x - mean
        r = np.float32(1) / np.sqrt((d * d).sum(axis=-1, keepdims=True, dtype=np.float32) / np.float32(cols) + eps)
        y = d * r * bufs[1].astype(np.float32) + bufs[2].astype(np.float32)
    else:
        raise InterpError(f"@{spec.name}: row math '{op}' does not match its reductions {reds}")
    return _store(y, spec.out_type)


_MATH = {"math.exp": np.exp, "math.log": np.log, "math.sqrt": np.sqrt, "math.tanh": np.tanh, "math.absf": np.abs,
         "math.sin": np.sin, "math.cos": np.cos, "math.rsqrt": lambda v: 1 / np.sqrt(v), "math.floor": np.floor,
         "math.ceil": np.ceil, "math.roundeven": np.rint, "math.trunc": np.trunc}


def eval_map(mp: func.FuncOp, values: list[Any]) -> Any:
    block = mp.body.block
    env: dict[SSAValue, Any] = dict(zip(block.args, values, strict=True))
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            return env[op.arguments[0]]
        if op.name in _MATH:
            x = np.asarray(env[op.operands[0]])
            with np.errstate(all="ignore"):
                env[op.results[0]] = _MATH[op.name](x).astype(x.dtype)
            continue
        if op.name in ("arith.maximumf", "arith.minimumf"):  # the reference's numpy maximum leaves zeros unordered
            fn = maximumf if op.name == "arith.maximumf" else minimumf
            env[op.results[0]] = fn(env[op.operands[0]], env[op.operands[1]])
            continue
        eval_scalar_op(op, env)
    raise InterpError("map function without func.return")


def _lift(x: Array) -> Array:
    """Element values as the reference holds them: integers in int64, 16-bit floats in f32."""
    if x.dtype.kind in "iub":
        return x.astype(np.int64)
    if x.dtype.itemsize < 4:
        return x.astype(np.float32)
    return x


def run_eltwise(k: cu.KernelOp, spec: KernelSpec, bufs: list[Array], scalars: list[Any], shape: tuple[int, ...]) -> Array:
    mp = map_of(k)
    if mp is None:
        raise InterpError(f"@{spec.name}: no map function")
    kinds = list(spec.input_kinds) or ["full"] * len(bufs)
    vals = []
    for b, kind in zip(bufs, kinds, strict=True):
        b = _lift(np.asarray(b))
        if kind == "col":
            vals.append(np.broadcast_to(b, shape))
        elif kind == "rowb":
            vals.append(np.broadcast_to(b.reshape(-1, 1), shape))
        else:
            vals.append(b.reshape(shape))
    res = eval_map(mp, vals + [np.asarray(s) for s in scalars])
    return _store(np.broadcast_to(res, shape), spec.out_type)


def run_reduce(k: cu.KernelOp, spec: KernelSpec, bufs: list[Array], scalars: list[Any]) -> Array:
    mp = map_of(k)
    if mp is None:
        raise InterpError(f"@{spec.name}: no map function")
    kinds = list(spec.input_kinds)
    init = bufs[-1] if kinds and kinds[-1] == "rowb" else None
    mapped = bufs[:-1] if init is not None else bufs
    row = next(b for b, kd in zip(mapped, kinds, strict=False) if kd == "row")
    out_shape = row.shape[:-1]
    rows, cols = int(np.prod(out_shape, dtype=np.int64)), row.shape[-1]
    vals = []
    for b, kd in zip(mapped, kinds, strict=False):
        b = _lift(np.asarray(b))
        vals.append(b.reshape(rows, cols) if kd == "row" else np.broadcast_to(b.reshape(1, cols), (rows, cols)))
    v = np.broadcast_to(eval_map(mp, vals + [np.asarray(s) for s in scalars]), (rows, cols))
    ordered = next((o for o in _ops(k) if isinstance(o, cu.OrderedSumOp)), None)
    if ordered is not None:
        start = _lift(np.asarray(init)).reshape(rows) if init is not None else np.zeros(rows, dtype=np.float32)
        r = _ordered_sum(start, lambda c: v[:, c], cols, "f32", ordered.combine.data)
        return _store(r, spec.out_type).reshape(out_shape)
    combine = next((o.combine.data for o in _ops(k) if isinstance(o, cu.BlockReduceOp)), None)
    start = _lift(np.asarray(init)).reshape(rows) if init is not None else None
    if combine == "sum":
        r = v.sum(axis=1, dtype=np.int64 if v.dtype.kind in "iu" else v.dtype)
        if start is not None:
            r = start + r
    elif combine in _FOLDS:
        r = _fold(combine, np.asarray(v), start)
    else:
        raise InterpError(f"@{spec.name}: combiner {combine}")
    return _store(r, spec.out_type).reshape(out_shape)


def _fold(kind: str, v: Array, start: Array | None) -> Array:
    """A reduction over axis 1 by scalar.COMBINERS' `kind` as the emitted kernels compute it (a
    tree: exact for these up to a tied zero's sign where the op leaves it open), the start value
    (if any) combined first, as in the loop."""
    up = kind in ("max", "maxnum", "selmax")
    ident = -np.inf if up else np.inf
    if v.dtype.kind in "iu":  # integers: plain max / min
        r = v.max(axis=1, initial=np.iinfo(v.dtype).min) if up else v.min(axis=1, initial=np.iinfo(v.dtype).max)
        return r if start is None else (np.maximum(start, r) if up else np.minimum(start, r))
    with np.errstate(invalid="ignore"):
        if kind in ("max", "min"):  # NaN wins (numpy's max / min propagate it); -0.0 < +0.0
            r = v.max(axis=1, initial=ident) if up else v.min(axis=1, initial=ident)
            pos = ((v == 0) & ~np.signbit(v)).any(axis=1)
            neg = ((v == 0) & np.signbit(v)).any(axis=1)
            zero = np.where(pos if up else ~neg, np.float32(0), np.float32(-0.0)).astype(v.dtype)
            r = np.where(r == 0, zero, r)
            return r if start is None else (maximumf if up else minimumf)(start.astype(v.dtype), r)
        if kind in ("maxnum", "minnum"):  # NaN dropped (NaN is the identity: all NaN gives NaN)
            fn = np.fmax if up else np.fmin
            r = fn.reduce(v, axis=1, initial=np.nan)
            return r if start is None else fn(start.astype(v.dtype), r)
        # selmax / selmin: a NaN term is skipped, a NaN start stays
        r = np.where(np.isnan(v), ident, v)
        r = r.max(axis=1, initial=ident) if up else r.min(axis=1, initial=ident)
        if start is None:
            return r
        s = start.astype(v.dtype)
        return np.where(r > s if up else r < s, r, s)


_FOLDS = ("max", "min", "maxnum", "minnum", "selmax", "selmin")


def run_kernel(k: cu.KernelOp, args: list[Any], n_scalars: int, out_shape: tuple[int, ...]) -> Array:
    spec = spec_of(k)
    bufs = [np.asarray(a) for a in (args[: len(args) - n_scalars] if n_scalars else args)]
    scalars = list(args[len(args) - n_scalars:]) if n_scalars else []
    if spec.kind == "gemm":
        return run_gemm(k, spec, bufs, scalars)
    if spec.kind == "row":
        return run_row(k, spec, bufs, scalars)
    if spec.kind == "eltwise":
        return run_eltwise(k, spec, bufs, scalars, out_shape)
    if spec.kind == "reduce":
        return run_reduce(k, spec, bufs, scalars)
    if spec.kind == "transpose":
        return np.swapaxes(bufs[0], -1, -2).copy()
    raise InterpError(f"@{spec.name}: unknown kind {spec.kind}")


def _shape_of(v: SSAValue, env: dict[SSAValue, Any], dyn: list[SSAValue]) -> tuple[int, ...]:
    it = iter(dyn)
    return tuple(int(env[next(it)]) if d < 0 else d for d in v.type.get_shape())  # type: ignore[union-attr]


def launch_dims(spec: KernelSpec, bufs: list[Array], out: Array) -> tuple[int, ...]:
    """The problem dims a launch passes through the C ABI (spec.py), from its arrays."""
    if spec.kind == "gemm":
        a, b = bufs[0], bufs[1]
        n = b.shape[-2] if spec.b_layout == "col" else b.shape[-1]
        return (a.shape[-2], n, a.shape[-1], a.shape[0] if a.ndim == 3 else 1)
    if spec.kind in ("row",):
        return (int(np.prod(bufs[0].shape[:-1])), bufs[0].shape[-1])
    if spec.kind == "eltwise":
        return (int(out.size), out.shape[-1] if out.ndim else 1)
    if spec.kind == "reduce":
        kinds = list(spec.input_kinds)
        row = bufs[kinds.index("row")]
        return (int(np.prod(row.shape[:-1])), row.shape[-1])
    return (bufs[0].shape[-2], bufs[0].shape[-1], bufs[0].shape[0] if bufs[0].ndim == 3 else 1)


LaunchHook = Any  # Callable[[cu.KernelOp, KernelSpec, list[Array], list[Any], Array], None]


def run_cuda(module: ModuleOp, fn: func.FuncOp, args: list[Any], on_launch: LaunchHook = None) -> list[Any]:
    """Run a function of cuda-level IR on numpy arrays (memref arguments updated in place).
    `on_launch(kernel, spec, buffers, scalars, output)` sees every launch (the evaluators use it)."""
    kernels = {o.sym_name.data: o for o in module.body.block.ops if isinstance(o, cu.KernelOp)}

    def hook(op: Operation, env: dict[SSAValue, Any]) -> bool:
        if isinstance(op, func.CallOp) and op.callee.root_reference.data.endswith(".launch"):
            name = op.callee.root_reference.data.removesuffix(".launch")
            k = kernels.get(name)
            if k is None:
                raise InterpError(f"call of @{name}.launch without a cuda.kernel @{name}")
            res_t = op.res[0].type
            vals = [env[v] for v in op.arguments]
            # the buffers are tensors, the scalars follow them
            ns = sum(1 for v in op.arguments if not isinstance(v.type, TensorType))
            shape = tuple(res_t.get_shape()) if all(d >= 0 for d in res_t.get_shape()) else tuple(np.shape(vals[0]))  # type: ignore[union-attr]
            res = run_kernel(k, vals, ns, shape)
            env[op.res[0]] = res
            if on_launch is not None:
                on_launch(k, spec_of(k), [np.asarray(v) for v in (vals[: len(vals) - ns] if ns else vals)],
                          list(vals[len(vals) - ns:]) if ns else [], res)
            return True
        return glue_hook(op, env)

    return run_reference(fn, args, hook)


def glue_hook(op: Operation, env: dict[SSAValue, Any]) -> bool:
    """Host glue the reference lacks: reshapes, tensor.extract, scalar math ops, deallocations, and
    generics that read unit dims through constant-0 map results."""
    if op.name == "memref.dealloc":
        return True
    if isinstance(op, linalg.GenericOp) and _unit_const_generic(op, env):
        return True
    if isinstance(op, (tensor.ExtractSliceOp, tensor.InsertSliceOp)):
        dyn_o, dyn_s, dyn_t = iter(op.offsets), iter(op.sizes), iter(op.strides)
        offs = [int(env[next(dyn_o)]) if o == DYNAMIC else o for o in op.static_offsets.get_values()]
        sizes = [int(env[next(dyn_s)]) if o == DYNAMIC else o for o in op.static_sizes.get_values()]
        strides = [int(env[next(dyn_t)]) if o == DYNAMIC else o for o in op.static_strides.get_values()]
        region = tuple(slice(o, o + n * st, st) for o, n, st in zip(offs, sizes, strides, strict=True))
        if isinstance(op, tensor.ExtractSliceOp):
            src = np.asarray(env[op.source])
            sub = src[region]
            if sub.shape != tuple(sizes):
                raise InterpError("extract_slice out of bounds")
            env[op.result] = sub.copy()
        else:
            dest = np.array(env[op.dest], copy=True)
            dest[region] = np.asarray(env[op.source]).reshape(dest[region].shape)
            env[op.result] = dest
        return True
    if isinstance(op, tensor.ExtractOp):
        idx = tuple(int(env[v]) for v in op.indices)
        env[op.result] = np.asarray(np.asarray(env[op.tensor])[idx])
        return True
    if op.name in _MATH and op.parent_op() is not None and isinstance(op.parent_op(), func.FuncOp):
        x = np.asarray(env[op.operands[0]])
        with np.errstate(all="ignore"):
            env[op.results[0]] = _MATH[op.name](x).astype(x.dtype)
        return True
    if not isinstance(op, (tensor.ExpandShapeOp, tensor.CollapseShapeOp)):
        return False
    src = np.asarray(env[op.operands[0]])
    res = op.results[0]
    dims = list(res.type.get_shape())  # type: ignore[union-attr]
    if sum(1 for d in dims if d < 0) <= 1:
        env[res] = src.reshape([d if d >= 0 else -1 for d in dims])
    else:
        env[res] = src.reshape(_shape_of(res, env, list(op.operands[1:])))
    return True


def _unit_const_generic(op: linalg.GenericOp, env: dict[SSAValue, Any]) -> bool:
    """Evaluate a generic the reference cannot: maps that index unit dims with constant 0 (the
    raiser's broadcasts) or math ops in the body. Vectorised over the whole iteration space; one
    reduction loop at most (out = combine(out, f(inputs))). False: leave it to the reference."""
    from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr

    maps = [m.data for m in op.get_indexing_maps().data]
    body = op.body.block
    if all(not isinstance(e, AffineConstantExpr) for m in maps for e in m.results) and \
            not any(o.name in _MATH for o in body.ops):
        return False
    iters = [str(i.data) for i in op.get_iterator_types().data]
    n = len(iters)
    sizes = [1] * n
    operands = [*op.inputs, *op.outputs]
    for v, m in zip(operands, maps, strict=True):
        for e, d in zip(m.results, np.shape(env[v]), strict=True):
            if isinstance(e, AffineDimExpr):
                sizes[e.position] = max(sizes[e.position], d)
            elif not (isinstance(e, AffineConstantExpr) and e.value == 0 and d == 1):
                return False

    def spread(v: SSAValue, m: Any) -> Array:
        arr = np.asarray(env[v])
        dims = [e.position for e in m.results if isinstance(e, AffineDimExpr)]
        arr = arr.reshape([d for e, d in zip(m.results, arr.shape, strict=True) if isinstance(e, AffineDimExpr)])
        order = sorted(range(len(dims)), key=lambda i: dims[i])
        arr = np.transpose(arr, order) if len(order) > 1 else arr
        shape = [sizes[d] if d in dims else 1 for d in range(n)]
        return np.broadcast_to(arr.reshape(shape), sizes)

    red = [d for d in range(n) if iters[d] != "parallel"]
    if len(red) > 1:
        return False
    local: dict[SSAValue, Any] = dict(env)
    for a, v, m in zip(body.args, operands, maps, strict=True):
        local[a] = spread(v, m)
    y = body.last_op
    assert isinstance(y, linalg.YieldOp)
    if red:
        comb = y.operands[0].owner
        out_arg = body.args[-1]
        if not isinstance(comb, Operation) or out_arg not in comb.operands or len(comb.operands) != 2:
            return False
        val = comb.operands[1 - list(comb.operands).index(out_arg)]
        fn = {"arith.addf": np.add, "arith.maximumf": np.maximum, "arith.maxnumf": np.fmax}.get(comb.name)
        if fn is None:
            return False
        stop: Operation | None = comb
    else:
        val, fn, stop = y.operands[0], None, None
    for o in body.ops:
        if o is stop or isinstance(o, linalg.YieldOp):
            break
        if o.name in _MATH:
            x = np.asarray(local[o.operands[0]])
            with np.errstate(all="ignore"):
                local[o.results[0]] = _MATH[o.name](x).astype(x.dtype)
            continue
        eval_scalar_op(o, local)
    res = np.broadcast_to(np.asarray(local[val]), sizes)
    if fn is not None:
        start = spread(op.outputs[0], maps[-1]).take([0], axis=red[0])
        if fn is np.maximum:  # maximumf: numpy's maximum leaves -0.0 / +0.0 unordered
            res = np.moveaxis(res, red[0], -1)
            flat = res.reshape(-1, res.shape[-1])
            res = _fold("max", flat, None).reshape(res.shape[:-1])
            res = maximumf(start, np.expand_dims(res, red[0]))
        else:
            res = fn.reduce(res, axis=red[0], keepdims=True)
            res = fn(start, res)
    out_dims = [e.position for e in maps[-1].results if isinstance(e, AffineDimExpr)]
    keep = [d for d in range(n) if d not in red]
    res = res.reshape([sizes[d] for d in keep]) if red else res
    pos = [keep.index(d) for d in out_dims]
    res = np.transpose(res, pos) if len(pos) > 1 else res.reshape([sizes[d] for d in out_dims])
    dtype = np.asarray(env[op.outputs[0]]).dtype
    env[op.res[0]] = np.asarray(res).astype(dtype).reshape(op.res[0].type.get_shape())  # type: ignore[union-attr]
    return True
