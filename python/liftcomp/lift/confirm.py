"""Concrete counterexamples from z3 models.

The prover's refutations and the bounded check's differences are z3 models: values of the sizes,
the scalars and the buffers' elements (uninterpreted functions of their indices). Where the
encoding left something opaque (math functions, folds compared by name) a model is only a hint,
and in any case it is no counterexample a proposer can read. Here a model becomes inputs:

- at sizes the reference executor can run, the function's arguments are built from the model
  (elements it does not name take its default), then from random values at the same sizes; the
  original (executor) and the program (numpy) run on them (verify.run_both);
- at larger sizes (a difference that needs a size >= 2**31, say), the element the model tells
  apart is evaluated on both sides with the original's semantics (arith's integers, the float
  type's rounding, numpy's math functions), once every read of the original is known to be
  inside its buffer at those sizes (an extent that no compared value and no bound depends on is
  taken large enough).
Whatever the inputs came from, a disagreement on them is a genuine counterexample; when no
disagreement is found the caller is told why, and the model stays a hint.
"""

from __future__ import annotations

import math
from fractions import Fraction
from typing import Any

import numpy as np
import z3
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerType, MemRefType, ModuleOp

from liftcomp.executor import OutOfBounds
from liftcomp.executor.interpreter import round_half_away
from liftcomp.lift import budget, floats
from liftcomp.lift import tensorspec as TS
from liftcomp.lift import terms as T
from liftcomp.lift.analysis import Summary, zpoly
from liftcomp.lift.smt import Encoder
from liftcomp.lift.terms import EType, Poly
from liftcomp.lift.verify import (  # pyright: ignore[reportPrivateUsage]
    Counterexample,
    Refutation,
    _close,
    _cost_at,
    _random_array,
    dtype_for,
    run_both,
)

RUN_BUDGET = 50_000  # term leaves the original may take for one run at a model's sizes
MAX_ELEMENTS = 1 << 16  # elements per buffer for such a run
POINT_FOLD_LIMIT = 1 << 16  # iterations of a fold evaluated at one element
# Value sources, in order: the model; zero buffers (a long reduction over zeros is its init, so
# one element of a huge nest can still be evaluated); random values, for one element also scaled
# (a difference small next to the values at hand, e.g. size/2**31 next to an epsilon, shows).
RUN_FILLS: tuple[tuple[str, float], ...] = (("model", 1.0), ("zeros", 1.0), ("edge", 1.0), ("full", 1.0))
POINT_FILLS: tuple[tuple[str, float], ...] = (*RUN_FILLS, ("full", 1e4))


class _Undefined(Exception):
    """No verdict from these values: the original is undefined on them, or they cannot be built."""


def from_model(module: ModuleOp, fn: func.FuncOp, summary: Summary, prog: TS.Program, model: z3.ModelRef, sizes: dict[str, int],
               float_model: str, encoding: str = "") -> Counterexample | str:
    """Run both sides at these sizes on the model's values, then on random ones (encoding: the
    float model the model's values are in, where not float_model)."""
    why = "no input set tried"
    for k, (mode, scale) in enumerate(RUN_FILLS):
        fill = _Fill(model if mode == "model" else None, mode, scale, k, float_model, encoding)
        out = _run(module, fn, summary, prog, dict(sizes), fill, float_model)
        if isinstance(out, Counterexample):
            return out
        why = out
    return f"no concrete run at sizes {sizes} shows a difference ({why})"


