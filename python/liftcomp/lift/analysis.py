"""Loop-nest analysis: symbolic execution of a function with symbolic sizes.

The whole function body (its loop nests in order) is executed once symbolically: a loop body is
run with a fresh index variable standing for every iteration, and then summarised:
- stores become write records `for d in D: buf[f(d)] = v(d)` (f must be injective over D);
- iter_args and in-memory accumulators (`C[i,j] = C[i,j] + ...` at an address that does not move
  with the loop) become folds `acc = op(acc, body(k))`;
- anything else (loop-carried dependences through memory, recurrences, data-dependent addresses
  or bounds, calls, unknown ops) is refused with the reason and the op's location.
Reads of a buffer written earlier in the function are resolved against the earlier records, so
every summary is a function of the argument values at entry.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import z3
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    AffineSetAttr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineSymExpr,
)
from xdsl.ir.affine.affine_set import AffineConstraintKind

from liftcomp.diagnostics import op_location
from liftcomp.lift import budget, floats
from liftcomp.lift import terms as T
from liftcomp.lift.terms import EType, Poly

# z3's Python API is typed too loosely for pyright (every operator returns a wide union), so
# z3 expressions are plain Any here.
Z3Expr = Any


class Refusal(Exception):
    """The nest cannot be summarised; `reason` says why, `location` where."""

    def __init__(self, reason: str, op: Operation | None = None):
        super().__init__(reason)
        self.reason = reason
        self.location = _loc(op) if op is not None else None


def _loc(op: Operation) -> str:
    return op_location(op)


def user_names(fn: func.FuncOp, arg_names: list[str] | None) -> list[str]:
    """The argument names as the user wrote them (`arg_names`, else the SSA name hints)."""
    block = fn.body.blocks[0]  # the entry block (a function of several blocks is refused later)
    names = arg_names or [a.name_hint or f"arg{i}" for i, a in enumerate(block.args)]
    if len(names) != len(block.args):
        return [f"arg{i}" for i in range(len(block.args))]
    return names


def spec_names(fn: func.FuncOp, arg_names: list[str] | None) -> list[str]:
    """The argument names TensorSpec programs use: the user's, except a Python keyword, `np`, a
    repeated name or a non-identifier gets a name no other argument has (`in` -> `in_`)."""
    names = user_names(fn, arg_names)
    taken = set(names)
    seen: set[str] = set()
    out: list[str] = []
    for i, name in enumerate(names):
        if keyword.iskeyword(name) or name in seen or not name.isidentifier() or name == "np":
            base = f"{name}_" if name.isidentifier() else f"arg{i}"
            name = base
            k = 0
            while name in taken or name in seen or keyword.iskeyword(name) or name == "np":
                k += 1
                name = f"{base}{k}"
        seen.add(name)
        out.append(name)
    return out


def shown_names(fn: func.FuncOp, arg_names: list[str] | None, text: str) -> str:
    """`text` (a diagnostic) with the arguments it quotes ('in_') under the user's names ('in')."""
    renamed = {s: u for s, u in zip(spec_names(fn, arg_names), user_names(fn, arg_names), strict=True) if s != u}
    if not renamed or not text:
        return text
    return re.sub(r"'(\w+)'", lambda m: f"'{renamed.get(m[1], m[1])}'", text)


_FP8 = ("f8E4M3FN", "f8E5M2")
# Ops whose fp8 result is one of their fp8 operands' values or an fp8 constant: exact in the
# prover's superset format for f8E4M3FN (smt.Encoder.sort); every other fp8 result rounds.
_FP8_EXACT = frozenset({"memref.load", "affine.load", "arith.constant", "arith.select", "arith.negf", "math.absf",
                        "arith.maximumf", "arith.minimumf", "arith.maxnumf", "arith.minnumf", "scf.for", "affine.for",
                        "scf.if", "affine.if"})


def _check_fp8_exact(op: Operation) -> None:
    """Refuse an op with an fp8 result that rounds (a constant too, unless the fp8 format holds
    its value: the parsed attribute keeps the written decimal)."""
    t = op.results[0].type
    why = f"'{op.name}' rounds to {t}"
    if op.name == "arith.constant":
        v = op.properties.get("value")
        if isinstance(v, FloatAttr):
            x = float(v.value.data)
            held = float(np.asarray(x).astype(T.np_float(etype_of(t))))
            if held == x or (x != x and held != held):
                return
            why = f"the constant {x} is not a {t} value"
    elif op.name in _FP8_EXACT:
        return
    raise Refusal(f"{why}: fp8 values may only be loaded, stored, compared, selected or extended (arith.extf); "
                  "the prover has no exact model of rounding to fp8 (docs/LIFTING.md, Float semantics)", op)


def etype_of(t: Attribute) -> EType:
    if isinstance(t, IntegerType):
        if t.width.data not in (1, 8, 16, 32, 64):  # numpy has no other integer widths
            raise Refusal(f"unsupported element type {t} (integers of 1, 8, 16, 32 or 64 bits)")
        return EType("i", t.width.data)
    if isinstance(t, IndexType):
        return T.INDEX
    name = getattr(t, "name", "")
    if name == "bf16":
        return T.BF16
    if name in ("f8E4M3FN", "f8E5M2"):
        return T.FP8[name.lower()]
    widths = {"f16": 16, "f32": 32, "f64": 64}
    if name in widths:
        return EType("f", widths[name])
    raise Refusal(f"unsupported element type {t}")


@dataclass(frozen=True)
class LoopVar:
    name: str
    lb: Poly
    ub: Poly
    step: int

    def count(self) -> Poly | None:
        if self.step == 1:
            return self.ub - self.lb
        return None


@dataclass
class Record:
    buf: str
    domain: list[LoopVar]
    idx: tuple[Poly, ...]
    value: T.Term
    location: str = ""


@dataclass
class ArgInfo:
    name: str
    type: Attribute
    kind: str  # buffer | size | scalar
    etype: EType | None = None
    shape: tuple[Poly, ...] | None = None
    read: bool = False
    written: bool = False
    unsigned_hint: bool = False


@dataclass
class Summary:
    func_name: str
    args: list[ArgInfo]
    records: list[Record]
    results: list[T.Term]
    size_symbols: list[str]
    assumptions: list[str] = field(default_factory=list)
    # (index, extent) of every load the function executes unconditionally (outside loops and
    # scf.if): the original has no undefined behaviour, so 0 <= index < extent on every input
    # considered (e.g. `first = a[0]` before an argmax loop says a.shape[0] >= 1).
    in_bounds: list[tuple[Poly, Poly]] = field(default_factory=list)


@dataclass
class _LoopRead:
    """Placeholder for a read of a buffer that the enclosing loop also writes."""

    buf: str
    idx: tuple[Poly, ...]
    name: str
    level: int  # index in the loop stack of the loop whose earlier iterations may have written it


# Unsigned uses of a loaded value: they make us present the buffer as unsigned to proposers.
_UNSIGNED_USERS = {"arith.extui", "arith.uitofp", "arith.divui", "arith.remui", "arith.shrui", "arith.maxui", "arith.minui"}


