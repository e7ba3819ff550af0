"""Inputs for corpus kernels and the executor-vs-reference comparison."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AnyFloat,
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
)
from xdsl.ir import Attribute

from liftcomp.corpus import ArgSpec, KernelSpec
from liftcomp.diagnostics import LiftcompError
from liftcomp.executor import ExecutionError, Interpreter, numpy_dtype


def find_func(module: ModuleOp, name: str) -> func.FuncOp:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return op
    raise LiftcompError(f"function '@{name}' not found in the module")


def _eval_size(expr: str, sizes: dict[str, int]) -> int:
    """Evaluate a size expression (names, integers, + - * //) by walking its AST; nothing is executed."""

    def ev(node: ast.expr) -> int:
        if isinstance(node, ast.Constant) and isinstance(node.value, int):
            return node.value
        if isinstance(node, ast.Name) and node.id in sizes:
            return sizes[node.id]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.BinOp):
            a, b = ev(node.left), ev(node.right)
            if isinstance(node.op, ast.Add):
                return a + b
            if isinstance(node.op, ast.Sub):
                return a - b
            if isinstance(node.op, ast.Mult):
                return a * b
            if isinstance(node.op, ast.FloorDiv):
                return a // b
        raise LiftcompError(f"bad size expression '{expr}' (sizes: {sorted(sizes)})")

    return ev(ast.parse(expr.strip(), mode="eval").body)


def _int_values(rng: np.random.Generator, shape: tuple[int, ...], w: int, unsigned: bool, domain: str | None, edge: bool) -> np.ndarray[Any, Any]:
    lo, hi = (0, (1 << w) - 1) if unsigned else (-(1 << (w - 1)), (1 << (w - 1)) - 1)
    if domain == "pos":
        lo = 1
    elif domain == "nonneg":
        lo = 0
    elif domain and ":" in domain:
        a, b = domain.split(":")
        lo, hi = int(a), int(b)
    vals = rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64)
    if edge and vals.size:
        edges = np.array([v for v in (0, 1, -1, lo, hi, lo + 1, hi - 1) if lo <= v <= hi], dtype=np.int64)
        mask = rng.random(shape) < 0.3
        vals = np.where(mask, rng.choice(edges, size=shape), vals)
    if domain == "nonzero":
        vals = np.where(vals == 0, 1, vals)
    return vals


def _float_values(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype[Any], domain: str | None, edge: bool) -> np.ndarray[Any, Any]:
    if domain == "pos":
        vals = rng.uniform(0.1, 4.0, size=shape)
    elif domain == "nonneg":
        vals = rng.uniform(0.0, 4.0, size=shape)
    elif domain == "unit":
        vals = rng.uniform(-1.0, 1.0, size=shape)
    elif domain and ":" in domain:
        a, b = domain.split(":")
        vals = rng.uniform(float(a), float(b), size=shape)
    else:
        vals = rng.uniform(-4.0, 4.0, size=shape)
    if edge and vals.size and domain not in ("pos", "nonzero"):
        mask = rng.random(shape) < 0.15
        vals = np.where(mask, 0.0, vals)
    if domain == "nonzero":
        vals = np.where(np.abs(vals) < 0.1, 0.5, vals)
    return vals.astype(dt)


def make_inputs(k: KernelSpec, fn: func.FuncOp, sizes: dict[str, int], rng: np.random.Generator, edge: bool = False) -> list[Any]:
    """One argument list for the kernel at the given sizes."""
    types = list(fn.function_type.inputs)
    if len(types) != len(k.args):
        raise LiftcompError(f"{k.name}: metadata lists {len(k.args)} arguments, the function has {len(types)}")
    return [_make_arg(k, a, t, sizes, rng, edge) for a, t in zip(k.args, types, strict=True)]


