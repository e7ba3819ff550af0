"""Small instances of large static nests, so differential tests never interpret 512^3 loops.

Proofs are symbolic and cheap at any size (folds are compared, never unrolled), so the real static
program is proved as it is. The differential test, however, runs the original in the reference
executor. For a nest with large static sizes it runs on small members of a family that contains
the real program, the way a dynamic kernel is tested at small sizes:

- every large index constant v (static dims, index constants, affine constants and coefficients,
  |v| >= THRESHOLD) is written as an expression `c * N1 * N2 ... + d` over a few base sizes N_k
  with a small coefficient c and a small offset |d| <= DELTA: 1023 = N - 1 and 1022 = N - 2 when
  the buffer is N = 1024, 262144 = N * N for a flattened 512x512 matrix. A value that is no such
  expression of the bases so far becomes a base itself (an unrelated bound of 300 next to 512);
- the same expressions at small N_k give the instance: the function with its constants rewritten
  and the proposed program with its index literals rewritten, so `a[0:1022] + a[2:1024]` on
  memref<1024xf32> becomes `a[0:N-2] + a[2:N]` on memref<Nxf32> at N = 8, say;
- the small N_k keep what the relations need: every expression stays positive with the large
  values in the same order, offsets fit (N_k > 2 * DELTA used), and N_k = b_k modulo the loop
  steps and the divisors of the nest (a step-3 loop over 100 elements stays a loop with a partial
  last step).
At N_k = b_k both rewrites are the identity, so each instance is a member of one family whose real
member is exactly the original and the proposal. Whatever cannot be written so (a large step or
divisor, a large literal of the program that is not an expression of the bases) is tested at the
real size if that is cheap, and otherwise refused with the reason; an instance whose test fails
(it may be degenerate, e.g. a tiled loop that overruns at a small size) also falls back to the real
size when that is cheap, so a small instance never decides alone that a program is wrong or right.

A nest that is costly at its real size even with the sizes below THRESHOLD kept (a 64x96x128
GEMM: 64 * 96 * N iterations per instance) is first tested with every static size from
LOW_THRESHOLD on in the family, the way a dynamic-size nest is tested at small sizes. This changes
nothing of the argument: the proof is still of the real program, and every instance is a member
of the one family the real program belongs to; only a passing test is taken from this first try,
anything else goes the way above.
"""

from __future__ import annotations

import ast
import itertools
import math
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    AffineMapAttr,
    AffineSetAttr,
    FunctionType,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
)
from xdsl.ir import Attribute, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineExpr,
    AffineMap,
)
from xdsl.ir.affine.affine_set import AffineConstraintExpr, AffineSet

from liftcomp.lift import tensorspec as TS
from liftcomp.lift.analysis import Refusal, Summary, analyse
from liftcomp.lift.verify import Verdict, decls_of, tested, unrolled_size

THRESHOLD = 100  # index constants from here on are "large"
DELTA = 16  # largest offset from a multiple of the bases that is kept as a relation
# Offsets kept by the second family, tried when the first one's instances are too large to
# interpret (784 = 3 * 256 + 16 forces bases above 32; with 784 a base of its own they stay tiny).
SMALL_DELTA = 4
MAX_MODULUS = 64  # residues modulo the steps and divisors are kept up to this modulus
REAL_SIZE_BUDGET = 200_000  # term leaves the original may take at the real size for a direct test
# A nest whose sizes are each below THRESHOLD can still be far too large to interpret (a 3x3
# convolution over 4x56x56x64: 462M multiply-adds). Its family is then built with every size
# from LOW_THRESHOLD on as a base (and SMALL_DELTA offsets).
LOW_THRESHOLD = 8
# Real-size cost (term leaves) from which a nest is first tested with the sizes from LOW_THRESHOLD
# on in the family (a 64x96x128 GEMM keeps 64 and 96 below THRESHOLD: seconds to interpret, where
# with all three sizes small it costs what a dynamic-size GEMM's test does).
SHRINK_ALL_COST = 20_000


@dataclass(frozen=True)
class Expr:
    """coeff * prod(bases[k] for k in mono) + offset."""

    coeff: int
    mono: tuple[int, ...]
    offset: int

    def at(self, bases: list[int]) -> int:
        return self.coeff * math.prod(bases[k] for k in self.mono) + self.offset