class Analyzer:
    def __init__(self, fn: func.FuncOp, arg_names: list[str] | None = None):
        self.fn = fn
        self.env: dict[SSAValue, Any] = {}
        self.scopes: list[list[Record]] = [[]]  # function level, then one per active loop body
        self.constraints: list[Z3Expr] = []
        self.args: list[ArgInfo] = []
        self.buffers: dict[str, ArgInfo] = {}
        self.local_bufs: set[str] = set()
        self.loop_reads: dict[str, _LoopRead] = {}
        self.guards: list[T.Term] = []
        self.loop_stack: list[tuple[LoopVar, set[str]]] = []
        self.arg_names = arg_names
        self.size_symbols: list[str] = []
        self.pending_records: list[Record] = []
        self.const_loop_vars: set[str] = set()  # active loop variables with constant bounds
        self.in_bounds: list[tuple[Poly, Poly]] = []  # see Summary.in_bounds

    # ---------------------------------------------------------------- entry
    def run(self) -> Summary:
        fn = self.fn
        if fn.is_declaration:
            raise Refusal("function has no body", fn)
        if len(fn.body.blocks) != 1:
            raise Refusal(f"function body of {len(fn.body.blocks)} blocks (branches between blocks)", fn)
        block = fn.body.block
        for arg, name in zip(block.args, spec_names(fn, self.arg_names), strict=True):
            t = arg.type
            if isinstance(t, MemRefType):
                shape = tuple(Poly.var(f"{name}.shape[{k}]") if s == DYNAMIC_INDEX else Poly.const(s) for k, s in enumerate(t.get_shape()))
                if not _identity_layout(t):
                    raise Refusal(f"argument '{name}' has a non-identity layout {t.layout}")
                info = ArgInfo(name, t, "buffer", etype_of(t.element_type), shape)
                for k, s in enumerate(t.get_shape()):
                    if s == DYNAMIC_INDEX:
                        self._add_size_symbol(f"{name}.shape[{k}]")
                self.buffers[name] = info
                self.env[arg] = ("buffer", name)
            elif isinstance(t, IndexType):
                info = ArgInfo(name, t, "size", T.INDEX)
                self.env[arg] = Poly.var(name)
                self._add_size_symbol(name)
            elif isinstance(t, IntegerType):
                info = ArgInfo(name, t, "scalar", etype_of(t))
                self.env[arg] = T.Scalar(name, etype_of(t))
            else:
                info = ArgInfo(name, t, "scalar", etype_of(t))
                self.env[arg] = T.Scalar(name, info.etype)  # type: ignore[arg-type]
            self.args.append(info)
        results = self.block(block, terminator="func.return")
        self._mark_unsigned()
        records = self._drop_overwritten([r for r in self.scopes[0] if r.buf not in self.local_bufs])
        for r in records:
            self.buffers[r.buf].written = True
        return Summary(fn.sym_name.data, self.args, records, results, self.size_symbols, in_bounds=self.in_bounds)

    def _drop_overwritten(self, records: list[Record]) -> list[Record]:
        """Drop records whose every write a later record of the same buffer overwrites."""
        kept: list[Record] = []
        for i, r in enumerate(records):
            later = [w for w in records[i + 1 :] if w.buf == r.buf]
            if any(self._covers(w, r) for w in later):
                continue
            kept.append(r)
        return kept

    def _covers(self, w: Record, r: Record) -> bool:
        sol = solve_index(w, r.idx)
        if sol is None:
            return False
        extra = _domain_constraints(r.domain)
        self.constraints.extend(extra)
        try:
            return self.provable(_in_domain(w.domain, sol))
        finally:
            self.constraints.pop()

    def _add_size_symbol(self, name: str) -> None:
        if name not in self.size_symbols:
            self.size_symbols.append(name)
            self.constraints.append(z3.Int(name) >= 0)

    def _mark_unsigned(self) -> None:
        for op in self.fn.walk():
            if op.name in ("memref.load", "affine.load"):
                src = self.env.get(op.operands[0])
                if isinstance(src, tuple) and src[1] in self.buffers:
                    users = {u.operation.name for u in op.results[0].uses}
                    preds = {_cmp_pred(u.operation) for u in op.results[0].uses if u.operation.name == "arith.cmpi"}
                    if users & _UNSIGNED_USERS or preds & {6, 7, 8, 9}:
                        self.buffers[src[1]].unsigned_hint = True

    # ---------------------------------------------------------------- blocks
    def block(self, block: Block, terminator: str) -> list[Any]:
        for op in block.ops:
            if op.name in ("scf.yield", "affine.yield", "func.return"):
                return [self.env[o] for o in op.operands]
            self.op(op)
        return []

    def op(self, op: Operation) -> None:
        name = op.name
        if any(getattr(r.type, "name", "") in _FP8 for r in op.results):
            _check_fp8_exact(op)
        handler = _HANDLERS.get(name)
        if handler is not None:
            out = handler(self, op)
            for r, v in zip(op.results, out, strict=True):
                self.env[r] = v
            return
        if name in _ARITH:
            self.env[op.results[0]] = self.arith(op)
            return
        raise Refusal(f"unsupported operation '{name}'", op)

    # ---------------------------------------------------------------- values
    def index(self, v: SSAValue, op: Operation) -> Poly:
        x = self.env[v]
        if isinstance(x, Poly):
            return x
        raise Refusal("data-dependent index or bound (computed from loaded data)", op)

    def term(self, v: SSAValue, op: Operation) -> T.Term:
        x = self.env[v]
        if isinstance(x, Poly):
            return T.IndexValue(x, T.INDEX)
        if isinstance(x, tuple):
            raise Refusal("a buffer is used as a value", op)
        return x

    def term_of(self, y: Any, op: Operation) -> T.Term:
        if isinstance(y, Poly):
            return T.IndexValue(y, T.INDEX)
        if isinstance(y, tuple):
            raise Refusal("a buffer is yielded", op)
        return y

    def arith(self, op: Operation) -> Any:
        name = op.name.split(".", 1)[1]
        rt = op.results[0].type
        vals = [self.env[o] for o in op.operands]
        # Index arithmetic stays symbolic (polynomials) as long as it is + - *.
        if isinstance(rt, IndexType) and all(isinstance(v, Poly) for v in vals):
            if name == "addi":
                return vals[0] + vals[1]
            if name == "subi":
                return vals[0] - vals[1]
            if name == "muli":
                return vals[0] * vals[1]
            if name in ("index_cast", "index_castui"):
                return vals[0]
            raise Refusal(f"non-polynomial index arithmetic '{op.name}'", op)
        if name == "index_cast" and isinstance(rt, IndexType):
            # index_cast of integer index arithmetic (C's `int ih = oh + kh - 1; x[ih]`) is that
            # polynomial where it provably fits the integer type (sign extension of no wrap).
            p = self.int_poly(self.env[op.operands[0]])
            if p is not None:
                return p
        if name in ("index_cast", "index_castui") and isinstance(rt, IndexType):
            src = self.env[op.operands[0]]
            if isinstance(src, T.Scalar):
                # An integer argument used as a size: a size symbol (assumed >= 0).
                self._add_size_symbol(src.name)
                for a in self.args:
                    if a.name == src.name:
                        a.kind = "size"
                return Poly.var(src.name)
            raise Refusal("data-dependent index (index_cast of a computed value)", op)
        args = tuple(self.term(o, op) for o in op.operands)
        et = etype_of(rt)
        if name == "cmpi":
            pred = _CMPI_NAMES[_cmp_pred(op)]
            lhs, rhs = (self.int_poly(x) for x in args)
            if pred in _INDEX_CMP and lhs is not None and rhs is not None:
                # A signed compare of integer index arithmetic that cannot wrap is the same
                # compare of index expressions (a guard `0 <= ih < H` on C ints).
                return T.Op(pred, (T.IndexValue(lhs, T.INDEX), T.IndexValue(rhs, T.INDEX)), T.I1)
            return T.Op(pred, args, T.I1)
        fm = floats.op_flags(op) or frozenset()  # this op's own fast-math flags (the proof uses them per op)
        if name == "cmpf":
            return T.Op(_CMPF_NAMES[_cmp_pred(op)], args, T.I1, fm)
        if name in ("index_cast", "index_castui"):
            # index -> integer data
            a = args[0]
            if isinstance(a, T.IndexValue):
                return T.IndexValue(a.idx, et)
            return T.Op("trunci" if et.width < 64 else "extsi", (a,), et)
        if name == "rsqrt":
            return T.Op("divf", (T.Const(1.0, et), T.Op("sqrt", args, et)), et)
        return T.Op(name, args, et, fm)

    def int_poly(self, t: Any) -> Poly | None:
        """The integer term t (built from index_casts of index expressions and constants by
        addi/subi/muli/extsi) as a polynomial equal to its signed value for every iteration in the
        enclosing loops' domain, or None. Wrapping + - * agree with the polynomial modulo 2^w
        (IndexValue(p, iN) is p mod 2^N), so only the final value must provably fit iN."""
        if not isinstance(t, T.IndexValue | T.Op | T.Const) or t.type.kind != "i" or t.type.width < 2:
            return None
        p = self._wrapped_poly(t)
        if p is None or not p.vars() <= self.const_loop_vars:  # unbounded sizes could wrap
            return None
        half = 1 << (t.type.width - 1)
        return p if self.provable(z3.And(-half <= zpoly(p), zpoly(p) < half)) else None

    def _wrapped_poly(self, t: T.Term) -> Poly | None:
        """t's value modulo 2^w as a polynomial (w: t's width), or None."""
        if isinstance(t, T.IndexValue):
            return t.idx
        if isinstance(t, T.Const):
            v, w = int(t.value), t.type.width
            return Poly.const(v - (1 << w) if v >> (w - 1) & 1 and v > 0 else v)
        if not isinstance(t, T.Op):
            return None
        if t.op == "extsi" and len(t.args) == 1:
            return self.int_poly(t.args[0])  # sign extension keeps the value when it fits
        if t.op not in ("addi", "subi", "muli") or any(a.type != t.type for a in t.args):
            return None
        a, b = (self._wrapped_poly(x) for x in t.args)
        if a is None or b is None:
            return None
        return a + b if t.op == "addi" else a - b if t.op == "subi" else a * b

    # ---------------------------------------------------------------- memory
    def buffer(self, v: SSAValue, op: Operation) -> str:
        x = self.env.get(v)
        if isinstance(x, tuple) and x[0] == "buffer":
            return x[1]
        raise Refusal("memory access through a view or unknown buffer", op)

    def check_bounds(self, buf: str, idx: tuple[Poly, ...], op: Operation) -> None:
        """Refuse accesses that are certainly outside a static extent for some iteration (UB)."""
        info = self.buffers.get(buf)
        if info is None or info.shape is None:
            return
        for p, extent in zip(idx, info.shape, strict=False):
            if not extent.is_const or not p.vars() <= self.const_loop_vars:
                continue
            s = budget.solver(budget.RLIMIT_INDEX)
            s.add(*self.constraints)
            # The path condition: a guarded load (`if 0 <= ih < H: x[ih]`, padding) is only
            # executed where its guard holds.
            if self.guards:
                s.add(guard_facts(self.guards[-1]))
            s.add(z3.Or(zpoly(p) < 0, zpoly(p) >= extent.const_value))
            if budget.check(s) == z3.sat:
                raise Refusal(f"'{buf}' is accessed outside its extent {extent.const_value}: undefined behaviour", op)

    def load(self, buf: str, idx: tuple[Poly, ...], et: EType, op: Operation) -> T.Term:
        self.check_bounds(buf, idx, op)
        if buf in self.buffers:
            self.buffers[buf].read = True
            shape = self.buffers[buf].shape
            if not self.loop_stack and not self.guards and shape is not None:
                self.in_bounds.extend(zip(idx, shape, strict=False))
        return self.resolve_from(len(self.scopes) - 1, buf, idx, et, op)

    def resolve_from(self, scope: int, buf: str, idx: tuple[Poly, ...], et: EType, op: Operation | None) -> T.Term:
        """The value of buf[idx] as seen from scopes[scope]: a record's value, a placeholder for a
        loop whose earlier iterations may have written it, or the argument's value at entry."""
        for sc in range(scope, -1, -1):
            hit = self._resolve_in(self.scopes[sc], buf, idx, op)
            if hit is not None:
                return hit
            if sc >= 1 and buf in self.loop_stack[sc - 1][1]:
                name = T.fresh("__mem")
                self.loop_reads[name] = _LoopRead(buf, idx, name, sc - 1)
                return T.Scalar(name, et)
        if buf in self.local_bufs:
            raise Refusal(f"read of uninitialised local buffer '{buf}'", op)
        return T.Read(buf, idx, et)

    def _resolve_in(self, records: list[Record], buf: str, idx: tuple[Poly, ...], op: Operation | None) -> T.Term | None:
        for rec in reversed(records):
            if rec.buf != buf:
                continue
            sol = solve_index(rec, idx)
            if sol is not None and self.provable(_in_domain(rec.domain, sol)):
                return self.subst_value(rec.value, sol)
            if self.provable(z3.Not(_may_hit(rec, idx))):
                continue
            raise Refusal(f"cannot tell which earlier write of '{buf}' a read sees", op)
        return None

    def subst_value(self, value: T.Term, sol: dict[str, Poly]) -> T.Term:
        """A record's value at other domain values: placeholders of enclosing loops' reads name
        their address in a side table, so each one is renamed to a copy at the substituted address."""
        moved: dict[str, T.Term] = {}
        for x in T.walk(value):
            if isinstance(x, T.Scalar) and x.name in self.loop_reads and x.name not in moved:
                lr = self.loop_reads[x.name]
                idx = tuple(p.subst(sol) for p in lr.idx)
                if idx == lr.idx:
                    continue
                name = T.fresh("__mem")
                self.loop_reads[name] = _LoopRead(lr.buf, idx, name, lr.level)
                moved[x.name] = T.Scalar(name, x.type)
        out = T.subst_index(value, sol)
        if not moved:
            return out
        return T.map_terms(out, lambda t: moved.get(t.name) if isinstance(t, T.Scalar) else None)

    def provable(self, claim: Z3Expr) -> bool:
        s = budget.solver(budget.RLIMIT_INDEX)
        s.add(*self.constraints)
        s.add(z3.Not(claim))
        return budget.check(s) == z3.unsat

    def _same_placeholder(self, old: T.Term, value: T.Term) -> T.Term:
        """`if g: buf[i] = buf[i] + e`: the kept value is the one the update read (a fresh
        placeholder for the same element of the same loop means no write came between), so
        the guarded update is one accumulator `select(g, acc + e, acc)`."""
        lr = self.loop_reads.get(old.name) if isinstance(old, T.Scalar) else None
        if lr is None:
            return old
        for x in T.walk(value):
            o = self.loop_reads.get(x.name) if isinstance(x, T.Scalar) and x.name != lr.name else None
            if o is not None and (o.buf, o.idx, o.level) == (lr.buf, lr.idx, lr.level):
                del self.loop_reads[lr.name]
                return x
        return old

    def store(self, buf: str, idx: tuple[Poly, ...], value: T.Term, op: Operation) -> None:
        self.check_bounds(buf, idx, op)
        if buf in self.buffers:
            self.buffers[buf].written = True
        guard = self.guards[-1] if self.guards else None
        if guard is not None:
            old = self._same_placeholder(self.load(buf, idx, _etype_of_term(value), op), value)
            value = T.Op("select", (guard, value, old), _etype_of_term(value))
        self.scopes[-1].append(Record(buf, [], idx, value, _loc(op)))


