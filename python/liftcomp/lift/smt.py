"""z3 semantics of terms and the all-sizes equivalence check.

Model (stated in docs/LIFTING.md): integers are bit-vectors of their real width with arith's
semantics; index arithmetic is over mathematical integers with every size symbol >= 0; floats are
IEEE-754 of the real width by default (z3's FP theory, round-to-nearest-even, NaN, infinities and
signed zeros as arith defines them; math functions uninterpreted), relaxed by fast-math flags
(lift/floats.py: nnan/ninf assume no NaN/infinity on the loop nest's side, nsz compares zeros
without their sign), or real numbers under `fast` (+,-,*,/ exact, conversions exact). Folds are left folds in loop order and are
compared structurally: two folds are equal when their bounds and inits are equal and their bodies
are equal for every iteration (proved recursively), so no proof ever unrolls a loop.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from liftcomp.lift import budget, floats
from liftcomp.lift import terms as T
from liftcomp.lift.analysis import LoopVar, Z3Expr, identity, zpoly
from liftcomp.lift.terms import EType, Poly


@dataclass
class Outcome:
    status: str  # proved | refuted | unknown
    model: z3.ModelRef | None = None
    reason: str = ""
    # With a model: the two (normalised) terms the model tells apart, and why the encoding was not
    # exact (empty: a refutation in the documented semantics; otherwise the model may interpret an
    # uninterpreted function or a named fold in a way the real one never does).
    terms: tuple[T.Term, T.Term] | None = None
    inexact: list[str] = field(default_factory=list)
    encoding: str = ""  # the float model the model's values are in, where not the query's own


@dataclass
class Encoder:
    float_model: str = "ieee"  # a float model of lift/floats.py: ieee, fast, or flags
    funcs: dict[str, z3.FuncDeclRef] = field(default_factory=dict)
    fold_names: dict[T.Fold, z3.ExprRef] = field(default_factory=dict)
    # What the encoding left opaque: math functions as uninterpreted functions, infinities as
    # free constants (buffers are uninterpreted functions too, but exactly: any content is an input).
    opaque: set[str] = field(default_factory=set)
    # While `guarding`: conditions under which the ops encoded are defined in arith (shift amounts
    # below the width, non-zero divisors, no signed overflow of a division); a refutation of the
    # original's side must hold where they do (the original has no undefined behaviour).
    guarding: bool = False
    guards: list[Any] = field(default_factory=list)
    # Under nnan / ninf (IEEE encoding): no float value of the loop nest's side is NaN / infinite
    # (the source would be poison there), assumed by the proof.
    assume: list[Any] = field(default_factory=list)
    # Weighted count of IEEE float operations encoded (bit-blasted by z3: the cost that z3's rlimit
    # hardly counts; smt.MAX_FP_OPS caps a query by it, a counted budget).
    fp_ops: int = 0
    # Per-op fast-math flags (terms.Op.flags, the loop nest's side only): where an nnan / ninf op
    # meets a NaN / infinity the source's value is poison (LLVM's meaning), which every later
    # arith op propagates, and any result is right there. id(term) -> (term, its encoding, the
    # z3 condition under which it is poison or None for never); the term is kept so ids stay unique.
    _poison: dict[int, tuple[Any, Any, Any]] = field(default_factory=dict)
    # Float arithmetic as uninterpreted functions, conversions from integers exact: a cheap
    # search for a difference that comes from the integers (a hint: confirm.py decides).
    abstract: bool = False

    def __post_init__(self) -> None:
        # "small:<model>": the same model over a float format with few significand bits (8 exponent,
        # 6 significand: float32's range), where a counterexample is quick to find; its values are
        # then tried at the real widths.
        self.small = self.float_model.startswith("small:")
        flags = floats.parse(self.float_model.removeprefix("small:"))
        self.real = floats.FAST <= flags
        self.nnan = "nnan" in flags and not self.real
        self.ninf = "ninf" in flags and not self.real
        self.nsz = "nsz" in flags

    def sort(self, t: EType) -> z3.SortRef:
        if t.kind == "f":
            if self.real:
                return z3.RealSort()
            if self.small:
                return z3.FPSort(8, 6)
            if t.brain:
                return z3.FPSort(8, 8)  # bfloat16
            if t.fp8:
                # E5M2 is IEEE-like (exact); E4M3FN (no infinities, normals up to 448, one NaN) is
                # not a z3 format: E5M4 holds every one of its values exactly, a superset that is
                # sound because analysis refuses every op that rounds to fp8 (fp8 values are loads,
                # compared, copied or extended exactly).
                return z3.FPSort(5, 3) if t.fp8 == "f8e5m2" else z3.FPSort(5, 4)
            return {16: z3.Float16(), 32: z3.Float32(), 64: z3.Float64()}[t.width]
        return z3.BitVecSort(t.width)

    def fn(self, name: str, doms: list[z3.SortRef], rng: z3.SortRef) -> z3.FuncDeclRef:
        key = f"{name}:{','.join(map(str, doms))}->{rng}"
        f = self.funcs.get(key)
        if f is None:
            f = z3.Function(name, *doms, rng)
            self.funcs[key] = f
        return f

    def enc(self, t: T.Term) -> Any:
        e = self._enc(t)
        if self.guarding and (self.nnan or self.ninf) and t.type.kind == "f" and not isinstance(e, tuple):
            if self.nnan:
                self.assume.append(z3.Not(z3.fpIsNaN(e)))
            if self.ninf:
                self.assume.append(z3.Not(z3.fpIsInf(e)))
        if self.guarding and not self.real:
            self.record(t, e, self._poison_of(t, e) if isinstance(t, T.Op) else None)
        return e

    def record(self, t: Any, e: Any, poison: Any) -> None:
        self._poison[id(t)] = (t, e, poison)

    def _entry(self, t: Any) -> tuple[Any, Any, Any] | None:
        entry = self._poison.get(id(t))
        return entry if entry is not None and entry[0] is t else None

    def poison(self, t: Any) -> Any:
        """The condition under which the loop nest's term t (encoded while guarding) is poison
        because of its ops' own nnan / ninf flags; None: never."""
        entry = self._entry(t)
        return entry[2] if entry is not None else None

    def _poison_of(self, t: T.Op, e: Any) -> Any:
        """Poison propagates through every arith op; a select is poison where its condition is or
        where the operand it picks is (the other one does not matter); an nnan (ninf) op is poison
        where an operand or its result is NaN (infinite). Folds and leaves: never (a fold's
        iterations are compared under their own conditions, Prover._fold_equal). An operand
        without an entry counts as never poison (assuming less)."""
        entries = [self._entry(a) for a in t.args]
        ps = [x[2] if x is not None else None for x in entries]
        if t.op == "select":
            if all(p is None for p in ps) or entries[0] is None:
                return None
            no = z3.BoolVal(False)
            picked = z3.If(entries[0][1] == z3.BitVecVal(1, 1), ps[1] if ps[1] is not None else no, ps[2] if ps[2] is not None else no)
            return z3.Or(ps[0], picked) if ps[0] is not None else picked
        conds = [p for p in ps if p is not None]
        flags = t.flags & {"nnan", "ninf"}
        if flags and not isinstance(e, tuple):
            vals = [x[1] for x, a in zip(entries, t.args, strict=True) if x is not None and a.type.kind == "f" and not isinstance(x[1], tuple)]
            if t.type.kind == "f":
                vals.append(e)
            for v in vals:
                if "nnan" in flags:
                    conds.append(z3.fpIsNaN(v))
                if "ninf" in flags:
                    conds.append(z3.fpIsInf(v))
        if not conds:
            return None
        return conds[0] if len(conds) == 1 else z3.Or(*conds)

    def _enc(self, t: T.Term) -> Any:
        if isinstance(t, T.Const):
            if t.type.kind == "f":
                if self.real:
                    v = float(t.value)
                    if v in (float("inf"), float("-inf")):
                        # Infinities are not reals: an opaque constant, equal only to itself.
                        self.opaque.add("infinity")
                        return z3.Real("+inf" if v > 0 else "-inf")
                    return z3.RealVal(repr(v))
                return z3.FPVal(float(t.value), self.sort(t.type))
            return z3.BitVecVal(int(t.value) & ((1 << t.type.width) - 1), t.type.width)
        if isinstance(t, T.Scalar):
            return z3.Const(t.name, self.sort(t.type))
        if isinstance(t, T.Read):
            f = self.fn(t.buf, [z3.IntSort()] * len(t.idx), self.sort(t.type))
            return f(*[zpoly(p) for p in t.idx]) if t.idx else f()
        if isinstance(t, T.IndexValue):
            return z3.Int2BV(zpoly(t.idx), t.type.width)
        if isinstance(t, T.Fold):
            name = self.fold_names.get(t)
            if name is None:
                name = z3.Const(T.fresh("fold_"), self.sort(t.type))
                self.fold_names[t] = name
            return name
        return self.op(t)

    def op(self, t: T.Op) -> Any:
        a = [self.enc(x) for x in t.args]
        op = t.op
        if op == "pair":  # (value, index) of an argmax/argmin fold: a Python pair of z3 terms
            return (a[0], a[1])
        if op in T.ARG_FOLDS:  # one step of such a fold: the new pair wins only strictly
            (bv, bi), (xv, xi) = a
            better = {"sgt": lambda: xv > bv, "ugt": lambda: z3.UGT(xv, bv), "slt": lambda: xv < bv, "ult": lambda: z3.ULT(xv, bv)}[T.ARG_FOLDS[op]]()
            return (z3.If(better, xv, bv), z3.If(better, xi, bi))
        w = t.type.width
        ieee = not self.real
        rm = z3.RNE()
        if self.abstract and t.type.kind == "f" and op not in ("sitofp", "uitofp", "select"):
            self.opaque.add(op)
            return self.fn(f"{op}_{t.type}", [x.sort() for x in a], self.sort(t.type))(*a)
        if ieee and (t.type.kind == "f" or op in T.CMPF):
            self.fp_ops += _FP_WEIGHT.get(op, 1) * (2 if w == 64 else 1)
        int_ops: dict[str, Callable[[], Any]] = {
            "addi": lambda: a[0] + a[1], "subi": lambda: a[0] - a[1], "muli": lambda: a[0] * a[1],
            "divsi": lambda: a[0] / a[1], "divui": lambda: z3.UDiv(a[0], a[1]), "remsi": lambda: z3.SRem(a[0], a[1]),
            "remui": lambda: z3.URem(a[0], a[1]), "andi": lambda: a[0] & a[1], "ori": lambda: a[0] | a[1],
            "xori": lambda: a[0] ^ a[1], "shli": lambda: a[0] << a[1], "shrsi": lambda: a[0] >> a[1],
            "shrui": lambda: z3.LShR(a[0], a[1]),
            "maxsi": lambda: z3.If(a[0] >= a[1], a[0], a[1]), "minsi": lambda: z3.If(a[0] <= a[1], a[0], a[1]),
            "maxui": lambda: z3.If(z3.UGE(a[0], a[1]), a[0], a[1]), "minui": lambda: z3.If(z3.ULE(a[0], a[1]), a[0], a[1]),
            "absi": lambda: z3.If(a[0] < 0, -a[0], a[0]),
            "floordivsi": lambda: _floordiv(a[0], a[1]), "modsi": lambda: _pymod(a[0], a[1]),
        }
        if op in int_ops:
            if self.guarding:
                self._guard(op, a, w)
            return int_ops[op]()
        cmp_i: dict[str, Callable[[], Any]] = {
            "eq": lambda: a[0] == a[1], "ne": lambda: a[0] != a[1], "slt": lambda: a[0] < a[1], "sle": lambda: a[0] <= a[1],
            "sgt": lambda: a[0] > a[1], "sge": lambda: a[0] >= a[1], "ult": lambda: z3.ULT(a[0], a[1]),
            "ule": lambda: z3.ULE(a[0], a[1]), "ugt": lambda: z3.UGT(a[0], a[1]), "uge": lambda: z3.UGE(a[0], a[1]),
        }
        if op in cmp_i:
            return z3.If(cmp_i[op](), z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))
        cmp_f: dict[str, Callable[[], Any]] = {
            "oeq": lambda: a[0] == a[1], "one": lambda: a[0] != a[1], "olt": lambda: a[0] < a[1], "ole": lambda: a[0] <= a[1],
            "ogt": lambda: a[0] > a[1], "oge": lambda: a[0] >= a[1], "ueq": lambda: a[0] == a[1], "une": lambda: a[0] != a[1],
            "ult_f": lambda: a[0] < a[1], "ule_f": lambda: a[0] <= a[1], "ugt_f": lambda: a[0] > a[1], "uge_f": lambda: a[0] >= a[1],
        }
        if op in cmp_f or op in ("ord", "uno"):
            c = _fcmp(op, a[0], a[1]) if ieee else (z3.BoolVal(op != "uno") if op in ("ord", "uno") else cmp_f[op]())
            return z3.If(c, z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))
        if op == "select":
            return z3.If(a[0] == z3.BitVecVal(1, 1), a[1], a[2])
        if op in T.SELECT_FOLDS:  # P(e, acc) ? e : acc, the loop's compare-and-select
            pred = op.removeprefix("selectf_")
            if ieee:
                c = _fcmp(pred, a[1], a[0])
            else:
                c = {"ogt": a[1] > a[0], "oge": a[1] >= a[0], "ugt_f": a[1] > a[0], "uge_f": a[1] >= a[0],
                     "olt": a[1] < a[0], "ole": a[1] <= a[0], "ult_f": a[1] < a[0], "ule_f": a[1] <= a[0]}[pred]
            return z3.If(c, a[1], a[0])
        if op in ("addf", "subf", "mulf", "divf"):
            if ieee:
                f = {"addf": z3.fpAdd, "subf": z3.fpSub, "mulf": z3.fpMul, "divf": z3.fpDiv}[op]
                return f(rm, a[0], a[1])
            return {"addf": lambda: a[0] + a[1], "subf": lambda: a[0] - a[1], "mulf": lambda: a[0] * a[1], "divf": lambda: a[0] / a[1]}[op]()
        if op == "negf":
            return z3.fpNeg(a[0]) if ieee else -a[0]
        if op in ("maximumf", "minimumf", "maxnumf", "minnumf") and not ieee:
            # Real numbers: every flavour of max is max.
            return z3.If(a[0] >= a[1], a[0], a[1]) if op.startswith("max") else z3.If(a[0] <= a[1], a[0], a[1])
        if op in ("maxnumf", "minnumf"):
            return (z3.fpMax if op == "maxnumf" else z3.fpMin)(a[0], a[1])  # IEEE maxNum: NaN loses
        if op in ("maximumf", "minimumf"):
            # IEEE maximum: NaN wins (z3's fpMax would return the other operand) and +0.0 > -0.0
            # (z3 leaves fpMax(+0, -0) unspecified).
            m = (z3.fpMax if op == "maximumf" else z3.fpMin)(a[0], a[1])
            both_zero = z3.And(z3.fpIsZero(a[0]), z3.fpIsZero(a[1]))
            neg0 = z3.fpIsNegative(a[0])
            zero = z3.If(neg0, a[1], a[0]) if op == "maximumf" else z3.If(neg0, a[0], a[1])
            return z3.If(z3.Or(z3.fpIsNaN(a[0]), z3.fpIsNaN(a[1])), z3.fpNaN(self.sort(t.type)), z3.If(both_zero, zero, m))
        if op == "absf":
            return z3.fpAbs(a[0]) if ieee else z3.If(a[0] >= 0, a[0], -a[0])
        if op == "extsi":
            return z3.SignExt(w - t.args[0].type.width, a[0])
        if op == "extui":
            return z3.ZeroExt(w - t.args[0].type.width, a[0])
        if op == "trunci":
            return z3.Extract(w - 1, 0, a[0])
        if op in ("sitofp", "uitofp"):
            signed = op == "sitofp"
            if ieee:
                return (z3.fpSignedToFP if signed else z3.fpUnsignedToFP)(rm, a[0], self.sort(t.type))
            return z3.ToReal(z3.BV2Int(a[0], is_signed=signed))
        if op in ("extf", "truncf"):
            if ieee:
                return z3.fpFPToFP(rm, a[0], self.sort(t.type))
            return a[0]
        if op in ("round", "roundeven"):
            return _round(a[0], op == "round", ieee)
        if op in ("floor", "ceil") and ieee:
            return z3.fpRoundToIntegral(z3.RTN() if op == "floor" else z3.RTP(), a[0])
        # Everything else (exp, log, sqrt, tanh, fptosi, powf, ...) is an uninterpreted function of its
        # operands: sound for equality (same op on equal operands), silent about algebraic laws.
        doms = [x.sort() for x in a]
        self.opaque.add(op)
        return self.fn(f"{op}_{t.type}", doms, self.sort(t.type))(*a)


    def _guard(self, op: str, a: list[Any], w: int) -> None:
        if op in ("shli", "shrsi", "shrui"):
            self.guards.append(z3.ULT(a[1], z3.BitVecVal(w, w)))
        elif op in ("divsi", "remsi", "divui", "remui", "floordivsi", "modsi"):
            self.guards.append(a[1] != 0)
            if op in ("divsi", "floordivsi"):
                self.guards.append(z3.Or(a[0] != z3.BitVecVal(1 << (w - 1), w), a[1] != z3.BitVecVal(-1, w)))


