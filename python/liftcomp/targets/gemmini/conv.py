"""Convolutions on Gemmini: recognition, the library's tile choice, and code generation.

Input (tensor level, what the raising pass produces for a padded conv loop nest):

    %p = tensor.pad %x low[0, t, l, 0] high[0, b, r, 0] { tensor.yield %zero }   (optional)
    %c = linalg.conv_2d_nhwc_hwcf {strides} ins(%p, %w) outs(zero fill)          i8 x i8 -> i32
         (or the linalg.generic it generalises to: maps (n, oh*s+kh, ow*s+kw, c), (kh, kw, c, f),
         (n, oh, ow, f), body sext * sext + acc)
    %y = requantisation epilogue i32 -> i8 (epilogue.match_requant: scale, round, clamp)

With the epilogue (NHWC) it becomes `gemmini.loop_conv_ws` per tile (the padding handled by the
FSM's zero rows, the stride by config_ex's A stride, the epilogue by config_st's scale in the
mvouts); otherwise (int32 output, NCHW, or a schedule asking for it) im2col on the host + the tiled
matmul.
The tile choice of the library (`library_conv_schedule`) is gemmini.h's `tiled_conv_auto`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from xdsl.dialects import arith, memref, tensor
from xdsl.dialects.builtin import IntegerType, MemRefType, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr

from liftcomp.ir.builder import IRBuilder
from liftcomp.lowering.match import conv_2d_form
from liftcomp.targets.gemmini import dialect as g
from liftcomp.targets.gemmini import epilogue as epi
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig

ConvForm = Literal["loop_conv_ws", "im2col"]


@dataclass(frozen=True)
class ConvShape:
    """NHWC input (unpadded) x HWCF filter -> N x OH x OW x F, with zero padding (top, left,
    bottom, right) and one stride for both spatial dims."""

    n: int
    h: int
    w: int
    c: int
    kh: int
    kw: int
    f: int
    oh: int
    ow: int
    stride: int = 1
    pad: tuple[int, int, int, int] = (0, 0, 0, 0)
    layout: str = "nhwc"
    """"nhwc" (NHWC x HWCF -> NHWF) or "nchw" (NCHW x FCHW -> NFHW); the sizes are named alike."""

    @property
    def macs(self) -> int:
        return self.n * self.oh * self.ow * self.f * self.kh * self.kw * self.c

    def describe(self) -> str:
        pads = "" if not any(self.pad) else f" pad {'/'.join(map(str, self.pad))}"
        if self.layout == "nchw":
            return (f"NCHW {self.n}x{self.c}x{self.h}x{self.w} * FCHW {self.f}x{self.c}x{self.kh}x{self.kw} -> "
                    f"{self.n}x{self.f}x{self.oh}x{self.ow} stride {self.stride}{pads}")
        return (f"{self.n}x{self.h}x{self.w}x{self.c} * {self.kh}x{self.kw}x{self.c}x{self.f} -> "
                f"{self.n}x{self.oh}x{self.ow}x{self.f} stride {self.stride}{pads}")


@dataclass(frozen=True)
class ConvSchedule:
    """How a conv runs: `loop_conv_ws` tiles of batches x porows x pocols x pochs outputs over
    krows x kcols x kchs of the kernel (gemmini.h's tiled_conv arguments), or `im2col` (host) + matmul."""

    batches: int = 1
    porows: int = 1
    pocols: int = 1
    pochs: int = 16
    krows: int = 1
    kcols: int = 1
    kchs: int = 16
    form: ConvForm = "loop_conv_ws"
    notes: tuple[str, ...] = field(default=(), compare=False)

    def to_json(self) -> dict[str, Any]:
        return {"batches": self.batches, "porows": self.porows, "pocols": self.pocols, "pochs": self.pochs,
                "krows": self.krows, "kcols": self.kcols, "kchs": self.kchs, "form": self.form,
                "notes": list(self.notes)}

    @property
    def remove_redundant_config(self) -> bool:
        """(MatmulSchedule's cleanup flag: a conv's config instructions are few already.)"""
        return False

    def with_(self, **changes: Any) -> ConvSchedule:
        return replace(self, **changes)

    def describe(self) -> str:
        if self.form == "im2col":
            return "im2col on the host + tiled matmul"
        return (f"loop_conv_ws tiles {self.batches}x{self.porows}x{self.pocols}x{self.pochs} over kernel "
                f"{self.krows}x{self.kcols}x{self.kchs}")

    def check(self, shape: ConvShape, cfg: GemminiConfig = DEFAULT_CONFIG) -> str:
        """'' when the tiles fit the FSM's half of the scratchpad and accumulator, else why not."""
        if self.form == "im2col":
            return ""
        if shape.layout != "nhwc":
            return "loop_conv_ws reads NHWC inputs and HWCF filters (this conv is NCHW)"
        sizes = (self.batches, self.porows, self.pocols, self.pochs, self.krows, self.kcols, self.kchs)
        limits = (shape.n, shape.oh, shape.ow, shape.f, shape.kh, shape.kw, shape.c)
        if any(s < 1 for s in sizes):
            return "tile sizes must be >= 1"
        if any(s > m for s, m in zip(sizes, limits, strict=True)):
            return f"tile {sizes} exceeds the problem {limits}"
        a, b, c = g.conv_tile_rows(cfg.dim, *sizes, stride=shape.stride)
        if a + b > cfg.sp_rows // 2:
            return f"input + weight tiles ({a} + {b} rows) exceed half the scratchpad ({cfg.sp_rows // 2})"
        if c > cfg.acc_rows // 2:
            return f"output tile ({c} rows) exceeds half the accumulator ({cfg.acc_rows // 2})"
        return ""


def library_conv_schedule(shape: ConvShape, cfg: GemminiConfig = DEFAULT_CONFIG) -> ConvSchedule:
    """gemmini.h's tiled_conv_auto (no pooling, no dilation): start from the whole problem, shrink
    the largest tile argument (channels by DIM, never pocols below DIM while porows > 1) until the
    tiles fit the double-buffered halves, then grow pocols, then every argument, while they fit."""
    dim = cfg.dim
    half_sp, half_acc = cfg.sp_rows // 2, cfg.acc_rows // 2
    args = [shape.n, shape.oh, shape.ow, shape.f, shape.kh, shape.kw, shape.c]
    max_args = list(args)
    orows_idx, ocols_idx, och_idx, ich_idx = 1, 2, 3, 6

    def fits(a: list[int]) -> bool:
        sp, w, acc = g.conv_tile_rows(dim, *a, stride=shape.stride)
        return sp + w <= half_sp and acc <= half_acc

    while not fits(args):
        max_val, max_idx = -1, -1
        for i, v in enumerate(args):
            if not (i == ocols_idx and v <= dim and args[orows_idx] > 1) and v > max_val:
                max_val, max_idx = v, i
        if max_idx in (och_idx, ich_idx):
            v = args[max_idx]
            v = (v // dim) * dim if v % dim else v - dim
            args[max_idx] = max(v, 1)
        else:
            args[max_idx] -= 1
    while args[ocols_idx] + 1 <= max_args[ocols_idx] and fits([*args[:ocols_idx], args[ocols_idx] + 1,
                                                                 *args[ocols_idx + 1:]]):
        args[ocols_idx] += 1
    grown = True
    while grown:
        grown = False
        for i in range(len(args)):
            cand = list(args)
            cand[i] += 1
            if cand[i] <= max_args[i] and fits(cand):
                args = cand
                grown = True
    return ConvSchedule(*args, form="loop_conv_ws", notes=("tiled_conv_auto",))


# ---------------------------------------------------------------------------------- matching --
@dataclass
class ConvMatch:
    op: Operation
    input: SSAValue  # the unpadded NHWC tensor
    filter: SSAValue
    shape: ConvShape


def _int_width(v: SSAValue) -> int | None:
    t = v.type
    if isinstance(t, TensorType) and isinstance(t.element_type, IntegerType):
        return t.element_type.width.data
    return None


def _zero_pad(v: SSAValue, layout: str) -> tuple[SSAValue, tuple[int, int, int, int]] | None:
    """(source, (top, left, bottom, right)) when `v` is a static zero tensor.pad of H and W only."""
    op = v.owner
    if not isinstance(op, tensor.PadOp) or op.low or op.high:
        return None
    low, high = list(op.static_low.get_values()), list(op.static_high.get_values())
    hd, wd = (1, 2) if layout == "nhwc" else (2, 3)
    if len(low) != 4 or any(low[d] or high[d] for d in range(4) if d not in (hd, wd)):
        return None
    low, high = [0, low[hd], low[wd], 0], [0, high[hd], high[wd], 0]
    y = op.region.block.last_op
    if y is None or len(y.operands) != 1:
        return None
    val = y.operands[0]
    if not isinstance(val.owner, arith.ConstantOp) or g.const_int(val) not in (0,):
        cst = val.owner
        if not isinstance(cst, arith.ConstantOp) or getattr(cst.value, "value", None) is None \
                or cst.value.value.data != 0:  # type: ignore[union-attr]
            return None
    return op.source, (low[1], low[2], high[1], high[2])


def match_conv(op: Operation) -> tuple[ConvMatch | None, str]:
    """The conv `op` computes (i8 x i8 -> i32, NHWC x HWCF or NCHW x FCHW, static sizes), or (None,
    why not)."""
    form = conv_2d_form(op)
    if form is None:
        return None, ""
    layout, s = form
    assert isinstance(op, (linalg.GenericOp, linalg.Conv2DNhwc_HwcfOp, linalg.Conv2DNchwFchwOp))
    x, w = op.inputs
    if _int_width(x) != 8 or _int_width(w) != 8 or _int_width(op.outputs[0]) != 32:
        return None, "a conv whose operands are not i8 x i8 -> i32"
    pad = (0, 0, 0, 0)
    padded = _zero_pad(x, layout)
    if padded is not None:
        x, pad = padded
    xt, wt, yt = x.type, w.type, op.outputs[0].type
    assert isinstance(xt, TensorType) and isinstance(wt, TensorType) and isinstance(yt, TensorType)
    dims = [*xt.get_shape(), *wt.get_shape(), *yt.get_shape()]
    if any(d < 0 for d in dims):
        return None, "a conv with dynamic sizes (Gemmini's conv lowering needs static shapes)"
    if layout == "nhwc":
        n, h, wd, c = xt.get_shape()
        kh, kw, c2, f = wt.get_shape()
        n2, oh, ow, f2 = yt.get_shape()
    else:
        n, c, h, wd = xt.get_shape()
        f, c2, kh, kw = wt.get_shape()
        n2, f2, oh, ow = yt.get_shape()
    if (c2, n2, f2) != (c, n, f):
        return None, "conv operand shapes disagree"
    return ConvMatch(op, x, w, ConvShape(n, h, wd, c, kh, kw, f, oh, ow, s, pad, layout)), ""


def strip_expand(v: SSAValue) -> SSAValue:
    """`v` without the tensor.expand_shape ops that only add unit dims around it."""
    while isinstance(v.owner, tensor.ExpandShapeOp):
        v = v.owner.src
    return v


def match_bias_conv(op: Operation) -> tuple[Operation, SSAValue, epi.Requant | None, str] | None:
    """`op` = requant(bias[f] + conv(...)) as the raising pass writes a conv whose sum starts from a
    per-channel bias (one element-wise generic of the bias, broadcast over n/oh/ow, and the conv):
    (the conv, the bias tensor, the epilogue or None, why not); None when it is not that shape."""
    if not isinstance(op, linalg.GenericOp) or len(op.inputs) != 2:
        return None
    maps = [m.data for m in op.get_indexing_maps().data]
    for i in (0, 1):
        producer = op.inputs[i].owner
        if not isinstance(producer, Operation) or len(producer.results) != 1:
            continue
        form = conv_2d_form(producer)
        if form is None or len(list(producer.results[0].uses)) != 1:
            continue
        bias, bmap = op.inputs[1 - i], maps[1 - i]
        f_pos = 3 if form[0] == "nhwc" else 1
        bt = bias.type
        if not isinstance(bt, TensorType) or _int_width(bias) != 32:
            return producer, bias, None, "the bias is not an int32 tensor"
        # Only the output-channel dim may index a non-unit extent of the bias.
        shape = bt.get_shape()
        f = producer.outputs[0].type.get_shape()[f_pos]  # type: ignore[union-attr]
        if math.prod(shape) != f or any(d != 1 and not (isinstance(e, AffineDimExpr) and e.position == f_pos)
                                        for d, e in zip(shape, bmap.results, strict=True)):
            return producer, bias, None, "the bias is not one value per output channel"
        req, why = epi.match_bias_requant(op, broadcast_input=1 - i)
        return producer, bias, req, why
    return None


# ---------------------------------------------------------------------------------- codegen --
def _max(b: IRBuilder, x: SSAValue, y: SSAValue) -> SSAValue:
    cx, cy = g.const_int(x), g.const_int(y)
    if cx is not None and cy is not None:
        return b.c(max(cx, cy))
    return b.insert(arith.MaxSIOp(x, y)).results[0]


def emit_loop_conv_ws(b: IRBuilder, x: SSAValue, w: SSAValue, y: SSAValue, shape: ConvShape, s: ConvSchedule,
                      req: epi.Requant, bias: SSAValue | None = None) -> None:
    """Y = requant(conv(pad(X), W)) as one gemmini.loop_conv_ws per tile, in tiled_conv's loop order
    (b, porow, pocol, poch, krow, kcol, kch); the first kernel tile of an output tile zeroes the
    accumulator (bias with no_bias), the last one stores (int8 through config_st's scale)."""
    b.insert(g.ConfigExOp("WS", a_stride=shape.stride))  # the FSM's computes read every stride-th input row
    b.insert(g.ConfigStOp(b.c(shape.f), "relu" if req.relu else "none",
                          req.scale if req.scale_value is None else 1.0, elem_bits=8,
                          scale_value=req.scale_value))
    pt, pl = shape.pad[0], shape.pad[1]
    steps = (("b", shape.n, s.batches), ("orow", shape.oh, s.porows), ("ocol", shape.ow, s.pocols),
             ("och", shape.f, s.pochs), ("krow", shape.kh, s.krows), ("kcol", shape.kw, s.kcols),
             ("kch", shape.c, s.kchs))
    iv: dict[str, SSAValue] = {}
    size: dict[str, SSAValue] = {}
    ctx = []
    for name, total, tile in steps:
        if tile >= total:
            iv[name], size[name] = b.c(0), b.c(total)
            continue
        cm = b.for_(b.c(0), b.c(total), b.c(tile))
        iv[name] = cm.__enter__()
        ctx.append(cm)
        size[name] = b.min(b.c(tile), b.sub(b.c(total), iv[name]))
    st = shape.stride
    irow = b.sub(b.add(b.mul(iv["orow"], b.c(st)), iv["krow"]), b.c(pt))
    icol = b.sub(b.add(b.mul(iv["ocol"], b.c(st)), iv["kcol"]), b.c(pl))
    irows = b.add(b.mul(size["orow"], b.c(st)), b.sub(size["krow"], b.c(1)))
    icols = b.add(b.mul(size["ocol"], b.c(st)), b.sub(size["kcol"], b.c(1)))
    zero = b.c(0)
    upad = _max(b, zero, b.sub(zero, irow))
    lpad = _max(b, zero, b.sub(zero, icol))
    dpad = _max(b, zero, b.sub(b.add(irow, irows), b.c(shape.h)))
    rpad = _max(b, zero, b.sub(b.add(icol, icols), b.c(shape.w)))
    in_off = b.add(b.mul(b.add(b.mul(b.add(b.mul(iv["b"], b.c(shape.h)), b.add(irow, upad)), b.c(shape.w)),
                               b.add(icol, lpad)), b.c(shape.c)), iv["kch"])
    w_off = b.add(b.mul(b.add(b.mul(b.add(b.mul(iv["krow"], b.c(shape.kw)), iv["kcol"]), b.c(shape.c)), iv["kch"]),
                        b.c(shape.f)), iv["och"])
    out_off = b.add(b.mul(b.add(b.mul(b.add(b.mul(iv["b"], b.c(shape.oh)), iv["orow"]), b.c(shape.ow)), iv["ocol"]),
                          b.c(shape.f)), iv["och"])
    sizes = {
        "batch_size": b.c(shape.n), "in_row_dim": b.c(shape.h), "in_col_dim": b.c(shape.w),
        "in_channels": b.c(shape.c), "out_channels": b.c(shape.f), "out_row_dim": b.c(shape.oh),
        "out_col_dim": b.c(shape.ow), "stride": b.c(st), "padding": b.c(pt), "kernel_dim": b.c(shape.kh),
        "batches": size["b"], "porows": size["orow"], "pocols": size["ocol"], "pochs": size["och"],
        "krows": size["krow"], "kcols": size["kcol"], "kchs": size["kch"],
        "lpad": lpad, "rpad": rpad, "upad": upad, "dpad": dpad,
        "in_stride": b.c(shape.c), "weight_stride": b.c(shape.f), "out_stride": b.c(shape.f),
    }
    act = "relu" if req.relu else "none"

    def loop(first: bool, last: bool) -> None:
        # The first kernel tile starts from the bias (or zero rows: no_bias), later ones accumulate.
        b.insert(g.LoopConvWsOp(sizes, (x, in_off), (w, w_off), (bias, iv["och"]) if first and bias is not None else None,
                                (y, out_off) if last else None, no_bias=first and bias is None, activation=act))

    kernel_tiles = [n for n in ("krow", "kcol", "kch") if g.const_int(iv[n]) is None]
    if not kernel_tiles:
        loop(True, True)
    else:
        # first: every kernel loop at 0; last: every kernel loop's tile reaches its end.
        totals = {"krow": shape.kh, "kcol": shape.kw, "kch": shape.c}
        firsts = [b.eq(iv[n], b.c(0)) for n in kernel_tiles]
        lasts = [b.insert(arith.CmpiOp(b.add(iv[n], size[n]), b.c(totals[n]), "sge")).results[0] for n in kernel_tiles]
        first_v, last_v = firsts[0], lasts[0]
        for f_, l_ in zip(firsts[1:], lasts[1:], strict=True):
            first_v = b.insert(arith.AndIOp(first_v, f_)).results[0]
            last_v = b.insert(arith.AndIOp(last_v, l_)).results[0]
        with b.if_(first_v) as otherwise:
            with b.if_(last_v) as otherwise2:
                loop(True, True)
                otherwise2()
                loop(True, False)
            otherwise()
            with b.if_(last_v) as otherwise3:
                loop(False, True)
                otherwise3()
                loop(False, False)
    for cm in reversed(ctx):
        cm.__exit__(None, None, None)
    b.insert(g.FenceOp())


def emit_im2col(b: IRBuilder, x: SSAValue, shape: ConvShape) -> SSAValue:
    """A = im2col(pad(X)) on the host: an (N*OH*OW) x (KH*KW*C) i8 buffer, row (n, oh, ow), column
    (kh, kw, c), zero where the window leaves the image; the HWCF filter is already the matching
    (KH*KW*C) x F matrix."""
    rows = shape.n * shape.oh * shape.ow
    cols = shape.kh * shape.kw * shape.c
    xt = x.type
    assert isinstance(xt, MemRefType)
    a = b.insert(memref.AllocOp.get(xt.element_type, shape=[rows, cols])).results[0]
    zero8 = b.insert(arith.ConstantOp.from_int_and_width(0, 8)).results[0]
    pt, pl = shape.pad[0], shape.pad[1]
    with b.for_(b.c(0), b.c(shape.n), b.c(1)) as n, b.for_(b.c(0), b.c(shape.oh), b.c(1)) as oh, \
            b.for_(b.c(0), b.c(shape.ow), b.c(1)) as ow, b.for_(b.c(0), b.c(shape.kh), b.c(1)) as kh, \
            b.for_(b.c(0), b.c(shape.kw), b.c(1)) as kw, b.for_(b.c(0), b.c(shape.c), b.c(1)) as c:
        r = b.sub(b.add(b.mul(oh, b.c(shape.stride)), kh), b.c(pt))
        q = b.sub(b.add(b.mul(ow, b.c(shape.stride)), kw), b.c(pl))
        ok = _inside(b, r, q, shape)
        # Clamped indices keep the load in bounds; the select puts the padding's zero.
        rc = b.min(_max(b, r, b.c(0)), b.c(shape.h - 1))
        qc = b.min(_max(b, q, b.c(0)), b.c(shape.w - 1))
        v = b.insert(memref.LoadOp.get(x, [n, rc, qc, c])).results[0]
        val = b.insert(arith.SelectOp(ok, v, zero8)).results[0]
        row = b.add(b.mul(b.add(b.mul(n, b.c(shape.oh)), oh), b.c(shape.ow)), ow)
        col = b.add(b.mul(b.add(b.mul(kh, b.c(shape.kw)), kw), b.c(shape.c)), c)
        b.insert(memref.StoreOp.get(val, a, [row, col]))
    return a


def emit_im2col_nchw(b: IRBuilder, x: SSAValue, shape: ConvShape) -> SSAValue:
    """B = im2col(pad(X)) of an NCHW input, transposed: a (C*KH*KW) x (N*OH*OW) i8 buffer, row (c,
    kh, kw), column (n, oh, ow), zero outside the image; the FCHW filter is the matching
    F x (C*KH*KW) matrix, so filter @ B is the output with rows f, columns (n, oh, ow)."""
    rows = shape.c * shape.kh * shape.kw
    cols = shape.n * shape.oh * shape.ow
    xt = x.type
    assert isinstance(xt, MemRefType)
    a = b.insert(memref.AllocOp.get(xt.element_type, shape=[rows, cols])).results[0]
    zero8 = b.insert(arith.ConstantOp.from_int_and_width(0, 8)).results[0]
    pt, pl = shape.pad[0], shape.pad[1]
    with b.for_(b.c(0), b.c(shape.c), b.c(1)) as c, b.for_(b.c(0), b.c(shape.kh), b.c(1)) as kh, \
            b.for_(b.c(0), b.c(shape.kw), b.c(1)) as kw, b.for_(b.c(0), b.c(shape.n), b.c(1)) as n, \
            b.for_(b.c(0), b.c(shape.oh), b.c(1)) as oh, b.for_(b.c(0), b.c(shape.ow), b.c(1)) as ow:
        r = b.sub(b.add(b.mul(oh, b.c(shape.stride)), kh), b.c(pt))
        q = b.sub(b.add(b.mul(ow, b.c(shape.stride)), kw), b.c(pl))
        ok = _inside(b, r, q, shape)
        rc = b.min(_max(b, r, b.c(0)), b.c(shape.h - 1))
        qc = b.min(_max(b, q, b.c(0)), b.c(shape.w - 1))
        v = b.insert(memref.LoadOp.get(x, [n, c, rc, qc])).results[0]
        val = b.insert(arith.SelectOp(ok, v, zero8)).results[0]
        row = b.add(b.mul(b.add(b.mul(c, b.c(shape.kh)), kh), b.c(shape.kw)), kw)
        col = b.add(b.mul(b.add(b.mul(n, b.c(shape.oh)), oh), b.c(shape.ow)), ow)
        b.insert(memref.StoreOp.get(val, a, [row, col]))
    return a


def emit_nfhw_copy(b: IRBuilder, src: SSAValue, dest: SSAValue, shape: ConvShape) -> None:
    """dest[n, f, oh, ow] = src[f, (n, oh, ow)] on the host (the matmul's rows are output channels)."""
    with b.for_(b.c(0), b.c(shape.n), b.c(1)) as n, b.for_(b.c(0), b.c(shape.f), b.c(1)) as f, \
            b.for_(b.c(0), b.c(shape.oh), b.c(1)) as oh, b.for_(b.c(0), b.c(shape.ow), b.c(1)) as ow:
        col = b.add(b.mul(b.add(b.mul(n, b.c(shape.oh)), oh), b.c(shape.ow)), ow)
        v = b.insert(memref.LoadOp.get(src, [f, col])).results[0]
        b.insert(memref.StoreOp.get(v, dest, [n, f, oh, ow]))


def _inside(b: IRBuilder, r: SSAValue, q: SSAValue, shape: ConvShape) -> SSAValue:
    """0 <= r < H and 0 <= q < W, as an i1."""
    conds = []
    for v, hi in ((r, shape.h), (q, shape.w)):
        conds.append(b.insert(arith.CmpiOp(v, b.c(0), "sge")).results[0])
        conds.append(b.insert(arith.CmpiOp(v, b.c(hi), "slt")).results[0])
    ok = conds[0]
    for cnd in conds[1:]:
        ok = b.insert(arith.AndIOp(ok, cnd)).results[0]
    return ok