def confirm(module: ModuleOp, fn: func.FuncOp, summary: Summary, prog: TS.Program, ref: Refutation, float_model: str) -> Counterexample | str:
    """A concrete counterexample for the prover's refutation, or why none was found."""
    env = _index_values(ref, summary)
    sizes = {s: env[s] for s in summary.size_symbols}
    runnable = _runnable(summary, sizes)
    if runnable:
        found = from_model(module, fn, summary, prog, ref.model, sizes, float_model, ref.encoding)
        if isinstance(found, Counterexample):
            return found
    at = f"at sizes {sizes}" + ("" if runnable else ", too large to run")
    try:
        free = _free_extents(ref, summary)
        _check_reads(summary, env, free)
    except _Undefined as e:
        return f"{at}: {e}"
    why = ""
    for k, (mode, scale) in enumerate(POINT_FILLS):
        fill = _Fill(ref.model if mode == "model" else None, mode, scale, k, float_model, ref.encoding)
        try:
            cx = _point(ref, summary, env, free, fill, float_model)
        except _Undefined as e:
            why = str(e)
            continue
        if cx is not None:
            return cx
        why = "both sides agree at the element"
    return f"{at}, the element the model tells apart agrees on concrete values ({why})"


# ---------------------------------------------------------------- values


class _Fill:
    """Values of scalars and buffer elements: the model's (model set) or random ones."""

    def __init__(self, model: z3.ModelRef | None, mode: str, scale: float, seed: int, float_model: str, encoding: str = ""):
        self.model, self.mode, self.scale = model, mode, scale
        self.float_model = float_model
        self.rng = np.random.default_rng([1729, seed])
        self.enc = Encoder(encoding or float_model)  # the sorts of the model's values
        self.elements: dict[tuple[str, tuple[int, ...]], Any] = {}

    @property
    def uniform(self) -> bool:
        """Every element of every buffer is the same (zero)."""
        return self.mode == "zeros"

    def _random(self, et: EType, unsigned: bool) -> Any:
        v = _random_array(self.rng, (), dtype_for(et, unsigned).np, self.mode, self.float_model)[()]
        return T.np_float(et)(v * self.scale) if et.kind == "f" else int(v) & _mask(et.width)

    def scalar(self, name: str, et: EType) -> Any:
        if self.model is None:
            return self._random(et, False)
        return _value(self.model.eval(z3.Const(name, self.enc.sort(et)), model_completion=True), et)

    def element(self, buf: str, idx: tuple[int, ...], et: EType, unsigned: bool) -> Any:
        key = (buf, idx)
        if key not in self.elements:
            if self.uniform:
                self.elements[key] = T.np_float(et)(0.0) if et.kind == "f" else 0
            elif self.model is None:
                self.elements[key] = self._random(et, unsigned)
            else:
                f = self.enc.fn(buf, [z3.IntSort()] * len(idx), self.enc.sort(et))
                self.elements[key] = _value(self.model.eval(f(*[z3.IntVal(i) for i in idx]), model_completion=True), et)
        return self.elements[key]

    def array(self, buf: str, shape: tuple[int, ...], et: EType, unsigned: bool) -> np.ndarray[Any, Any]:
        dt = dtype_for(et, unsigned).np
        if self.uniform:
            return np.zeros(shape, dtype=dt)
        if self.model is None:
            vals = _random_array(self.rng, shape, dt, self.mode, self.float_model)  # type: ignore[arg-type]
            return (vals * self.scale).astype(dt) if et.kind == "f" else vals
        out = np.zeros(shape, dtype=dt)
        for idx in np.ndindex(*shape):
            out[idx] = _to_numpy(self.element(buf, tuple(int(i) for i in idx), et, unsigned), dt)
        return out


def _mask(w: int) -> int:
    return (1 << w) - 1


def _signed(v: int, w: int) -> int:
    v &= _mask(w)
    return v - (1 << w) if v >> (w - 1) else v


def _value(v: Any, et: EType) -> Any:
    """A z3 value as the evaluator holds it: ints unsigned modulo 2**w, floats of their width."""
    if et.kind != "f":
        if not z3.is_bv_value(v):
            raise _Undefined(f"the model gives no integer for {v}")
        return v.as_long() & _mask(et.width)
    ft = T.np_float(et)
    with np.errstate(all="ignore"):
        if z3.is_rational_value(v):
            return ft(float(Fraction(v.numerator_as_long(), v.denominator_as_long())))
        if z3.is_algebraic_value(v):
            return ft(float(v.approx(20).as_fraction()))
        if z3.is_fp_value(v):
            if v.isNaN():
                return ft(np.nan)
            if v.isInf():
                return ft(np.inf if v.isPositive() else -np.inf)
            if v.isZero():
                return ft(-0.0 if v.isNegative() else 0.0)
            r = z3.simplify(z3.fpToReal(v))
            return ft(float(Fraction(r.numerator_as_long(), r.denominator_as_long())))  # type: ignore[attr-defined]
    raise _Undefined(f"the model gives no number for {v}")


