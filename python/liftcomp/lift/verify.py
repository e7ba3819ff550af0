"""Checking a TensorSpec program against a loop-nest summary, at three levels.

- proved:  equal for all sizes and all values (smt.Prover, folds compared structurally);
- bounded: equal for every assignment of the size symbols in 0..bound, element values symbolic
           (folds unrolled; no loop is interpreted element by element at large sizes);
- tested:  differential test: the reference executor on the original function vs numpy on the
           program, random inputs with edge values at sizes larger than the bound.
A failed check returns a counterexample for the proposer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import z3
from xdsl.dialects import func
from xdsl.dialects.builtin import IndexType, IntegerType, MemRefType, ModuleOp

from liftcomp.executor import ExecutionError, Interpreter, OutOfBounds
from liftcomp.lift import budget, floats
from liftcomp.lift import tensorspec as TS
from liftcomp.lift import terms as T
from liftcomp.lift.analysis import LoopVar, Record, Summary, Z3Expr, zpoly
from liftcomp.lift.smt import MAX_FP_OPS, Encoder, Outcome, Prover, differ, normalise, root_nsz
from liftcomp.lift.terms import EType, Poly

LEVELS = ("tested", "bounded", "proved")


@dataclass
class Counterexample:
    inputs: dict[str, Any]
    where: str
    expected: Any
    got: Any
    # What the original computed on `inputs` (final buffers by name, results), for pruning.
    expected_outputs: dict[str, Any] = field(default_factory=dict)
    expected_results: list[Any] = field(default_factory=list)
    sizes: dict[str, int] = field(default_factory=dict)

    def describe(self) -> str:
        at = self._position()
        ins = ", ".join(f"{k}={_short(v, at)}" for k, v in self.inputs.items())
        return f"inputs: {ins}; at {self.where}: loop nest gives {_short(self.expected)}, program gives {_short(self.got)}"

    def _position(self) -> tuple[tuple[int, ...], tuple[int, ...]] | None:
        """The differing element's index and its buffer's shape, where `where` names one."""
        m = re.fullmatch(r"(\w+)\[([\d, ]+)\]", self.where)
        buf = self.inputs.get(m[1]) if m is not None else None
        if m is None or not isinstance(buf, np.ndarray):
            return None
        return tuple(int(i) for i in m[2].split(",")), buf.shape


def _short(v: Any, at: tuple[tuple[int, ...], tuple[int, ...]] | None = None) -> str:
    """An array's first 16 elements, and where the difference lies beyond them in an array of
    the differing buffer's shape, its element there (what the reader, an LLM, needs to see)."""
    if not isinstance(v, np.ndarray):
        return str(v)
    text = np.array2string(v.ravel()[:16], separator=",") + ("..." if v.size > 16 else "")
    if at is None or v.shape != at[1] or len(at[0]) != v.ndim or not all(0 <= i < n for i, n in zip(at[0], v.shape, strict=True)):
        return text
    if int(np.ravel_multi_index(at[0], v.shape)) < 16:
        return text
    return f"{text} (at [{', '.join(map(str, at[0]))}]: {v[at[0]]})"


@dataclass
class Refutation:
    """A z3 model telling the loop nest and the program apart at one element (smt.Outcome)."""

    model: z3.ModelRef
    lhs: T.Term  # the loop nest's value there
    rhs: T.Term  # the program's value there
    target: str  # the buffer written, or "result k"
    index: tuple[Poly, ...]  # the element's position in the buffer (a result: none)
    ctx: list[Z3Expr]  # where the position ranges
    inexact: list[str]  # why the encoding was not exact (empty: genuine in the documented semantics)
    encoding: str = ""  # the float model the model's values are in ("": the proof's own)


@dataclass
class Verdict:
    level: str | None  # strongest level reached: proved | bounded | tested | None (rejected)
    reason: str = ""
    counterexample: Counterexample | None = None
    details: dict[str, Any] = field(default_factory=dict)
    refutation: Refutation | None = None  # prove(): the prover's model when it found one


def decls_of(summary: Summary) -> list[TS.ArgDecl]:
    """What proposals may refer to: the function's arguments with dtypes and symbolic shapes."""
    out: list[TS.ArgDecl] = []
    for a in summary.args:
        et = a.etype
        assert et is not None
        if a.kind == "buffer":
            out.append(TS.ArgDecl(a.name, dtype_for(et, a.unsigned_hint), a.shape, output=a.written))
        elif a.kind == "size":
            out.append(TS.ArgDecl(a.name, TS.DType("i64"), None, is_size=True))
        else:
            out.append(TS.ArgDecl(a.name, dtype_for(et, False), None))
    return out


def dtype_for(et: EType, unsigned: bool) -> TS.DType:
    if et.kind == "f":
        return TS.DType(str(et))  # f16, bf16, f32, f64
    if et.kind == "index":
        return TS.DType("i64")
    if et.width == 1:
        return TS.DType("bool")
    return TS.DType(f"{'u' if unsigned else 'i'}{et.width}")


# ---------------------------------------------------------------- structure


@dataclass
class _Pair:
    rec: Record
    assign: TS.Assign


