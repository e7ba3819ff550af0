"""The float model of a raised reduction, as the raised IR records it and every target reads it.

A proof under the default model (docs/LIFTING.md, "Float semantics") shows a float sum equal to
its loop nest in the loop's order, each step rounded, no fused multiply-add. The raising writes
what the proof allowed on every linalg op with float arithmetic (reductions: generic, reduce,
matmul, dot, conv, ...; element-wise generics, where contraction matters), as the discardable
attribute

    liftcomp.fastmath = #arith.fastmath<none>              (IEEE: loop order, no contraction)
    liftcomp.fastmath = #arith.fastmath<reassoc,contract>  (the source or the user allowed both)

and, where there are any flags, also as `fastmath<...>` on the float ops of the op's body (what
upstream's own lowering to LLVM honours; named ops have no body in the IR text, hence the
attribute). Targets ask `keeps_order(op)`: a float sum with a record that lacks `reassoc` (or a
sum of products whose record lacks `contract`: an fma or a tensor core adds exact products) must
run in the loop's order, each step rounded (CUDA: one thread per output element, `__fadd_rn`/`__fmul_rn`; NKI:
left on the host; Gemmini computes floats on the host only), and `may_contract(op)`: an op
without `contract` must not fuse a multiply into an add (CUDA: -fmad=false; NKI: no multiply-add
folded into ScalarE's activation).
An op without the attribute was not raised (tensor-level input): no proof fixed its order, and
targets lower it as before (linalg does not specify the order of a reduction).
"""

from __future__ import annotations

from collections.abc import Iterable

from xdsl.dialects.arith import FastMathFlagsAttr
from xdsl.dialects.builtin import AnyFloat, ContainerType
from xdsl.dialects.utils import FastMathFlag
from xdsl.ir import Attribute, Operation

ATTR = "liftcomp.fastmath"
# The flags that change the order of a reduction's operations (what a target may do with it).
ORDER_FLAGS = frozenset({"reassoc", "contract"})
# What the user's whole-function float model promised of every value (no NaN, no infinity, zero
# signs insignificant): recorded as well, on the body ops, so that a target need not keep NaN or
# a zero's sign either (e.g. fmaxf for maximumf, a ReLU fused into an epilogue).
VALUE_FLAGS = frozenset({"nnan", "ninf", "nsz"})
# Combiners whose result does not depend on the order of the operands (IEEE maximum / minimum:
# NaN wins, -0.0 < +0.0), so reordering them is exact.
_ANY_ORDER = {"arith.maximumf", "arith.minimumf"}
# What a user adds to let the targets reorder an IEEE-proved sum.
HOW_TO_ALLOW = ("add fastmath<reassoc,contract> (or fastmath<fast>) to the source's float ops, "
                "or compile with --float-model fast")


def _element(t: Attribute) -> Attribute:
    return t.get_element_type() if isinstance(t, ContainerType) else t


def reduces_floats(op: Operation) -> bool:
    """A linalg op with a reduction loop (named or generic) whose result is a float."""
    iterators = getattr(op, "get_iterator_types", None)
    if not op.name.startswith("linalg.") or iterators is None:
        return False
    if not any(str(i.data) == "reduction" for i in iterators().data):
        return False
    return any(isinstance(_element(r.type), AnyFloat) for r in op.results) or \
        any(isinstance(_element(v.type), AnyFloat) for v in getattr(op, "outputs", ()))


def order_sensitive(op: Operation) -> bool:
    """A float reduction whose value depends on the order of its steps (a sum, a product, a
    select-based max): everything but a maximumf / minimumf combiner."""
    if not reduces_floats(op):
        return False
    if not op.regions or not op.regions[0].blocks:
        return True
    y = op.regions[0].block.last_op
    if y is None:
        return True
    return any(not isinstance(v.owner, Operation) or v.owner.name not in _ANY_ORDER for v in y.operands)


def record(op: Operation) -> frozenset[str] | None:
    """The order flags the raising recorded on op; None where it recorded nothing (not raised)."""
    attr = op.attributes.get(ATTR)
    if not isinstance(attr, FastMathFlagsAttr):
        return None
    return frozenset(str(f.value) for f in attr.data) & ORDER_FLAGS


def keeps_order(op: Operation) -> bool:
    """op must run its float reduction as the loop does: in the loop's order (its record lacks
    `reassoc`), or, for a sum of products whose record lacks `contract`, with each product rounded
    before it is added (no fma, no tensor core: those add exact products). Targets run such an op
    in the loop's order with every step rounded, or not at all."""
    flags = record(op)
    if flags is None or not order_sensitive(op):
        return False
    return "reassoc" not in flags or ("contract" not in flags and _has_product(op))


def _has_product(op: Operation) -> bool:
    return any(o.name == "arith.mulf" for r in op.regions for o in r.walk())


def may_contract(op: Operation) -> bool:
    """A multiply may be fused into op's add (fma): recorded `contract`, or no record."""
    flags = record(op)
    return flags is None or "contract" in flags


def ordered_ops(root: Operation) -> list[Operation]:
    """The ops under root that keep_order."""
    return [op for op in root.walk() if keeps_order(op)]


def checks_bits(root: Operation) -> bool:
    """A function whose order-sensitive float reductions all keep the loop's order (at least one):
    what a target computes for it must equal the loop nest bit for bit."""
    sensitive = [op for op in root.walk() if order_sensitive(op)]
    return bool(sensitive) and all(keeps_order(op) for op in sensitive)


def remark(op: Operation) -> str:
    """Why an op stays in the loop's order, and how to allow the fast path."""
    flags = record(op) or frozenset()
    why = "no fastmath<reassoc> on it" if "reassoc" not in flags else "products rounded: no fastmath<contract> on it"
    return (f"{op.name}: a float reduction proved in the loop's order (IEEE: {why}), "
            f"which this target cannot keep; to allow reordering, {HOW_TO_ALLOW}")


def computes_floats(op: Operation) -> bool:
    """A linalg op whose body has float arithmetic (a reduction, or an element-wise op where a
    multiply and an add could be fused)."""
    if not op.name.startswith("linalg.") or not op.regions:
        return False
    return reduces_floats(op) or any(isinstance(o.properties.get("fastmath"), FastMathFlagsAttr)
                                     for r in op.regions for o in r.walk())


def stamp(root: Operation, flags: Iterable[str]) -> None:
    """Record `flags` (their reassoc / contract, and nnan / ninf / nsz) on every linalg op with
    float arithmetic under root (the raising): what its proof allows."""
    kept = sorted(frozenset(flags) & (ORDER_FLAGS | VALUE_FLAGS))
    attr = FastMathFlagsAttr([FastMathFlag(f) for f in kept] if kept else "none")
    for op in root.walk():
        if not computes_floats(op):
            continue
        op.attributes[ATTR] = attr
        if not kept or op.name not in ("linalg.generic", "linalg.reduce"):
            continue  # a named op's body is implied by its name (the text has none to flag)
        for body_op in (o for r in op.regions for o in r.walk()):
            old = body_op.properties.get("fastmath")
            if isinstance(old, FastMathFlagsAttr):
                body_op.properties["fastmath"] = FastMathFlagsAttr(set(old.data) | {FastMathFlag(f) for f in kept})


def copy_record(src: Operation, dst: Operation) -> None:
    """Keep src's record on the op that replaces it (a named op generalised into a generic)."""
    attr = src.attributes.get(ATTR)
    if attr is not None:
        dst.attributes[ATTR] = attr