def _to_numpy(v: Any, dt: np.dtype[Any]) -> Any:
    if dt.kind == "b":
        return bool(v & 1)
    if dt.kind == "i":
        return _signed(v, dt.itemsize * 8)
    return v


def _index_values(ref: Refutation, summary: Summary) -> dict[str, int]:
    names = set(summary.size_symbols) | T.free_index_vars(ref.lhs) | T.free_index_vars(ref.rhs)
    for p in ref.index:
        names |= p.vars()
    out: dict[str, int] = {}
    for n in sorted(names):
        v: Any = ref.model.eval(z3.Int(n), model_completion=True)
        out[n] = v.as_long() if z3.is_int_value(v) else 0
    return out


# ---------------------------------------------------------------- runs


def _runnable(summary: Summary, sizes: dict[str, int]) -> bool:
    env = {**sizes, **TS.ceil_values(sizes)}
    if _cost_at(summary, env) > RUN_BUDGET:
        return False
    penv = {k: Poly.const(v) for k, v in env.items()}
    for a in summary.args:
        if a.kind == "buffer" and a.shape is not None:
            n = 1
            for p in a.shape:
                q = p.subst(penv)
                n *= q.const_value if q.is_const else MAX_ELEMENTS + 1
            if n > MAX_ELEMENTS:
                return False
    return True


def _arguments(fn: func.FuncOp, summary: Summary, sizes: dict[str, int], fill: _Fill) -> list[Any]:
    out: list[Any] = []
    for a, t in zip(summary.args, fn.function_type.inputs, strict=True):
        assert a.etype is not None
        if a.kind == "size":
            v = sizes.get(a.name, 0)
            if isinstance(t, IntegerType) and v >= 1 << (t.width.data - 1):
                raise _Undefined(f"size {a.name} = {v} does not fit {t}")
            out.append(v)
        elif isinstance(t, MemRefType):
            shape = tuple(sizes.get(f"{a.name}.shape[{k}]", 0) if s < 0 else s for k, s in enumerate(t.get_shape()))
            if math.prod(shape) > MAX_ELEMENTS:
                raise _Undefined(f"'{a.name}' would need {math.prod(shape)} elements")
            out.append(fill.array(a.name, shape, a.etype, a.unsigned_hint))
        else:
            v = fill.scalar(a.name, a.etype)
            out.append(_signed(v, a.etype.width) if a.etype.kind != "f" and a.etype.width > 1 else v)
    return out


def _run(module: ModuleOp, fn: func.FuncOp, summary: Summary, prog: TS.Program, sizes: dict[str, int], fill: _Fill,
         float_model: str) -> Counterexample | str:
    """One input set at these sizes; a buffer that the original overruns grows (a dynamic extent
    the model chose too small: any extent that holds the accesses is an input)."""
    for _ in range(12):
        try:
            args = _arguments(fn, summary, sizes, fill)
        except _Undefined as e:
            return str(e)
        # Real numbers (fast): only finite disagreements (an infinity or NaN may be an overflow,
        # outside the model). IEEE: every disagreement, bit for bit.
        real = floats.is_real(float_model)
        out = run_both(module, fn, summary, prog, args, finite_only=real, float_model=float_model)
        if isinstance(out, Counterexample):
            return out
        if out is None:
            return "both sides agree"
        if not isinstance(out, OutOfBounds):
            return f"the original is undefined on these inputs ({out})"
        # The original overran a buffer: grow its dynamic extents.
        which = [a for a, x in zip(summary.args, args, strict=True) if isinstance(x, np.ndarray) and x.shape == out.array.shape and a.kind == "buffer"]
        grown = False
        for a in which:
            for k, s in enumerate(a.type.get_shape() if isinstance(a.type, MemRefType) else ()):
                name = f"{a.name}.shape[{k}]"
                if s < 0 and sizes.get(name, 0) < MAX_ELEMENTS:
                    sizes[name] = max(1, 2 * sizes.get(name, 0))
                    grown = True
        if not grown:
            return f"the original reads outside a buffer ({out})"
    return "the original keeps overrunning its buffers"


