"""Element-level terms: the common language of loop summaries and TensorSpec semantics.

Both sides of every equivalence check become terms: the loop-nest analysis summarises what a
nest stores at a symbolic position, and each TensorSpec op defines the value of its result at a
symbolic position. Folds keep reductions in loop order (`acc = op(acc, body(k))` for
k = lb, lb+step, ... < ub), so they can be compared structurally for all sizes.

Integers are signless bit-vectors of their MLIR width (ops say how to read them, as in arith);
index arithmetic is exact (mathematical integers) and lives in `Poly`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

# ---------------------------------------------------------------- element types


@dataclass(frozen=True)
class EType:
    """Element type: ('i', width) signless integer, ('f', width) float, ('index', 64).
    `brain`: the 16-bit float is bfloat16 (8 exponent bits, 8 significand bits), not IEEE half."""

    kind: str
    width: int
    brain: bool = False
    fp8: str = ""  # 8-bit floats: "f8e4m3fn" (no infinities, one NaN) or "f8e5m2" (IEEE-like)

    def __str__(self) -> str:
        if self.brain:
            return "bf16"
        if self.fp8:
            return self.fp8
        return "index" if self.kind == "index" else f"{self.kind}{self.width}"

    @property
    def is_int(self) -> bool:
        return self.kind in ("i", "index")

    @property
    def is_float(self) -> bool:
        return self.kind == "f"


I1 = EType("i", 1)
INDEX = EType("index", 64)
BF16 = EType("f", 16, brain=True)
F8E4M3FN = EType("f", 8, fp8="f8e4m3fn")
F8E5M2 = EType("f", 8, fp8="f8e5m2")
FP8 = {"f8e4m3fn": F8E4M3FN, "f8e5m2": F8E5M2}


def np_float(et: EType) -> Any:
    """The numpy scalar type of a float element type (bfloat16 through ml_dtypes)."""
    if et.brain:
        import ml_dtypes

        return ml_dtypes.bfloat16
    if et.fp8:
        import ml_dtypes

        return {"f8e4m3fn": ml_dtypes.float8_e4m3fn, "f8e5m2": ml_dtypes.float8_e5m2}[et.fp8]
    return {16: np.float16, 32: np.float32, 64: np.float64}[et.width]


# ---------------------------------------------------------------- index polynomials

Monomial = tuple[str, ...]  # sorted variable names (with repetition)


@dataclass(frozen=True)
class Poly:
    """An integer polynomial over index variables in a canonical form (equal iff same)."""

    terms: tuple[tuple[Monomial, int], ...]  # sorted, no zero coefficients

    @staticmethod
    def _make(d: Mapping[Monomial, int]) -> Poly:
        return Poly(tuple(sorted((m, c) for m, c in d.items() if c != 0)))

    @staticmethod
    def const(c: int) -> Poly:
        return Poly._make({(): c})

    @staticmethod
    def var(name: str) -> Poly:
        return Poly._make({(name,): 1})

    def as_dict(self) -> dict[Monomial, int]:
        return dict(self.terms)

    def __add__(self, other: Poly | int) -> Poly:
        o = other if isinstance(other, Poly) else Poly.const(other)
        d = self.as_dict()
        for m, c in o.terms:
            d[m] = d.get(m, 0) + c
        return Poly._make(d)

    def __neg__(self) -> Poly:
        return Poly._make({m: -c for m, c in self.terms})

    def __sub__(self, other: Poly | int) -> Poly:
        o = other if isinstance(other, Poly) else Poly.const(other)
        return self + (-o)

    def __mul__(self, other: Poly | int) -> Poly:
        o = other if isinstance(other, Poly) else Poly.const(other)
        d: dict[Monomial, int] = {}
        for m1, c1 in self.terms:
            for m2, c2 in o.terms:
                m = tuple(sorted(m1 + m2))
                d[m] = d.get(m, 0) + c1 * c2
        return Poly._make(d)

    @property
    def is_const(self) -> bool:
        return all(m == () for m, _ in self.terms)

    @property
    def const_value(self) -> int:
        return self.as_dict().get((), 0)

    def vars(self) -> set[str]:
        return {v for m, _ in self.terms for v in m}

    def coeff(self, var: str) -> Poly:
        """Coefficient of `var` if the polynomial is linear in it (else raises ValueError)."""
        out: dict[Monomial, int] = {}
        for m, c in self.terms:
            k = m.count(var)
            if k > 1:
                raise ValueError(f"{self} is not linear in {var}")
            if k == 1:
                rest = list(m)
                rest.remove(var)
                out[tuple(rest)] = out.get(tuple(rest), 0) + c
        return Poly._make(out)

    def without(self, var: str) -> Poly:
        return Poly._make({m: c for m, c in self.terms if var not in m})

    def subst(self, env: Mapping[str, Poly]) -> Poly:
        if not (self.vars() & env.keys()):
            return self
        out = Poly.const(0)
        for m, c in self.terms:
            term = Poly.const(c)
            for v in m:
                term = term * (env[v] if v in env else Poly.var(v))
            out = out + term
        return out

    def eval(self, env: Mapping[str, int]) -> int:
        total = 0
        for m, c in self.terms:
            prod = c
            for v in m:
                prod *= env[v]
            total += prod
        return total

    def __str__(self) -> str:
        if not self.terms:
            return "0"
        parts: list[str] = []
        for m, c in self.terms:
            body = "*".join(m)
            if not body:
                parts.append(str(c))
            elif c == 1:
                parts.append(body)
            elif c == -1:
                parts.append(f"-{body}")
            else:
                parts.append(f"{c}*{body}")
        return " + ".join(parts).replace("+ -", "- ")


ZERO = Poly.const(0)

# ---------------------------------------------------------------- terms


@dataclass(frozen=True, eq=False)
class Const:
    value: int | float
    type: EType

    # Float constants are equal when their bits are: as Python floats 0.0 == -0.0 and NaN != NaN,
    # which would let a structural comparison equate a select's -0.0 with +0.0.
    def key(self) -> tuple[object, EType]:
        return (float(self.value).hex() if self.type.kind == "f" else int(self.value), self.type)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Const) and self.key() == other.key()

    def __hash__(self) -> int:
        return hash(self.key())


@dataclass(frozen=True)
class Scalar:
    """A scalar function argument."""

    name: str
    type: EType


@dataclass(frozen=True)
class Read:
    """The initial content of an argument buffer at a position."""

    buf: str
    idx: tuple[Poly, ...]
    type: EType


@dataclass(frozen=True)
class IndexValue:
    """An index expression used as data (arith.index_cast and friends)."""

    idx: Poly
    type: EType


@dataclass(frozen=True)
class Op:
    """An arith/math operation with MLIR semantics (see OPS). `flags`: the source op's fast-math
    flags (loop-nest side only; lift/floats.py). They take no part in equality: a flagged op may
    only be relaxed, so equating it with the same op unflagged is exact where the flagged op is
    defined, and a rewrite that drops them assumes less, never more."""

    op: str
    args: tuple[Term, ...]
    type: EType
    flags: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class Fold:
    """acc = init; for var in range(lb, ub, step): acc = op(acc, body)."""

    op: str
    init: Term
    var: str
    lb: Poly
    ub: Poly
    step: int
    body: Term
    type: EType
    flags: frozenset[str] = field(default=frozenset(), compare=False)  # the combiner op's (as Op.flags)


Term = Const | Scalar | Read | IndexValue | Op | Fold

# Op names follow arith; their semantics live in smt.py (z3) and tensorspec.py (numpy).
BINARY_INT = {
    "addi", "subi", "muli", "divsi", "divui", "remsi", "remui", "andi", "ori", "xori",
    "shli", "shrsi", "shrui", "maxsi", "minsi", "maxui", "minui",
}
# Float max/min reductions written with a compare and a select: `selectf_P(acc, e)` is
# `P(e, acc) ? e : acc` for the cmpf predicate P (exactly the loop's select: a NaN or a tie of
# signed zeros goes where the compare sends it, unlike maximumf/minimumf).
SELECT_MAX = {"selectf_ogt", "selectf_oge", "selectf_ugt_f", "selectf_uge_f"}
SELECT_MIN = {"selectf_olt", "selectf_ole", "selectf_ult_f", "selectf_ule_f"}
SELECT_FOLDS = SELECT_MAX | SELECT_MIN
BINARY_FLOAT = {"addf", "subf", "mulf", "divf", "maximumf", "minimumf", "maxnumf", "minnumf", "powf"} | SELECT_FOLDS
CMPI = {"eq", "ne", "slt", "sle", "sgt", "sge", "ult", "ule", "ugt", "uge"}
CMPF = {"oeq", "one", "olt", "ole", "ogt", "oge", "ueq", "une", "ult_f", "ule_f", "ugt_f", "uge_f", "ord", "uno"}
UNARY_FLOAT = {"negf", "exp", "log", "sqrt", "tanh", "absf", "exp2", "log2", "log10", "sin", "cos", "erf", "floor", "ceil"}
UNARY_INT = {"absi"}
CASTS = {"extsi", "extui", "trunci", "sitofp", "uitofp", "fptosi", "fptoui", "extf", "truncf"}
ASSOCIATIVE = {"addi", "muli", "andi", "ori", "xori", "maxsi", "minsi", "maxui", "minui", "addf", "mulf", "maximumf", "minimumf",
               "maxnumf", "minnumf"}
# Folds over (value, index) pairs: init and body are Op("pair", (value, index)); the combine keeps
# the accumulated pair unless the new value is strictly greater (argmax) / less (argmin), so ties
# keep the first index; the fold's value is the index of the final pair.
ARG_FOLDS = {"argmaxsi": "sgt", "argmaxui": "ugt", "argminsi": "slt", "argminui": "ult"}
# Identity elements of the folds whose init may be split off: op(init, fold(op, identity, ...)).
IDENTITY: dict[str, int | float] = {"addi": 0, "muli": 1, "ori": 0, "xori": 0, "addf": 0.0, "mulf": 1.0}


# A threaded fold: a fold whose body mentions ACC (outside the bodies of folds nested in it) takes
# `acc = body[ACC := acc]` as its step instead of `op(acc, body)`. A fold nested in that body whose
# init is ACC continues the enclosing accumulator, so a reduction over several loops (or axes) is
# one left fold in row-major order: `for i: for j: s += x[i, j]` is
# Fold(addf, s0, i, body=Fold(addf, ACC, j, body=x[i, j])) = (((s0 + x00) + x01) + x10) + ...,
# which IEEE floats need (reassociating it into a sum of row sums changes the rounding).
ACC = "#acc"


def acc_var(t: EType) -> Scalar:
    return Scalar(ACC, t)


def is_threaded(f: Fold) -> bool:
    return _mentions_acc(f.body)


def _mentions_acc(t: Term) -> bool:
    if isinstance(t, Scalar):
        return t.name == ACC
    if isinstance(t, Fold):
        return _mentions_acc(t.init)  # its body's ACC is its own accumulator
    return any(_mentions_acc(c) for c in children(t))


def thread(body: Term, acc: Term) -> Term:
    """body[ACC := acc] for the ACC of the fold whose body this is (nested fold bodies keep theirs)."""
    if isinstance(body, Scalar):
        return acc if body.name == ACC else body
    if isinstance(body, Op):
        return Op(body.op, tuple(thread(a, acc) for a in body.args), body.type, body.flags)
    if isinstance(body, Fold):
        return Fold(body.op, thread(body.init, acc), body.var, body.lb, body.ub, body.step, body.body, body.type, body.flags)
    return body


def step(f: Fold, acc: Term, body: Term) -> Term:
    """One iteration of fold f from accumulator acc, with its body already instantiated."""
    return thread(body, acc) if is_threaded(f) else Op(f.op, (acc, body), f.type, f.flags)


def children(t: Term) -> Iterator[Term]:
    if isinstance(t, Op):
        yield from t.args
    elif isinstance(t, Fold):
        yield t.init
        yield t.body


def walk(t: Term) -> Iterator[Term]:
    yield t
    for c in children(t):
        yield from walk(c)


def free_index_vars(t: Term) -> set[str]:
    if isinstance(t, Read):
        return set().union(*(p.vars() for p in t.idx)) if t.idx else set()
    if isinstance(t, IndexValue):
        return t.idx.vars()
    if isinstance(t, Op):
        return set().union(*(free_index_vars(a) for a in t.args)) if t.args else set()
    if isinstance(t, Fold):
        inner = free_index_vars(t.body) - {t.var}
        return inner | free_index_vars(t.init) | t.lb.vars() | t.ub.vars()
    return set()


def subst_index(t: Term, env: Mapping[str, Poly]) -> Term:
    """Substitute index variables (capture-avoiding: fold variables are unique by construction)."""
    if not env:
        return t
    if isinstance(t, Read):
        return Read(t.buf, tuple(p.subst(env) for p in t.idx), t.type)
    if isinstance(t, IndexValue):
        return IndexValue(t.idx.subst(env), t.type)
    if isinstance(t, Op):
        return Op(t.op, tuple(subst_index(a, env) for a in t.args), t.type, t.flags)
    if isinstance(t, Fold):
        inner = {k: v for k, v in env.items() if k != t.var}
        return Fold(t.op, subst_index(t.init, env), t.var, t.lb.subst(env), t.ub.subst(env), t.step, subst_index(t.body, inner), t.type, t.flags)
    return t


def map_terms(t: Term, f: Callable[[Term], Term | None]) -> Term:
    """Rebuild bottom-up; f may return a replacement for a node (or None to keep it)."""
    if isinstance(t, Op):
        t = Op(t.op, tuple(map_terms(a, f) for a in t.args), t.type, t.flags)
    elif isinstance(t, Fold):
        t = Fold(t.op, map_terms(t.init, f), t.var, t.lb, t.ub, t.step, map_terms(t.body, f), t.type, t.flags)
    r = f(t)
    return t if r is None else r


def strip_flags(t: Term) -> Term:
    """t without fast-math flags (exact IEEE: what a rewrite that cannot use them must see)."""

    def f(x: Term) -> Term | None:
        if isinstance(x, Op | Fold) and x.flags:
            return replace(x, flags=frozenset())
        return None

    return map_terms(t, f)


def show(t: Term) -> str:
    """Readable one-line rendering (for reports, prompts and debugging)."""
    if isinstance(t, Const):
        return str(t.value)
    if isinstance(t, Scalar):
        return t.name
    if isinstance(t, Read):
        return f"{t.buf}[{', '.join(str(p) for p in t.idx)}]"
    if isinstance(t, IndexValue):
        return f"({t.idx})"
    if isinstance(t, Op):
        return f"{t.op}({', '.join(show(a) for a in t.args)})"
    return f"fold_{t.op}({show(t.init)}, {t.var} in {t.lb}..{t.ub} step {t.step}: {show(t.body)})"


@dataclass
class _Names:
    """Numbering of fresh names: the process's (tag "") or a scope's (see fresh_names)."""

    tag: str
    issued: int = 0
    scopes: int = 0  # scopes opened inside this one so far


_names: list[_Names] = [_Names("")]


def fresh(prefix: str) -> str:
    """A fresh variable name. The '#' keeps it apart from every name a user can write
    (arguments are identifiers), so loop and fold variables never capture a size symbol."""
    top = _names[-1]
    top.issued += 1
    return f"{prefix}#{top.tag}{top.issued}"


@contextmanager
def fresh_names() -> Iterator[None]:
    """Inside the block, fresh names are numbered from 1 again, under a tag that no name made
    outside it has: a verdict's z3 queries then spell their variables the same whatever the
    process did before (z3's search depends on the names; issue 10). A scope opened inside
    another is tagged by its position there (s1_, s1_2_, ...); scopes opened outside any other
    all share the tag s: no term made in one may meet a term made in another (each lifts or
    checks on its own, and what escapes it, a program and a summary, is used on its own)."""
    parent = _names[-1]
    parent.scopes += 1
    _names.append(_Names("s" if len(_names) == 1 else f"{parent.tag}{parent.scopes}_"))
    try:
        yield
    finally:
        _names.pop()
