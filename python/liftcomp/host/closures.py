"""Compile a function of host IR (func / scf / arith / memref / math) into Python closures, with
hooks for a target's own ops and for charging host work to the target's timing model.

Each op becomes a closure over a register list, so host code (loops and address arithmetic)
costs well under a microsecond per op. A target's simulator subclasses `HostProgram`:
`target_op(op)` returns the step of one of its ops (None: not its op), `is_target_op(op)` keeps
its ops out of the host op count, and `charge(cycles)` receives host work: `host_op_cycles` per
executed op and `host_loop_cycles` per loop iteration.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from liftcomp.diagnostics import LiftcompError

Regs = list[Any]
Step = Callable[[Regs], None]


class HostError(LiftcompError):
    """The program did something its semantics forbid or leave undefined (a target's simulator
    reports its own errors with this class too, e.g. Gemmini's SimError)."""


SimError = HostError  # the name the closures below raise


def dtype_of(t: Attribute) -> np.dtype[Any]:
    if isinstance(t, IntegerType):
        w = t.width.data
        if w not in (8, 16, 32, 64):
            raise SimError(f"unsupported element type i{w}")
        return np.dtype(f"i{w // 8}")
    if isinstance(t, IndexType):
        return np.dtype(np.int64)
    if isinstance(t, Float32Type):
        return np.dtype(np.float32)
    if isinstance(t, Float64Type):
        return np.dtype(np.float64)
    raise SimError(f"unsupported element type {t}")


class _Return(Exception):
    def __init__(self, values: list[Any]):
        self.values = values


def _width(t: Any) -> int | None:
    if isinstance(t, IntegerType):
        return t.width.data
    return None


def _wrap(w: int | None) -> Callable[[int], Any]:
    if w is None:
        return lambda x: x
    if w == 1:
        return lambda x: x & 1
    half = 1 << (w - 1)
    mask = (1 << w) - 1
    return lambda x: ((x + half) & mask) - half


def _unsigned(w: int | None) -> Callable[[int], int]:
    if w is None:
        return lambda x: x
    mask = (1 << w) - 1
    return lambda x: x & mask


def _div_trunc(a: int, b: int) -> int:
    if b == 0:
        raise SimError("integer division by zero on the host")
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _shift_amount(b: int) -> bool:
    """True for a shift amount Python can apply; a negative one (>= the width as unsigned) is
    poison in MLIR: an error of the program, not of the simulator."""
    if b < 0:
        raise SimError(f"shift by {b} (as unsigned, at least the bit width): undefined in MLIR")
    return True


_BIN_INT: dict[type[Operation], Callable[[int, int], int]] = {
    arith.AddiOp: lambda a, b: a + b,
    arith.SubiOp: lambda a, b: a - b,
    arith.MuliOp: lambda a, b: a * b,
    arith.DivSIOp: _div_trunc,
    arith.RemSIOp: lambda a, b: a - _div_trunc(a, b) * b,
    arith.MinSIOp: min,
    arith.MaxSIOp: max,
    arith.AndIOp: lambda a, b: a & b,
    arith.OrIOp: lambda a, b: a | b,
    arith.XOrIOp: lambda a, b: a ^ b,
    arith.ShLIOp: lambda a, b: _shift_amount(b) and a << b,
    arith.ShRSIOp: lambda a, b: _shift_amount(b) and a >> b,
    arith.FloorDivSIOp: lambda a, b: a // b if b else _div_trunc(a, b),
    arith.CeilDivSIOp: lambda a, b: -((-a) // b) if b else _div_trunc(a, b),
}
_BIN_UINT: dict[type[Operation], Callable[[int, int], int]] = {
    arith.DivUIOp: lambda a, b: a // b if b else _div_trunc(a, b),
    arith.RemUIOp: lambda a, b: a % b if b else _div_trunc(a, b),
    arith.MinUIOp: min,
    arith.MaxUIOp: max,
    arith.ShRUIOp: lambda a, b: a >> b,
}
_BIN_FLOAT: dict[type[Operation], Callable[[Any, Any], Any]] = {
    arith.AddfOp: lambda a, b: a + b,
    arith.SubfOp: lambda a, b: a - b,
    arith.MulfOp: lambda a, b: a * b,
    arith.DivfOp: lambda a, b: a / b,
}
_CMP = {
    0: lambda a, b: a == b,
    1: lambda a, b: a != b,
    2: lambda a, b: a < b,
    3: lambda a, b: a <= b,
    4: lambda a, b: a > b,
    5: lambda a, b: a >= b,
}
_CMP_UNSIGNED = {6: 2, 7: 3, 8: 4, 9: 5}


def _round_half_away(x: Any) -> Any:
    """math.round: to nearest, halves away from zero (x - trunc(x) is exact in floating point)."""
    r = np.trunc(x)
    return r + np.sign(x) if np.abs(x - r) >= 0.5 else r


# arith.maximumf / minimumf give NaN if either operand is NaN, as np.maximum / np.minimum do;
# maxnumf / minnumf give the number, as np.fmax / np.fmin do.
_FLOAT_MINMAX: dict[str, Callable[[Any, Any], Any]] = {
    "arith.maximumf": np.maximum,
    "arith.minimumf": np.minimum,
    "arith.maxnumf": np.fmax,
    "arith.minnumf": np.fmin,
}
_FLOAT_UNARY: dict[str, Callable[[Any], Any]] = {
    "math.roundeven": np.rint,  # half to even
    "math.round": _round_half_away,
    "math.floor": np.floor,
    "math.ceil": np.ceil,
    "math.trunc": np.trunc,
    "math.absf": np.abs,
    "arith.negf": np.negative,
    "math.exp": np.exp,
    "math.exp2": np.exp2,
    "math.log": np.log,
    "math.log2": np.log2,
    "math.log10": np.log10,
    "math.sqrt": np.sqrt,
    "math.tanh": np.tanh,
    "math.sin": np.sin,
    "math.cos": np.cos,
}
# arith.cmpf predicates (0 false .. 15 true): ordered ones are false on NaN, unordered ones true.
_CMPF: dict[int, Callable[[Any, Any], bool]] = {
    0: lambda a, b: False,
    1: lambda a, b: a == b, 2: lambda a, b: a > b, 3: lambda a, b: a >= b, 4: lambda a, b: a < b,
    5: lambda a, b: a <= b, 6: lambda a, b: a < b or a > b, 7: lambda a, b: a == a and b == b,
    8: lambda a, b: not (a < b or a > b), 9: lambda a, b: not a <= b, 10: lambda a, b: not a < b,
    11: lambda a, b: not a >= b, 12: lambda a, b: not a > b, 13: lambda a, b: a != b,
    14: lambda a, b: a != a or b != b, 15: lambda a, b: True,
}


class HostProgram:
    """A func.func ready to run (see the module docstring for the hooks)."""

    host_op_cycles: int = 0
    host_loop_cycles: int = 0

    def __init__(self, fn: func.FuncOp):
        self.fn = fn
        self.slots: dict[SSAValue, int] = {}
        block = fn.body.block
        for a in block.args:
            self._slot(a)
        self.body = self._block(block)
        self.n_regs = len(self.slots)

    def _slot(self, v: SSAValue) -> int:
        s = self.slots.get(v)
        if s is None:
            s = len(self.slots)
            self.slots[v] = s
        return s

    def run(self, args: list[Any]) -> list[Any]:
        regs: Regs = [None] * max(len(self.slots), 1)
        regs[: len(args)] = args
        try:
            self.body(regs)
        except _Return as r:
            return r.values
        return []

    # -------------------------------------------------------------------------------- hooks --
    def charge(self, cycles: int) -> None:
        """Host work done (cycles), for the target's timing model."""

    def is_target_op(self, op: Operation) -> bool:
        return False

    def target_op(self, op: Operation) -> Step | None:
        return None

    # ------------------------------------------------------------------------------- blocks --
    def _block(self, block: Block) -> Step:
        steps: list[Step] = []
        host_ops = 0
        for op in block.ops:
            if isinstance(op, scf.YieldOp):
                continue
            steps.append(self._op(op))
            if not isinstance(op, (arith.ConstantOp, scf.ForOp, scf.IfOp)) and not self.is_target_op(op):
                host_ops += 1
        cost = host_ops * self.host_op_cycles
        charge = self.charge
        steps_t = tuple(steps)

        def run_block(regs: Regs) -> None:
            if cost:
                charge(cost)
            for s in steps_t:
                s(regs)

        return run_block

    def _yield_slots(self, block: Block) -> list[int]:
        last = block.last_op
        if isinstance(last, scf.YieldOp):
            return [self._slot(v) for v in last.operands]
        return []

    # ------------------------------------------------------------------------------- ops --
    def _op(self, op: Operation) -> Step:  # noqa: C901 (one dispatch table)
        S = self._slot
        if isinstance(op, arith.ConstantOp):
            o = S(op.result)
            attr = op.value
            if isinstance(attr, IntegerAttr):
                val: Any = _wrap(_width(op.result.type))(attr.value.data)
            elif isinstance(attr, FloatAttr):
                val = np.float32(attr.value.data) if _fbits(op.result.type) == 32 else np.float64(attr.value.data)
            else:
                raise SimError(f"the simulator cannot run constant {attr}")

            def const(regs: Regs) -> None:
                regs[o] = val

            return const
        t = type(op)
        if t in _BIN_INT or t in _BIN_UINT:
            a, b, o = S(op.operands[0]), S(op.operands[1]), S(op.results[0])
            w = _width(op.results[0].type)
            wrap = _wrap(w)
            if t in _BIN_INT:
                f = _BIN_INT[t]
                if w is None:

                    def bin_index(regs: Regs) -> None:
                        regs[o] = f(regs[a], regs[b])

                    return bin_index

                def bin_int(regs: Regs) -> None:
                    regs[o] = wrap(f(regs[a], regs[b]))

                return bin_int
            fu = _BIN_UINT[t]
            uns = _unsigned(w)

            def bin_uint(regs: Regs) -> None:
                regs[o] = wrap(fu(uns(regs[a]), uns(regs[b])))

            return bin_uint
        if t in _BIN_FLOAT:
            a, b, o = S(op.operands[0]), S(op.operands[1]), S(op.results[0])
            ff = _BIN_FLOAT[t]

            def bin_float(regs: Regs) -> None:
                regs[o] = ff(regs[a], regs[b])

            return bin_float
        float_step = self._float_op(op)
        if float_step is not None:
            return float_step
        if isinstance(op, arith.CmpiOp):
            a, b, o = S(op.lhs), S(op.rhs), S(op.result)
            pred = op.predicate.value.data
            w = _width(op.lhs.type)
            if pred in _CMP_UNSIGNED:
                cmp = _CMP[_CMP_UNSIGNED[pred]]
                uns = _unsigned(w)

                def cmpu(regs: Regs) -> None:
                    regs[o] = int(cmp(uns(regs[a]), uns(regs[b])))

                return cmpu
            cmp = _CMP[pred]

            def cmps(regs: Regs) -> None:
                regs[o] = int(cmp(regs[a], regs[b]))

            return cmps
        if isinstance(op, arith.CmpfOp):
            a, b, o = S(op.lhs), S(op.rhs), S(op.result)
            cmpf = _CMPF[op.predicate.value.data]

            def cmpf_step(regs: Regs) -> None:
                regs[o] = int(cmpf(regs[a], regs[b]))

            return cmpf_step
        if isinstance(op, arith.SelectOp):
            c, a, b, o = S(op.cond), S(op.lhs), S(op.rhs), S(op.result)

            def select(regs: Regs) -> None:
                regs[o] = regs[a] if regs[c] else regs[b]

            return select
        if isinstance(op, (arith.IndexCastOp, arith.ExtSIOp, arith.TruncIOp)) or op.name == "arith.trunci":
            a, o = S(op.operands[0]), S(op.results[0])
            wrap = _wrap(_width(op.results[0].type))

            def cast(regs: Regs) -> None:
                regs[o] = wrap(regs[a])

            return cast
        if isinstance(op, arith.ExtUIOp) or op.name == "arith.index_castui":
            a, o = S(op.operands[0]), S(op.results[0])
            uns = _unsigned(_width(op.operands[0].type))
            wrap = _wrap(_width(op.results[0].type))

            def castu(regs: Regs) -> None:
                regs[o] = wrap(uns(regs[a]))

            return castu
        if isinstance(op, scf.ForOp):
            return self._for(op)
        if isinstance(op, scf.IfOp):
            return self._if(op)
        if isinstance(op, memref.LoadOp):
            mem, o = S(op.memref), S(op.res)
            idx = [S(v) for v in op.indices]
            is_int = isinstance(op.res.type, (IntegerType, IndexType))

            def load(regs: Regs) -> None:
                at = tuple(regs[i] for i in idx)
                if min(at, default=0) < 0:  # numpy would count from the end
                    raise SimError(f"memref.load at {list(at)}: out of bounds of a {regs[mem].shape} buffer (negative index)")
                try:
                    v = regs[mem][at]
                except IndexError:
                    raise SimError(f"memref.load at {list(at)}: out of bounds of a {regs[mem].shape} buffer") from None
                regs[o] = int(v) if is_int else v

            return load
        if isinstance(op, memref.StoreOp):
            mem, val = S(op.memref), S(op.value)
            idx = [S(v) for v in op.indices]

            def store(regs: Regs) -> None:
                at = tuple(regs[i] for i in idx)
                if min(at, default=0) < 0:  # numpy would count from the end
                    raise SimError(f"memref.store at {list(at)}: out of bounds of a {regs[mem].shape} buffer (negative index)")
                try:
                    regs[mem][at] = regs[val]
                except IndexError:
                    raise SimError(f"memref.store at {list(at)}: out of bounds of a {regs[mem].shape} buffer") from None

            return store
        if isinstance(op, memref.DimOp):
            mem, d, o = S(op.source), S(op.index), S(op.result)

            def dim(regs: Regs) -> None:
                k = regs[d]
                if not 0 <= k < regs[mem].ndim:
                    raise SimError(f"memref.dim {k} of a rank-{regs[mem].ndim} memref")
                regs[o] = regs[mem].shape[k]

            return dim
        if isinstance(op, (memref.AllocOp, memref.AllocaOp)):
            o = S(op.results[0])
            mt = op.results[0].type
            assert isinstance(mt, MemRefType)
            dt = dtype_of(mt.element_type)
            dyn = [S(v) for v in op.operands]
            shape_spec = [d.data for d in mt.shape]

            def alloc(regs: Regs) -> None:
                it = iter(dyn)
                shape = tuple(regs[next(it)] if s < 0 else s for s in shape_spec)
                regs[o] = np.zeros(shape, dtype=dt)

            return alloc
        if isinstance(op, memref.CopyOp):
            src, dst = S(op.source), S(op.destination)

            def copy(regs: Regs) -> None:
                if regs[src].shape != regs[dst].shape:
                    raise SimError("memref.copy between buffers of different shapes")
                np.copyto(regs[dst], regs[src])

            return copy
        if isinstance(op, memref.DeallocOp):
            return lambda regs: None
        if isinstance(op, func.ReturnOp):
            rs = [S(v) for v in op.operands]

            def ret(regs: Regs) -> None:
                raise _Return([regs[r] for r in rs])

            return ret
        step = self.target_op(op)
        if step is not None:
            return step
        raise SimError(f"the host simulator cannot run '{op.name}' (lower it first)")

    def _float_op(self, op: Operation) -> Step | None:
        """Conversions, rounding and min/max of floats (host epilogues such as requantisation),
        with IEEE semantics in the operation's own precision."""
        S = self._slot
        name = op.name
        if name in _FLOAT_UNARY:
            a, o = S(op.operands[0]), S(op.results[0])
            fu = _FLOAT_UNARY[name]
            dt = _fdtype(op.results[0].type)

            def unary(regs: Regs) -> None:
                regs[o] = dt(fu(regs[a]))

            return unary
        if name in _FLOAT_MINMAX:
            a, b, o = S(op.operands[0]), S(op.operands[1]), S(op.results[0])
            fm = _FLOAT_MINMAX[name]

            def minmax(regs: Regs) -> None:
                regs[o] = fm(regs[a], regs[b])

            return minmax
        if name in ("arith.sitofp", "arith.uitofp"):
            a, o = S(op.operands[0]), S(op.results[0])
            dt = np.float32 if _fbits(op.results[0].type) == 32 else np.float64
            uns = _unsigned(_width(op.operands[0].type)) if name == "arith.uitofp" else (lambda x: x)

            def itofp(regs: Regs) -> None:
                # Through an int64 array: numpy converts with one rounding (to nearest even).
                regs[o] = np.array(uns(regs[a]), dtype=np.int64).astype(dt)[()]

            return itofp
        if name in ("arith.fptosi", "arith.fptoui"):
            a, o = S(op.operands[0]), S(op.results[0])
            w = _width(op.results[0].type)
            wrap = _wrap(w)

            def fptoi(regs: Regs) -> None:
                x = regs[a]
                if not np.isfinite(x):
                    raise SimError(f"{name} of {x} (poison)")
                regs[o] = wrap(int(np.trunc(x)))

            return fptoi
        if name in ("arith.extf", "arith.truncf"):
            a, o = S(op.operands[0]), S(op.results[0])
            dt = _fdtype(op.results[0].type)

            def fconv(regs: Regs) -> None:
                regs[o] = dt(regs[a])

            return fconv
        return None

    def _for(self, op: scf.ForOp) -> Step:
        S = self._slot
        lb, ub, st = S(op.lb), S(op.ub), S(op.step)
        body = op.body.block
        iv = S(body.args[0])
        carried = [S(a) for a in body.args[1:]]
        inits = [S(v) for v in op.iter_args]
        results = [S(r) for r in op.results]
        run_body = self._block(body)
        yields = self._yield_slots(body)
        charge = self.charge
        loop_cost = self.host_loop_cycles

        if not carried:

            def for_simple(regs: Regs) -> None:
                lo, hi, step = regs[lb], regs[ub], regs[st]
                if step <= 0:
                    raise SimError("scf.for with a non-positive step")
                n = 0
                for i in range(lo, hi, step):
                    regs[iv] = i
                    run_body(regs)
                    n += 1
                charge(n * loop_cost)

            return for_simple

        def for_carried(regs: Regs) -> None:
            lo, hi, step = regs[lb], regs[ub], regs[st]
            if step <= 0:
                raise SimError("scf.for with a non-positive step")
            vals = [regs[s] for s in inits]
            n = 0
            for i in range(lo, hi, step):
                regs[iv] = i
                for s, v in zip(carried, vals, strict=True):
                    regs[s] = v
                run_body(regs)
                vals = [regs[s] for s in yields]
                n += 1
            for s, v in zip(results, vals, strict=True):
                regs[s] = v
            charge(n * loop_cost)

        return for_carried

    def _if(self, op: scf.IfOp) -> Step:
        S = self._slot
        c = S(op.cond)
        then_b = self._block(op.true_region.block)
        then_y = self._yield_slots(op.true_region.block)
        has_else = bool(op.false_region.blocks)
        else_b = self._block(op.false_region.block) if has_else else None
        else_y = self._yield_slots(op.false_region.block) if has_else else []
        results = [S(r) for r in op.results]

        def if_(regs: Regs) -> None:
            if regs[c]:
                then_b(regs)
                ys = then_y
            elif else_b is not None:
                else_b(regs)
                ys = else_y
            else:
                return
            vals = [regs[y] for y in ys]
            for r, v in zip(results, vals, strict=True):
                regs[r] = v

        return if_


def _fdtype(t: Any) -> Callable[[Any], Any]:
    return np.float32 if _fbits(t) == 32 else np.float64


def _fbits(t: Any) -> int:
    if isinstance(t, Float32Type):
        return 32
    if isinstance(t, Float64Type):
        return 64
    raise SimError(f"the simulator supports f32 and f64 floats only, got {t}")