def pair_writes(summary: Summary, prog: TS.Program) -> list[_Pair] | str:
    recs: dict[str, list[Record]] = {}
    for r in summary.records:
        recs.setdefault(r.buf, []).append(r)
    asg: dict[str, list[TS.Assign]] = {}
    for a in prog.assigns:
        asg.setdefault(a.buf, []).append(a)
    if set(recs) != set(asg):
        return f"the loop nest writes {sorted(recs)}, the program writes {sorted(asg)}"
    out: list[_Pair] = []
    for buf, rs in recs.items():
        if len(rs) != len(asg[buf]):
            return f"the loop nest writes '{buf}' in {len(rs)} part(s), the program in {len(asg[buf])}"
        out.extend(_Pair(r, a) for r, a in zip(rs, asg[buf], strict=True))
    if len(prog.returns) != len(summary.results):
        return f"the function returns {len(summary.results)} value(s), the program {len(prog.returns)}"
    return out


def _witness(p: _Pair, prover: Prover) -> tuple[dict[str, Poly], list[Poly], list[Z3Expr]] | str:
    """Find how view positions q map onto the loop domain: d[pi(k)] = lb + step * q_k."""
    view = p.assign.view
    rank = len(view.shape)
    dom = p.rec.domain
    if rank != len(dom):
        return f"'{p.rec.buf}': the loop writes a {len(dom)}-D region, the program a {rank}-D view"
    qs = [Poly.var(T.fresh("q")) for _ in range(rank)]
    qctx = [z3.And(0 <= zpoly(q), zpoly(q) < zpoly(s)) for q, s in zip(qs, view.shape, strict=True)]
    target = TS.elem(view, tuple(qs))
    assert isinstance(target, T.Read)
    for perm in itertools.permutations(range(rank)):
        env = {dom[perm[k]].name: dom[perm[k]].lb + qs[k] * dom[perm[k]].step for k in range(rank)}
        f = tuple(x.subst(env) for x in p.rec.idx)
        if len(f) != len(target.idx):
            continue
        if f == target.idx or prover._provable(z3.And(*[zpoly(a) == zpoly(b) for a, b in zip(f, target.idx, strict=True)]), qctx):  # pyright: ignore[reportPrivateUsage]
            if all(_extent_ok(view.shape[k], dom[perm[k]], prover) for k in range(rank)):
                return env, qs, qctx
    return f"'{p.rec.buf}': the program's view does not cover the elements the loop writes"


def _extent_ok(extent: Poly, lv: LoopVar, prover: Prover) -> bool:
    n, lb, ub, s = zpoly(extent), zpoly(lv.lb), zpoly(lv.ub), lv.step
    claim = z3.If(ub > lb, z3.And(n * s >= ub - lb, (n - 1) * s < ub - lb), n == 0)
    if lv.step == 1 and extent == lv.ub - lv.lb:
        return True
    return prover._provable(claim, [])  # pyright: ignore[reportPrivateUsage]


# ---------------------------------------------------------------- proved


def nonempty_obligations(prog: TS.Program) -> list[Poly]:
    """Extents that must be >= 1: np.max/np.min without initial= over them is undefined otherwise
    (numpy raises; the element semantics would read outside the range)."""
    out: list[Poly] = []
    seen: set[int] = set()

    def walk(n: object) -> None:
        if not isinstance(n, TS.Node) or id(n) in seen:
            return
        seen.add(id(n))
        if isinstance(n, TS.Reduce) and n.op in ("max", "min", "seq_max", "seq_min") and n.initial is None and n.src.shape:
            out.append(n.src.shape[n.axis or 0])
        if isinstance(n, TS.ArgReduce):
            out.append(n.src.shape[0])
        for v in vars(n).values():
            for c in v if isinstance(v, list) else [v]:
                walk(c)

    for a in prog.assigns:
        walk(a.value)
    for r in prog.returns:
        walk(r)
    return out


def prove(summary: Summary, prog: TS.Program, float_model: str = "ieee", timeout_ms: int = 60000) -> Verdict:
    pairs = pair_writes(summary, prog)
    if isinstance(pairs, str):
        return Verdict(None, pairs)
    assumptions = [z3.Int(s) >= 0 for s in summary.size_symbols]
    # The original's unconditional loads are in bounds (no undefined behaviour).
    assumptions += [z3.And(0 <= zpoly(i), zpoly(i) < zpoly(n)) for i, n in summary.in_bounds]
    # Slices with a step that does not divide their extent have a derived length ceil(num / s).
    assumptions += TS.ceil_facts(TS.program_ceil_symbols(prog))
    # A refutation's model at small sizes can be run by the reference executor (verify confirm).
    prover = Prover(assumptions, float_model, timeout_ms, prefer=[z3.Int(s) <= REFUTATION_SIZES for s in summary.size_symbols])
    for extent in nonempty_obligations(prog):
        if not prover._provable(zpoly(extent) >= 1, []):  # pyright: ignore[reportPrivateUsage]
            return Verdict(None, f"np.max/np.min/np.argmax/np.argmin over a range of {extent} elements, which may be empty (max/min: use initial=)")
    for p in pairs:
        w = _witness(p, prover)
        if isinstance(w, str):
            return Verdict(None, w)
        env, qs, qctx = w
        lhs = T.subst_index(p.rec.value, env)
        rhs = TS.elem(p.assign.value, tuple(qs))
        rhs = _convert_to(rhs, p.assign.value.dtype, p.rec.value.type, _buffer_unsigned(summary, p.rec.buf))
        out = prover.equal(lhs, rhs, qctx)
        if out.status != "proved":
            index = tuple(x.subst(env) for x in p.rec.idx)
            return Verdict(None, f"'{p.rec.buf}': {out.status}: {out.reason}", details={"queries": prover.queries},
                           refutation=_refutation(out, p.rec.buf, index, qctx))
    for i, (r, n) in enumerate(zip(summary.results, prog.returns, strict=True)):
        rhs = _convert_to(TS.elem(n, ()), n.dtype, r.type, False)
        out = prover.equal(r, rhs, [])
        if out.status != "proved":
            return Verdict(None, f"result {i}: {out.status}: {out.reason}", refutation=_refutation(out, f"result {i}", (), []))
    return Verdict("proved", details={"queries": prover.queries})