@dataclass
class Generalisation:
    """Large constants as expressions of base sizes, with the small base values to test at."""

    bases: list[int]
    exprs: dict[int, Expr]
    modulus: int
    instances: list[list[int]] = field(default_factory=list)
    delta: int = DELTA
    threshold: int = THRESHOLD
    min_base: int = 4  # the least small value of a base

    def value(self, v: int, small: list[int]) -> int | None:
        """v in the instance with bases `small` (None: a large value that is no expression)."""
        if abs(v) < self.threshold:
            return v
        e = self.exprs.get(v)
        if e is None:
            e = _express(v, self.bases, _COEFFS, self.delta)
        return None if e is None else e.at(small)


# ---------------------------------------------------------------- what the function contains


@dataclass
class _Contents:
    dims: set[int] = field(default_factory=set)
    consts: set[int] = field(default_factory=set)  # index constants, affine constants and coefficients
    steps: set[int] = field(default_factory=set)  # loop steps and affine divisors (residues to keep)
    coeffs: set[int] = field(default_factory=set)  # small multipliers (row lengths of flat buffers)
    problems: list[str] = field(default_factory=list)


def _memref_types(fn: func.FuncOp) -> list[MemRefType[Attribute]]:
    out: list[MemRefType[Attribute]] = [t for t in fn.function_type.inputs if isinstance(t, MemRefType)]
    for op in fn.walk():
        out += [r.type for r in op.results if isinstance(r.type, MemRefType)]
    return out


def _contents(fn: func.FuncOp, threshold: int = THRESHOLD) -> _Contents:
    c = _Contents()
    for t in _memref_types(fn):
        for s in t.get_shape():
            if s >= threshold:
                c.dims.add(s)
            elif s > 1:
                c.coeffs.add(s)
    for op in fn.walk():
        v = op.properties.get("value")
        if op.name == "arith.constant" and isinstance(v, IntegerAttr) and isinstance(op.results[0].type, IndexType):
            c.consts.add(v.value.data)
        step = op.properties.get("step")
        if op.name == "affine.for" and isinstance(step, IntegerAttr):
            c.steps.add(step.value.data)
        if op.name == "scf.for":
            sv = _const_index(op.operands[2])
            if sv is not None:
                c.steps.add(sv)
        for attr in op.properties.values():
            if isinstance(attr, AffineMapAttr):
                for r in attr.data.results:
                    _expr_contents(r, c, threshold)
            elif isinstance(attr, AffineSetAttr):
                for k in attr.data.constraints:  # affine.if guards (a padded convolution's bounds)
                    _expr_contents(k.lhs, c, threshold)
                    _expr_contents(k.rhs, c, threshold)
    return c


def _const_index(v: SSAValue) -> int | None:
    op = v.owner
    if getattr(op, "name", None) == "arith.constant":
        attr = op.properties.get("value")  # type: ignore[union-attr]
        if isinstance(attr, IntegerAttr):
            return attr.value.data
    return None


def _expr_contents(e: AffineExpr, c: _Contents, threshold: int = THRESHOLD) -> None:
    if isinstance(e, AffineConstantExpr):
        c.consts.add(e.value)
    elif isinstance(e, AffineBinaryOpExpr):
        rhs = e.rhs
        if isinstance(rhs, AffineConstantExpr) and e.kind in (AffineBinaryOpKind.FloorDiv, AffineBinaryOpKind.CeilDiv, AffineBinaryOpKind.Mod):
            if abs(rhs.value) >= threshold:
                c.consts.add(rhs.value)
            else:
                c.steps.add(abs(rhs.value))
        elif isinstance(rhs, AffineConstantExpr) and e.kind == AffineBinaryOpKind.Mul and 1 < abs(rhs.value) < threshold:
            c.coeffs.add(abs(rhs.value))
        _expr_contents(e.lhs, c, threshold)
        _expr_contents(e.rhs, c, threshold)


def needs_shrinking(fn: func.FuncOp, threshold: int = THRESHOLD) -> bool:
    c = _contents(fn, threshold)
    return bool(c.dims) or any(abs(v) >= threshold for v in c.consts)


# ---------------------------------------------------------------- bases and expressions

_COEFFS = (1, 2, 3, 4)


def _monomials(n: int) -> list[tuple[int, ...]]:
    return [m for deg in (1, 2, 3) for m in itertools.combinations_with_replacement(range(n), deg)]


def _express(v: int, bases: list[int], coeffs: tuple[int, ...], delta: int = DELTA) -> Expr | None:
    """v = ±c * monomial + d with the smallest |d| <= delta (None if there is none)."""
    best: Expr | None = None
    sign = 1 if v > 0 else -1
    for mono in _monomials(len(bases)):
        p = math.prod(bases[k] for k in mono)
        for c in coeffs:
            d = abs(v) - c * p
            if abs(d) <= delta and (best is None or abs(d) < abs(best.offset)):
                best = Expr(sign * c, mono, sign * d)
    return best


