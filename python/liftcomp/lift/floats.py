"""The float semantics of proofs and checks (docs/LIFTING.md, "The semantic model of proofs").

By default a proof holds for IEEE-754 binary16/32/64 as MLIR's arith and math ops define them:
NaN, infinities, signed zeros, round-to-nearest-even after every op, reductions in the loop's
order. Relaxations are LLVM's fast-math flags, from the source's own `fastmath<...>` attributes or
from the user (`--float-model`, like a C compiler's `-ffast-math` / `-fno-signed-zeros`):

- nnan: no value of the loop nest is NaN (a NaN operand or result makes the source poison);
- ninf: likewise for infinities;
- nsz: the sign of a zero is insignificant (outputs are compared with -0.0 == +0.0, and select-based
  max/min reductions equal IEEE maximum/minimum once NaN is excluded too);
- reassoc, contract: reassociation and contraction. Together with the three above (`fast`) proofs
  use real-number arithmetic (exact + - * /, conversions exact, math functions uninterpreted),
  where every algebraic identity of the reals holds. On their own they change nothing: no exact
  model of reassociation short of the reals exists, so a reassociated program needs `fast`.

A float model is written as `ieee` (no flag), `fast` (all five; `real` is an older name of it) or
a list of flags separated by commas or '+' (`nnan,nsz`; `nnan+nsz` in a pass option).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from liftcomp.reference.ieee import maximumf as maximumf
from liftcomp.reference.ieee import minimumf as minimumf

FLAGS = ("nnan", "ninf", "nsz", "reassoc", "contract")
FAST = frozenset(FLAGS)
CHOICES = ("ieee", "fast", "real", *FLAGS)


class FloatModelError(ValueError):
    pass


def parse(model: str) -> frozenset[str]:
    """The flags of a float model (`ieee`, `fast`, `real` or a comma-separated list of flags)."""
    text = model.strip().removeprefix("small:")  # smt.Encoder's reduced-precision hint
    if text in ("", "ieee"):
        return frozenset()
    if text in ("fast", "real"):
        return FAST
    flags = {f.strip() for f in text.replace("+", ",").split(",")}
    bad = sorted(f for f in flags if f not in FLAGS and f != "fast")
    if bad:
        raise FloatModelError(f"unknown float model or flag '{bad[0]}' (use ieee, fast, or a comma-separated list of {', '.join(FLAGS)})")
    if "fast" in flags:
        return FAST
    return frozenset(flags)


def name(flags: frozenset[str]) -> str:
    """The canonical spelling of a flag set (what parse() reads back)."""
    if not flags:
        return "ieee"
    if FAST <= flags:
        return "fast"
    return ",".join(f for f in FLAGS if f in flags)


def is_real(model: str) -> bool:
    """Proofs in real-number arithmetic (all five flags)."""
    return FAST <= parse(model)


def has(model: str, flag: str) -> bool:
    return flag in parse(model)


def join(model: str, flags: frozenset[str]) -> str:
    return name(parse(model) | flags)


def describe(model: str, per_op: dict[str, frozenset[str]] | None = None) -> str:
    """What a proof under this model assumed about floats (for reports), with the source ops'
    own flags that the proof used where they were (per_op: flagged_ops)."""
    text = _describe(model)
    if per_op and not FAST <= parse(model):
        ops = "; ".join(f"{name} {name_of(f)}" for name, f in sorted(per_op.items()))
        text += f"; per op, the source's own fastmath flags: {ops}"
    return text


def name_of(flags: frozenset[str]) -> str:
    """Flags as the source writes them (`nnan,nsz`), `fast` for all five."""
    return "fast" if FAST <= flags else ",".join(f for f in FLAGS if f in flags)


def _describe(model: str) -> str:
    flags = parse(model)
    if FAST <= flags:
        return "fast: real-number arithmetic (reassociation, contraction, no NaN, no infinities, signed zeros insignificant)"
    if not flags:
        return "ieee: IEEE-754 as arith/math define it (NaN, infinities, signed zeros, rounding after every op, loop order)"
    parts = {"nnan": "no NaN", "ninf": "no infinities", "nsz": "signed zeros insignificant",
             "reassoc": "reassoc (global: no effect without fast)", "contract": "contract (no effect without fast)"}
    return f"{name(flags)}: IEEE-754 with " + ", ".join(parts[f] for f in FLAGS if f in flags)


# MLIR's arith.fastmath flags (#arith.fastmath<...>) and the subset a proof can use.
_MLIR_FLAGS = {"nnan": "nnan", "ninf": "ninf", "nsz": "nsz", "reassoc": "reassoc", "contract": "contract"}


def op_flags(op: Any) -> frozenset[str] | None:
    """The fast-math flags an arith/math op carries (`fastmath = #arith.fastmath<...>`); None for an
    op that has no fastmath attribute at all (integer ops, casts, loads)."""
    attr = op.properties.get("fastmath") or op.attributes.get("fastmath")
    if attr is None:
        return None
    data = getattr(attr, "data", None)
    names: set[str] = set()
    if data is not None and not isinstance(data, str):
        names = {str(getattr(f, "value", f)) for f in data}
    else:
        text = str(attr)
        names = {t.strip(" <>\"") for t in text.split("<", 1)[-1].split(",")}
    if "fast" in names:
        return FAST
    return frozenset(_MLIR_FLAGS[n] for n in names if n in _MLIR_FLAGS)


def source_flags(fn: Any) -> frozenset[str]:
    """`fast` when every float op of fn (every op with a `fastmath` attribute) carries all five
    flags (the proof then uses real-number arithmetic, as under --float-model fast); else none:
    the proof reads each op's own flags from its term (terms.Op.flags)."""
    every = [f for f in (op_flags(op) for op in fn.walk() if op.name.startswith(("arith.", "math."))) if f is not None]
    return FAST if every and all(FAST <= f for f in every) else frozenset()