_FP_WEIGHT = {"mulf": 4, "divf": 6, "sqrt": 6, "powf": 6, "remf": 6, "sitofp": 2, "uitofp": 2, "truncf": 2}
# Most weighted IEEE float operations (Encoder.fp_ops) in one prover query / bounded size
# assignment: beyond, z3's bit-blasting takes tens of seconds that its rlimit barely counts, so
# the query is not made (a counted budget: the same on every machine).
MAX_FP_OPS = 32


def _fcmp(pred: str, x: Any, y: Any) -> Any:
    """arith.cmpf in IEEE: ordered predicates are false on NaN, unordered ones true."""
    unordered = z3.Or(z3.fpIsNaN(x), z3.fpIsNaN(y))
    ordered = {"oeq": lambda: z3.fpEQ(x, y), "ogt": lambda: z3.fpGT(x, y), "oge": lambda: z3.fpGEQ(x, y),
               "olt": lambda: z3.fpLT(x, y), "ole": lambda: z3.fpLEQ(x, y),
               "one": lambda: z3.And(z3.Not(unordered), z3.Not(z3.fpEQ(x, y))), "ord": lambda: z3.Not(unordered)}
    if pred in ordered:
        return ordered[pred]()
    base = {"ueq": "oeq", "une": "one", "ugt_f": "ogt", "uge_f": "oge", "ult_f": "olt", "ule_f": "ole"}
    if pred == "uno":
        return unordered
    return z3.Or(unordered, ordered[base[pred]]())