_INDEX_CMP = {
    "eq": lambda a, b: a == b, "ne": lambda a, b: a != b, "slt": lambda a, b: a < b, "sle": lambda a, b: a <= b,
    "sgt": lambda a, b: a > b, "sge": lambda a, b: a >= b,
}
_UNSIGNED_CMP = {"ult": "slt", "ule": "sle", "ugt": "sgt", "uge": "sge"}


def _index_operand(t: T.Term) -> Z3Expr | None:
    return zpoly(t.idx) if isinstance(t, T.IndexValue) and t.type == T.INDEX else None


def _as_unsigned(x: Z3Expr) -> Z3Expr:
    """An index as its 64-bit unsigned value (a negative index compares above every size)."""
    return z3.If(x < 0, x + (1 << 64), x)


def _exact_condition(t: T.Term) -> Z3Expr | None:
    """The i1 term t as an equivalent formula over the index variables, or None when it
    depends on data (or on ops not modelled here)."""
    if isinstance(t, T.Const) and t.type == T.I1:
        return z3.BoolVal(bool(t.value))
    if not isinstance(t, T.Op):
        return None
    if t.op in _INDEX_CMP or t.op in _UNSIGNED_CMP:
        a, b = (_index_operand(x) for x in t.args)
        if a is None or b is None:
            return None
        if t.op in _UNSIGNED_CMP:
            return _INDEX_CMP[_UNSIGNED_CMP[t.op]](_as_unsigned(a), _as_unsigned(b))
        return _INDEX_CMP[t.op](a, b)
    if t.type != T.I1 or t.op not in ("andi", "ori", "xori"):
        return None
    x, y = (_exact_condition(a) for a in t.args)
    if x is None or y is None:
        return None
    return {"andi": z3.And, "ori": z3.Or, "xori": z3.Xor}[t.op](x, y)


