"""Row fusion: a function whose tensor ops are all row-local becomes one kernel, one pass over HBM.

Softmax, rmsnorm, layernorm and their variants raise to a few linalg ops over an R x C input:
reductions of each row (max, sum), per-row arithmetic on the results (R x 1), and elementwise ops
that combine rows, per-row values and per-column vectors (weights). When every op of a function is
of these kinds (unit dims aside), the whole function is one `row` kernel: a block per row loads the
row once into registers, computes each reduction with a block-wide reduction, the per-row values,
then the output, and writes it once. Each value is classified by the loops its non-unit dims use:
`elem` (row, col), `row` (row), `col` (col), `scalar` (); an op whose maps do not fit refuses.

The generated program (C statements over register arrays, spec.body) is what the emitter wraps;
the interpreter runs the function's original tensor ops (kept as `@<kernel>.rows`) on the host.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import arith, bufferization, func, tensor
from xdsl.dialects.builtin import FloatAttr, IntegerAttr, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Operation, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr

from liftcomp.targets.cuda.scalar import Unsupported, build_map, combiner
from liftcomp.targets.cuda.spec import DTYPES

# A row reduction's combiner (scalar.COMBINERS) -> (its identity, each thread's step,
# lc_block_reduce's OP, the start value combined with the row's result). Exact per kind: maximumf's max propagates NaN and
# orders -0 < +0 in every step (lc_maximumf); maxnumf drops NaN (fmaxf); a select max skips NaN
# terms (its partials hold none, so fmaxf across threads is the select) but keeps a NaN start.
# (maxNum's identity is NaN: -inf would turn an all-NaN row with a NaN start into -inf.)
_ROW_STEP = {"sum": ("0.f", "a += x;", 0, "({init} + a)"),
             "max": ("-INFINITY", "a = lc_maximumf(a, x);", 2, "lc_maximumf({init}, a)"),
             "maxnum": ("NAN", "a = fmaxf(a, x);", 1, "fmaxf({init}, a)"),
             "selmax": ("-INFINITY", "a = x > a ? x : a;", 1, "(a > {init} ? a : {init})")}


class NotRowLocal(Exception):
    pass


@dataclass
class RowProgram:
    rows: int
    cols: int
    inputs: list[SSAValue] = field(default_factory=list)  # elem (R x C) and col (C) tensors
    kinds: list[str] = field(default_factory=list)  # "row" (an R x C input) or "col"
    types: list[str] = field(default_factory=list)
    scalars: list[SSAValue] = field(default_factory=list)
    lines: list[str] = field(default_factory=list)  # C statements
    out: str = ""  # the array holding the output
    out_type: str = "f32"
    reductions: list[str] = field(default_factory=list)  # combiners (_ROW_STEP), in program order
    ops: list[Operation] = field(default_factory=list)  # the generics fused


def _squeezed(v: SSAValue) -> list[int]:
    t = v.type
    assert isinstance(t, TensorType)
    return [d for d in t.get_shape() if d != 1]


def _const(v: SSAValue) -> str | None:
    o = v.owner
    if not isinstance(o, arith.ConstantOp) or not isinstance(o.value, (FloatAttr, IntegerAttr)):
        return None
    x = float(o.value.value.data)
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INFINITY" if x > 0 else "(-INFINITY)"
    return f"{x!r}f"


def analyse(fn: func.FuncOp, type_name: Any, c_expr_of: Any) -> tuple[RowProgram, SSAValue] | None:
    """The row program of `fn` and the value it writes, or None when `fn` is not row-local."""
    ops = list(fn.body.block.ops)
    outs = [o for o in ops if isinstance(o, bufferization.MaterializeInDestinationOp)]
    if len(outs) != 1 or not any(isinstance(o, linalg.GenericOp) for o in ops):
        return None
    result = outs[0].source
    shape = _squeezed(result)
    if len(shape) != 2 or any(d < 0 for d in shape):
        return None
    try:
        p = _Builder(fn, shape[0], shape[1], type_name, c_expr_of).run(result)
    except NotRowLocal:
        return None
    # without a row reduction, the elementwise kernels are as good (and simpler)
    return (p, result) if p.reductions else None


class _Builder:
    def __init__(self, fn: func.FuncOp, rows: int, cols: int, type_name: Any, c_expr_of: Any):
        self.p = RowProgram(rows, cols)
        self.type_name = type_name
        self.c_expr_of = c_expr_of
        self.names: dict[SSAValue, tuple[str, str]] = {}  # value -> (class, C name)
        self.reduced: dict[tuple[str, str, str], str] = {}
        self.n = 0

    def cls_of_shape(self, v: SSAValue) -> str:
        s = _squeezed(v)
        if s == [self.p.rows, self.p.cols]:
            return "elem"
        if s == [self.p.rows] and self.p.rows != self.p.cols:
            return "row"
        if s == [self.p.cols] and self.p.rows != self.p.cols:
            return "col"
        if not s:
            return "scalar"
        raise NotRowLocal(f"a tensor of shape {s}")

    def source(self, v: SSAValue, want: str = "") -> tuple[str, str]:
        """The class and C name of a tensor value, loading function inputs on first use (a 1-D
        input is what its use says: a per-column vector)."""
        if v in self.names:
            return self.names[v]
        o = v.owner
        if isinstance(o, (tensor.ExpandShapeOp, tensor.CollapseShapeOp)):
            r = self.source(o.operands[0], want)
        elif isinstance(o, tensor.ExtractSliceOp) and list(o.static_offsets.get_values()) == [0] * len(o.static_offsets.get_values()) \
                and not o.offsets and _squeezed(o.result) == _squeezed(o.source):
            r = self.source(o.source, want)
        elif isinstance(o, bufferization.ToTensorOp):
            sq = _squeezed(v)
            cls = "elem" if sq == [self.p.rows, self.p.cols] else (want if sq == [self.p.cols] else "")
            t = self.type_name(v.type.element_type)  # type: ignore[union-attr]
            if cls not in ("elem", "col") or t not in DTYPES or t.startswith("i") or (cls == "col" and want != "col"):
                raise NotRowLocal("an input that is not a float row or column vector")
            i = len(self.p.inputs)
            self.p.inputs.append(v)
            self.p.kinds.append("row" if cls == "elem" else "col")
            self.p.types.append(t)
            r = (cls, f"in{i}")
        else:
            raise NotRowLocal(f"a value made by {o.name if isinstance(o, Operation) else 'an argument'}")
        self.names[v] = r
        return r

    def run(self, result: SSAValue) -> RowProgram:
        order: list[Operation] = []
        seen: set[Operation] = set()

        def visit(v: SSAValue) -> None:
            o = v.owner
            if not isinstance(o, Operation) or o in seen:
                return
            if isinstance(o, linalg.GenericOp):
                for x in o.inputs:
                    visit(x)
                seen.add(o)
                order.append(o)
            elif isinstance(o, (tensor.ExpandShapeOp, tensor.CollapseShapeOp, tensor.ExtractSliceOp)):
                visit(o.operands[0])

        visit(result)
        for o in order:
            assert isinstance(o, linalg.GenericOp)
            self.generic(o)
        self.p.ops = order
        if result not in self.names:  # made by an op other than a generic (an insert_slice, say)
            raise NotRowLocal(f"the output is made by {getattr(result.owner, 'name', 'an argument')}")
        cls, name = self.names[result]
        if cls != "elem":
            raise NotRowLocal("the output is not a full row")
        self.p.out = name
        t = self.type_name(result.type.element_type)  # type: ignore[union-attr]
        if t not in DTYPES or t.startswith("i"):
            raise NotRowLocal("a non-float output")
        self.p.out_type = t
        return self.p

    def generic(self, op: linalg.GenericOp) -> None:
        maps = [m.data for m in op.get_indexing_maps().data]
        iters = [str(i.data) for i in op.get_iterator_types().data]
        n = len(iters)
        sizes = [1] * n
        for v, m in zip([*op.inputs, *op.outputs], maps, strict=True):
            for e, d in zip(m.results, v.type.get_shape(), strict=True):  # type: ignore[union-attr]
                if isinstance(e, AffineDimExpr) and d != 1:
                    sizes[e.position] = d
        big = [d for d in range(n) if sizes[d] != 1]
        red = [d for d in big if iters[d] != "parallel"]
        out_dims = [e.position for e in maps[-1].results if isinstance(e, AffineDimExpr) and sizes[e.position] != 1]
        if red:
            if len(red) != 1 or len(out_dims) != 1 or sizes[red[0]] != self.p.cols or sizes[out_dims[0]] != self.p.rows:
                raise NotRowLocal("a reduction that is not over each row")
            row_loop, col_loop = out_dims[0], red[0]
        elif out_dims and len(out_dims) == 2:
            row_loop, col_loop = out_dims
        elif len(out_dims) == 1:
            # one non-unit dim: per-row if it is the first of several dims (R x 1), per-column if the
            # last (1 x C); a 1-D value by its size
            shape = list(op.res[0].type.get_shape())  # type: ignore[union-attr]
            at = next(i for i, d in enumerate(shape) if d != 1)
            per_row = (len(shape) > 1 and at == 0) or (len(shape) == 1 and self.p.rows != self.p.cols
                                                         and shape[0] == self.p.rows)
            per_col = (len(shape) > 1 and at == len(shape) - 1) or (len(shape) == 1 and self.p.rows != self.p.cols
                                                                    and shape[0] == self.p.cols)
            if per_row == per_col:
                raise NotRowLocal("a vector that may be per-row or per-column")
            row_loop, col_loop = (out_dims[0], -1) if per_row else (-1, out_dims[0])
        else:
            raise NotRowLocal("a value that is neither rows nor per-row")

        def classify(m: Any, v: SSAValue) -> str:
            used = []
            for e, d in zip(m.results, v.type.get_shape(), strict=True):  # type: ignore[union-attr]
                if d == 1 and (isinstance(e, AffineConstantExpr) or (isinstance(e, AffineDimExpr) and sizes[e.position] == 1)):
                    continue
                if not isinstance(e, AffineDimExpr):
                    raise NotRowLocal(f"index {e}")
                used.append(e.position)
            if used == [row_loop, col_loop]:
                return "elem"
            if used == [row_loop]:
                return "row"
            if used == [col_loop]:
                return "col"
            if not used:
                return "scalar"
            raise NotRowLocal(f"an operand indexed by loops {used}")

        block = op.body.block
        args: list[str] = []
        for v, m in zip(op.inputs, maps, strict=False):
            want = classify(m, v)
            cls, name = self.source(v, want)
            if cls != want and not (cls == "scalar"):
                raise NotRowLocal(f"operand class {cls} used as {want}")
            args.append(f"{name}[j]" if cls in ("elem", "col") else name)
        y = block.last_op
        assert isinstance(y, linalg.YieldOp)
        self.n += 1
        k = self.n
        if not red:
            expr = self.expr(block, list(block.args[: len(op.inputs)]), y.operands[0], args)
            cls_out = classify(maps[-1], op.res[0])
            if cls_out == "elem":
                self.p.lines.append(f"float v{k}[N]; for (int j = 0; j < N; j++) v{k}[j] = {expr};")
                self.names[op.res[0]] = ("elem", f"v{k}")
            elif cls_out == "col":
                self.p.lines.append(f"float v{k}[N]; for (int j = 0; j < N; j++) v{k}[j] = {expr};")
                self.names[op.res[0]] = ("col", f"v{k}")
            elif cls_out == "row":
                if "[j]" in expr:
                    raise NotRowLocal("a per-row value computed from rows")
                self.p.lines.append(f"float v{k} = {expr};")
                self.names[op.res[0]] = ("row", f"v{k}")
            else:
                raise NotRowLocal("an elementwise op with a broadcast output")
            return
        comb = y.operands[0].owner
        out_arg = block.args[-1]
        if not isinstance(comb, Operation) or out_arg not in comb.operands and comb.name != "arith.select":
            raise NotRowLocal("a reduction body that is not out = combine(out, f(inputs))")
        try:
            kind, val = combiner(comb, out_arg)
        except Unsupported as e:
            raise NotRowLocal(str(e)) from None
        if kind not in _ROW_STEP:
            raise NotRowLocal(f"combiner {kind}")
        expr = self.expr(block, list(block.args[: len(op.inputs)]), val, args)
        init = self.init_of(op.outputs[0])
        key = (kind, expr, init)
        if key in self.reduced:  # the same reduction twice (the raiser repeats max inside the sum)
            self.names[op.res[0]] = ("row", self.reduced[key])
            return
        self.reduced[key] = f"v{k}"
        ident, step, block_op, fin = _ROW_STEP[kind]
        self.p.lines.append(
            f"float v{k}; {{ float a = {ident}; for (int j = 0; j < N; j++) if (lc_valid(j, cols)) {{ float x = {expr}; "
            f"{step} }} a = lc_block_reduce<{block_op}>(a, red); v{k} = {fin.format(init=init)}; }}")
        self.p.reductions.append(kind)
        self.names[op.res[0]] = ("row", f"v{k}")

    def init_of(self, v: SSAValue) -> str:
        o = v.owner
        if isinstance(o, linalg.FillOp):
            c = _const(o.inputs[0])
            if c is not None:
                return c
        raise NotRowLocal("a reduction whose initial value is not a constant fill")

    def expr(self, block: Any, ins: list[SSAValue], result: SSAValue, args: list[str]) -> str:
        mp, outside = build_map(block, ins, result)
        text = self.c_expr_of(mp)
        names = []
        for v in outside:
            c = _const(v)
            if c is None:
                if v not in self.p.scalars:
                    self.p.scalars.append(v)
                c = f"sc{self.p.scalars.index(v)}"
            names.append(c)
        text = re.sub(r"\(\(\w+\)s(\d+)\)", lambda mt: names[int(mt.group(1))], text)
        # x0.. -> the operands; scalars s0.. -> the kernel's scalars
        text = re.sub(r"lc_to_f\(x(\d+)\)", lambda mt: args[int(mt.group(1))], text)
        text = re.sub(r"\bx(\d+)\b", lambda mt: args[int(mt.group(1))], text)
        return text


def extract_function(name: str, fn: func.FuncOp, p: RowProgram, result: SSAValue) -> func.FuncOp:
    """`func.func private @name(inputs..., scalars...) -> result`: the ops of `fn` that compute
    `result` from the row program's inputs (what the interpreter runs for the fused kernel)."""
    from xdsl.ir import Block, Region

    params = [*p.inputs, *p.scalars]
    block = Block(arg_types=[v.type for v in params])
    vmap: dict[SSAValue, SSAValue] = dict(zip(params, block.args, strict=True))
    needed: set[Operation] = set()

    def need(v: SSAValue) -> None:
        o = v.owner
        if v in vmap or not isinstance(o, Operation) or o in needed:
            return
        needed.add(o)
        for x in o.operands:
            need(x)
        for r in o.regions:
            for inner in r.walk():
                for x in inner.operands:
                    if not (isinstance(x.owner, Operation) and x.owner.parent_op() is not None
                            and _inside(x.owner, o)) and x.owner not in [b for b in r.blocks]:
                        need(x)

    need(result)
    for o in fn.body.block.ops:
        if o in needed:
            block.add_op(o.clone(value_mapper=vmap))  # type: ignore[arg-type]
    block.add_op(func.ReturnOp(vmap[result]))
    return func.FuncOp.from_region(name, [v.type for v in params], [result.type], Region(block), visibility="private")


def _inside(op: Operation, root: Operation) -> bool:
    p = op.parent_op()
    while p is not None:
        if p is root:
            return True
        p = p.parent_op()
    return False