REFUTATION_SIZES = 6  # a refutation's model is sought with every size symbol up to this first


def _refutation(out: Outcome, target: str, index: tuple[Poly, ...], ctx: list[Z3Expr]) -> Refutation | None:
    if out.model is None or out.terms is None:
        return None
    return Refutation(out.model, out.terms[0], out.terms[1], target, index, ctx, out.inexact, out.encoding)


def _buffer_unsigned(summary: Summary, buf: str) -> bool:
    return any(a.name == buf and a.unsigned_hint for a in summary.args)


def _convert_to(t: T.Term, src: TS.DType, et: EType, unsigned: bool) -> T.Term:
    """numpy's cast on assignment into a buffer / returning a value of the function's type."""
    return TS._convert(t, src, dtype_for(et, unsigned if src.is_float else src.is_unsigned))  # pyright: ignore[reportPrivateUsage]


# ---------------------------------------------------------------- bounded


class _Unroller(Encoder):
    def enc(self, t: T.Term) -> Any:
        if isinstance(t, T.Fold):
            if not (t.lb.is_const and t.ub.is_const):
                raise ValueError("fold bounds not concrete")
            acc = self.enc(t.init)
            poison = self.poison(t.init)
            for k in range(t.lb.const_value, t.ub.const_value, t.step):
                body = T.subst_index(t.body, {t.var: Poly.const(k)})
                lit = _Lit(acc, t.type)
                if self.guarding:
                    self.record(lit, acc, poison)  # the accumulator so far (poison carries over)
                step = T.thread(body, lit) if T.is_threaded(t) else T.Op(t.op, (lit, body), t.type, t.flags)  # type: ignore[arg-type]
                acc = self.enc(step)
                poison = self.poison(step)
            # An argmax/argmin fold carries (value, index) pairs; its value is the index.
            out = acc[1] if t.op in T.ARG_FOLDS else acc
            if self.guarding:
                self.record(t, out, poison)
            return out
        if isinstance(t, _Lit):
            return t.z
        return super().enc(t)


@dataclass(frozen=True)
class _Lit:
    """An already-encoded z3 value inside a term (used while unrolling)."""

    z: Any
    type: EType

    def __hash__(self) -> int:
        return id(self)


def unrolled_size(t: T.Term, env: dict[str, Poly]) -> int:
    """How many leaves unrolling t's folds at these sizes would make (a cost estimate)."""
    if isinstance(t, T.Fold):
        lb, ub = t.lb.subst(env), t.ub.subst(env)
        if not (lb.is_const and ub.is_const):
            return 1
        n = max(0, len(range(lb.const_value, ub.const_value, t.step)))
        return 1 + unrolled_size(t.init, env) + n * unrolled_size(t.body, env)
    return 1 + sum(unrolled_size(c, env) for c in T.children(t))


# One size assignment of the bounded check over IEEE float operations (bit-blasted: see smt.RLIMIT_IEEE).
RLIMIT_IEEE_BOUNDED = 12_000_000
BOUNDED_BUDGET = 20_000  # unrolled leaves per size assignment: beyond, z3 time and memory explode
# Counted budgets of the whole bounded check (never wall-clock time, lift/budget.py): solver calls
# (size assignments) and unrolled leaves over all of them.
BOUNDED_ASSIGNMENTS = 400
BOUNDED_TOTAL = 400_000


