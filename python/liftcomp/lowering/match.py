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


# Positions of (n, oh, ow, f) in the output, (kh, kw, c, f) in the filter, and of n, c, and the two
# spatial dims in the input, per layout.
_CONV_LAYOUTS = {
    "nhwc": ((0, 1, 2, 3), (0, 1, 2, 3), (0, 3, 1, 2)),
    "nchw": ((0, 2, 3, 1), (2, 3, 1, 0), (0, 1, 2, 3)),
}


def conv_2d_form(op: Operation) -> tuple[str, int] | None:
    """(layout, stride) of an i8 x i8 -> i32 2-D convolution with unit dilation: "nhwc" (input NHWC,
    filter HWCF, output NHWF: linalg.conv_2d_nhwc_hwcf) or "nchw" (NCHW, FCHW, NFHW:
    linalg.conv_2d_nchw_fchw), named or as the linalg.generic it generalises to; else None."""
    if not isinstance(op, (linalg.GenericOp, linalg.Conv2DNhwc_HwcfOp, linalg.Conv2DNchwFchwOp)):
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
    if any(len(r) != 4 for r in (x_map, w_map, y_map)):
        return None
    if any(sum(map(abs, r)) != 1 for r in (*y_map, *w_map)):
        return None
    for layout, (yp, wp, xp) in _CONV_LAYOUTS.items():
        s = _conv_stride(x_map, [y_map[i].index(1) for i in yp], [w_map[i].index(1) for i in wp], xp, iters)
        if s is not None:
            return layout, s
    return None


def _conv_stride(x_map: list[list[int]], out: list[int], filt: list[int], xp: tuple[int, ...],
                 iters: list[str]) -> int | None:
    n, oh, ow, f = out
    kh, kw, c, f2 = filt
    if f2 != f or sorted((n, oh, ow, f, kh, kw, c)) != list(range(7)):
        return None
    if any(iters[d] != "parallel" for d in (n, oh, ow, f)) or any(iters[d] != "reduction" for d in (kh, kw, c)):
        return None
    xn, xc, xh, xw = (x_map[i] for i in xp)
    unit = lambda d: [1 if i == d else 0 for i in range(7)]  # noqa: E731
    s = xh[oh]
    if xn != unit(n) or xc != unit(c) or s < 1:
        return None
    if xh != [s if d == oh else 1 if d == kh else 0 for d in range(7)]:
        return None
    if xw != [s if d == ow else 1 if d == kw else 0 for d in range(7)]:
        return None
    return s