# ---------------------------------------------------------------- one element


def _free_extents(ref: Refutation, summary: Summary) -> set[str]:
    """Dynamic extents nothing compared depends on: neither value, the position's range, a loop
    bound nor an assumption names them, so any extent that holds the reads is an input."""
    used = T.free_index_vars(ref.lhs) | T.free_index_vars(ref.rhs)
    for p in ref.index:
        used |= p.vars()
    text = " ".join(str(c) for c in ref.ctx)
    for r in summary.records:
        for lv in r.domain:
            used |= lv.lb.vars() | lv.ub.vars()
        for p in r.idx:
            used |= p.vars()
    for i, n in summary.in_bounds:
        used |= i.vars() | n.vars()
    out: set[str] = set()
    for a in summary.args:
        for k, p in enumerate(a.shape or ()):
            name = f"{a.name}.shape[{k}]"
            if p == Poly.var(name) and name not in used and name not in text:
                out.add(name)
    return out


def _check_reads(summary: Summary, env: dict[str, int], free: set[str]) -> None:
    """Every load of the original (in every iteration) and every store inside its buffer at
    these sizes, for the extents that are not free (z3, linear once the sizes are numbers)."""
    penv = {k: Poly.const(v) for k, v in env.items()}
    shapes = {a.name: a.shape for a in summary.args if a.kind == "buffer" and a.shape is not None}

    def check(buf: str, idx: tuple[Poly, ...], ctx: list[Any], what: str) -> None:
        shape = shapes.get(buf)
        if shape is None:
            return
        for k, (i, n) in enumerate(zip(idx, shape, strict=False)):
            if f"{buf}.shape[{k}]" in free:
                continue
            s = budget.solver(budget.RLIMIT_INDEX)
            iz, nz = zpoly(i.subst(penv)), zpoly(n.subst(penv))
            s.add(*ctx, z3.Or(iz < 0, iz >= nz))
            r = budget.check(s)
            if r != z3.unsat:
                raise _Undefined(f"the original may {what} '{buf}' outside its extent at these sizes")

    def walk(t: T.Term, ctx: list[Any]) -> None:
        if isinstance(t, T.Read):
            check(t.buf, t.idx, ctx, "read")
            return
        if isinstance(t, T.Fold):
            walk(t.init, ctx)
            v = z3.Int(t.var)
            lb, ub = zpoly(t.lb.subst(penv)), zpoly(t.ub.subst(penv))
            walk(t.body, [*ctx, lb <= v, v < ub, (v - lb) % t.step == 0])
            return
        for c in T.children(t):
            walk(c, ctx)

    for r in summary.records:
        ctx: list[Any] = []
        for lv in r.domain:
            v = z3.Int(lv.name)
            lb, ub = zpoly(lv.lb.subst(penv)), zpoly(lv.ub.subst(penv))
            ctx += [lb <= v, v < ub, (v - lb) % lv.step == 0]
        check(r.buf, r.idx, ctx, "write")
        walk(T.subst_index(r.value, penv), ctx)
    for t in summary.results:
        walk(T.subst_index(t, penv), [])


