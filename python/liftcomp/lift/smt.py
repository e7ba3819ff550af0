"""z3 semantics of terms and the all-sizes equivalence check.

Model (stated in docs/LIFTING.md): integers are bit-vectors of their real width with arith's
semantics; index arithmetic is over mathematical integers with every size symbol >= 0; floats are
real numbers (`--float-model real`, the default: +,-,*,/ exact, math functions uninterpreted,
conversions between float widths exact) or IEEE-754 of the real width (`ieee`: z3's FP theory,
round-to-nearest-even; math functions uninterpreted). Folds are left folds in loop order and are
compared structurally: two folds are equal when their bounds and inits are equal and their bodies
are equal for every iteration (proved recursively), so no proof ever unrolls a loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import z3

from liftcomp.lift import budget
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


@dataclass
class Encoder:
    float_model: str = "real"  # real | ieee
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

    def sort(self, t: EType) -> z3.SortRef:
        if t.kind == "f":
            if self.float_model == "real":
                return z3.RealSort()
            if t.brain:
                return z3.FPSort(8, 8)  # bfloat16
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
        if isinstance(t, T.Const):
            if t.type.kind == "f":
                if self.float_model == "real":
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
        ieee = self.float_model == "ieee"
        rm = z3.RNE()
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
        if op in cmp_f:
            if ieee and op in ("oeq", "ueq"):
                return z3.If(z3.fpEQ(a[0], a[1]), z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))
            if ieee and op in ("one", "une"):
                return z3.If(z3.Not(z3.fpEQ(a[0], a[1])), z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))
            return z3.If(cmp_f[op](), z3.BitVecVal(1, 1), z3.BitVecVal(0, 1))
        if op == "select":
            return z3.If(a[0] == z3.BitVecVal(1, 1), a[1], a[2])
        if op in ("addf", "subf", "mulf", "divf"):
            if ieee:
                f = {"addf": z3.fpAdd, "subf": z3.fpSub, "mulf": z3.fpMul, "divf": z3.fpDiv}[op]
                return f(rm, a[0], a[1])
            return {"addf": lambda: a[0] + a[1], "subf": lambda: a[0] - a[1], "mulf": lambda: a[0] * a[1], "divf": lambda: a[0] / a[1]}[op]()
        if op == "negf":
            return z3.fpNeg(a[0]) if ieee else -a[0]
        if op in ("maximumf", "minimumf", "maxnumf", "minnumf", "maxselectf", "minselectf") and not ieee:
            # Real numbers: every flavour of max is max.
            return z3.If(a[0] >= a[1], a[0], a[1]) if op.startswith("max") else z3.If(a[0] <= a[1], a[0], a[1])
        if op in ("maxnumf", "minnumf"):
            return (z3.fpMax if op == "maxnumf" else z3.fpMin)(a[0], a[1])  # IEEE maxNum: NaN loses
        if op in ("maximumf", "minimumf"):
            # IEEE maximum: NaN wins (z3's fpMax would return the other operand).
            m = (z3.fpMax if op == "maximumf" else z3.fpMin)(a[0], a[1])
            return z3.If(z3.Or(z3.fpIsNaN(a[0]), z3.fpIsNaN(a[1])), z3.fpNaN(self.sort(t.type)), m)
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

# A cap on z3's memory for every query: past it a query answers 'unknown' instead of taking the
# machine down (large unrolled float formulas can grow without bound).
z3.set_param("memory_max_size", 3000)


_REAL_MAX = {"maxnumf": "maximumf", "maxselectf": "maximumf", "minnumf": "minimumf", "minselectf": "minimumf"}


def normalise(t: T.Term, float_model: str = "real") -> T.Term:
    """Rewrites that hold for bit-vectors and the float model at hand, applied before matching folds:
    trunc(ext(x)) -> x, trunc of a ring fold -> fold of truncs, int folds with non-identity init ->
    op(init, fold(identity)), and with real numbers every flavour of max/min is one op and float sums
    and products split off their init too. (In IEEE mode float folds keep their init: reassociation
    is not exact there.)"""

    def f(x: T.Term) -> T.Term | None:
        if float_model == "real" and isinstance(x, T.Op | T.Fold) and x.op in _REAL_MAX:
            if isinstance(x, T.Op):
                return T.Op(_REAL_MAX[x.op], x.args, x.type)
            return T.Fold(_REAL_MAX[x.op], x.init, x.var, x.lb, x.ub, x.step, x.body, x.type)
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
                    float_model,  # the same model inside (an IEEE proof must not use the real-number rules)
                )
        if isinstance(x, T.Op) and x.op in ("extsi", "extui") and isinstance(x.args[0], T.Const):
            c = x.args[0]
            v = int(c.value)
            if x.op == "extsi" and v >> (c.type.width - 1):
                v -= 1 << c.type.width
            return T.Const(v & ((1 << x.type.width) - 1), x.type)
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
        if isinstance(x, T.Fold) and float_model == "real" and x.op in ("addf", "mulf"):
            # Exact for real numbers (C = beta*C; C += A@B is beta*C + A@B); IEEE keeps the init.
            ident = T.Const(T.IDENTITY[x.op], x.type)
            if x.init != ident:
                return T.Op(x.op, (x.init, T.Fold(x.op, ident, x.var, x.lb, x.ub, x.step, x.body, x.type)), x.type)
        return None

    return T.map_terms(t, f)


def unroll_small(t: T.Term) -> T.Term:
    """Unroll folds with constant bounds and at most UNROLL_LIMIT iterations (in loop order)."""

    def f(x: T.Term) -> T.Term | None:
        if isinstance(x, T.Fold) and x.lb.is_const and x.ub.is_const and len(range(x.lb.const_value, x.ub.const_value, x.step)) <= UNROLL_LIMIT:
            acc = x.init
            for k in range(x.lb.const_value, x.ub.const_value, x.step):
                acc = T.Op(x.op, (acc, T.subst_index(x.body, {x.var: Poly.const(k)})), x.type)
            return acc
        return None

    return T.map_terms(t, f)


# ---------------------------------------------------------------- the prover


@dataclass
class Prover:
    assumptions: list[Z3Expr]
    float_model: str = "real"
    timeout_ms: int = budget.SAFETY_TIMEOUT_MS  # a wall-clock safety net: the rlimit decides
    queries: int = 0
    # Tried first when a query is satisfiable (e.g. small sizes), so that a refutation's model is
    # one the reference executor can run; the model of the plain query is kept when they fail.
    prefer: list[Z3Expr] = field(default_factory=list)
    nested: int = 0  # > 0 while matching folds (their failed matches need no preferred model)

    def equal(self, a: T.Term, b: T.Term, ctx: list[Z3Expr]) -> Outcome:
        """Prove a == b for all values of free variables satisfying assumptions + ctx."""
        a, b = normalise(a, self.float_model), normalise(b, self.float_model)
        if a == b:
            return Outcome("proved")
        enc = Encoder(self.float_model)
        self.nested += 1
        try:
            self._match_folds(a, b, ctx, enc)
        finally:
            self.nested -= 1
        out = self._check(enc, a, b, ctx)
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
        s = budget.solver(budget.RLIMIT_PROOF)
        s.set("timeout", self.timeout_ms)  # a safety net: the rlimit decides (lift/budget.py)
        s.add(*self.assumptions, *ctx)
        if isinstance(ea, tuple) or isinstance(eb, tuple):  # (value, index) pairs of argmax folds
            if not (isinstance(ea, tuple) and isinstance(eb, tuple)):
                return Outcome("unknown", None, "a pair compared with a scalar")
            s.add(z3.Or(*[x != y for x, y in zip(ea, eb, strict=True)]))  # pyright: ignore[reportUnknownArgumentType]
        elif self.float_model == "ieee" and a.type.kind == "f":
            s.add(z3.Not(z3.Or(z3.fpEQ(ea, eb), z3.And(z3.fpIsNaN(ea), z3.fpIsNaN(eb)))))
        else:
            s.add(ea != eb)
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
                s.set("rlimit", budget.RLIMIT_PREFER)
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
        if x.op != y.op or x.step != y.step or x.type != y.type:
            return False
        t = T.fresh("t")
        tv = Poly.var(t)
        # Same trip count (ranges may be shifted: x over lb1.., y over lb2..): iteration t of one is
        # iteration t of the other.
        if self._idx_equal(x.ub - x.lb, y.ub - y.lb, ctx):
            if self.equal(x.init, y.init, ctx).status != "proved":
                return False
            bx = T.subst_index(x.body, {x.var: x.lb + tv * x.step})
            by = T.subst_index(y.body, {y.var: y.lb + tv * y.step})
            rng = [z3.Int(t) >= 0, zpoly(x.lb + tv * x.step) < zpoly(x.ub)]
            return self.equal(bx, by, [*ctx, *rng]).status == "proved"
        k = T.fresh("k")
        kv = Poly.var(k)
        # One fold starts one step later with the first iteration folded into its init (a peeled
        # reduction init such as `m = a[0]; for i in 1..n: m = max(m, a[i])`).
        for early, late in ((x, y), (y, x)):
            if self._idx_equal(early.lb + early.step, late.lb, ctx) and self._idx_equal(early.ub, late.ub, ctx):
                # Needs at least one iteration: with none, early = init while late = op(init, body(lb)).
                nonempty = zpoly(early.lb) < zpoly(early.ub)
                first = T.subst_index(early.body, {early.var: early.lb})
                peeled = T.Op(early.op, (early.init, first), early.type)
                if self.equal(peeled, late.init, [*ctx, nonempty]).status != "proved":
                    continue
                if not self._provable(nonempty, ctx):
                    continue
                rng = [zpoly(late.lb) <= z3.Int(k), z3.Int(k) < zpoly(late.ub)]
                e_b = T.subst_index(early.body, {early.var: kv})
                l_b = T.subst_index(late.body, {late.var: kv})
                return self.equal(e_b, l_b, [*ctx, *rng]).status == "proved"
        return False

    def _idx_equal(self, p: Poly, q: Poly, ctx: list[Z3Expr]) -> bool:
        if p == q:
            return True
        return self._provable(zpoly(p) == zpoly(q), ctx)

    def _provable(self, claim: Z3Expr, ctx: list[Z3Expr]) -> bool:
        s = budget.solver(budget.RLIMIT_PROOF)
        s.set("timeout", self.timeout_ms)
        s.add(*self.assumptions, *ctx, z3.Not(claim))
        self.queries += 1
        return budget.check(s) == z3.unsat


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
