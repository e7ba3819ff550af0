"""A small IR builder for the lowering: index arithmetic, scf loops and ifs, hoisted constants."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from xdsl.dialects import arith, memref, scf
from xdsl.dialects.arith import ConstantOp
from xdsl.dialects.builtin import IndexType, IntegerAttr, MemRefType
from xdsl.ir import Block, Operation, SSAValue


def const_int(value: SSAValue | None) -> int | None:
    """The integer of an operand defined by arith.constant, else None (not known statically)."""
    if value is None:
        return None
    owner = value.owner
    if isinstance(owner, ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None



class IRBuilder:
    """Inserts before `anchor` (an op of the function); constants go before `const_anchor`."""

    def __init__(self, anchor: Operation, const_anchor: Operation):
        self._block: Block = anchor.parent_block()  # type: ignore[assignment]
        self._before: Operation | None = anchor
        self._const_anchor = const_anchor
        self._consts: dict[int, SSAValue] = {}

    def insert(self, op: Operation) -> Operation:
        if self._before is None:
            self._block.add_op(op)
        else:
            self._block.insert_op_before(op, self._before)
        return op

    # ------------------------------------------------------------------------------ values --
    def c(self, value: int) -> SSAValue:
        v = self._consts.get(value)
        if v is None:
            op = arith.ConstantOp(IntegerAttr(value, IndexType()))
            self._const_anchor.parent_block().insert_op_before(op, self._const_anchor)  # type: ignore[union-attr]
            v = op.result
            self._consts[value] = v
        return v

    def _bin(self, cls: type[arith.SignlessIntegerBinaryOperation], a: SSAValue, b: SSAValue,
             fold: Callable[[int, int], int]) -> SSAValue:
        ca, cb = const_int(a), const_int(b)
        if ca is not None and cb is not None:
            return self.c(fold(ca, cb))
        return self.insert(cls(a, b)).results[0]

    def add(self, a: SSAValue, b: SSAValue) -> SSAValue:
        if const_int(b) == 0:
            return a
        if const_int(a) == 0:
            return b
        return self._bin(arith.AddiOp, a, b, lambda x, y: x + y)

    def sub(self, a: SSAValue, b: SSAValue) -> SSAValue:
        if const_int(b) == 0:
            return a
        return self._bin(arith.SubiOp, a, b, lambda x, y: x - y)

    def mul(self, a: SSAValue, b: SSAValue) -> SSAValue:
        if const_int(b) == 1:
            return a
        if const_int(a) == 1:
            return b
        if const_int(a) == 0 or const_int(b) == 0:
            return self.c(0)
        return self._bin(arith.MuliOp, a, b, lambda x, y: x * y)

    def min(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._bin(arith.MinSIOp, a, b, min)

    def ceildiv(self, a: SSAValue, b: SSAValue) -> SSAValue:
        return self._bin(arith.CeilDivSIOp, a, b, lambda x, y: -((-x) // y))

    def eq(self, a: SSAValue, b: SSAValue) -> SSAValue:
        ca, cb = const_int(a), const_int(b)
        op = arith.CmpiOp(a, b, "eq")
        if ca is not None and cb is not None:
            # Folded comparisons still need an i1 value: materialise it.
            c = arith.ConstantOp.from_int_and_width(int(ca == cb), 1)
            return self.insert(c).results[0]
        return self.insert(op).results[0]

    def dim(self, mem: SSAValue, index: int) -> SSAValue:
        t = mem.type
        assert isinstance(t, MemRefType)
        size = t.shape.data[index].data
        if size >= 0:
            return self.c(size)
        return self.insert(memref.DimOp(mem, self.c(index))).results[0]

    # ------------------------------------------------------------------------------ regions --
    @contextmanager
    def for_(self, lb: SSAValue, ub: SSAValue, step: SSAValue) -> Iterator[SSAValue]:
        body = Block(arg_types=[IndexType()])
        y = scf.YieldOp()
        body.add_op(y)
        self.insert(scf.ForOp(lb, ub, step, [], body))
        saved = (self._block, self._before)
        self._block, self._before = body, y
        try:
            yield body.args[0]
        finally:
            self._block, self._before = saved

    @contextmanager
    def if_(self, cond: SSAValue) -> Iterator[Callable[[], None]]:
        """`with b.if_(c) as otherwise: ...then...; otherwise(); ...else...`"""
        then_b = Block()
        ty = scf.YieldOp()
        then_b.add_op(ty)
        else_b = Block()
        ey = scf.YieldOp()
        else_b.add_op(ey)
        self.insert(scf.IfOp(cond, [], [then_b], [else_b]))
        saved = (self._block, self._before)
        self._block, self._before = then_b, ty

        def otherwise() -> None:
            self._block, self._before = else_b, ey

        try:
            yield otherwise
        finally:
            self._block, self._before = saved