def _point(ref: Refutation, summary: Summary, env: dict[str, int], free: set[str], fill: _Fill, float_model: str) -> Counterexample | None:
    unsigned = {a.name: a.unsigned_hint for a in summary.args}
    ev = _Eval(fill, unsigned, floats.is_real(float_model))
    expected = ev.eval(ref.lhs, env)
    got = ev.eval(ref.rhs, env)
    if _close(_as_np(expected, ref.lhs.type), _as_np(got, ref.rhs.type), float_model):
        return None
    inputs: dict[str, Any] = {}
    extents: dict[str, Any] = {}
    for a in summary.args:
        if a.kind == "size":
            inputs[a.name] = env.get(a.name, 0)
        elif a.kind == "scalar" and a.name in ev.scalars:
            inputs[a.name] = ev.scalars[a.name]
        for k, _ in enumerate(a.shape or ()):
            name = f"{a.name}.shape[{k}]"
            if name in free:
                extents[name] = "any that holds the loop's accesses"
            elif name in env:
                extents[name] = env[name]
    for (buf, idx), v in sorted(fill.elements.items()):
        inputs[f"{buf}{list(idx)}"] = v
    inputs.update(extents)
    where = f"{ref.target}{[p.eval(env) for p in ref.index]}" if ref.index else ref.target
    sizes = {s: env[s] for s in summary.size_symbols if s in env}
    return Counterexample(inputs, f"{where} (one element evaluated on both sides)",
                          _as_np(expected, ref.lhs.type), _as_np(got, ref.rhs.type), sizes=sizes)


def _as_np(v: Any, et: EType) -> Any:
    if isinstance(v, tuple):  # an argmax fold's (value, index, width)
        v = v[1]
    if et.kind == "f":
        return v
    return np.int64(v if et.width == 1 else _signed(v, et.width))


class _Eval:
    """Concrete values of terms with the executor's semantics (liftcomp.executor): integers as
    unsigned values modulo 2**w, floats as numpy scalars of their width, undefined behaviour
    (division by zero, over-wide shifts, float -> int overflow) raises _Undefined."""

    def __init__(self, fill: _Fill, unsigned: dict[str, bool], real: bool = False):
        self.fill = fill
        self.unsigned = unsigned
        self.scalars: dict[str, Any] = {}
        self.real = real  # real-number model: an overflow to infinity is no evidence

    def eval(self, t: T.Term, env: dict[str, int]) -> Any:
        if isinstance(t, T.Const):
            return T.np_float(t.type)(t.value) if t.type.kind == "f" else int(t.value) & _mask(t.type.width)
        if isinstance(t, T.Scalar):
            if t.name in env:  # an integer argument that is also a size: one value for both
                return env[t.name] & _mask(t.type.width)
            if t.name not in self.scalars:
                self.scalars[t.name] = self.fill.scalar(t.name, t.type)
            return self.scalars[t.name]
        if isinstance(t, T.Read):
            idx = tuple(p.eval(env) for p in t.idx)
            return self.fill.element(t.buf, idx, t.type, self.unsigned.get(t.buf, False))
        if isinstance(t, T.IndexValue):
            return t.idx.eval(env) & _mask(t.type.width)
        if isinstance(t, T.Fold):
            lb, ub = t.lb.eval(env), t.ub.eval(env)
            r = range(lb, ub, t.step)
            acc = self.eval(t.init, env)
            if len(r) > POINT_FOLD_LIMIT:
                return self._long_fold(t, acc, r, env)
            for k in r:
                if T.is_threaded(t):
                    acc = self.eval(T.thread(t.body, _Val(acc, t.type)), {**env, t.var: k})  # type: ignore[arg-type]
                    continue
                acc = self.apply(t.op, [acc, self.eval(t.body, {**env, t.var: k})], [t.type, t.type], t.type)
            return acc[1] if t.op in T.ARG_FOLDS else acc
        if isinstance(t, _Val):
            return t.v
        assert isinstance(t, T.Op)
        if t.op == "pair":
            # (value, index, the value's width): an argmax step compares values at their width.
            return (self.eval(t.args[0], env), self.eval(t.args[1], env), t.args[0].type.width)
        args = [self.eval(a, env) for a in t.args]
        return self.apply(t.op, args, [a.type for a in t.args], t.type)

    def _long_fold(self, t: T.Fold, init: Any, r: range, env: dict[str, int]) -> Any:
        """A fold too long to run whose body is the same in every iteration (its variable only
        indexes buffers whose elements are all equal) and whose combine reaches a fixed point
        (adding zeros): the value after one step."""
        if not (self.fill.uniform and _only_in_reads(t.body, t.var)) or t.op in T.ARG_FOLDS or T.is_threaded(t):
            raise _Undefined(f"a fold of {len(r)} iterations at one element")
        v = self.eval(t.body, {**env, t.var: r[0]})
        once = self.apply(t.op, [init, v], [t.type, t.type], t.type)
        twice = self.apply(t.op, [once, v], [t.type, t.type], t.type)
        if not _close(_as_np(once, t.type), _as_np(twice, t.type)) or _as_np(once, t.type) != _as_np(twice, t.type):
            raise _Undefined(f"a fold of {len(r)} iterations at one element")
        return once

    def apply(self, op: str, a: list[Any], types: list[EType], rt: EType) -> Any:
        with np.errstate(all="ignore"):
            return _apply(op, a, types, rt, self.real)