def flagged_ops(fn: Any) -> dict[str, frozenset[str]]:
    """The flags of fn's ops that carry some, by op name joined over the ops of that name
    (`arith.maximumf` -> {nnan}); for the report."""
    out: dict[str, frozenset[str]] = {}
    for op in fn.walk():
        f = op_flags(op)
        if f:
            out[op.name] = out.get(op.name, frozenset()) | f
    return out


def check_flags(fn: Any, reordered: bool) -> frozenset[str]:
    """The flags the concrete checks (differential test, confirmation of refutations) use: every
    nnan / ninf / nsz some op of fn carries. A flagged op's NaN / infinity / zero sign may be
    poison or either sign, which the reference executor does not track per op, so the check is
    that much weaker there; where the loop nest has a sum or product that `reassoc` lets the
    proof reorder (`reordered`) it compares within the `fast` tolerance (raising.check_candidate
    tries the bit-for-bit check first). (The proof and the bounded check use each op's own flags
    exactly.)"""
    union = frozenset().union(*flagged_ops(fn).values()) if flagged_ops(fn) else frozenset()
    return FAST if reordered else union & {"nnan", "ninf", "nsz"}


# ---------------------------------------------------------------- numpy semantics of arith's float ops


def same(a: Any, b: Any, nsz: bool = False) -> Any:
    """Element-wise: equal as the machine's values are (bit for bit, any NaN equal to any NaN;
    with nsz -0.0 equal to +0.0)."""
    a, b = np.asarray(a), np.asarray(b)
    nan = np.isnan(a) & np.isnan(b)
    eq = a == b
    if not nsz:
        eq = eq & (np.signbit(a) == np.signbit(b))
    return eq | nan


def dangerous_values(dt: np.dtype[Any], flags: frozenset[str]) -> np.ndarray[Any, Any]:
    """The values a special input set puts first in every float array: NaN, infinities (as the
    model admits them), both zeros and the largest finite values."""
    big = float(np.finfo(dt).max)
    vals = [-0.0, 0.0, big, -big]
    if "nnan" not in flags:
        vals.append(float("nan"))
    if "ninf" not in flags:
        vals += [float("inf"), float("-inf")]
    return np.array(vals, dtype=dt)


def special_values(dt: np.dtype[Any], flags: frozenset[str]) -> np.ndarray[Any, Any]:
    """Values a float differential test mixes in: NaN, infinities (unless the model excludes
    them), signed zeros, the smallest denormals, the largest finite values and large values that
    cancel (1e8 and -1e8 next to 1: a reassociated sum differs)."""
    info = np.finfo(dt)
    big = float(info.max)
    vals = [0.0, -0.0, 1.0, -1.0, float(info.smallest_subnormal), -float(info.smallest_subnormal), big, -big, 0.75 * big, -0.75 * big,
            0.5 * big, 1e8 if dt.itemsize >= 4 else 1e4, -1e8 if dt.itemsize >= 4 else -1e4, 0.5, 3.0]
    if "nnan" not in flags:
        vals.append(float("nan"))
    if "ninf" not in flags:
        vals += [float("inf"), float("-inf")]
    return np.array(vals, dtype=dt)
