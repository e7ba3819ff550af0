"""Requantisation epilogues Gemmini computes at mvout, recognised in a linalg.generic.

Gemmini's mvout from the accumulator (gemmini.h's ACC_SCALE, then the activation, then saturation)
computes, per int32 value x and f32 scale s:

    sat8(relu?(sat32(roundeven(f32(x) * s))))

with the product rounded to f32 and the result rounded half to even (the default config's
`acc_scale_args`; sim/machine.py and include/gemmini_host.h implement the same). An element-wise
epilogue i32 -> i8 maps onto it only when it computes exactly that:

    fptosi(clamp(roundeven(mulf(sitofp(x), s)), lo, 127))    lo = -128, or 0 for ReLU
    trunci(clamp_int(x, lo, 127))                           (scale 1)

The clamps are any chain of maximumf/minimumf with integer constants, before or after the
rounding (they commute with it); maxnumf/minnumf too when the scale is a finite constant (they
differ from Gemmini only on NaN, which then cannot occur). A ReLU on x before the scaling equals
the hardware's scale-then-ReLU for a scale >= 0, so it is accepted with a constant scale only.
Anything else (other rounding, other bounds, f64 arithmetic, a division) gets a reason, and the
lowering keeps that epilogue on the host. Every match is also checked numerically against the
hardware formula on edge and rounding-boundary values, in case the rules above miss a case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import arith
from xdsl.dialects import math as xmath
from xdsl.dialects.builtin import Float32Type, FloatAttr, IntegerAttr, IntegerType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, BlockArgument, Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr

# Sample scales for epilogues whose scale is only known at run time.
_RUNTIME_SCALES = (1e-3, 0.37, -0.25, 1.0, 3.0, 7.62939453125e-06)


@dataclass(frozen=True)
class Requant:
    """An epilogue Gemmini computes at mvout: scale (a constant, or the f32 value `scale_value`
    known at run time), then ReLU if `relu`, then saturation to int8."""

    scale: float = 1.0
    scale_value: SSAValue | None = None
    relu: bool = False

    def describe(self) -> str:
        s = "run-time scale" if self.scale_value is not None else f"scale {self.scale:g}"
        return f"{s}{', ReLU' if self.relu else ''}, saturate to int8"


def _width(t: Any) -> int | None:
    return t.width.data if isinstance(t, IntegerType) else None


def _const(v: SSAValue) -> float | None:
    """The number an arith.constant defines (int or float), else None."""
    op = v.owner
    if isinstance(op, arith.ConstantOp):
        if isinstance(op.value, FloatAttr):
            return float(op.value.value.data)
        if isinstance(op.value, IntegerAttr):
            return float(op.value.value.data)
    return None


def _defined_outside(v: SSAValue, block: Block) -> bool:
    """v is not computed inside `block` (a function argument or a value from before the op)."""
    if isinstance(v, BlockArgument):
        return v.block is not block
    return v.owner.parent_block() is not block  # type: ignore[union-attr]


_CLAMPS = {"arith.maximumf": max, "arith.minimumf": min, "arith.maxnumf": max, "arith.minnumf": min,
           "arith.maxsi": max, "arith.minsi": min}


def _peel_clamps(v: SSAValue, chain: list[tuple[str, float]]) -> SSAValue:
    """Strip min/max-with-a-constant ops off v (outermost first into `chain`); the clamped value."""
    while True:
        op = v.owner
        if not isinstance(op, Operation) or op.name not in _CLAMPS or len(op.operands) != 2:
            return v
        a, b = op.operands
        ca, cb = _const(a), _const(b)
        if cb is not None and ca is None:
            chain.append((op.name, cb))
            v = a
        elif ca is not None and cb is None:
            chain.append((op.name, ca))
            v = b
        else:
            return v


def _clamp_bounds(chain: list[tuple[str, float]]) -> tuple[float, float]:
    """The chain (outermost first) applied to -inf and +inf: a composition of clamps is the clamp
    to those two values."""
    lo, hi = -math.inf, math.inf
    for name, c in reversed(chain):
        f = _CLAMPS[name]
        lo, hi = f(lo, c), f(hi, c)
    return lo, hi


def identity_elementwise(op: Operation) -> bool:
    """A linalg.generic with one input and one output, all loops parallel, identity maps."""
    if not isinstance(op, linalg.GenericOp) or len(op.inputs) != 1 or len(op.outputs) != 1:
        return False
    if any(str(it.data) != "parallel" for it in op.get_iterator_types().data):
        return False
    for m in op.get_indexing_maps().data:
        res = m.data.results
        if len(res) != m.data.num_dims or not all(isinstance(e, AffineDimExpr) and e.position == i
                                                  for i, e in enumerate(res)):
            return False
    return True


def match_bias_requant(op: Operation, broadcast_input: int | None = None) -> tuple[Requant | None, str]:
    """(the epilogue, '') when `op` is an element-wise generic of two i32 inputs to i8 whose body
    first adds its two inputs (a bias and a product: what the raising pass makes of a k-sum that
    starts from a bias) and then computes exactly Gemmini's mvout on the sum; else (None, why not).
    `broadcast_input`: that input's map may broadcast (the caller checks it: a conv's per-channel bias)."""
    if not isinstance(op, linalg.GenericOp) or len(op.inputs) != 2 or len(op.outputs) != 1:
        return None, "not an element-wise op of two inputs"
    if any(str(it.data) != "parallel" for it in op.get_iterator_types().data):
        return None, "not element-wise"
    for i, m in enumerate(op.get_indexing_maps().data):
        if i == broadcast_input:
            continue
        res = m.data.results
        if len(res) != m.data.num_dims or not all(isinstance(e, AffineDimExpr) and e.position == i
                                                  for i, e in enumerate(res)):
            return None, "not element-wise"
    block = op.body.block
    a0, a1, out = block.args
    if _width(a0.type) != 32 or _width(a1.type) != 32 or _width(out.type) != 8 or out.uses:
        return None, "not an i32 + i32 -> i8 epilogue"
    first = block.first_op
    if (not isinstance(first, arith.AddiOp) or {first.lhs, first.rhs} != {a0, a1}
            or len(list(a0.uses)) != 1 or len(list(a1.uses)) != 1):
        return None, "the body does not start by adding its two inputs"
    last = block.last_op
    if not isinstance(last, linalg.YieldOp) or len(last.operands) != 1:
        return None, "unexpected body"
    req, why = _match_structure(block, first.result, last.operands[0])
    if req is None:
        return None, why
    bad = _numeric_mismatch(block, first.result, req)
    if bad:
        return None, bad
    return req, ""


def match_requant(op: Operation) -> tuple[Requant | None, str]:
    """(the epilogue, '') when `op` computes exactly what Gemmini's mvout does from an i32 value,
    else (None, why not). `op` must be an element-wise generic i32 -> i8 (see identity_elementwise)."""
    if not identity_elementwise(op):
        return None, "not an element-wise op of one input"
    assert isinstance(op, linalg.GenericOp)
    block = op.body.block
    x, out = block.args
    if _width(x.type) != 32 or _width(out.type) != 8:
        return None, "not an i32 -> i8 epilogue"
    if out.uses:
        return None, "the epilogue reads its output"
    last = block.last_op
    if not isinstance(last, linalg.YieldOp) or len(last.operands) != 1:
        return None, "unexpected body"
    req, why = _match_structure(block, x, last.operands[0])
    if req is None:
        return None, why
    bad = _numeric_mismatch(block, x, req)
    if bad:
        return None, bad
    return req, ""


def _match_structure(block: Block, x: SSAValue, y: SSAValue) -> tuple[Requant | None, str]:
    conv = y.owner
    chain: list[tuple[str, float]] = []
    if isinstance(conv, arith.TruncIOp):
        # Integer path: trunci(clamp_int(x)): Gemmini with scale 1.
        inner = _peel_clamps(conv.input, chain)
        if inner is not x or any(not n.endswith("si") for n, _ in chain):
            return None, "the int32 -> int8 conversion is not a saturation of the accumulator value"
        return _bounds_to_requant(chain, Requant())
    if not isinstance(conv, arith.FPToSIOp):
        return None, f"the int8 result comes from '{getattr(conv, 'name', 'an argument')}', not a float->int8 conversion"
    v = _peel_clamps(conv.input, chain)
    rnd = v.owner
    if not isinstance(rnd, xmath.RoundEvenOp):
        name = getattr(rnd, "name", "")
        if name == "math.round":
            return None, "it rounds halves away from zero (math.round); Gemmini's accumulator scale rounds half to even"
        if name in ("math.floor", "math.ceil", "math.trunc"):
            return None, f"it rounds with {name}; Gemmini's accumulator scale rounds half to even"
        return None, "it converts without rounding (fptosi truncates toward zero); Gemmini rounds half to even"
    v = _peel_clamps(rnd.operand, chain)
    if not isinstance(v.type, Float32Type):
        return None, f"it scales in {v.type}; Gemmini scales in f32"
    mul = v.owner
    scale_val: SSAValue | None = None
    scale = 1.0
    if isinstance(mul, arith.MulfOp):
        a, b = mul.lhs, mul.rhs
        if isinstance(b.owner, arith.SIToFPOp) and not isinstance(a.owner, arith.SIToFPOp):
            a, b = b, a
        conv_in = a.owner
        if not isinstance(conv_in, arith.SIToFPOp):
            return None, "the scaled value is not the accumulator value converted with sitofp"
        c = _const(b)
        if c is not None:
            scale = c
        elif _defined_outside(b, block):
            scale_val = b
        else:
            return None, "the scale is computed per element; Gemmini's accumulator scale is one value"
        src = conv_in.input
    elif isinstance(mul, arith.SIToFPOp):
        src = mul.input
    elif isinstance(mul, arith.DivfOp):
        return None, "it divides by the scale; Gemmini multiplies (x / c and x * (1/c) round differently)"
    else:
        return None, "the rounded value is not a scaled accumulator value"
    pre: list[tuple[str, float]] = []
    src = _peel_clamps(src, pre)
    if src is not x:
        return None, "the epilogue's input goes through operations other than a ReLU before scaling"
    if any(n in ("arith.maxnumf", "arith.minnumf") for n, _ in chain) and (scale_val is not None or not math.isfinite(scale)):
        return None, ("maxnumf/minnumf map NaN (from a non-finite run-time scale) to a bound; "
                      "Gemmini's saturation does not")
    relu_pre = False
    if pre:
        if _clamp_bounds(pre) != (0.0, math.inf):
            return None, "it clamps the int32 value before scaling; Gemmini only scales, applies ReLU, saturates"
        if scale_val is not None:
            return None, "a ReLU before a run-time scale equals Gemmini's scale-then-ReLU only for scales >= 0"
        if scale < 0:
            return None, "a ReLU before a negative scale is not Gemmini's scale-then-ReLU"
        relu_pre = True
    req = Requant(scale=scale, scale_value=scale_val)
    return _bounds_to_requant(chain, req, relu_pre)


def _bounds_to_requant(chain: list[tuple[str, float]], req: Requant, relu_pre: bool = False) -> tuple[Requant | None, str]:
    lo, hi = _clamp_bounds(chain)
    if relu_pre and lo <= 0:
        lo = 0.0  # values are >= 0 already; a lower clamp at or below 0 changes nothing
    if any(not float(c).is_integer() for _, c in chain):
        return None, "it clamps to a non-integer bound"
    if hi != 127 or lo not in (-128, 0):
        return None, (f"it clamps to [{_fmt(lo)}, {_fmt(hi)}]; Gemmini saturates to [-128, 127] "
                      "([0, 127] with ReLU)")
    return Requant(req.scale, req.scale_value, relu=lo == 0), ""


def _fmt(v: float) -> str:
    return str(int(v)) if math.isfinite(v) and v.is_integer() else str(v)


# ------------------------------------------------------------------------- numeric check --
def hardware(x: np.ndarray[Any, Any], scale: float, relu: bool) -> np.ndarray[Any, Any]:
    """Gemmini's mvout of int32 accumulator values (sim/machine.py's formula)."""
    from liftcomp.targets.gemmini.sim.machine import saturate, scale_round

    y = x.astype(np.int32)
    if scale != 1.0:
        y = saturate(scale_round(y, scale), np.int32)
    if relu:
        y = np.maximum(y, 0)
    return saturate(np.asarray(y), np.int8).astype(np.int64)


def _samples(scale: float) -> np.ndarray[Any, Any]:
    """Edge values and the integers around each rounding boundary (k + 0.5) / scale for |k| <= 130."""
    base = [0, 1, -1, 2, -2, 127, 128, -128, -129, 255, 256, 2**24 - 1, 2**24, 2**24 + 1, -(2**24) - 1,
            2**31 - 1, -(2**31), 2**31 - 2, -(2**31) + 1]
    rng = np.random.default_rng(0)
    vals = list(base) + list(rng.integers(-(2**31), 2**31 - 1, size=200, endpoint=True))
    if scale != 0 and math.isfinite(scale):
        for k in range(-130, 131):
            centre = (k + 0.5) / scale
            if abs(centre) < 2**31 - 4:
                c = int(round(centre))
                vals.extend((c - 1, c, c + 1))
    return np.array(vals, dtype=np.int64)


def _numeric_mismatch(block: Block, x: SSAValue, req: Requant) -> str:
    from liftcomp.diagnostics import LiftcompError
    from liftcomp.reference import eval_scalar_op

    scales = [req.scale] if req.scale_value is None else list(_RUNTIME_SCALES)
    for s in scales:
        xs = _samples(s)
        env: dict[SSAValue, Any] = {x: xs}
        if req.scale_value is not None:
            env[req.scale_value] = np.asarray(s, dtype=np.float32)
        got: Any = None
        try:
            with np.errstate(all="ignore"):
                for op in block.ops:
                    if isinstance(op, linalg.YieldOp):
                        got = env[op.operands[0]]
                        break
                    if op.results and all(r in env for r in op.results):
                        continue  # the sum a bias epilogue starts from (match_bias_requant)
                    for v in op.operands:
                        if v not in env and isinstance(v.owner, arith.ConstantOp):
                            eval_scalar_op(v.owner, env)
                    eval_scalar_op(op, env)
        except (LiftcompError, KeyError) as e:
            return f"its body could not be checked numerically ({e})"
        want = hardware(xs, float(np.float32(s)), req.relu)
        got_arr = np.broadcast_to(np.asarray(got, dtype=np.int64), xs.shape)
        bad = np.nonzero(got_arr != want)[0]
        if bad.size:
            i = int(bad[0])
            return (f"it differs from Gemmini's scale/ReLU/saturation at x = {int(xs[i])} (scale {s:g}): "
                    f"{int(got_arr[i])} instead of {int(want[i])}")
    return ""