def guard_facts(t: T.Term) -> Z3Expr:
    """A formula over the index variables that the i1 guard t implies (its index comparisons;
    conjuncts that depend on data are dropped, which only weakens it)."""
    exact = _exact_condition(t)
    if exact is not None:
        return exact
    if isinstance(t, T.Op) and t.op == "andi" and t.type == T.I1:
        return z3.And(guard_facts(t.args[0]), guard_facts(t.args[1]))
    return z3.BoolVal(True)


def _etype_of_term(t: T.Term) -> EType:
    return t.type


def _identity_layout(t: MemRefType) -> bool:
    layout = t.layout
    return layout is None or type(layout).__name__ in ("NoneAttr",) or str(layout) in ("#none", "")


def _cmp_pred(op: Operation) -> int:
    p = op.properties.get("predicate")
    assert isinstance(p, IntegerAttr)
    return p.value.data


_CMPI_NAMES = {0: "eq", 1: "ne", 2: "slt", 3: "sle", 4: "sgt", 5: "sge", 6: "ult", 7: "ule", 8: "ugt", 9: "uge"}
_CMPF_NAMES = {1: "oeq", 2: "ogt", 3: "oge", 4: "olt", 5: "ole", 6: "one", 7: "ord", 8: "ueq", 9: "ugt_f", 10: "uge_f", 11: "ult_f", 12: "ule_f",
               13: "une", 14: "uno"}

_ARITH = {
    f"arith.{n}" for n in (
        "addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "floordivsi", "andi", "ori", "xori", "shli", "shrsi", "shrui",
        "maxsi", "minsi", "maxui", "minui", "addf", "subf", "mulf", "divf", "maximumf", "minimumf", "maxnumf", "minnumf", "negf",
        "cmpi", "cmpf", "select", "extsi", "extui", "trunci", "sitofp", "uitofp", "fptosi", "fptoui", "extf", "truncf",
        "index_cast", "index_castui",
    )
} | {f"math.{n}" for n in ("exp", "log", "sqrt", "rsqrt", "tanh", "absf", "absi", "exp2", "log2", "log10", "sin", "cos", "erf", "floor", "ceil", "powf", "roundeven", "round", "trunc")}


# ---------------------------------------------------------------- index solving