class _Val:
    """A concrete accumulator value inside a term (a threaded fold's ACC, replaced)."""

    def __init__(self, v: Any, et: EType):
        self.v, self.type = v, et


def _apply(op: str, a: list[Any], types: list[EType], rt: EType, real: bool = False) -> Any:
    w = rt.width
    m = _mask(w)
    if op in T.ARG_FOLDS:
        (bv, bi, vw), (xv, xi, _) = a
        return (xv, xi, vw) if _cmpi(T.ARG_FOLDS[op], xv, bv, vw) else (bv, bi, vw)
    if rt.kind != "f" and op in _INT:
        aw = types[0].width
        return _INT[op](a[0], a[1], aw) & m if len(a) == 2 else _INT[op](a[0], 0, aw) & m
    if op in T.CMPI:
        return int(_cmpi(op, a[0], a[1], types[0].width))
    if op in T.CMPF or op in ("ord", "uno"):
        x, y = a
        unordered = bool(np.isnan(x) or np.isnan(y))
        if op in ("ord", "uno"):
            return int(unordered == (op == "uno"))
        base = op.removesuffix("_f")[1:]
        res = {"eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[base]
        return int(unordered or bool(res)) if op.startswith("u") else int(not unordered and bool(res))
    if op == "select":
        return a[1] if a[0] & 1 else a[2]
    if rt.kind == "f":
        r = _float_op(op, a, types, T.np_float(rt))
        # Real numbers: an infinity from finite operands is an overflow (or a division by zero),
        # outside the model, so no evidence. NaN from finite operands (sqrt(-1)) is a value.
        if real and np.isinf(r) and all(np.isfinite(x) for x, t in zip(a, types, strict=True) if t.kind == "f"):
            raise _Undefined(f"{op} overflows")
        return r
    if op == "extsi":
        return _signed(a[0], types[0].width) & m
    if op == "extui":
        return a[0]
    if op == "trunci":
        return a[0] & m
    if op in ("fptosi", "fptoui"):
        v = a[0]
        if not np.isfinite(v):
            raise _Undefined(f"{op} of {v}")
        t = math.trunc(float(v))
        lo, hi = (-(1 << (w - 1)), (1 << (w - 1)) - 1) if op == "fptosi" else (0, m)
        if not lo <= t <= hi:
            raise _Undefined(f"{op}: {t} does not fit i{w}")
        return t & m
    raise _Undefined(f"no concrete semantics for '{op}' here")


def _float_op(op: str, a: list[Any], types: list[EType], ft: Any) -> Any:
    if op in _FLOAT_BIN:
        return ft(_FLOAT_BIN[op](a[0], a[1]))
    if op in T.SELECT_FOLDS:  # P(e, acc) ? e : acc
        taken = _apply(op.removeprefix("selectf_"), [a[1], a[0]], [types[1], types[0]], T.I1)
        return ft(a[1] if taken else a[0])
    if op in _FLOAT_UN:
        return ft(_FLOAT_UN[op](a[0]))
    if op == "sitofp":
        return ft(_signed(a[0], types[0].width))
    if op == "uitofp":
        return ft(a[0])
    if op in ("extf", "truncf"):
        return ft(a[0])
    raise _Undefined(f"no concrete semantics for '{op}' here")


def _only_in_reads(t: T.Term, var: str) -> bool:
    """Whether `var` occurs in t only inside buffer indices."""
    if isinstance(t, T.Read):
        return True
    if isinstance(t, T.IndexValue):
        return var not in t.idx.vars()
    if isinstance(t, T.Fold):
        if var in t.lb.vars() | t.ub.vars():
            return False
        return _only_in_reads(t.init, var) and _only_in_reads(t.body, var)
    return all(_only_in_reads(c, var) for c in T.children(t))


def _cmpi(pred: str, x: int, y: int, w: int) -> bool:
    if pred in ("slt", "sle", "sgt", "sge"):
        x, y = _signed(x, w), _signed(y, w)
    base = pred[1:] if pred[0] in "su" else pred
    return {"eq": x == y, "ne": x != y, "lt": x < y, "le": x <= y, "gt": x > y, "ge": x >= y}[base]


def _nonzero(b: int) -> int:
    if b == 0:
        raise _Undefined("division by zero")
    return b


def _shift(b: int, w: int) -> int:
    if b >= w:
        raise _Undefined("shift amount not smaller than the bit width")
    return b


def _sdiv(a: int, b: int, w: int) -> int:
    x, y = _signed(a, w), _signed(_nonzero(b), w)
    if x == -(1 << (w - 1)) and y == -1:
        raise _Undefined("signed division overflow")
    q = abs(x) // abs(y)
    return q if (x < 0) == (y < 0) else -q


def _srem(a: int, b: int, w: int) -> int:
    x, y = _signed(a, w), _signed(_nonzero(b), w)
    r = abs(x) % abs(y)
    return -r if x < 0 else r


_INT: dict[str, Any] = {
    "addi": lambda a, b, w: a + b, "subi": lambda a, b, w: a - b, "muli": lambda a, b, w: a * b,
    "divsi": _sdiv, "divui": lambda a, b, w: a // _nonzero(b), "remsi": _srem, "remui": lambda a, b, w: a % _nonzero(b),
    "andi": lambda a, b, w: a & b, "ori": lambda a, b, w: a | b, "xori": lambda a, b, w: a ^ b,
    "shli": lambda a, b, w: a << _shift(b, w), "shrui": lambda a, b, w: a >> _shift(b, w),
    "shrsi": lambda a, b, w: _signed(a, w) >> _shift(b, w),
    "maxsi": lambda a, b, w: a if _signed(a, w) >= _signed(b, w) else b, "minsi": lambda a, b, w: a if _signed(a, w) <= _signed(b, w) else b,
    "maxui": lambda a, b, w: max(a, b), "minui": lambda a, b, w: min(a, b),
    "absi": lambda a, b, w: abs(_signed(a, w)),
    "floordivsi": lambda a, b, w: _signed(a, w) // _signed(_nonzero(b), w),
    "modsi": lambda a, b, w: _signed(a, w) % _signed(_nonzero(b), w),
}


_FLOAT_BIN: dict[str, Any] = {
    "addf": lambda x, y: x + y, "subf": lambda x, y: x - y, "mulf": lambda x, y: x * y, "divf": lambda x, y: x / y,
    "remf": np.fmod, "powf": np.power, "maximumf": lambda x, y: floats.maximumf(x, y)[()], "minimumf": lambda x, y: floats.minimumf(x, y)[()],
    "maxnumf": np.fmax, "minnumf": np.fmin,
}
_FLOAT_UN: dict[str, Any] = {
    "negf": lambda x: -x, "exp": np.exp, "exp2": np.exp2, "log": np.log, "log2": np.log2, "log10": np.log10, "sqrt": np.sqrt,
    "tanh": np.tanh, "sin": np.sin, "cos": np.cos, "absf": np.abs, "floor": np.floor, "ceil": np.ceil, "roundeven": np.rint,
    "round": round_half_away, "erf": lambda x: math.erf(float(x)),
}
