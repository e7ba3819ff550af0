"""Recognising tensor-level ops every target lowers alike (contractions, elementwise bodies)."""

from __future__ import annotations

from typing import Any

from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block


def int_width(t: Any) -> int | None:
    return t.width.data if isinstance(t, IntegerType) else None


def is_mac_body(block: Block) -> bool:
    """yield addi(acc, muli(extsi(a), extsi(b))) with a, b: i8 and acc: i32 (any operand order)."""
    last = block.last_op
    if not isinstance(last, linalg.YieldOp) or len(last.operands) != 1 or len(block.args) != 3:
        return False
    a, b, acc = block.args
    if int_width(a.type) != 8 or int_width(b.type) != 8 or int_width(acc.type) != 32:
        return False
    add = last.operands[0].owner
    if not isinstance(add, arith.AddiOp):
        return False
    ops = list(add.operands)
    if acc not in ops:
        return False
    mul = ops[1].owner if ops[0] is acc else ops[0].owner
    if not isinstance(mul, arith.MuliOp):
        return False
    srcs = []
    for v in mul.operands:
        ext = v.owner
        if not isinstance(ext, arith.ExtSIOp):
            return False
        srcs.append(ext.input)
    return sorted(map(id, srcs)) == sorted(map(id, (a, b)))