def _round(x: Any, away: bool, ieee: bool) -> Any:
    """math.round (halves away from zero) and math.roundeven (halves to even). IEEE: z3's
    roundToIntegral with RNA / RNE. Reals: defined from floor (z3.ToInt), so the prover sees
    that the two differ exactly at odd halves (2.5 -> 3 vs 2)."""
    if ieee:
        return z3.fpRoundToIntegral(z3.RNA() if away else z3.RNE(), x)
    half: Any = z3.RealVal("1/2")
    if away:
        up: Any = z3.ToReal(z3.ToInt(x + half))  # floor(x + 1/2): right for x >= 0
        down: Any = z3.ToReal(z3.ToInt(half - x))  # -(that of -x)
        return z3.If(x >= 0, up, -down)
    n: Any = z3.ToInt(x + half)
    tie = z3.ToReal(n) == x + half
    return z3.ToReal(z3.If(z3.And(tie, n % 2 == 1), n - 1, n))


def _floordiv(a: Any, b: Any) -> Any:
    q = a / b
    r = z3.SRem(a, b)
    adjust = z3.And(r != 0, (r < 0) != (b < 0))
    return z3.If(adjust, q - 1, q)


def _pymod(a: Any, b: Any) -> Any:
    r = z3.SRem(a, b)
    adjust = z3.And(r != 0, (r < 0) != (b < 0))
    return z3.If(adjust, r + b, r)