def generalise(fn: func.FuncOp, extra: set[int] | None = None, delta: int = DELTA,
               threshold: int = THRESHOLD) -> Generalisation | str:
    """Bases and expressions for fn's large constants (and `extra` ones: the program's literals),
    with two small instances; or why it cannot be generalised faithfully."""
    c = _contents(fn, threshold)
    if c.problems:
        return f"cannot generalise the static sizes: {c.problems[0]}"
    if any(s >= threshold for s in c.steps):
        return "cannot generalise the static sizes: a large loop step or divisor"
    coeffs = tuple(sorted(set(_COEFFS) | c.coeffs))
    bases: list[int] = []
    exprs: dict[int, Expr] = {}
    large = [v for v in (extra or set()) | c.consts if abs(v) >= threshold]
    # Static dims first: they are the natural sizes N; bounds and offsets are written from them.
    for v in [*sorted(c.dims), *sorted(set(large) - c.dims, key=abs)]:
        if _express(v, bases, coeffs, delta) is None:
            bases.append(abs(v))
    bases.sort()  # the small values are chosen in this order, each above the previous
    for v in {*c.dims, *large}:
        e = _express(v, bases, coeffs, delta)
        assert e is not None  # every value is a base or was expressed by the bases before it
        exprs[v] = e
    modulus = 1
    for s in c.steps:
        if s > 1:
            modulus = math.lcm(modulus, s)
    if modulus > MAX_MODULUS:
        return f"cannot generalise the static sizes: residues modulo {modulus} would need large instances"
    # Moderate sizes made bases (a convolution's 14 x 14 image) may shrink to 3: a 3x3 window
    # padded by 1 then still meets both borders and the interior.
    g = Generalisation(bases, exprs, modulus, delta=delta, threshold=threshold, min_base=4 if threshold >= THRESHOLD else 3)
    first = _small_bases(g, 0)
    if first is None:
        return "cannot generalise the static sizes: no small sizes keep their order"
    second = _small_bases(g, max(2, modulus))
    g.instances = [first] + ([second] if second is not None and second != first else [])
    return g


def _small_bases(g: Generalisation, extra: int) -> list[int] | None:
    """Small base values, each equal to its real value modulo the modulus, that keep every
    expression's sign and the order of the large values; `extra` makes a second, larger instance."""
    gap = 2 * max([abs(e.offset) for e in g.exprs.values()] + [0]) + 2
    m = g.modulus

    def fit(lo: int, b: int) -> int:  # the least value >= lo that is b modulo m
        return lo + (b - lo) % m

    small: list[int] = []
    for b in g.bases:
        small.append(fit(max(g.min_base, gap, small[-1] + gap if small else 0) + extra, b))
    values = sorted(g.exprs)
    for _ in range(64):
        images = [g.exprs[v].at(small) for v in values]
        bad = next((i for i in range(len(values)) if images[i] == 0 or (images[i] > 0) != (values[i] > 0)
                    or (i and images[i] <= images[i - 1])), None)
        if bad is None:
            return small
        # Grow the largest base the offending value uses, and the bases above it with it.
        k = max(g.exprs[values[bad]].mono)
        small[k] += m
        for j in range(k + 1, len(small)):
            small[j] = max(small[j], fit(small[j - 1] + gap, g.bases[j]))
    return None


# ---------------------------------------------------------------- instances


def _remap_expr(e: AffineExpr, f: dict[int, int]) -> AffineExpr:
    if isinstance(e, AffineConstantExpr):
        return AffineConstantExpr(f.get(e.value, e.value))
    if isinstance(e, AffineBinaryOpExpr):
        return AffineBinaryOpExpr(e.kind, _remap_expr(e.lhs, f), _remap_expr(e.rhs, f))
    return e


def _remap_type(t: MemRefType[Attribute], f: dict[int, int]) -> MemRefType[Attribute]:
    return MemRefType(t.element_type, [f.get(s, s) for s in t.get_shape()])