def bounded(summary: Summary, prog: TS.Program, bound: int = 4, float_model: str = "ieee", max_points: int = 4096,
            max_assignments: int = BOUNDED_ASSIGNMENTS) -> Verdict:
    pairs = pair_writes(summary, prog)
    if isinstance(pairs, str):
        return Verdict(None, pairs)
    syms = summary.size_symbols
    ceil_syms = TS.program_ceil_symbols(prog)
    checked = 0
    leaves = 0
    for values in itertools.product(range(bound + 1), repeat=len(syms)):
        if checked >= max_assignments or leaves > BOUNDED_TOTAL:
            return Verdict(None, f"bounded check budget exhausted after {checked} size assignments ({leaves} unrolled leaves)")
        sizes = dict(zip(syms, values, strict=True))
        derived = {k: v for k, v in TS.ceil_values(sizes).items() if k in ceil_syms}
        env = {k: Poly.const(v) for k, v in {**sizes, **derived}.items()}
        if any(_outside(i.subst(env), n.subst(env)) for i, n in summary.in_bounds):
            continue  # the original loads outside a buffer at these sizes (undefined behaviour)
        for extent in nonempty_obligations(prog):
            if extent.subst(env).const_value < 1:
                # The original runs at these sizes (its unconditional loads are in bounds); the
                # program is undefined there (numpy raises on an empty max/min/argmax/argmin).
                cx = Counterexample({**sizes}, "an empty reduction range", "the loop nest's values (defined at these sizes)",
                                    "undefined: numpy raises on np.max/np.min/np.argmax/np.argmin of an empty range", sizes={**sizes})
                return Verdict(None, f"np.max/np.min/np.argmax/np.argmin over an empty range at sizes {sizes}", cx)
        enc = _Unroller(float_model)
        diffs: list[Any] = []
        points = 0
        for p in pairs:
            rec_dom = [LoopVar(lv.name, lv.lb.subst(env), lv.ub.subst(env), lv.step) for lv in p.rec.domain]
            shape = [s.subst(env) for s in p.assign.view.shape]
            if any(not s.is_const or s.const_value < 0 for s in shape) or any(not (d.lb.is_const and d.ub.is_const) for d in rec_dom):
                return Verdict(None, "bounded check needs concrete shapes")
            ranges = [range(d.lb.const_value, d.ub.const_value, d.step) for d in rec_dom]
            cost = unrolled_size(T.subst_index(p.rec.value, env), env)
            for r in ranges:
                cost *= max(1, len(r))
            if cost > BOUNDED_BUDGET:
                return Verdict(None, f"'{p.rec.buf}': too large for the bounded check at sizes {sizes} (static sizes); not proved either")
            leaves += cost
            if [len(r) for r in ranges] != [s.const_value for s in shape] and sorted(len(r) for r in ranges) != sorted(s.const_value for s in shape):
                return Verdict(None, f"'{p.rec.buf}': region sizes differ at sizes {sizes}")
            w = _witness(p, Prover([z3.Int(s) == v for s, v in {**sizes, **derived}.items()], float_model))
            if isinstance(w, str):
                return Verdict(None, f"{w} (sizes {sizes})")
            wenv, qs, _ = w
            for q in itertools.product(*[range(s.const_value) for s in shape]):
                points += 1
                if points > max_points:
                    break
                qenv = {qv.terms[0][0][0]: Poly.const(v) for qv, v in zip(qs, q, strict=True)}
                qenv.update(env)
                d_env = {k: v.subst(qenv) for k, v in wenv.items()}
                lhs = T.subst_index(T.subst_index(p.rec.value, env), d_env)
                rhs_n = TS.elem(p.assign.value, tuple(Poly.const(v) for v in q))
                rhs = T.subst_index(_convert_to(rhs_n, p.assign.value.dtype, p.rec.value.type, _buffer_unsigned(summary, p.rec.buf)), env)
                diffs.append(_neq(enc, normalise(lhs, float_model), normalise(rhs, float_model)))
        for r, n in zip(summary.results, prog.returns, strict=True):
            rhs = T.subst_index(_convert_to(TS.elem(n, ()), n.dtype, r.type, False), env)
            diffs.append(_neq(enc, normalise(T.subst_index(r, env), float_model), normalise(rhs, float_model)))
        if not diffs:
            continue
        if enc.fp_ops > 4 * MAX_FP_OPS:
            return Verdict(None, f"bounded check: too many IEEE float operations at sizes {sizes} ({enc.fp_ops} weighted > {4 * MAX_FP_OPS})")
        ieee_floats = not enc.real and any(x.type.kind == "f" for r in summary.records for x in T.walk(r.value))
        s = budget.solver(RLIMIT_IEEE_BOUNDED if ieee_floats else budget.RLIMIT_BOUNDED)
        s.add(*enc.assume)
        s.add(z3.Or(*diffs))
        res = budget.check(s)
        checked += 1
        if res == z3.sat:
            # Symbolic; raising.check_candidate turns the model into concrete inputs (confirm.py).
            # exact: no uninterpreted function, so the model is a difference in the documented semantics.
            return Verdict(None, f"differs at sizes {sizes}", Counterexample({**sizes}, "symbolic values", "z3 model", str(s.model())[:300]),
                           details={"model": s.model(), "sizes": {**sizes, **derived}, "exact": not enc.opaque})
        if res != z3.unsat:
            return Verdict(None, f"bounded check: solver budget (rlimit) exhausted at sizes {sizes}")
    return Verdict("bounded", details={"size_assignments": checked})


def _outside(i: Poly, n: Poly) -> bool:
    return i.is_const and n.is_const and not 0 <= i.const_value < n.const_value


def _neq(enc: Encoder, a: T.Term, b: T.Term) -> Any:
    enc.guarding = True  # a is the loop nest's side (nnan / ninf assume on it)
    ea = enc.enc(a)
    enc.guarding = False
    eb = enc.enc(b)
    d = differ(enc, a.type, ea, eb, root_nsz(a))
    poison = enc.poison(a)  # the loop nest's value is poison there (its ops' nnan / ninf): any value is right
    return d if poison is None else z3.And(z3.Not(poison), d)


# ---------------------------------------------------------------- tested