# ---------------------------------------------------------------- normalisation


UNROLL_LIMIT = 16
# Counted budget of a prover query over IEEE float operations (z3 bit-blasts them; 30M rlimit units
# took ~20 s of CPU there, against ~3 s for integer queries).
RLIMIT_IEEE = 6_000_000

# A cap on z3's memory for every query: past it a query answers 'unknown' instead of taking the
# machine down (large unrolled float formulas can grow without bound).
z3.set_param("memory_max_size", 3000)


def _max_flavours(float_model: str) -> dict[str, str]:
    """Which max/min ops are one op under the model: all of them with real numbers or without
    NaN and signed zeros (nnan + nsz); without NaN alone an unordered compare is the ordered one."""
    flags = floats.parse(float_model)
    if floats.FAST <= flags or {"nnan", "nsz"} <= flags:
        out = {op: "maximumf" for op in T.SELECT_MAX} | {op: "minimumf" for op in T.SELECT_MIN}
        return out | {"maxnumf": "maximumf", "minnumf": "minimumf"}
    if "nnan" in flags:
        return {"selectf_ugt_f": "selectf_ogt", "selectf_uge_f": "selectf_oge", "selectf_ult_f": "selectf_olt", "selectf_ule_f": "selectf_ole"}
    return {}


def normalise(t: T.Term, float_model: str = "ieee", split_reassoc: bool = False) -> T.Term:
    """Rewrites that hold for bit-vectors and the float model at hand, applied before matching folds:
    trunc(ext(x)) -> x, trunc of a ring fold -> fold of truncs, int folds with non-identity init ->
    op(init, fold(identity)), and the flavours of max/min that the model makes one op
    (_max_flavours); with real numbers (`fast`) float sums and products split off their init too.
    (In IEEE float folds keep their init: reassociation is not exact there; with `split_reassoc`
    a fold whose own combiner carries reassoc does split, which its flag allows.)"""
    flavours = _max_flavours(float_model)
    real = floats.is_real(float_model)

    def f(x: T.Term) -> T.Term | None:
        if isinstance(x, T.Op) and x.op in _COMMUTATIVE and len(x.args) == 2:
            # One operand order (exact: IEEE + and * commute, NaNs are one value here).
            ordered = tuple(sorted(x.args, key=T.show))
            if ordered != x.args:
                return f(T.Op(x.op, ordered, x.type, x.flags)) or T.Op(x.op, ordered, x.type, x.flags)
        if isinstance(x, T.Op | T.Fold) and x.op in flavours:
            if isinstance(x, T.Op):
                return T.Op(flavours[x.op], x.args, x.type, x.flags)
            return T.Fold(flavours[x.op], x.init, x.var, x.lb, x.ub, x.step, x.body, x.type, x.flags)
        if isinstance(x, T.Op) and x.op == "trunci":
            inner = x.args[0]
            if isinstance(inner, T.Op) and inner.op in ("extsi", "extui") and inner.args[0].type == x.type:
                return inner.args[0]
            if isinstance(inner, T.Op) and inner.op in ("addi", "subi", "muli", "andi", "ori", "xori"):
                return normalise(T.Op(inner.op, tuple(T.Op("trunci", (a,), x.type) for a in inner.args), x.type), float_model)
            if isinstance(inner, T.Const):
                return T.Const(int(inner.value) & ((1 << x.type.width) - 1), x.type)
            if isinstance(inner, T.IndexValue):
                return T.IndexValue(inner.idx, x.type)
            if isinstance(inner, T.Fold) and inner.op in ("addi", "muli", "andi", "ori", "xori"):
                return normalise(
                    T.Fold(inner.op, T.Op("trunci", (inner.init,), x.type), inner.var, inner.lb, inner.ub, inner.step,
                           T.Op("trunci", (inner.body,), x.type), x.type),
                    float_model,  # the same model inside the truncation
                )
        if isinstance(x, T.Op) and x.op in ("extsi", "extui") and isinstance(x.args[0], T.Const):
            c = x.args[0]
            v = int(c.value)
            if x.op == "extsi" and v >> (c.type.width - 1):
                v -= 1 << c.type.width
            return T.Const(v & ((1 << x.type.width) - 1), x.type)
        guarded = _zero_guard_out(x) or _index_compare(x)
        if guarded is not None:
            return guarded
        if isinstance(x, T.Op) and x.op == "floordivsi":
            # numpy spelling of C division: (a - fmod(a, b)) // b == a / b (truncating). The
            # identity is checked exhaustively for i8 in test_lift_smt.py; z3 cannot prove it
            # quickly at 32 bits.
            num, den = x.args
            if isinstance(num, T.Op) and num.op == "subi" and isinstance(num.args[1], T.Op) and num.args[1].op == "remsi":
                a, r = num.args
                if isinstance(r, T.Op) and r.args == (a, den):
                    return T.Op("divsi", (a, den), x.type)
        if isinstance(x, T.Fold) and x.type.kind != "f":
            ident = identity(x.op, x.type)
            if ident is not None and x.init != ident and x.op in ("addi", "muli", "andi", "ori", "xori"):
                return T.Op(x.op, (x.init, T.Fold(x.op, ident, x.var, x.lb, x.ub, x.step, x.body, x.type)), x.type)
        if isinstance(x, T.Fold) and real and x.op in ("addf", "mulf") and not T.is_threaded(x):
            # Exact for real numbers (C = beta*C; C += A@B is beta*C + A@B); IEEE keeps the init.
            ident = T.Const(T.IDENTITY[x.op], x.type)
            if x.init != ident:
                return T.Op(x.op, (x.init, T.Fold(x.op, ident, x.var, x.lb, x.ub, x.step, x.body, x.type)), x.type)
        if split_reassoc and isinstance(x, T.Fold) and not real and "reassoc" in x.flags and x.op in ("addf", "mulf") and not T.is_threaded(x):
            # The loop's own `reassoc` on its accumulation: ((c + b0) + b1) ... may be computed as
            # c + ((b0 + b1) + ...), which is c + fold(-0.0, ...) exactly (-0.0 + b = b for every
            # b; 1.0 * b = b). The split-off op is one of the loop's: it keeps the flags.
            ident = T.Const(-0.0 if x.op == "addf" else 1.0, x.type)
            if x.init != ident:
                inner = T.Fold(x.op, ident, x.var, x.lb, x.ub, x.step, x.body, x.type, x.flags)
                return T.Op(x.op, (x.init, inner), x.type, x.flags)
        return None

    return T.map_terms(t, f)