def instance(module: ModuleOp, fn: func.FuncOp, g: Generalisation, small: list[int]) -> tuple[ModuleOp, func.FuncOp]:
    """A copy of the module whose copy of fn has its large constants at the small bases."""
    f = {v: e.at(small) for v, e in g.exprs.items()}
    small_mod = module.clone()
    small_fn = next(op for op in small_mod.ops if isinstance(op, func.FuncOp) and op.sym_name == fn.sym_name)
    for op in small_fn.walk():
        v = op.properties.get("value")
        if op.name == "arith.constant" and isinstance(v, IntegerAttr) and isinstance(op.results[0].type, IndexType) and v.value.data in f:
            op.properties["value"] = IntegerAttr(f[v.value.data], IndexType())
        for key, attr in list(op.properties.items()):
            if isinstance(attr, AffineMapAttr):
                m = attr.data
                op.properties[key] = AffineMapAttr(AffineMap(m.num_dims, m.num_symbols, tuple(_remap_expr(r, f) for r in m.results)))
            elif isinstance(attr, AffineSetAttr):
                st = attr.data
                op.properties[key] = AffineSetAttr(AffineSet(st.num_dims, st.num_symbols, tuple(
                    AffineConstraintExpr(k.kind, _remap_expr(k.lhs, f), _remap_expr(k.rhs, f)) for k in st.constraints)))
        for r in op.results:
            if isinstance(r.type, MemRefType):
                r._type = _remap_type(r.type, f)  # pyright: ignore[reportPrivateUsage] (retyping a clone in place)
    inputs: list[Attribute] = []
    for arg in small_fn.body.block.args:
        t = arg.type
        if isinstance(t, MemRefType):
            t = _remap_type(t, f)
            arg._type = t  # pyright: ignore[reportPrivateUsage] (retyping a clone in place)
        inputs.append(t)
    small_fn.properties["function_type"] = FunctionType.from_lists(inputs, list(small_fn.function_type.outputs))
    return small_mod, small_fn


def index_literals(text: str) -> set[int]:
    """The integer literals of a program in index positions (slice bounds, indices, reshapes)."""
    found: set[int] = set()
    _IndexLiterals(lambda v: found.add(v) or v).visit(ast.parse(text))
    return found


def instance_program(text: str, g: Generalisation, small: list[int]) -> str | None:
    """The program with its index literals at the small bases (None if one is no expression)."""
    failed: list[int] = []

    def f(v: int) -> int:
        w = g.value(v, small)
        if w is None:
            failed.append(v)
            return v
        return w

    out = ast.unparse(_IndexLiterals(f).visit(ast.parse(text)))
    return None if failed else out


def _callee(f: ast.expr) -> str:
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


# Calls whose arguments from this position on are sizes, offsets or strides (index literals):
# reshape / sliding-window shapes, strided(x, offset, shape, strides), array constructors' shapes
# (np.full's fill value excepted), np.broadcast_to's shape, np.arange's bounds.
_INDEX_ARGS_FROM = {"reshape": 0, "sliding_window_view": 0, "strided": 1, "zeros": 0, "ones": 0, "empty": 0,
                    "full": 0, "broadcast_to": 1, "arange": 0}


def _first_index_arg(f: ast.expr) -> int | None:
    return _INDEX_ARGS_FROM.get(_callee(f))


class _IndexLiterals(ast.NodeTransformer):
    def __init__(self, f: Any) -> None:
        self.f = f
        self.in_index = 0

    def visit_Subscript(self, node: ast.Subscript) -> ast.AST:  # noqa: N802
        node.value = self.visit(node.value)
        self.in_index += 1
        node.slice = self.visit(node.slice)
        self.in_index -= 1
        return node

    def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802
        node.func = self.visit(node.func)
        first = _first_index_arg(node.func)
        args = []
        for n, a in enumerate(node.args):
            is_index = first is not None and n >= first and not (_callee(node.func) == "full" and n > 0)
            self.in_index += is_index
            args.append(self.visit(a))
            self.in_index -= is_index
        node.args = args
        for k in node.keywords:
            is_index = k.arg == "shape"
            self.in_index += is_index
            k.value = self.visit(k.value)
            self.in_index -= is_index
        return node

    def visit_Constant(self, node: ast.Constant) -> ast.AST:  # noqa: N802
        if self.in_index and isinstance(node.value, int) and not isinstance(node.value, bool):
            return ast.Constant(self.f(node.value))
        return node


# ---------------------------------------------------------------- the differential test