def make_args(summary: Summary, fn: func.FuncOp, rng: np.random.Generator, sizes: dict[str, int], dyn: dict[str, int], mode: str,
              float_model: str = "ieee") -> list[Any]:
    """Random arguments: size arguments from `sizes`, dynamic dims of buffer b from dyn[b]."""
    out: list[Any] = []
    fm = float_model
    for a, t in zip(summary.args, fn.function_type.inputs, strict=True):
        if a.kind == "size":
            out.append(sizes[a.name])
        elif isinstance(t, MemRefType):
            shape = tuple(dyn[a.name] if s < 0 else s for s in t.get_shape())
            out.append(_random_array(rng, shape, dtype_for(a.etype, a.unsigned_hint).np, mode, fm))  # type: ignore[arg-type]
        elif isinstance(t, IntegerType | IndexType):
            out.append(int(_random_array(rng, (), dtype_for(a.etype, False).np, mode, fm)[()]))  # type: ignore[arg-type]
        else:
            out.append(_random_array(rng, (), dtype_for(a.etype, False).np, mode, fm)[()])  # type: ignore[arg-type]
    if mode == "special":
        _cover_special_pairs([x for x in out if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.size > 1], floats.parse(fm), rng)
    if mode == "zeros":
        # Every product of an element of one array and one of the next is -0.0, so every sum of
        # them is -0.0 from a -0.0 start and +0.0 from a +0.0 one (a window sum started from the
        # wrong zero differs nowhere else).
        for j, x in enumerate(x for x in out if isinstance(x, np.ndarray) and x.dtype.kind == "f"):
            x.fill(-0.0 if j % 2 == 0 else 1.0)
    if mode == "large":
        # Large values of one sign per array: two of them never overflow, four always do and
        # three sometimes, so a sum computed in another grouping (a distributed or reassociated
        # one) overflows elsewhere than the loop's.
        for x in (x for x in out if isinstance(x, np.ndarray) and x.dtype.kind == "f"):
            top = float(np.finfo(x.dtype).max)
            x[...] = rng.uniform(0.2, 0.35, size=x.shape) * top * rng.choice([-1.0, 1.0])
    return out


def _cover_special_pairs(arrays: list[np.ndarray[Any, Any]], flags: frozenset[str], rng: np.random.Generator) -> None:
    """Lay the dangerous values (floats.dangerous_values) out first in the float arrays so that
    any two of them meet every pair of those values at a common flat index: an elementwise
    program that differs only on one pair (b = -inf with a finite a, issue 10) cannot miss it
    by chance. Cell (x, y) of a d x d grid, d prime, gives array j value number (x + j*y) mod d,
    for any two arrays j != j' < d a bijection between cells and pairs (an orthogonal array).
    The cells come in a random order per input set: a short loop meets some of the pairs, an
    array of d*d elements all of them."""
    d = 5 if len(floats.dangerous_values(np.dtype(np.float32), flags)) <= 5 else 7
    cells = rng.permutation(d * d)
    x, y = cells // d, cells % d
    for j, arr in enumerate(arrays):
        pad = [float(np.finfo(arr.dtype).smallest_subnormal), 1.0]  # up to d values
        vals = np.concatenate([floats.dangerous_values(arr.dtype, flags), np.array(pad, dtype=arr.dtype)])[:d]
        flat = arr.reshape(-1)  # a view: the arrays were just made, contiguous
        k = min(flat.size, d * d)
        flat[:k] = vals[(x[:k] + j * y[:k]) % d]


def _random_array(rng: np.random.Generator, shape: tuple[int, ...], dt: np.dtype[Any], mode: str, float_model: str = "ieee") -> np.ndarray[Any, Any]:
    """mode: full (whole range), edge (with 0, 1, -1, min, max), small (0..7: shift amounts, divisors),
    special (integers: edge; floats: NaN, infinities, signed zeros, denormals, the largest values
    and cancelling large ones, as far as the float model admits them)."""
    if mode == "special" and dt.kind == "f":
        flags = floats.parse(float_model)
        vals = _random_array(rng, shape, dt, "edge")
        special = floats.special_values(dt, flags)
        out = np.where(rng.random(shape) < 0.5, rng.choice(special, size=shape), vals).astype(dt)
        # Every dangerous value within the first elements, rotated by a random offset (so that two
        # arrays pair them differently): a short loop still meets each of them.
        danger = floats.dangerous_values(dt, flags)
        flat = out.reshape(-1)
        k = min(flat.size, danger.size)
        flat[:k] = np.roll(danger, int(rng.integers(0, danger.size)))[:k]
        return out
    edge = mode in ("edge", "special", "zeros", "large")
    if dt.kind == "b":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    if mode == "small":
        return rng.integers(1, 8, size=shape).astype(dt)
    if dt.kind in "iu":
        info = np.iinfo(dt)
        vals = rng.integers(int(info.min), int(info.max), size=shape, endpoint=True, dtype=np.int64) if dt.itemsize < 8 else rng.integers(-(2**40), 2**40, size=shape)
        if edge:
            edges = np.array([0, 1, -1 if info.min < 0 else 2, int(info.min), int(info.max)], dtype=np.int64) if dt.itemsize < 8 else np.array([0, 1, -1])
            vals = np.where(rng.random(shape) < 0.3, rng.choice(edges, size=shape), vals)
        return vals.astype(dt)
    vals = rng.uniform(0.25, 2.0, size=shape) * rng.choice([-1.0, 1.0], size=shape)
    if edge:
        vals = np.where(rng.random(shape) < 0.1, 0.0, vals)
    return vals.astype(dt)