_INDEX_GE = {"sge": (1, 0), "sgt": (1, -1), "sle": (-1, 0), "slt": (-1, -1)}


def _index_compare(x: T.Term) -> T.Term | None:
    """A signed compare of two index expressions as `d >= 0` with one polynomial d (index
    arithmetic is over the integers): `ih < 4`, `4 - ih - 1 >= 0` and an affine.if's
    `-ih + 3 >= 0` are one term."""
    if not (isinstance(x, T.Op) and x.op in _INDEX_GE):
        return None
    lhs, rhs = x.args
    if not (isinstance(lhs, T.IndexValue) and isinstance(rhs, T.IndexValue) and lhs.type == rhs.type == T.INDEX):
        return None
    a, b = lhs.idx, rhs.idx
    sign, off = _INDEX_GE[x.op]
    d = (a - b if sign > 0 else b - a) + Poly.const(off)
    zero = Poly.const(0)
    if x.op == "sge" and b == zero:
        return None  # already the canonical form
    return T.Op("sge", (T.IndexValue(d, T.INDEX), T.IndexValue(zero, T.INDEX)), T.I1)


def _is_zero_select(t: T.Term) -> bool:
    return isinstance(t, T.Op) and t.op == "select" and isinstance(t.args[2], T.Const) and t.args[2].value == 0 and t.type.kind == "i"


def _zero_guard_out(x: T.Term) -> T.Term | None:
    """Integer `ext(select(c, a, 0))` and `select(c, a, 0) * b` as `select(c, ..., 0)` (exact for
    bit-vectors: ext(0) = 0, 0 * b = 0): a padded read times a weight and a guarded product
    (`if inb: acc += x * w`) become one form."""
    if not (isinstance(x, T.Op) and x.type.kind == "i"):
        return None
    if x.op in ("extsi", "extui") and _is_zero_select(x.args[0]):
        c, a, _ = x.args[0].args  # type: ignore[union-attr]
        return T.Op("select", (c, T.Op(x.op, (a,), x.type), T.Const(0, x.type)), x.type)
    if x.op == "muli" and len(x.args) == 2:
        for k in (0, 1):
            if _is_zero_select(x.args[k]):
                c, a, _ = x.args[k].args  # type: ignore[union-attr]
                rest = x.args[1 - k]
                prod = T.Op("muli", (a, rest) if k == 0 else (rest, a), x.type)
                return T.Op("select", (c, prod, T.Const(0, x.type)), x.type)
    return None


_COMMUTATIVE = {"addi", "muli", "andi", "ori", "xori", "maxsi", "minsi", "maxui", "minui", "addf", "mulf", "maximumf", "minimumf",
                "eq", "ne", "oeq", "one", "ueq", "une", "ord", "uno"}