def differential(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, trials: int, float_model: str = "ieee") -> Verdict:
    """The differential test of a proposal, on small instances when the nest has large static
    sizes (at the real size only where no faithful small instance passes and that is cheap)."""
    prog = TS.parse_program(text, decls_of(summary))
    cost = real_size_cost(summary)
    if cost > SHRINK_ALL_COST and needs_shrinking(fn, LOW_THRESHOLD):
        first = _on_instances(module, fn, summary, text, trials, float_model, LOW_THRESHOLD)
        if first.level is not None:
            first.details["threshold"] = LOW_THRESHOLD
            return first
    cheap = cost <= REAL_SIZE_BUDGET
    if not needs_shrinking(fn) and (cheap or math.isinf(cost)):  # small or dynamic: tested as it is
        return tested(module, fn, summary, prog, trials=trials, float_model=float_model)
    g = generalise(fn, index_literals(text)) if needs_shrinking(fn) else "no size above the threshold"
    failure: Verdict | None = None
    if isinstance(g, str) and needs_shrinking(fn):
        why = g
    else:
        small = (_test_instances(module, fn, summary, text, g, trials, float_model) if not isinstance(g, str)
                 else Verdict(None, g, details={"too_large": True}))
        if small.details.get("too_large"):
            # Relations with large offsets made the instances big: a family that keeps only small
            # offsets (the others become sizes of their own) still contains the real program; and
            # where the sizes are many moderate ones (a convolution), the moderate ones become bases.
            for threshold in ((THRESHOLD, LOW_THRESHOLD) if needs_shrinking(fn) else (LOW_THRESHOLD,)):
                g2 = generalise(fn, index_literals(text), SMALL_DELTA, threshold)
                if isinstance(g2, str):
                    continue
                small = _test_instances(module, fn, summary, text, g2, trials, float_model)
                if not small.details.get("too_large"):
                    break
        if small.level is not None:
            return small
        why, failure = small.reason, small if small.counterexample is not None else None
    if cheap or (not needs_shrinking(fn) and cost <= 20 * REAL_SIZE_BUDGET):
        v = tested(module, fn, summary, prog, trials=trials, float_model=float_model)
        v.details["real_size"] = True
        return v
    if failure is not None:
        return failure
    return Verdict(None, f"{why}; the nest is too large to test at its real size")


def _on_instances(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, trials: int, float_model: str,
                  threshold: int) -> Verdict:
    """The differential test on small instances of the family of the sizes from `threshold` on
    (with small offsets only if the first family's instances are too large)."""
    g = generalise(fn, index_literals(text), threshold=threshold)
    if isinstance(g, str):
        return Verdict(None, g)
    small = _test_instances(module, fn, summary, text, g, trials, float_model)
    if small.details.get("too_large"):
        g2 = generalise(fn, index_literals(text), SMALL_DELTA, threshold)
        if not isinstance(g2, str):
            small = _test_instances(module, fn, summary, text, g2, trials, float_model)
    return small


def _test_instances(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, g: Generalisation, trials: int,
                    float_model: str = "ieee") -> Verdict:
    names = [a.name for a in summary.args]
    done: list[dict[str, int]] = []
    for small in g.instances:
        at = {str(b): s for b, s in zip(g.bases, small, strict=True)}
        small_text = instance_program(text, g, small)
        if small_text is None:
            return Verdict(None, "a large index literal of the program is no expression of the static sizes")
        small_mod, small_fn = instance(module, fn, g, small)
        try:
            small_summary = analyse(small_fn, names)
            small_prog = TS.parse_program(small_text, decls_of(small_summary))
        except Refusal as e:
            return Verdict(None, f"the instance at sizes {at} is not analysable: {e.reason}")
        except TS.SpecError as e:
            return Verdict(None, f"the program at sizes {at} is not valid: {e.message}")
        if real_size_cost(small_summary) > REAL_SIZE_BUDGET:
            if done and g.threshold < THRESHOLD:
                break  # moderate sizes: the second, larger instance may not fit; the first one did
            return Verdict(None, f"the instance at sizes {at} is too large to interpret", details={"too_large": True})
        v = tested(small_mod, small_fn, small_summary, small_prog, trials=max(2, trials // len(g.instances)), float_model=float_model)
        if v.level is None:
            v.reason = f"{v.reason} (at the static sizes {at} instead of their real values)"
            if v.counterexample is not None:
                # The recorded outputs are of the small instance: not for pruning real programs.
                v.counterexample.expected_outputs, v.counterexample.expected_results = {}, []
            return v
        done.append(at)
    return Verdict("tested", details={"instances": done})


def real_size_cost(summary: Summary) -> float:
    """How many term leaves interpreting the original at its real sizes would evaluate, about."""
    total = 0.0
    for r in summary.records:
        n = 1.0
        for lv in r.domain:
            if not (lv.lb.is_const and lv.ub.is_const):
                return math.inf
            n *= max(1, len(range(lv.lb.const_value, lv.ub.const_value, lv.step)))
        total += n * unrolled_size(r.value, {})
    return total + sum(unrolled_size(t, {}) for t in summary.results)