def solve_index(rec: Record, idx: tuple[Poly, ...]) -> dict[str, Poly] | None:
    """Find domain values d with rec.idx(d) == idx (polynomially), or None."""
    if len(idx) != len(rec.idx):
        return None
    sol: dict[str, Poly] = {}
    dom_vars = [lv.name for lv in rec.domain]
    for f, t in zip(rec.idx, idx, strict=True):
        vs = [v for v in dom_vars if v in f.vars() and v not in sol]
        rem = t - f.subst(sol).subst({v: Poly.const(0) for v in vs})
        try:
            coeffs = {v: f.subst(sol).coeff(v) for v in vs}
        except ValueError:
            return None
        # Largest coefficients first: a flattened i*n + j gives i = (terms with n)/n, j = the rest.
        order = sorted(vs, key=lambda v: (-max((len(m) for m, _ in coeffs[v].terms), default=0), -abs(coeffs[v].const_value)))
        for v in order:
            c = coeffs[v]
            if c.is_const:
                cv = c.const_value
                if cv == 0:
                    return None
                d = rem.as_dict()
                if any(x % cv for x in d.values()):
                    return None
                part = Poly._make({m: x // cv for m, x in d.items()})  # pyright: ignore[reportPrivateUsage]
                sol[v] = part
                rem = rem - c * part
            else:
                mono = _single_monomial(c)
                if mono is None:
                    return None
                mvars, mc = mono
                picked: dict[tuple[str, ...], int] = {}
                for m, x in rem.terms:
                    if _contains(m, mvars) and x % mc == 0:
                        rest = list(m)
                        for u in mvars:
                            rest.remove(u)
                        key = tuple(sorted(rest))
                        picked[key] = picked.get(key, 0) + x // mc
                part = Poly._make(picked)  # pyright: ignore[reportPrivateUsage]
                sol[v] = part
                rem = rem - c * part
        if rem != Poly.const(0):
            return None
    for v in dom_vars:
        if v not in sol:
            return None
    for f, t in zip(rec.idx, idx, strict=True):
        if f.subst(sol) != t:
            return None
    return sol


def _single_monomial(p: Poly) -> tuple[tuple[str, ...], int] | None:
    if len(p.terms) != 1:
        return None
    m, c = p.terms[0]
    return m, c


def _contains(m: tuple[str, ...], sub: tuple[str, ...]) -> bool:
    rest = list(m)
    for u in sub:
        if u not in rest:
            return False
        rest.remove(u)
    return True


def zpoly(p: Poly) -> Z3Expr:
    total: Z3Expr = z3.IntVal(0)
    for m, c in p.terms:
        term: Z3Expr = z3.IntVal(c)
        for v in m:
            term = term * z3.Int(v)
        total = total + term
    return total


def _in_domain(domain: list[LoopVar], sol: dict[str, Poly]) -> Z3Expr:
    conds: list[Z3Expr] = []
    for lv in domain:
        x = zpoly(sol[lv.name])
        conds.append(zpoly(lv.lb) <= x)
        conds.append(x < zpoly(lv.ub))
        if lv.step != 1:
            conds.append((x - zpoly(lv.lb)) % lv.step == 0)
    return z3.And(*conds) if conds else z3.BoolVal(True)


def _may_hit(rec: Record, idx: tuple[Poly, ...]) -> Z3Expr:
    """Some domain point of rec writes idx (existential over fresh copies of the domain vars)."""
    ren = {lv.name: Poly.var(T.fresh(lv.name + "_")) for lv in rec.domain}
    dom = [LoopVar(ren[lv.name].terms[0][0][0], lv.lb.subst(ren), lv.ub.subst(ren), lv.step) for lv in rec.domain]
    eqs = [zpoly(f.subst(ren)) == zpoly(t) for f, t in zip(rec.idx, idx, strict=True)]
    return z3.And(_in_domain(dom, {d.name: Poly.var(d.name) for d in dom}), *eqs)


# ---------------------------------------------------------------- handlers


def _h_constant(a: Analyzer, op: Operation) -> list[Any]:
    v = op.properties.get("value")
    t = op.results[0].type
    if isinstance(v, IntegerAttr):
        if isinstance(t, IndexType):
            return [Poly.const(v.value.data)]
        et = etype_of(t)
        return [T.Const(v.value.data & ((1 << et.width) - 1), et)]
    if isinstance(v, FloatAttr):
        return [T.Const(float(v.value.data), etype_of(t))]
    raise Refusal("unsupported constant (vector/tensor)", op)


def _h_dim(a: Analyzer, op: Operation) -> list[Any]:
    buf = a.buffer(op.operands[0], op)
    k = a.index(op.operands[1], op)
    info = a.buffers.get(buf)
    if info is None or info.shape is None or not k.is_const:
        raise Refusal("memref.dim of an unknown buffer or dimension", op)
    if not 0 <= k.const_value < len(info.shape):
        raise Refusal(f"memref.dim index {k.const_value} out of range for a buffer of rank {len(info.shape)}", op)
    return [info.shape[k.const_value]]


def _h_load(a: Analyzer, op: Operation) -> list[Any]:
    buf = a.buffer(op.operands[0], op)
    idx = tuple(a.index(o, op) for o in op.operands[1:])
    return [a.load(buf, idx, etype_of(op.results[0].type), op)]


def _h_store(a: Analyzer, op: Operation) -> list[Any]:
    buf = a.buffer(op.operands[1], op)
    idx = tuple(a.index(o, op) for o in op.operands[2:])
    a.store(buf, idx, a.term(op.operands[0], op), op)
    return []


def _affine_eval(e: AffineExpr, dims: list[Poly], syms: list[Poly], op: Operation) -> Poly:
    if isinstance(e, AffineConstantExpr):
        return Poly.const(e.value)
    if isinstance(e, AffineDimExpr):
        return dims[e.position]
    if isinstance(e, AffineSymExpr):
        return syms[e.position]
    if isinstance(e, AffineBinaryOpExpr):
        lhs = _affine_eval(e.lhs, dims, syms, op)
        rhs = _affine_eval(e.rhs, dims, syms, op)
        if e.kind == AffineBinaryOpKind.Add:
            return lhs + rhs
        if e.kind == AffineBinaryOpKind.Mul:
            return lhs * rhs
        raise Refusal(f"affine {e.kind.name} in an index is not supported", op)
    raise Refusal("unsupported affine expression", op)


def _affine_map(a: Analyzer, op: Operation, m: AffineMapAttr, operands: list[SSAValue]) -> list[Poly]:
    vals = [a.index(o, op) for o in operands]
    nd = m.data.num_dims
    return [_affine_eval(r, vals[:nd], vals[nd:], op) for r in m.data.results]


def _h_affine_load(a: Analyzer, op: Operation) -> list[Any]:
    buf = a.buffer(op.operands[0], op)
    m = op.properties["map"]
    assert isinstance(m, AffineMapAttr)
    idx = tuple(_affine_map(a, op, m, list(op.operands[1:])))
    return [a.load(buf, idx, etype_of(op.results[0].type), op)]


def _h_affine_store(a: Analyzer, op: Operation) -> list[Any]:
    buf = a.buffer(op.operands[1], op)
    m = op.properties["map"]
    assert isinstance(m, AffineMapAttr)
    idx = tuple(_affine_map(a, op, m, list(op.operands[2:])))
    a.store(buf, idx, a.term(op.operands[0], op), op)
    return []


def _h_apply(a: Analyzer, op: Operation) -> list[Any]:
    m = op.properties["map"]
    assert isinstance(m, AffineMapAttr)
    res = _affine_map(a, op, m, list(op.operands))
    return [res[0]]


def _h_alloc(a: Analyzer, op: Operation) -> list[Any]:
    name = T.fresh("__local")
    t = op.results[0].type
    assert isinstance(t, MemRefType)
    dyn = iter(op.operands)
    shape = tuple(a.index(next(dyn), op) if s == DYNAMIC_INDEX else Poly.const(s) for s in t.get_shape())
    a.buffers[name] = ArgInfo(name, t, "buffer", etype_of(t.element_type), shape)
    a.local_bufs.add(name)
    return [("buffer", name)]


def _h_dealloc(a: Analyzer, op: Operation) -> list[Any]:
    return []


def _written_buffers(a: Analyzer, body: Block) -> set[str]:
    out: set[str] = set()
    for inner in body.walk():
        if inner.name in ("memref.store", "affine.store"):
            x = a.env.get(inner.operands[1])
            if isinstance(x, tuple):
                out.add(x[1])
            else:
                out.add("?")
    return out


def _h_for(a: Analyzer, op: Operation) -> list[Any]:
    if op.name == "scf.for":
        lb = a.index(op.operands[0], op)
        ub = a.index(op.operands[1], op)
        step_p = a.index(op.operands[2], op)
        inits = list(op.operands[3:])
    else:
        lbm, ubm = op.properties["lowerBoundMap"], op.properties["upperBoundMap"]
        assert isinstance(lbm, AffineMapAttr) and isinstance(ubm, AffineMapAttr)
        seg = op.properties.get("operandSegmentSizes")
        sizes = list(seg.get_values()) if seg is not None else None  # type: ignore[attr-defined]
        assert sizes is not None
        lbs = _affine_map(a, op, lbm, list(op.operands[: sizes[0]]))
        ubs = _affine_map(a, op, ubm, list(op.operands[sizes[0] : sizes[0] + sizes[1]]))
        if len(lbs) != 1 or len(ubs) != 1:
            raise Refusal("affine.for with max/min bounds is not supported", op)
        lb, ub = lbs[0], ubs[0]
        st = op.properties["step"]
        assert isinstance(st, IntegerAttr)
        step_p = Poly.const(st.value.data)
        inits = list(op.operands[sizes[0] + sizes[1] :])
    if not step_p.is_const or step_p.const_value <= 0:
        raise Refusal("loop step must be a positive constant", op)
    step = step_p.const_value
    if a.provable(zpoly(ub) <= zpoly(lb)):
        raise Refusal(f"the loop never runs (bounds {lb} to {ub}): nothing to lift", op)
    runs = a.provable(zpoly(lb) < zpoly(ub))  # at least once: a private scratch keeps its last iteration's values
    body = op.regions[0].block
    var = T.fresh("i")
    lv = LoopVar(var, lb, ub, step)
    written = _written_buffers(a, body)
    if "?" in written:
        raise Refusal("store through a view or unknown buffer", op)
    init_vals = [a.term(v, op) if not isinstance(a.env[v], Poly) else a.env[v] for v in inits]
    accs: list[T.Term] = []
    for bv, iv in zip(body.args[1:], init_vals, strict=True):
        # An index-typed iter_arg is data here (a placeholder, never a polynomial): using it as
        # an address or bound is refused, and summarise_loop accepts it only as the index half
        # of an argmax/argmin pair.
        acc = T.Scalar(T.fresh("__acc"), T.INDEX if isinstance(iv, Poly) else iv.type)
        accs.append(acc)
        a.env[bv] = acc
    a.env[body.args[0]] = Poly.var(var)
    # Execute the body once for a symbolic iteration.
    if lb.is_const and ub.is_const:
        a.const_loop_vars.add(var)
    a.loop_stack.append((lv, written))
    a.scopes.append([])
    n_cons = 3 if step != 1 else 2
    a.constraints.append(zpoly(lb) <= z3.Int(var))
    a.constraints.append(z3.Int(var) < zpoly(ub))
    if step != 1:
        a.constraints.append((z3.Int(var) - zpoly(lb)) % step == 0)
    try:
        ys = a.block(body, "yield")
        level = len(a.loop_stack) - 1
        body_records = a.scopes[-1]
        ys_terms = [a.term_of(y, op) for y in ys]
        # Summaries need the iteration's constraints while checking dependences.
        out = summarise_loop(a, op, lv, level, accs, init_vals, ys_terms, body_records, runs)
    finally:
        a.loop_stack.pop()
        a.scopes.pop()
        del a.constraints[-n_cons:]
    a.scopes[-1].extend(a.pending_records)
    a.pending_records = []
    return out



def _h_if(a: Analyzer, op: Operation) -> list[Any]:
    return _guarded(a, op, a.term(op.operands[0], op))


def _h_affine_if(a: Analyzer, op: Operation) -> list[Any]:
    """affine.if #set(dims)[syms]: the conjunction of the set's constraints as index compares
    (the same i1 terms an scf.if on arith.cmpi gives)."""
    cond_attr = op.properties["condition"]
    assert isinstance(cond_attr, AffineSetAttr)
    iset = cond_attr.data
    vals = [a.index(o, op) for o in op.operands]
    dims, syms = vals[: iset.num_dims], vals[iset.num_dims :]
    cond: T.Term = T.Const(1, T.I1)
    for c in iset.constraints:
        lhs = T.IndexValue(_affine_eval(c.lhs, dims, syms, op), T.INDEX)
        rhs = T.IndexValue(_affine_eval(c.rhs, dims, syms, op), T.INDEX)
        pred = {AffineConstraintKind.ge: "sge", AffineConstraintKind.le: "sle", AffineConstraintKind.eq: "eq"}[c.kind]
        one = T.Op(pred, (lhs, rhs), T.I1)
        cond = one if isinstance(cond, T.Const) else T.Op("andi", (cond, one), T.I1)
    return _guarded(a, op, cond)


def _guarded(a: Analyzer, op: Operation, cond: T.Term) -> list[Any]:
    then_b = op.regions[0].block
    else_b = op.regions[1].blocks[0] if op.regions[1].blocks else None
    a.guards.append(cond if not a.guards else T.Op("andi", (a.guards[-1], cond), T.I1))
    try:
        tv = a.block(then_b, "yield")
    finally:
        a.guards.pop()
    ev: list[Any] = []
    if else_b is not None:
        neg = T.Op("xori", (cond, T.Const(1, T.I1)), T.I1)
        a.guards.append(neg if not a.guards else T.Op("andi", (a.guards[-1], neg), T.I1))
        try:
            ev = a.block(else_b, "yield")
        finally:
            a.guards.pop()
    out: list[Any] = []
    for t, e in zip(tv, ev, strict=False):
        tt, et_ = a.term_of(t, op), a.term_of(e, op)
        out.append(T.Op("select", (cond, tt, et_), tt.type))
    return out


_HANDLERS = {
    "arith.constant": _h_constant,
    "memref.dim": _h_dim,
    "memref.load": _h_load,
    "memref.store": _h_store,
    "affine.load": _h_affine_load,
    "affine.store": _h_affine_store,
    "affine.apply": _h_apply,
    "memref.alloc": _h_alloc,
    "memref.alloca": _h_alloc,
    "memref.dealloc": _h_dealloc,
    "scf.for": _h_for,
    "affine.for": _h_for,
    "scf.if": _h_if,
    "affine.if": _h_affine_if,
}


# ---------------------------------------------------------------- loop summaries


def _mentions(t: T.Term, names: set[str]) -> bool:
    return any(isinstance(x, T.Scalar) and x.name in names for x in T.walk(t))


def _split_combine(y: T.Term, acc: T.Term) -> tuple[str, T.Term] | None:
    """Match y = op(acc, e) (or op(e, acc) for commutative ops) -> (op, e)."""
    if isinstance(y, T.Op) and y.op in T.ASSOCIATIVE and len(y.args) == 2:
        lhs, rhs = y.args
        if lhs == acc:
            return y.op, rhs
        if rhs == acc:
            return y.op, lhs
    if isinstance(y, T.Op) and y.op in ("subi", "subf") and y.args[0] == acc:
        neg = T.Op("negf", (y.args[1],), y.type) if y.op == "subf" else T.Op("subi", (T.Const(0, y.type), y.args[1]), y.type)
        return ("addf" if y.op == "subf" else "addi"), neg
    if isinstance(y, T.Op) and y.op == "select":
        sel = list(y.args)  # a fresh list: pyright narrows y.args to a pair above
        c, tv, fv = sel[0], sel[1], sel[2]
        # select(c, op(acc, e), acc) -> op(acc, select(c, e, identity))
        sf = _select_fold(c, tv, fv, acc) if y.type.kind == "f" and isinstance(c, T.Op) and c.op in T.CMPF else None
        if sf is not None:
            return sf
        if fv == acc:
            inner = _split_combine(tv, acc)
            ident = identity(inner[0], y.type) if inner else None
            if inner and ident is not None:
                return inner[0], T.Op("select", (c, inner[1], ident), y.type)
            # select(e > acc, e, acc) == max(acc, e) (real model; NaN-free)
            if isinstance(c, T.Op) and len(c.args) == 2 and c.args[0] == tv and c.args[1] == acc:
                mx = _max_of(c.op, y.type)
                if mx:
                    return mx, tv
        if tv == acc and isinstance(c, T.Op) and len(c.args) == 2 and c.args[0] == fv and c.args[1] == acc:
            # select(e <= acc, acc, e) == max(acc, e)
            mx = _max_of(_negate_pred(c.op), y.type)
            if mx:
                return mx, fv
        if isinstance(c, T.Op) and len(c.args) == 2 and c.args[0] == acc and c.args[1] == fv and tv == acc:
            mx = _max_of(c.op, y.type)  # select(acc > e, acc, e) == max
            if mx:
                return mx, fv
        if isinstance(c, T.Op) and len(c.args) == 2 and c.args[0] == acc and c.args[1] == tv and fv == acc:
            mn = _max_of(_swap_pred(c.op), y.type)  # select(acc < e, e, acc) == max
            if mn:
                return mn, tv
    if isinstance(y, T.Fold) and y.init == acc and y.type.kind == "f":
        # A float accumulator carried through an inner loop: one fold in loop order (the inner
        # fold continues the outer accumulator), never a sum of partial sums (terms.ACC).
        return y.op, T.Fold(y.op, T.acc_var(y.type), y.var, y.lb, y.ub, y.step, y.body, y.type, y.flags)
    if isinstance(y, T.Fold) and y.init == acc:
        ident = identity(y.op, y.type)
        if ident is not None:
            return y.op, T.Fold(y.op, ident, y.var, y.lb, y.ub, y.step, y.body, y.type, y.flags)
    return None


def _combiner_flags(y: T.Term, op: str) -> frozenset[str]:
    """The fast-math flags of the op that combines a reduction's accumulator (_split_combine's
    op): the arith op itself, the cmpf of a compare-and-select, the inner fold continuing it.
    None found: none (the proof then assumes less, never more)."""
    if isinstance(y, T.Fold) or (isinstance(y, T.Op) and (y.op == op or (y.op == "subf" and op == "addf"))):
        return y.flags
    if isinstance(y, T.Op) and y.op == "select" and op in T.SELECT_FOLDS and isinstance(y.args[0], T.Op):
        return y.args[0].flags - {"nsz"}  # the cmpf's; the select's zero sign is its own (no flags)
    return frozenset()


_FSWAP = {"ogt": "olt", "oge": "ole", "olt": "ogt", "ole": "oge", "ugt_f": "ult_f", "uge_f": "ule_f", "ult_f": "ugt_f", "ule_f": "uge_f"}
# The complement of a float predicate (true exactly where it is false, NaN included).
_FNOT = {"ogt": "ule_f", "oge": "ult_f", "olt": "uge_f", "ole": "ugt_f", "ugt_f": "ole", "uge_f": "olt", "ult_f": "oge", "ule_f": "ogt"}


def _select_fold(c: T.Op, tv: T.Term, fv: T.Term, acc: T.Term) -> tuple[str, T.Term] | None:
    """A float max/min written as a compare and a select of the accumulator and an element e:
    `selectf_P` with `acc' = P(e, acc) ? e : acc` for the predicate P that says exactly when e is
    taken (NaN and signed zeros included; terms.SELECT_FOLDS)."""
    e = fv if tv == acc else tv
    if {tv, fv} != {acc, e} or e == acc or set(c.args) != {acc, e} or c.op not in _FSWAP:
        return None
    pred = c.op if c.args[0] == e else _FSWAP[c.op]  # P(e, acc): c is true
    if tv == acc:  # c true keeps acc: e is taken where c is false
        pred = _FNOT[pred]
    return f"selectf_{pred}", e


def identity(op: str, t: EType) -> T.Const | None:
    """The identity element of a fold's combiner at type t (None for float max/min)."""
    if op == "addf":
        return T.Const(-0.0, t)  # x + -0.0 == x for every x (x + 0.0 turns -0.0 into +0.0)
    if op in T.IDENTITY:
        return T.Const(T.IDENTITY[op], t)
    w = t.width
    table = {"maxsi": 1 << (w - 1), "minsi": (1 << (w - 1)) - 1, "maxui": 0, "minui": (1 << w) - 1, "andi": (1 << w) - 1}
    if op in table:
        return T.Const(table[op], t)
    return None


def _max_of(pred: str, t: EType) -> str | None:
    # (Float selects are _select_fold's: their own combiners, exact about NaN and signed zeros.)
    if pred in ("sgt", "sge"):
        return "maxsi"
    if pred in ("slt", "sle"):
        return "minsi"
    if pred in ("ugt", "uge"):
        return "maxui"
    if pred in ("ult", "ule"):
        return "minui"
    return None


def _swap_pred(p: str) -> str:
    return {"olt": "ogt", "ole": "oge", "ogt": "olt", "oge": "ole", "slt": "sgt", "sle": "sge", "sgt": "slt", "sge": "sle",
            "ult": "ugt", "ule": "uge", "ugt": "ult", "uge": "ule"}.get(p, p)


def _negate_pred(p: str) -> str:
    return {"ole": "ogt", "olt": "oge", "sle": "sgt", "slt": "sge", "ule": "ugt", "ult": "uge"}.get(p, "")


def _arg_fold(accs: list[T.Term], inits: list[Any], ys: list[T.Term], k: int, lv: LoopVar, banned: set[str]) -> T.Fold | None:
    """The index accumulator k of an argmax/argmin pair, as a fold over (value, index) pairs:
    `bi = select(x > bv, e, bi)` next to `bv = select(x > bv, x, bv)` (the same condition, a
    strict integer compare, so ties keep the first index), with x and e free of accumulators."""
    y = ys[k]
    if not (isinstance(y, T.Op) and y.op == "select" and y.args[2] == accs[k]):
        return None
    cond, e = y.args[0], y.args[1]
    if not (isinstance(cond, T.Op) and len(cond.args) == 2):
        return None
    x, bv = cond.args
    for op_name, pred in T.ARG_FOLDS.items():
        if cond.op != pred or bv not in accs:
            continue
        j = accs.index(bv)
        if ys[j] != T.Op("select", (cond, x, bv), bv.type) or bv.type.kind != "i":
            continue
        if _mentions(x, banned) or _mentions(e, banned):
            return None
        iv, ii = inits[j], inits[k]
        init_i = T.IndexValue(ii, T.INDEX) if isinstance(ii, Poly) else ii
        init = T.Op("pair", (iv, init_i), T.INDEX)
        return T.Fold(op_name, init, lv.name, lv.lb, lv.ub, lv.step, T.Op("pair", (x, e), T.INDEX), T.INDEX)
    return None


def summarise_loop(a: Analyzer, op: Operation, lv: LoopVar, level: int, accs: list[T.Term], inits: list[Any], ys: list[T.Term], body_records: list[Record],
                   runs: bool = False) -> list[Any]:
    acc_names = {x.name for x in accs if isinstance(x, T.Scalar)}
    results: list[Any] = []
    for k, (acc, init, y) in enumerate(zip(accs, inits, ys, strict=True)):
        if y == acc:
            results.append(init)
            continue
        if acc.type == T.INDEX:
            fold = _arg_fold(accs, inits, ys, k, lv, acc_names | set(a.loop_reads))
            if fold is None:
                raise Refusal("an index-typed iter_arg that is not the index of an argmax/argmin (strict integer compare)", op)
            results.append(fold)
            continue
        m = _split_combine(y, acc)
        # Reads of buffers this loop writes would see earlier iterations' writes; those of an
        # enclosing loop's buffers are resolved (and checked) when that loop is summarised.
        mine = {n for n, r in a.loop_reads.items() if r.level == level}
        if m is None or _mentions(m[1], acc_names) or _mentions(m[1], mine):
            raise Refusal("loop-carried value is not a reduction (a recurrence or coupled accumulators)", op)
        results.append(T.Fold(m[0], init, lv.name, lv.lb, lv.ub, lv.step, m[1], y.type, _combiner_flags(y, m[0])))
    # Memory: every placeholder read must be either loop-independent or an accumulator.
    new_records: list[Record] = []
    handled_reads: set[str] = set()
    private: set[int] = set()  # positions in new_records of a scratch buffer's privatised writes
    for rec in _drop_covered(a, body_records):
        reads_here = {x.name for x in T.walk(rec.value) if isinstance(x, T.Scalar) and x.name in a.loop_reads}
        if lv.name not in set().union(*(p.vars() for p in rec.idx)):
            # Address fixed across iterations: must be an accumulator `buf[x] = op(buf[x], e)`.
            same = [n for n in reads_here if a.loop_reads[n].buf == rec.buf and a.loop_reads[n].idx == rec.idx and a.loop_reads[n].level == level]
            if not same and _privatisable(rec, body_records, lv, runs):
                # A scratch buffer every iteration writes before reading (its reads resolved in
                # the iteration; a read of an earlier iteration's value is refused below): after
                # the loop it holds what the last iteration wrote.
                private.add(len(new_records))
                new_records.append(rec)
                continue
            if len(same) != 1:
                raise Refusal(f"every iteration overwrites the same element of '{rec.buf}'", op)
            accv = T.Scalar(same[0], rec.value.type)
            m = _split_combine(rec.value, accv)
            if m is None or _mentions(m[1], {same[0]}) or _mentions(m[1], acc_names):
                raise Refusal(f"in-memory update of '{rec.buf}' is not a reduction", op)
            extra = _domain_constraints(rec.domain)
            a.constraints.extend(extra)
            try:
                init = a.resolve_from(level, rec.buf, rec.idx, rec.value.type, op)
            finally:
                a.constraints.pop()
            fold = T.Fold(m[0], init, lv.name, lv.lb, lv.ub, lv.step, m[1], rec.value.type, _combiner_flags(rec.value, m[0]))
            handled_reads.add(same[0])
            new_records.append(Record(rec.buf, rec.domain, rec.idx, fold, rec.location))
            continue
        dom = [lv, *rec.domain]
        new_records.append(Record(rec.buf, dom, rec.idx, rec.value, rec.location))
    # Remaining placeholders: the read must not see writes of earlier iterations.
    for rec in new_records:
        for x in list(T.walk(rec.value)):
            if isinstance(x, T.Scalar) and x.name in a.loop_reads and x.name not in handled_reads and a.loop_reads[x.name].level == level:
                lr = a.loop_reads[x.name]
                for w in new_records:
                    if w.buf != lr.buf:
                        continue
                    moves = bool(w.domain) and w.domain[0].name == lv.name
                    if moves and _earlier_iteration_may_write(a, w, lr.idx, lv):
                        raise Refusal(f"loop-carried dependence through memory on '{lr.buf}' (e.g. a scan or recurrence)", op)
                    # An accumulator's elements are rewritten by every iteration: any other read of
                    # them inside the loop would see a partial result.
                    if not moves and not a.provable(z3.Not(_may_hit(w, lr.idx))):
                        raise Refusal(f"a read of '{lr.buf}' may see a partial reduction stored by an earlier iteration", op)
    resolved: list[Record] = []
    for k, rec in enumerate(new_records):
        val = _resolve_placeholders(a, rec.value, handled_reads, level, op, rec.domain)
        if k in private:
            val = a.subst_value(val, {lv.name: lv.ub - 1})
        resolved.append(Record(rec.buf, rec.domain, rec.idx, val, rec.location))
    for i, rec in enumerate(resolved):
        if rec.domain and not _injective(a, rec):
            raise Refusal(f"different iterations write the same element of '{rec.buf}'", op)
        del i
    a.pending_records = resolved
    # Placeholders in iter results (reads of buffers written in the loop) must resolve too.
    for r in results:
        if not isinstance(r, Poly):
            for x in T.walk(r):
                if isinstance(x, T.Scalar) and x.name in a.loop_reads and a.loop_reads[x.name].level == level:
                    raise Refusal("a reduction reads a buffer the same loop writes", op)
    return results


def _privatisable(rec: Record, body: list[Record], lv: LoopVar, runs: bool) -> bool:
    """rec writes fixed addresses of a buffer that the loop writes nowhere else with a moving
    address, in a loop of step 1 that runs at least once (its last iteration is ub - 1; a loop
    that may not run would leave the scratch as it was, which is not modelled)."""
    if not runs or lv.step != 1:
        return False
    if any(lv.name in (d.lb.vars() | d.ub.vars()) for d in rec.domain):
        return False
    for w in body:
        if w.buf == rec.buf and lv.name in set().union(*(p.vars() for p in w.idx)):
            return False
    return True


def _drop_covered(a: Analyzer, records: list[Record]) -> list[Record]:
    """Records of one loop body without those a later record of the same iteration overwrites
    entirely at fixed addresses (`sum[p] = 0` before `sum[p] = fold(...)`)."""
    kept: list[Record] = []
    for i, r in enumerate(records):
        later = [w for w in records[i + 1 :] if w.buf == r.buf]
        if later and any(a._covers(w, r) for w in later):  # pyright: ignore[reportPrivateUsage]
            continue
        kept.append(r)
    return kept


def _domain_constraints(domain: list[LoopVar]) -> list[Z3Expr]:
    return [_in_domain(domain, {lv.name: Poly.var(lv.name) for lv in domain})]


def _resolve_placeholders(a: Analyzer, t: T.Term, skip: set[str], level: int, op: Operation, domain: list[LoopVar] | None = None) -> T.Term:
    """Replace this loop's placeholders by the values seen before the loop, under the ranges of
    the record's domain and of the enclosing folds (reads are resolved where they happen)."""
    extra = _domain_constraints(domain or [])
    a.constraints.extend(extra)
    try:
        return _resolve_rec(a, t, skip, level, op)
    finally:
        del a.constraints[len(a.constraints) - len(extra) :]


def _resolve_rec(a: Analyzer, t: T.Term, skip: set[str], level: int, op: Operation) -> T.Term:
    if isinstance(t, T.Scalar) and t.name in a.loop_reads and t.name not in skip and a.loop_reads[t.name].level == level:
        lr = a.loop_reads[t.name]
        return a.resolve_from(level, lr.buf, lr.idx, t.type, op)
    if isinstance(t, T.Op):
        return T.Op(t.op, tuple(_resolve_rec(a, x, skip, level, op) for x in t.args), t.type, t.flags)
    if isinstance(t, T.Fold):
        init = _resolve_rec(a, t.init, skip, level, op)
        c = _domain_constraints([LoopVar(t.var, t.lb, t.ub, t.step)])
        a.constraints.extend(c)
        try:
            body = _resolve_rec(a, t.body, skip, level, op)
        finally:
            a.constraints.pop()
        return T.Fold(t.op, init, t.var, t.lb, t.ub, t.step, body, t.type, t.flags)
    return t


def _earlier_iteration_may_write(a: Analyzer, w: Record, idx: tuple[Poly, ...], lv: LoopVar) -> bool:
    ren = {d.name: Poly.var(T.fresh(d.name + "_")) for d in w.domain}
    dom = [LoopVar(ren[d.name].terms[0][0][0], d.lb.subst(ren), d.ub.subst(ren), d.step) for d in w.domain]
    s = budget.solver(budget.RLIMIT_INDEX)
    s.add(*a.constraints)
    s.add(zpoly(lv.lb) <= z3.Int(lv.name), z3.Int(lv.name) < zpoly(lv.ub))
    s.add(_in_domain(dom, {d.name: Poly.var(d.name) for d in dom}))
    s.add(z3.Int(dom[0].name) < z3.Int(lv.name))
    for f, t in zip(w.idx, idx, strict=True):
        s.add(zpoly(f.subst(ren)) == zpoly(t))
    return budget.check(s) != z3.unsat


def _injective(a: Analyzer, rec: Record) -> bool:
    r1 = {d.name: Poly.var(T.fresh(d.name + "_")) for d in rec.domain}
    r2 = {d.name: Poly.var(T.fresh(d.name + "_")) for d in rec.domain}
    d1 = [LoopVar(r1[d.name].terms[0][0][0], d.lb.subst(r1), d.ub.subst(r1), d.step) for d in rec.domain]
    d2 = [LoopVar(r2[d.name].terms[0][0][0], d.lb.subst(r2), d.ub.subst(r2), d.step) for d in rec.domain]
    s = budget.solver(budget.RLIMIT_INDEX)
    s.add(*a.constraints)
    s.add(_in_domain(d1, {d.name: Poly.var(d.name) for d in d1}))
    s.add(_in_domain(d2, {d.name: Poly.var(d.name) for d in d2}))
    s.add(z3.Or(*[z3.Int(x.name) != z3.Int(y.name) for x, y in zip(d1, d2, strict=True)]))
    for f in rec.idx:
        s.add(zpoly(f.subst(r1)) == zpoly(f.subst(r2)))
    return budget.check(s) == z3.unsat


def analyse(fn: func.FuncOp, arg_names: list[str] | None = None) -> Summary:
    """Summarise a function or raise Refusal."""
    return Analyzer(fn, arg_names).run()