def _make_arg(k: KernelSpec, a: ArgSpec, t: Attribute, sizes: dict[str, int], rng: np.random.Generator, edge: bool) -> Any:
    if a.role == "size":
        assert a.value is not None
        return _eval_size(a.value, sizes)
    if isinstance(t, MemRefType):
        static = t.get_shape()
        if a.dims is None:
            if DYNAMIC_INDEX in static:
                raise LiftcompError(f"{k.name}: argument '{a.name}' has dynamic dims; give them in the metadata")
            shape = tuple(static)
        else:
            shape = tuple(_eval_size(d, sizes) for d in a.dims)
            if len(shape) != len(static) or any(s != DYNAMIC_INDEX and s != v for s, v in zip(static, shape, strict=True)):
                raise LiftcompError(f"{k.name}: argument '{a.name}' dims {shape} do not fit {t}")
        return _values(rng, shape, t.element_type, k.unsigned, a.domain, edge)
    vals = _values(rng, (), t, k.unsigned, a.domain, edge)
    return vals[()] if not isinstance(t, IntegerType | IndexType) else int(vals[()])


def _values(rng: np.random.Generator, shape: tuple[int, ...], et: Attribute, unsigned: bool, domain: str | None, edge: bool) -> np.ndarray[Any, Any]:
    if isinstance(et, IntegerType):
        w = et.width.data
        if w == 1:
            return rng.integers(0, 1, size=shape, endpoint=True).astype(np.bool_)
        vals = _int_values(rng, shape, w, unsigned, domain, edge)
        return vals.astype(numpy_dtype(et, unsigned=unsigned))
    if isinstance(et, IndexType):
        return _int_values(rng, shape, 16, False, domain, edge)
    if isinstance(et, AnyFloat):
        return _float_values(rng, shape, numpy_dtype(et), domain, edge)
    raise LiftcompError(f"unsupported element type {et}")


@dataclass
class Comparison:
    ok: bool
    detail: str = ""


def values_equal(expected: Any, got: Any, rtol: float = 1e-4, atol: float = 1e-5) -> bool:
    e, g = np.asarray(expected), np.asarray(got)
    if e.shape != g.shape:
        return False
    if e.dtype.kind in "iub" and g.dtype.kind in "iub":
        return bool(np.array_equal(e.astype(np.int64), g.astype(np.int64)))
    if e.dtype.kind in "iub" or g.dtype.kind in "iub":
        return bool(np.array_equal(e.astype(np.float64), g.astype(np.float64)))
    return bool(np.allclose(e.astype(np.float64), g.astype(np.float64), rtol=rtol, atol=atol, equal_nan=True))


def compare_outputs(k: KernelSpec, exp_args: list[Any], exp_ret: Any, got_args: list[Any], got_ret: list[Any]) -> Comparison:
    for a, e, g in zip(k.args, exp_args, got_args, strict=True):
        if isinstance(e, np.ndarray) and not values_equal(e, g):
            bad = np.argwhere(~np.isclose(np.asarray(e, np.float64), np.asarray(g, np.float64), rtol=1e-4, atol=1e-5))
            where = tuple(int(x) for x in bad[0]) if len(bad) else ()
            return Comparison(False, f"buffer '{a.name}' differs at {list(where)}: expected {e[where] if where else e}, got {g[where] if where else g}")
    exp_list = [] if exp_ret is None else list(exp_ret) if isinstance(exp_ret, tuple | list) else [exp_ret]
    if len(exp_list) != len(got_ret):
        return Comparison(False, f"expected {len(exp_list)} results, got {len(got_ret)}")
    for i, (e, g) in enumerate(zip(exp_list, got_ret, strict=True)):
        if not values_equal(e, g):
            return Comparison(False, f"result {i}: expected {e}, got {g}")
    return Comparison(True)


def check_kernel(k: KernelSpec, module: ModuleOp, seeds: range = range(3), sizes: dict[str, int] | None = None) -> Comparison:
    """Run the executor and the reference on the same random inputs (edge values on odd seeds)."""
    fn = find_func(module, k.name)
    for seed in seeds:
        rng = np.random.default_rng(seed)
        args = make_inputs(k, fn, sizes or k.sizes, rng, edge=seed % 2 == 1)
        ref_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        got_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        with np.errstate(all="ignore"):
            exp_ret = k.reference(*ref_args)
        try:
            got_ret = Interpreter(module).call(k.name, got_args)
        except ExecutionError as e:
            return Comparison(False, f"seed {seed}: executor: {e.message}")
        cmp = compare_outputs(k, ref_args, exp_ret, got_args, got_ret)
        if not cmp.ok:
            return Comparison(False, f"seed {seed}: {cmp.detail}")
    return Comparison(True)
