"""Recognising tensor-level ops every target lowers alike (contractions, elementwise bodies)."""

from __future__ import annotations

from typing import Any

from xdsl.dialects import arith
from xdsl.dialects.builtin import IntegerType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, Operation


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


def _linear(m: Any, n_dims: int) -> list[list[int]] | None:
    """Coefficients (result x dim) of an affine map that is linear in its dims (no symbols/constants)."""
    zero = m.eval([0] * n_dims, [])
    if any(zero):
        return None
    cols = [m.eval([1 if d == i else 0 for d in range(n_dims)], []) for i in range(n_dims)]
    coeffs = [[cols[d][r] for d in range(n_dims)] for r in range(len(zero))]
    # Linear, not merely right at 0 and the unit vectors: check one more point.
    probe = [d + 2 for d in range(n_dims)]
    want = [sum(c * p for c, p in zip(row, probe, strict=True)) for row in coeffs]
    return coeffs if list(m.eval(probe, [])) == want else None


def conv_nhwc_hwcf_stride(op: Operation) -> int | None:
    """The stride of an i8 x i8 -> i32 NHWC x HWCF conv (linalg.conv_2d_nhwc_hwcf or the generic it
    generalises to; dilation 1), else None."""
    if not isinstance(op, (linalg.GenericOp, linalg.Conv2DNhwc_HwcfOp)):
        return None
    if len(op.inputs) != 2 or len(op.outputs) != 1 or not is_mac_body(op.body.block):
        return None
    maps = [m.data for m in op.get_indexing_maps().data]
    iters = [str(it.data) for it in op.get_iterator_types().data]
    if len(iters) != 7:
        return None
    lin = [_linear(m, 7) for m in maps]
    if any(x is None for x in lin):
        return None
    x_map, w_map, y_map = lin  # type: ignore[misc]
    assert x_map is not None and w_map is not None and y_map is not None
    unit = lambda d: [1 if i == d else 0 for i in range(7)]  # noqa: E731
    # Output (n, oh, ow, f) names the four parallel dims; filter (kh, kw, c, f) the reductions + f.
    if any(len(r) != 4 for r in (x_map, w_map, y_map)) or any(sum(map(abs, r)) != 1 for r in y_map):
        return None
    n, oh, ow, f = (r.index(1) for r in y_map)
    if any(sum(map(abs, r)) != 1 for r in w_map):
        return None
    kh, kw, c, f2 = (r.index(1) for r in w_map)
    if f2 != f or sorted((n, oh, ow, f, kh, kw, c)) != list(range(7)):
        return None
    if any(iters[d] != "parallel" for d in (n, oh, ow, f)) or any(iters[d] != "reduction" for d in (kh, kw, c)):
        return None
    s = x_map[1][oh]
    if x_map[0] != unit(n) or x_map[3] != unit(c) or s < 1:
        return None
    if x_map[1] != [s if d == oh else 1 if d == kh else 0 for d in range(7)]:
        return None
    if x_map[2] != [s if d == ow else 1 if d == kw else 0 for d in range(7)]:
        return None
    return s