def zero_sign_free(f: T.Fold) -> bool:
    """In a non-threaded float sum from a constant other than -0.0 the accumulator is never -0.0
    (x + y is -0.0 only for -0.0 + -0.0 when rounding to nearest), and acc + 0.0 == acc + -0.0
    for every other acc: the sign of a zero term is insignificant there."""
    if f.op != "addf" or f.type.kind != "f" or T.is_threaded(f) or not isinstance(f.init, T.Const):
        return False
    v = float(f.init.value)
    return not (v == 0.0 and math.copysign(1.0, v) < 0)


def unroll_small(t: T.Term) -> T.Term:
    """Unroll folds with constant bounds and at most UNROLL_LIMIT iterations (in loop order)."""

    def f(x: T.Term) -> T.Term | None:
        if isinstance(x, T.Fold) and x.lb.is_const and x.ub.is_const and len(range(x.lb.const_value, x.ub.const_value, x.step)) <= UNROLL_LIMIT:
            acc = x.init
            for k in range(x.lb.const_value, x.ub.const_value, x.step):
                acc = T.step(x, acc, T.subst_index(x.body, {x.var: Poly.const(k)}))
            return acc
        return None

    return T.map_terms(t, f)


# ---------------------------------------------------------------- the prover


@dataclass
class Prover:
    assumptions: list[Z3Expr]
    float_model: str = "ieee"
    timeout_ms: int = 60000  # wall-clock safety net only (lift/budget.py): the rlimit decides
    queries: int = 0
    # Tried first when a query is satisfiable (e.g. small sizes), so that a refutation's model is
    # one the reference executor can run; the model of the plain query is kept when they fail.
    prefer: list[Z3Expr] = field(default_factory=list)
    nested: int = 0  # > 0 while matching folds (their failed matches need no preferred model)
    hints: bool = True  # on an IEEE timeout, look for a model in a tiny float format / the reals
    rlimit: int = budget.RLIMIT_PROOF  # per equality query (lift/budget.py)
    abstract: bool = False  # Encoder.abstract (a hint query only)

    def equal(self, a: T.Term, b: T.Term, ctx: list[Z3Expr]) -> Outcome:
        """Prove a == b for all values of free variables satisfying assumptions + ctx. Where the
        loop nest a has an accumulation whose add carries reassoc, both of the forms that allows
        are tried: the loop's order, then the init split off (normalise's split_reassoc)."""
        if not any(isinstance(x, T.Fold) and "reassoc" in x.flags for x in T.walk(a)):
            return self._equal(a, b, ctx, False)
        nb = normalise(b, self.float_model)
        for split in (False, True):
            na = normalise(a, self.float_model, split)
            if na == nb or reassociated(na, nb):
                return Outcome("proved")
        # The program's sum in the loop's order is a fold at the top (`initial=`); a split one is not.
        first = not isinstance(nb, T.Fold)
        out = self._equal(a, b, ctx, first)
        if out.status == "proved":
            return out
        other = self._equal(a, b, ctx, not first)
        return other if other.status == "proved" else out

    def _equal(self, a: T.Term, b: T.Term, ctx: list[Z3Expr], split: bool) -> Outcome:
        a, b = normalise(a, self.float_model, split), normalise(b, self.float_model, split)
        if a == b or reassociated(a, b):
            return Outcome("proved")
        # A short fold spelled unrolled on one side (a convolution window): equal as terms once
        # unrolled, before any (bit-blasted, costly) query.
        ua, ub = unroll_small(a), unroll_small(b)
        if (ua, ub) != (a, b) and normalise(ua, self.float_model) == normalise(ub, self.float_model):
            return Outcome("proved")
        enc = Encoder(self.float_model, abstract=self.abstract)
        self.nested += 1
        try:
            self._match_folds(a, b, ctx, enc)
        finally:
            self.nested -= 1
        out = self._check(enc, a, b, ctx)
        if out.status == "unknown" and out.model is None and not enc.real and not self.nested and self.hints and a.type.kind == "f":
            # The IEEE query ran out of budget (bit-blasted floats). A model of the same question
            # over a tiny float format is a hint only: confirm.py runs its values with the real
            # widths' IEEE semantics. (Not the reals: nonlinear real arithmetic is not bounded by
            # the rlimit.)
            for hint_model, why in ((f"small:{self.float_model}", "a reduced-precision model"),):
                hint = Prover(self.assumptions, hint_model, self.timeout_ms, prefer=self.prefer, hints=False,
                              rlimit=self.rlimit // 3).equal(a, b, ctx)
                if hint.model is not None:
                    return Outcome("unknown", hint.model, f"{out.reason}; {why} differs", hint.terms,
                                   [*hint.inexact, f"{why} of an IEEE question"], hint_model)
            if any(isinstance(x, T.Op) and x.op in ("sitofp", "uitofp") for t in (a, b) for x in T.walk(t)):
                # A difference in the integers converted to floats (np.uint32(n) for np.int32(n):
                # only for n >= 2**31, beyond the bounded check): the float arithmetic
                # uninterpreted, the conversions exact. A hint as well: confirm.py evaluates both
                # sides at the model's element with concrete values.
                hint = Prover(self.assumptions, self.float_model, self.timeout_ms, prefer=self.prefer, hints=False,
                              rlimit=self.rlimit // 3, abstract=True).equal(a, b, ctx)
                if hint.model is not None:
                    return Outcome("unknown", hint.model, f"{out.reason}; with the float arithmetic uninterpreted the values differ", hint.terms,
                                   [*hint.inexact, "float arithmetic uninterpreted"])
        if out.status == "proved" or not enc.fold_names:
            return out
        # Short constant folds (convolution windows) may be spelled unrolled on one side.
        ua, ub = unroll_small(a), unroll_small(b)
        if (ua, ub) == (a, b):
            return out
        return self.equal(ua, ub, ctx)

    def _check(self, enc: Encoder, a: T.Term, b: T.Term, ctx: list[Z3Expr]) -> Outcome:
        enc.guarding = True  # a is the loop nest's side
        ea = enc.enc(a)
        enc.guarding = False
        eb = enc.enc(b)
        # Bit-blasted IEEE floats spend far more time per rlimit unit than integers: a smaller budget.
        ieee_floats = not enc.real and any(isinstance(x, T.Op) and x.type.kind == "f" for t in (a, b) for x in T.walk(t))
        # The timeout is a safety net: the rlimit decides (lift/budget.py).
        s = budget.solver(min(self.rlimit, RLIMIT_IEEE) if ieee_floats else self.rlimit, self.timeout_ms)
        s.add(*self.assumptions, *ctx, *enc.assume)
        if enc.fp_ops > MAX_FP_OPS:
            return Outcome("unknown", None, f"too many IEEE float operations for the prover ({enc.fp_ops} weighted > {MAX_FP_OPS})")
        if isinstance(ea, tuple) or isinstance(eb, tuple):  # (value, index) pairs of argmax folds
            if not (isinstance(ea, tuple) and isinstance(eb, tuple)):
                return Outcome("unknown", None, "a pair compared with a scalar")
            s.add(z3.Or(*[x != y for x, y in zip(ea, eb, strict=True)]))  # pyright: ignore[reportUnknownArgumentType]
        else:
            s.add(differ(enc, a.type, ea, eb, root_nsz(a)))
        poison = enc.poison(a)
        if poison is not None:
            s.add(z3.Not(poison))  # where the loop nest's value is poison (its ops' nnan / ninf) any value is right
        self.queries += 1
        r = budget.check(s)
        if r == z3.unsat:
            return Outcome("proved")
        if r == z3.sat:
            model = s.model()
            inexact = [f"folds compared by name ({len(enc.fold_names)})"] if enc.fold_names else []
            inexact += [f"uninterpreted '{o}'" for o in sorted(enc.opaque)]
            if enc.guards:
                s.push()
                s.add(*enc.guards)
                defined = budget.check(s)
                if defined == z3.sat:
                    model = s.model()
                else:
                    s.pop()
                    inexact.append("the values differ only where the loop nest is undefined" if defined == z3.unsat
                                   else "unknown whether the loop nest is defined where the values differ")
            if self.prefer and not self.nested:
                s.push()
                s.add(*self.prefer)
                s.set("rlimit", min(budget.RLIMIT_PREFER, RLIMIT_IEEE) if ieee_floats else budget.RLIMIT_PREFER)
                if budget.check(s) == z3.sat:
                    model = s.model()
                s.pop()
            # Named folds or uninterpreted functions: the model may interpret them in a way the
            # real ones never are, so the refutation is only a hint (verify.confirm decides).
            return Outcome("unknown" if inexact else "refuted", model, "values differ", (a, b), inexact)
        return Outcome("unknown", None, "solver budget (rlimit) exhausted")

    def _match_folds(self, a: T.Term, b: T.Term, ctx: list[Z3Expr], enc: Encoder) -> Outcome | None:
        """Give structurally equal folds of a and b the same z3 name (proving them equal first)."""
        fa = _top_folds(a)
        fb = _top_folds(b)
        for x in fa:
            for y in fb:
                if enc.fold_names.get(y) is not None:
                    continue
                if self._fold_equal(x, y, ctx):
                    name = enc.fold_names.get(x)
                    if name is None:
                        name = z3.Const(T.fresh("fold_"), enc.sort(x.type))
                        enc.fold_names[x] = name
                    enc.fold_names[y] = name
                    break
        return None

    def _fold_equal(self, x: T.Fold, y: T.Fold, ctx: list[Z3Expr]) -> bool:
        if (x.op != y.op and not _same_flavour(x, y)) or x.step != y.step or x.type != y.type:
            return False
        if T.is_threaded(x):
            # A threaded body may drop a poison accumulator (a select): its flags are not used.
            x = T.Fold(x.op, T.strip_flags(x.init), x.var, x.lb, x.ub, x.step, T.strip_flags(x.body), x.type)
        t = T.fresh("t")
        tv = Poly.var(t)
        # Same trip count (ranges may be shifted: x over lb1.., y over lb2..): iteration t of one is
        # iteration t of the other.
        if self._idx_equal(x.ub - x.lb, y.ub - y.lb, ctx):
            if self.equal(x.init, y.init, ctx).status != "proved" and not self._zero_inits(x, y, ctx):
                return False
            bx = T.subst_index(x.body, {x.var: x.lb + tv * x.step})
            by = T.subst_index(y.body, {y.var: y.lb + tv * y.step})
            rng = [z3.Int(t) >= 0, zpoly(x.lb + tv * x.step) < zpoly(x.ub)]
            body_prover = self
            if zero_sign_free(x) and not floats.has(self.float_model, "nsz") and not floats.is_real(self.float_model):
                body_prover = Prover(self.assumptions, floats.join(self.float_model, frozenset({"nsz"})), self.timeout_ms, nested=1,
                                     rlimit=self.rlimit)
            out = body_prover.equal(bx, by, [*ctx, *rng]).status == "proved"
            self.queries += body_prover.queries if body_prover is not self else 0
            return out
        k = T.fresh("k")
        kv = Poly.var(k)
        # One fold starts one step later with the first iteration folded into its init (a peeled
        # reduction init such as `m = a[0]; for i in 1..n: m = max(m, a[i])`).
        for early, late in ((x, y), (y, x)):
            if self._idx_equal(early.lb + early.step, late.lb, ctx) and self._idx_equal(early.ub, late.ub, ctx):
                # Needs at least one iteration: with none, early = init while late = op(init, body(lb)).
                nonempty = zpoly(early.lb) < zpoly(early.ub)
                first = T.subst_index(early.body, {early.var: early.lb})
                peeled = T.step(early, early.init, first)
                # x is the loop nest's side: it stays the first operand (nnan/ninf assume on it).
                pair = (peeled, late.init) if early is x else (late.init, peeled)
                if self.equal(*pair, [*ctx, nonempty]).status != "proved":
                    continue
                if not self._provable(nonempty, ctx):
                    continue
                rng = [zpoly(late.lb) <= z3.Int(k), z3.Int(k) < zpoly(late.ub)]
                e_b = T.subst_index(early.body, {early.var: kv})
                l_b = T.subst_index(late.body, {late.var: kv})
                return self.equal(*((e_b, l_b) if early is x else (l_b, e_b)), [*ctx, *rng]).status == "proved"
        return False

    def _zero_inits(self, x: T.Fold, y: T.Fold, ctx: list[Z3Expr]) -> bool:
        """A reassociated sum of the loop's (x: `reassoc` split off its init, so from -0.0) against
        the program's from +0.0: they differ only where every term is -0.0, where the loop's last
        add (the loop's own op, with `nsz`) may give either zero; with at least one iteration."""
        zeros = {T.Const(-0.0, x.type), T.Const(0.0, x.type)}
        if x.op != "addf" or not {"reassoc", "nsz"} <= x.flags or {x.init, y.init} != zeros:
            return False
        return self._provable(zpoly(x.lb) < zpoly(x.ub), ctx)

    def _idx_equal(self, p: Poly, q: Poly, ctx: list[Z3Expr]) -> bool:
        if p == q:
            return True
        return self._provable(zpoly(p) == zpoly(q), ctx)

    def _provable(self, claim: Z3Expr, ctx: list[Z3Expr]) -> bool:
        s = budget.solver(budget.RLIMIT_PROOF, self.timeout_ms)
        s.add(*self.assumptions, *ctx, z3.Not(claim))
        self.queries += 1
        return budget.check(s) == z3.unsat


def differ(enc: Encoder, et: EType, ea: Any, eb: Any, nsz: bool = False) -> Any:
    """The two encoded values differ on the machine: IEEE values are equal when their bits are
    (SMT equality: one NaN, -0.0 != +0.0), or as numbers with zeros of either sign under nsz
    (the model's, or `nsz` of the loop nest's value: root_nsz)."""
    if et.kind == "f" and not enc.real and (enc.nsz or nsz):
        return z3.Not(z3.Or(z3.fpEQ(ea, eb), z3.And(z3.fpIsNaN(ea), z3.fpIsNaN(eb))))
    return ea != eb


def root_nsz(t: T.Term) -> bool:
    """The loop nest's value is computed by an op with `nsz`: a zero result of it may have either
    sign (LLVM's nsz), so its zeros compare equal. (Only the final op: below it a zero's sign
    can change what later ops compute.)"""
    # (A compare-and-select step carries its cmpf's flags; the select's zero is its own.)
    return isinstance(t, T.Op) and "nsz" in t.flags and t.type.kind == "f" and t.op not in T.SELECT_FOLDS and t.op != "select"


def _same_flavour(x: T.Fold, y: T.Fold) -> bool:
    """The loop's fold x with its combiner's own flags is the program's max/min fold y: nnan makes
    an unordered select predicate the ordered one; nnan + nsz on an arith max/min makes every
    flavour one op (a select's zero sign is its own: arith.select carries no flags)."""
    flags = x.flags if x.op in ("maximumf", "minimumf", "maxnumf", "minnumf") else x.flags - {"nsz"}
    if "nnan" not in flags:
        return False
    flavours = _max_flavours(floats.name(flags))
    return flavours.get(x.op, x.op) == flavours.get(y.op, y.op)


def reassociated(a: T.Term, b: T.Term) -> bool:
    """b is a reassociation of the loop nest's a where a's ops allow it: a chain of `reassoc`
    addf (mulf) ops of the loop may be computed in any order and bracketing of its operands
    (LLVM's reassoc), so b equals it if b's chain of the same op has the same operands (each
    equal structurally, recursively). Elsewhere the terms must be equal node for node."""
    if a == b:
        return True
    if not (isinstance(a, T.Op) and isinstance(b, T.Op)) or a.type != b.type:
        return False
    if a.op in ("addf", "mulf") and "reassoc" in a.flags and b.op == a.op:
        xs, ys = _chain(a, a.op, True), _chain(b, a.op, False)
        if len(xs) != len(ys):
            return False
        left = list(ys)
        for x in xs:
            k = next((i for i, y in enumerate(left) if reassociated(x, y)), None)
            if k is None:
                return False
            left.pop(k)
        return True
    if a.op != b.op or len(a.args) != len(b.args):
        return False
    if all(reassociated(x, y) for x, y in zip(a.args, b.args, strict=True)):
        return True
    return a.op in _COMMUTATIVE and len(a.args) == 2 and reassociated(a.args[0], b.args[1]) and reassociated(a.args[1], b.args[0])


def _chain(t: T.Term, op: str, flagged: bool) -> list[T.Term]:
    """The operands of a chain of `op` (the loop's: only through its ops with reassoc)."""
    if isinstance(t, T.Op) and t.op == op and (not flagged or "reassoc" in t.flags):
        return [x for a in t.args for x in _chain(a, op, flagged)]
    return [t]


def _top_folds(t: T.Term) -> list[T.Fold]:
    out: list[T.Fold] = []

    def go(x: T.Term) -> None:
        if isinstance(x, T.Fold):
            out.append(x)
            return
        for c in T.children(x):
            go(c)

    go(t)
    return out


def domain_ctx(domain: list[LoopVar], env: dict[str, Poly]) -> list[Z3Expr]:
    out: list[Z3Expr] = []
    for lv in domain:
        x = zpoly(env.get(lv.name, Poly.var(lv.name)))
        out.append(zpoly(lv.lb) <= x)
        out.append(x < zpoly(lv.ub))
        if lv.step != 1:
            out.append((x - zpoly(lv.lb)) % lv.step == 0)
    return out
