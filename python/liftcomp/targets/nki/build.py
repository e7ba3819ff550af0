"""A small builder for nki kernels: ops appended to the current block, loop nesting, index
arithmetic folded when constant."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from xdsl.dialects import arith, func, scf
from xdsl.dialects.builtin import ArrayAttr, IndexType, IntegerAttr, MemRefType, StringAttr, i64
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from liftcomp.targets.nki import dialect as nki


class KernelBuilder:
    def __init__(self, name: str, chip: str, args: list[tuple[str, MemRefType]], outputs: list[int]):
        self.block = Block(arg_types=[t for _, t in args])
        self.fn = func.FuncOp(name, ([t for _, t in args], []), Region(self.block))
        self.fn.attributes[nki.KERNEL_ATTR] = StringAttr(chip)
        self.fn.attributes[nki.OUTPUTS_ATTR] = ArrayAttr([IntegerAttr(i, i64) for i in outputs])
        self.fn.attributes["nki.arg_names"] = ArrayAttr([StringAttr(n) for n, _ in args])
        self._blocks: list[Block] = [self.block]
        self._consts: dict[int, SSAValue] = {}
        self._names: dict[str, int] = {}

    @property
    def args(self) -> tuple[SSAValue, ...]:
        return tuple(self.block.args)

    def add(self, op: Operation) -> Operation:
        self._blocks[-1].add_op(op)
        return op

    def finish(self) -> func.FuncOp:
        self.block.add_op(func.ReturnOp())
        return self.fn

    # ------------------------------------------------------------------------- index math --
    def c(self, value: int) -> SSAValue:
        v = self._consts.get(value)
        if v is None:
            op = arith.ConstantOp(IntegerAttr(value, IndexType()))
            first = self.block.first_op
            if first is None:
                self.block.add_op(op)
            else:
                self.block.insert_op_before(op, first)
            v = op.result
            self._consts[value] = v
        return v

    def add_i(self, a: SSAValue, b: SSAValue) -> SSAValue:
        ca, cb = nki.const_index(a), nki.const_index(b)
        if ca is not None and cb is not None:
            return self.c(ca + cb)
        if cb == 0:
            return a
        if ca == 0:
            return b
        return self.add(arith.AddiOp(a, b)).results[0]

    def mul_i(self, a: SSAValue, k: int) -> SSAValue:
        ca = nki.const_index(a)
        if ca is not None:
            return self.c(ca * k)
        if k == 1:
            return a
        if k == 0:
            return self.c(0)
        return self.add(arith.MuliOp(a, self.c(k))).results[0]

    def lin(self, terms: list[tuple[SSAValue, int]], const: int = 0) -> SSAValue:
        """sum(v * k) + const."""
        acc = self.c(const)
        for v, k in terms:
            acc = self.add_i(acc, self.mul_i(v, k))
        return acc

    # --------------------------------------------------------------------------- structure --
    @contextmanager
    def loop(self, trip: int, kind: str = "affine") -> Iterator[SSAValue]:
        """A kernel loop (scf.for, nki.loop = kind) of `trip` iterations (its index); trip 1 emits
        no loop (index 0)."""
        if trip == 1:
            yield self.c(0)
            return
        op = self.begin_loop(trip, kind)
        try:
            yield op.body.block.args[0]
        finally:
            self.end_loop(op)

    def begin_loop(self, trip: int, kind: str) -> scf.ForOp:
        """A kernel loop appended here; the ops added until `end_loop` go into its body."""
        op = nki.kernel_loop(self.c(0), self.c(trip), self.c(1), kind)
        self.add(op)
        self._blocks.append(op.body.block)
        return op

    def end_loop(self, op: scf.ForOp) -> None:
        assert self._blocks[-1] is op.body.block, "loops end in the order they began"
        self._blocks.pop()
        nki.end_loop_body(op)

    def alloc(self, shape: tuple[int, int], elem: Attribute, buffer: str, name: str, bufs: int = 1) -> SSAValue:
        k = self._names.get(name, 0)
        self._names[name] = k + 1
        unique = name if k == 0 else f"{name}{k}"
        return self.add(nki.AllocOp(shape, elem, buffer, unique, bufs)).results[0]

    def view(self, tile: SSAValue, offset: SSAValue, free: int, partitions: int | None = None) -> SSAValue:
        p, f = nki.shape_of(tile)
        if nki.const_index(offset) == 0 and free == f and (partitions is None or partitions == p):
            return tile
        return self.add(nki.ViewOp(tile, offset, free, partitions)).results[0]