def _sizes_of(summary: Summary, args: list[Any]) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for a, v in zip(summary.args, args, strict=True):
        if a.kind == "size":
            sizes[a.name] = int(v)
        elif a.kind == "buffer" and isinstance(v, np.ndarray):
            for k, n in enumerate(v.shape):
                sizes[f"{a.name}.shape[{k}]"] = int(n)
    return sizes


# Observers of every run of the reference executor in the differential test, called with the
# function's name and arguments (tests use it to check that large static nests are never run).
INTERPRET_HOOKS: list[Callable[[str, list[Any]], None]] = []


LARGE_SCALE = 64  # sizes of the larger trials go up to this per dimension ...
LARGE_BUDGET = 8_000  # ... as long as the original's nest stays within this many term leaves


def _cost_at(summary: Summary, env: dict[str, int]) -> float:
    """About how many term leaves interpreting the original at these sizes evaluates."""
    penv = {k: Poly.const(v) for k, v in env.items()}
    total = 0.0
    for r in summary.records:
        n = 1.0
        for lv in r.domain:
            lb, ub = lv.lb.subst(penv), lv.ub.subst(penv)
            if not (lb.is_const and ub.is_const):
                return float("inf")
            n *= max(1, len(range(lb.const_value, ub.const_value, lv.step)))
        total += n * unrolled_size(T.subst_index(r.value, penv), penv)
    return total + sum(unrolled_size(T.subst_index(t, penv), penv) for t in summary.results)


def _large_sizes(summary: Summary, rng: np.random.Generator, largest: bool = False) -> tuple[dict[str, int], dict[str, int]] | None:
    """Sizes and dynamic extents for a larger trial: random up to LARGE_SCALE, with the edge
    values 1, LARGE_SCALE - 1 and LARGE_SCALE among them (all LARGE_SCALE if `largest`), halved
    (largest first) until the nest fits LARGE_BUDGET. None when the function has no sizes to grow."""
    size_args = [a.name for a in summary.args if a.kind == "size"]
    dyn_bufs = [a.name for a in summary.args if a.kind == "buffer" and isinstance(a.type, MemRefType) and any(d < 0 for d in a.type.get_shape())]
    if not size_args and not dyn_bufs:
        return None
    edges = [1, LARGE_SCALE - 1, LARGE_SCALE]
    sizes = {s: int(rng.choice(edges)) if rng.random() < 0.3 else int(rng.integers(8, LARGE_SCALE + 1)) for s in size_args}
    if largest:
        sizes = dict.fromkeys(sizes, LARGE_SCALE)
    dyn = {b: LARGE_SCALE for b in dyn_bufs}

    def env() -> dict[str, int]:
        e = dict(sizes)
        for a in summary.args:
            if a.kind == "buffer" and a.shape is not None:
                for k, p in enumerate(a.shape):
                    if not p.is_const:
                        e.setdefault(f"{a.name}.shape[{k}]", dyn.get(a.name, LARGE_SCALE))
        return e

    for _ in range(64):
        if _cost_at(summary, env()) <= LARGE_BUDGET:
            return sizes, dyn
        names = [*sizes, *dyn]
        vals = [*sizes.values(), *dyn.values()]
        k = int(np.argmax(vals))
        if vals[k] <= 2:
            break
        if k < len(sizes):
            sizes[names[k]] = vals[k] // 2
        else:
            dyn[names[k]] = vals[k] // 2
    return None


def tested(module: ModuleOp, fn: func.FuncOp, summary: Summary, prog: TS.Program, trials: int = 5, scale: int = 7, seed: int = 0,
           large_trials: int = 2, float_model: str = "ieee") -> Verdict:
    """Differential test; UB in the original (e.g. division by zero) skips that input set.
    `trials` input sets at sizes 1..scale, then `large_trials` at sizes up to LARGE_SCALE. Under an
    IEEE float model the input sets cycle through special values (NaN, infinities, signed zeros,
    denormals, cancellation), ordinary ones, edge ones, (unless nsz) one whose float arrays
    are -0.0 and 1.0 (all products -0.0) and (unless ninf) one of large values that overflow in
    sums of three or four, and floats are compared bit for bit (floats.same); under
    `fast` (real numbers) inputs are ordinary and floats agree to a relative 1e-4."""
    rng = np.random.default_rng(seed)
    ran = 0
    attempts = 0
    flags = floats.parse(float_model)
    modes = ["full", "edge"] if floats.is_real(float_model) else [
        "special", "full", "edge", *([] if "nsz" in flags else ["zeros"]), *([] if "ninf" in flags else ["large"])]
    total = trials + large_trials
    while ran < total and attempts < total * 4:
        attempts += 1
        mode = modes[(attempts - 1) % len(modes)]
        sizes = {a.name: int(rng.integers(1, scale + 1)) for a in summary.args if a.kind == "size"}
        if mode in ("edge", "special", "zeros", "large"):
            sizes.update(_integer_size_edges(summary, fn, rng, attempts))
        dyn = {a.name: scale for a in summary.args if a.kind == "buffer"}
        if ran >= trials:
            pairs = "special" in modes and ran == trials  # many elements: every pair of special values meets here
            large = _large_sizes(summary, rng, largest=pairs)
            if large is None:
                break
            sizes, big = large
            dyn.update(big)
            if pairs:
                mode = "special"
        got_ret = None
        args: list[Any] = []
        ref_args: list[Any] = []
        _into_range(summary, sizes, dyn, rng)
        if _violates_in_bounds(summary, sizes, dyn):
            continue  # outside a precondition (e.g. a kept loop's iteration range): not an input
        for _ in range(12):
            # A buffer that the original overruns grows (sizes stay fixed), so accesses fit.
            args = make_args(summary, fn, np.random.default_rng([seed, attempts]), sizes, dyn, mode, float_model)
            ref_args = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
            try:
                for hook in INTERPRET_HOOKS:
                    hook(fn.sym_name.data, ref_args)
                got_ret = Interpreter(module, max_steps=3_000_000).call(fn.sym_name.data, ref_args)
                break
            except OutOfBounds as e:
                which = [a.name for a, x in zip(summary.args, ref_args, strict=True) if x is e.array]
                if not which:
                    break
                rank = e.array.ndim
                # Grow until the accesses fit, but never past ~1M elements per buffer (a mutant or a
                # nest that always overruns must not exhaust memory).
                if (dyn[which[0]] * 2) ** max(rank, 1) > 1 << 20:
                    break
                dyn[which[0]] *= 2
            except ExecutionError:
                # Undefined behaviour on these values (e.g. shift >= width): try small values.
                if "small" not in modes:
                    modes.append("small")
                break
        if got_ret is None:
            continue
        ran += 1
        TS.set_sizes(_sizes_of(summary, args))
        named = {a.name: (x.copy() if isinstance(x, np.ndarray) else x) for a, x in zip(summary.args, args, strict=True)}
        try:
            outs, rets = TS.evaluate(prog, named)
        except (IndexError, ValueError, TS.SpecError) as e:
            # The original runs on these inputs, the program cannot (a view outside its buffer).
            inputs = {b.name: x for b, x in zip(summary.args, args, strict=True)}
            cx = Counterexample(inputs, "the program", "the original's outputs", f"numpy fails: {e}", _final_buffers(summary, ref_args),
                                list(got_ret), _sizes_of(summary, args))
            return Verdict(None, f"program failed on concrete inputs: {e}", cx)
        cx = _first_difference(summary, args, ref_args, list(got_ret), outs, rets, float_model=float_model)
        if cx is not None:
            return Verdict(None, "differential test failed", cx)
    if ran == 0:
        return Verdict(None, "no input set ran without undefined behaviour in the original")
    return Verdict("tested", details={"trials": ran})


def _into_range(summary: Summary, sizes: dict[str, int], dyn: dict[str, int], rng: np.random.Generator) -> None:
    """Redraw a size that a precondition `0 <= s + c < n` puts in a range (a kept loop's
    iteration variable, `lb <= t < ub`) inside that range, so the trials cover it (t = 0 too)."""
    env = _size_env(summary, sizes, dyn)
    for i, n in summary.in_bounds:
        names = [v for v in i.vars() if v in sizes]
        if len(names) != 1 or i.coeff(names[0]) != Poly.const(1):
            continue
        s = names[0]
        rest, top = i.without(s).subst(env), n.subst(env)
        if not (rest.is_const and top.is_const) or 0 <= sizes[s] + rest.const_value < top.const_value:
            continue
        lo, hi = -rest.const_value, top.const_value - rest.const_value
        if lo < hi:
            sizes[s] = int(rng.integers(max(lo, 0), max(hi, 1)))
            env[s] = Poly.const(sizes[s])


def _size_env(summary: Summary, sizes: dict[str, int], dyn: dict[str, int]) -> dict[str, Poly]:
    env = {k: Poly.const(v) for k, v in sizes.items()}
    for a in summary.args:
        if a.kind == "buffer" and a.shape is not None:
            for k, p in enumerate(a.shape):
                env[f"{a.name}.shape[{k}]"] = p if p.is_const else Poly.const(dyn.get(a.name, 0))
    return env


def _violates_in_bounds(summary: Summary, sizes: dict[str, int], dyn: dict[str, int]) -> bool:
    """Whether these sizes break a precondition in Summary.in_bounds (where both sides are known)."""
    env = _size_env(summary, sizes, dyn)
    return any(_outside(i.subst(env), n.subst(env)) for i, n in summary.in_bounds)


def _first_difference(summary: Summary, args: list[Any], ref_args: list[Any], got_ret: list[Any], outs: dict[str, Any], rets: list[Any],
                      finite_only: bool = False, float_model: str = "ieee") -> Counterexample | None:
    """Where numpy's outputs of the program differ from the original's (args: the inputs,
    ref_args: the original's final buffers, got_ret: its results); finite_only: only where both
    values are finite."""
    fm = float_model
    for a, exp in zip(summary.args, ref_args, strict=True):
        if a.name in outs and not _close(exp, outs[a.name], fm):
            differs = ~_elementwise_close(exp, outs[a.name], fm) if exp.shape == outs[a.name].shape else np.ones(exp.shape, bool)
            if finite_only and exp.shape == outs[a.name].shape and exp.dtype.kind == "f":
                differs &= np.isfinite(exp) & np.isfinite(outs[a.name])
                if not differs.any():
                    continue
            bad = np.argwhere(differs)
            where = tuple(int(x) for x in bad[0]) if len(bad) else ()
            return Counterexample({b.name: x for b, x in zip(summary.args, args, strict=True)}, f"{a.name}{list(where)}",
                                  exp[where] if where else exp, outs[a.name][where] if where else outs[a.name],
                                  _final_buffers(summary, ref_args), got_ret, _sizes_of(summary, args))
    for i, (e, g) in enumerate(zip(got_ret, rets, strict=True)):
        if not _close(np.asarray(e), np.asarray(g), fm):
            if finite_only and not (np.all(np.isfinite(np.asarray(e, dtype=np.float64))) and np.all(np.isfinite(np.asarray(g, dtype=np.float64)))):
                continue
            return Counterexample({b.name: x for b, x in zip(summary.args, args, strict=True)}, f"result {i}", e, g,
                                  _final_buffers(summary, ref_args), got_ret, _sizes_of(summary, args))
    return None


def run_both(module: ModuleOp, fn: func.FuncOp, summary: Summary, prog: TS.Program, args: list[Any],
             finite_only: bool = False, float_model: str = "ieee") -> Counterexample | ExecutionError | None:
    """The original (reference executor) and the program (numpy) on `args`: a counterexample
    where they differ (finite_only: where both values are finite), None where they agree, or why
    the original cannot run on them (undefined behaviour, an access outside a buffer)."""
    ref_args = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
    try:
        for hook in INTERPRET_HOOKS:
            hook(fn.sym_name.data, ref_args)
        got_ret = list(Interpreter(module, max_steps=3_000_000).call(fn.sym_name.data, ref_args))
    except ExecutionError as e:
        return e
    TS.set_sizes(_sizes_of(summary, args))
    named = {a.name: (x.copy() if isinstance(x, np.ndarray) else x) for a, x in zip(summary.args, args, strict=True)}
    try:
        outs, rets = TS.evaluate(prog, named)
    except (IndexError, ValueError, TS.SpecError) as e:
        inputs = {b.name: x for b, x in zip(summary.args, args, strict=True)}
        return Counterexample(inputs, "the program", "the original's outputs", f"numpy fails: {e}", _final_buffers(summary, ref_args),
                              got_ret, _sizes_of(summary, args))
    return _first_difference(summary, args, ref_args, got_ret, outs, rets, finite_only, float_model)


def _integer_size_edges(summary: Summary, fn: func.FuncOp, rng: np.random.Generator, k: int = 0) -> dict[str, int]:
    """Edge values for sizes passed as integers (an i32 `n` cast to index): 0, -1 and the
    type's minimum, where the loops run zero times (the proof assumes sizes >= 0, which such an
    argument does not guarantee). The maximum would run 2**31 iterations: the prover's part."""
    out: dict[str, int] = {}
    for a, t in zip(summary.args, fn.function_type.inputs, strict=True):
        if a.kind == "size" and isinstance(t, IntegerType) and t.width.data > 1:
            # In turn (k: the trial's number), so that a short test sees a negative size.
            out[a.name] = [-1, -(1 << (t.width.data - 1)), 0][k % 3]
    return out


def _final_buffers(summary: Summary, ref_args: list[Any]) -> dict[str, Any]:
    return {a.name: x for a, x in zip(summary.args, ref_args, strict=True) if a.kind == "buffer" and a.written}


def refuted_by(prog: TS.Program, summary: Summary, cx: Counterexample, float_model: str = "ieee") -> bool:
    """Whether the program also disagrees with the original on a known counterexample (so it
    need not be verified): numpy on the recorded inputs against the recorded outputs."""
    if not cx.expected_outputs and not cx.expected_results:
        return False
    TS.set_sizes(cx.sizes)
    named = {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in cx.inputs.items()}
    try:
        outs, rets = TS.evaluate(prog, named)
    except (IndexError, ValueError, TS.SpecError):
        return True
    for name, exp in cx.expected_outputs.items():
        if name in outs and not _close(exp, outs[name], float_model):
            return True
    return any(not _close(np.asarray(e), np.asarray(g), float_model) for e, g in zip(cx.expected_results, rets, strict=False))


def _elementwise_close(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], float_model: str = "ieee") -> np.ndarray[Any, Any]:
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        return a.astype(np.int64) == b.astype(np.int64)
    if floats.is_real(float_model):
        return np.isclose(a.astype(np.float64), b.astype(np.float64), rtol=1e-4, atol=1e-5, equal_nan=True)
    # The machine's values: bit for bit at the output's width (any NaN is a NaN). Where the model
    # says the loop nest has no NaN / infinity (nnan / ninf), an output that is one came from a
    # poison value of the source: any result is right there.
    flags = floats.parse(float_model)
    x, y = a, b
    if a.dtype.kind == "f" and b.dtype.kind == "f" and a.dtype != b.dtype:
        x, y = a.astype(np.float64), b.astype(np.float64)
    out = floats.same(x, y, "nsz" in flags)
    if "nnan" in flags:
        out = out | np.isnan(x)
    if "ninf" in flags:
        out = out | np.isinf(x)
    return out


def _close(a: Any, b: Any, float_model: str = "ieee") -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind in "iub" and b.dtype.kind in "iub":
        bits = max(a.dtype.itemsize, b.dtype.itemsize) * 8
        mask = (1 << bits) - 1 if bits < 64 else -1
        return bool(np.array_equal(a.astype(np.int64) & mask, b.astype(np.int64) & mask))
    return bool(np.all(_elementwise_close(a, b, float_model)))
