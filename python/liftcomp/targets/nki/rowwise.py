"""Row-wise kernels: element-wise chains and row reductions fused in one row-tile loop.

Every linalg.generic of the function is seen on (at most) two non-unit loop dimensions: `p`
(rows, on partitions) and `f` (the row's elements, the free dimension; the reduction dim of a
row reduction). All generics must share the number of rows R; the kernel loops over R in tiles
of P <= 128 partitions and evaluates each generic on the current tile, keeping intermediates
in SBUF. Operands: [P, C] windows of arguments (dma_copy, or dma_transpose for a transposed
access), per-row vectors [P, 1], vectors over the free dim broadcast to all partitions and host
scalars as [P, 1] tiles (both loaded once, before the loop), immediates. Body ops: binary ops ->
tensor_tensor (two tiles) or tensor_scalar (a tile and a per-row vector or an immediate),
unary math -> activation on ScalarE, negf -> tensor_scalar, compares -> tensor_scalar /
tensor_tensor producing 1.0 / 0.0, select -> nki.select; a row reduction reduces the body's
value with tensor_reduce and combines the init. With `RowSchedule.fuse_activation`, exp/tanh/...
of (x * s + b) with per-row or immediate s, b becomes one activation (ScalarE's scale/bias).
A window reduction (a depthwise conv1d: parallel p and f, a short reduction t, inputs read at
(p, f + t) and (p, t)) is unrolled over t: per tap a [P, C] window shifted by t and a per-row
column t, combined in the loop's order (init, then tap 0, 1, ...).
"""

from __future__ import annotations

import math as pymath
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from xdsl.dialects import arith, bufferization, func, scf, tensor
from xdsl.dialects.builtin import (
    ArrayAttr,
    Float32Type,
    FloatAttr,
    FunctionType,
    MemRefType,
    StringAttr,
    f32,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.ir.affine import AffineBinaryOpExpr, AffineBinaryOpKind, AffineConstantExpr, AffineDimExpr

from liftcomp.ir import float_order
from liftcomp.targets.nki import dialect as nki
from liftcomp.targets.nki.build import KernelBuilder
from liftcomp.targets.nki.lowering import (
    ArgTable,
    KernelRecord,
    LowerOptions,
    _dest_view,
    build_host,
    window_2d,
)
from liftcomp.targets.nki.views import IndexEval, Unsupported, hbm_view, is_structured


@dataclass(frozen=True)
class RowSchedule:
    rows_per_tile: int = 128        # partitions per row tile (a divisor of R, <= 128)
    fuse_activation: bool = False   # x * s + b folded into the activation's scale / bias
    elementwise_engine: str = "vector"  # tensor_scalar on VectorE or ScalarE (engine choice)
    bufs: int = 2

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


_BIN = {"arith.addf": "add", "arith.subf": "subtract", "arith.mulf": "multiply", "arith.divf": "divide",
        "arith.maximumf": "maximum", "arith.maxnumf": "maximum", "arith.minimumf": "minimum",
        "arith.minnumf": "minimum"}
_NP = {"add": np.add, "subtract": np.subtract, "multiply": np.multiply, "divide": np.divide,
       "maximum": np.maximum, "minimum": np.minimum}
_UNARY = {"math.exp": "exp", "math.log": "log", "math.tanh": "tanh", "math.sqrt": "sqrt", "math.rsqrt": "rsqrt",
          "math.absf": "abs", "math.sin": "sin", "math.cos": "cos", "math.erf": "erf"}
_CMP = {1: "equal", 2: "greater", 3: "greater_equal", 4: "less", 5: "less_equal", 6: "not_equal",
        8: "equal", 9: "greater", 10: "greater_equal", 11: "less", 12: "less_equal", 13: "not_equal"}
_COMMUTES = {"add", "multiply", "maximum", "minimum", "equal", "not_equal"}
_SWAPPED = {"greater": "less", "less": "greater", "greater_equal": "less_equal", "less_equal": "greater_equal"}
_IDENTITY = {"add": 0.0, "maximum": -pymath.inf, "minimum": pymath.inf, "multiply": 1.0}


@dataclass
class TVal:
    kind: str                 # "imm" | "row" ([P, 1]) | "full" ([P, C])
    tile: SSAValue | None = None
    imm: float = 0.0

    @property
    def free(self) -> int:
        assert self.tile is not None
        return nki.shape_of(self.tile)[1]




def _loop_dims(g: linalg.GenericOp, ev: IndexEval) -> list[int]:
    """The size of each loop dimension of g (from its operands' shapes)."""
    n = g.get_indexing_maps().data[0].data.num_dims
    sizes = [1] * n
    for operand, m in zip(list(g.inputs) + list(g.outputs), g.get_indexing_maps().data, strict=True):
        shape = ev.shape(operand) if isinstance(operand.type, (tensor.TensorType,)) else ()  # type: ignore[attr-defined]
        for e, s in zip(m.data.results, shape, strict=True):
            if isinstance(e, AffineDimExpr):
                sizes[e.position] = max(sizes[e.position], s)
    return sizes


def _roles(m: Any, p: int | None, f: int | None) -> tuple[str, ...]:
    out: list[str] = []
    for e in m.results:
        if isinstance(e, AffineDimExpr):
            if e.position == p:
                out.append("p")
            elif e.position == f:
                out.append("f")
            # a unit loop dim: no role
        elif not (isinstance(e, AffineConstantExpr) and e.value == 0):
            raise Unsupported(f"indexing map result {e}")
    return tuple(out)


def _window(g: Operation, par: list[int], red: list[int], sizes: list[int]) -> tuple[int, int] | None:
    """(t, taps) when g is a window reduction over (p, f) parallel and a short t: some input read
    at (.., f + t) (a depthwise conv1d), else None."""
    if len(par) != 2 or len(red) != 1 or sizes[red[0]] > 32:
        return None
    f, t = par[1], red[0]
    maps = [m.data for m in g.get_indexing_maps().data]  # type: ignore[attr-defined]
    if not any(_tap_role(e, par[0], f, t) == "f+t" for m in maps for e in m.results):
        return None
    return t, sizes[t]


def _tap_role(e: Any, p: int, f: int, t: int) -> str:
    if isinstance(e, AffineDimExpr):
        return {p: "p", f: "f", t: "t"}.get(e.position, "?")
    if (isinstance(e, AffineBinaryOpExpr) and e.kind == AffineBinaryOpKind.Add and isinstance(e.lhs, AffineDimExpr)
            and isinstance(e.rhs, AffineDimExpr) and {e.lhs.position, e.rhs.position} == {f, t}):
        return "f+t"
    return "?"


class _Lowering:
    def __init__(self, fn: func.FuncOp, o: LowerOptions, sched: RowSchedule):
        self.fn = fn
        self.o = o
        self.s = sched
        self.ev = IndexEval(o.dyn_size)
        self.table = ArgTable(fn)
        self.env: dict[SSAValue, TVal] = {}
        self.hoisted_cols: dict[tuple[int, int], SSAValue] = {}
        self.hoisted_scalars: dict[SSAValue, SSAValue] = {}
        self.kernel_args: list[BlockArgument] = []
        self.scalar_results: list[int] = []
        # ScalarE's activation computes f(x * scale + bias) without rounding between: a contraction
        # (fuse_activation), only where every float op's proof allows one (ir/float_order.py).
        self.contract = all(float_order.may_contract(op) for op in fn.walk() if float_order.computes_floats(op))

    # ---------------------------------------------------------------------------- geometry --
    def geometry(self) -> None:
        gens = [op for op in self.fn.body.block.ops if is_structured(op)]
        if not gens:
            raise Unsupported("no linalg.generic to lower")
        if any(op.name in ("linalg.matmul", "linalg.batch_matmul") for op in self.fn.body.block.ops):
            raise Unsupported("a matmul mixed with other tensor ops")
        self.geo: dict[Operation, tuple[int | None, int | None]] = {}
        self.windows: dict[Operation, tuple[int, int]] = {}
        rows: set[int] = set()
        for g in gens:
            sizes = _loop_dims(g, self.ev)  # type: ignore
            its = [str(t.data) for t in g.get_iterator_types().data]  # type: ignore
            par = [d for d, s in enumerate(sizes) if s != 1 and its[d] == "parallel"]
            red = [d for d, s in enumerate(sizes) if s != 1 and its[d] == "reduction"]
            win = _window(g, par, red, sizes)  # type: ignore[arg-type]
            if win is not None:
                self.geo[g], self.windows[g] = (par[0], par[1]), win
                rows.add(sizes[par[0]])
                continue
            if len(red) > 1 or len(par) > 2 or (red and len(par) > 1):
                raise Unsupported(f"a generic over {len(par)} parallel and {len(red)} reduction dims")
            if red:
                p, f = (par[0] if par else None), red[0]
            elif len(par) == 2:
                p, f = par
            elif len(par) == 1:
                p, f = par[0], None
            else:
                p, f = None, None
            self.geo[g] = (p, f)
            rows.add(sizes[p] if p is not None else 1)
        if len(rows) != 1:
            raise Unsupported(f"generics over different numbers of rows {sorted(rows)}")
        self.R = rows.pop()
        want = min(self.s.rows_per_tile, self.o.chip.partitions)
        self.P = max(d for d in range(1, min(self.R, want) + 1) if self.R % d == 0)

    # ------------------------------------------------------------------------------ build --
    def build(self) -> tuple[func.FuncOp, func.FuncOp, KernelRecord]:
        self.geometry()
        name = f"{self.fn.sym_name.data}_kernel"
        self.b = KernelBuilder(name, self.o.chip.name, [], [])
        self.kblock = self.b.block
        ntiles = self.R // self.P
        self.loop_op: scf.ForOp | None = None
        if ntiles > 1:
            loop = self.b.begin_loop(ntiles, "affine")
            self.loop_op = loop
            self.row_iv = loop.body.block.args[0]
        else:
            self.row_iv = self.b.c(0)
        for op in list(self.fn.body.block.ops):
            self.visit(op)
        if self.loop_op is not None:
            self.b.end_loop(self.loop_op)
        kernel = self.b.finish()
        # Arguments were added as they were found.
        kernel.function_type = FunctionType.from_lists([a.type for a in self.kblock.args], [])
        kernel.attributes[nki.OUTPUTS_ATTR] = ArrayAttr(
            [nki.IntegerAttr(i, nki.i64) for i, a in enumerate(self.table.args) if a.output])  # type: ignore
        kernel.attributes["nki.arg_names"] = ArrayAttr([StringAttr(a.name) for a in self.table.args])
        host = build_host(self.fn, name, self.table, self.scalar_results, self.ev)
        return kernel, host, KernelRecord(self.fn.sym_name.data, "rowwise", "", self.s.to_json(),
                                          {"rows": self.R, "partitions": self.P})

    def karg(self, idx: int) -> SSAValue:
        while len(self.kblock.args) <= idx:
            a = self.table.args[len(self.kblock.args)]
            self.kblock.insert_arg(MemRefType(a.elem, [a.rows, a.cols]), len(self.kblock.args))
        return self.kblock.args[idx]

    def hoist(self, op: Operation) -> Operation:
        if self.loop_op is None:
            return self.b.add(op)
        self.kblock.insert_op_before(op, self.loop_op)
        return op

    def new_tile(self, free: int, name: str = "t", hoisted: bool = False) -> SSAValue:
        op = nki.AllocOp((self.P, free), f32, "sbuf", f"{name}{len(self.b._names)}", 1 if hoisted else self.s.bufs)
        self.b._names[f"{name}{len(self.b._names)}"] = 1
        return (self.hoist(op) if hoisted else self.b.add(op)).results[0]

    def row0(self) -> SSAValue:
        return self.b.mul_i(self.row_iv, self.P)

    # ------------------------------------------------------------------------------- ops --
    def visit(self, op: Operation) -> None:
        if is_structured(op):
            self.env[op.results[0]] = self.generic(op)  # type: ignore[arg-type]
            return
        if isinstance(op, bufferization.MaterializeInDestinationOp):
            self.materialize(op)
            return
        if isinstance(op, func.ReturnOp):
            self.returns(op)
            return
        if isinstance(op, linalg.FillOp):
            return  # read where used
        ok = ("arith.", "math.", "tensor.empty", "tensor.extract_slice", "tensor.expand_shape", "tensor.collapse_shape",
              "bufferization.to_tensor", "tensor.insert_slice", "tensor.extract", "memref.alloc", "memref.copy",
              "memref.dim", "tensor.dim", "memref.dealloc")
        if not op.name.startswith(ok):
            raise Unsupported(f"{op.name} has no NKI lowering")

    def operand(self, v: SSAValue, roles: tuple[str, ...], C: int) -> TVal:
        if v in self.env:
            t = self.env[v]
            if t.kind == "full" and roles != ("p", "f"):
                raise Unsupported("a computed 2-d tensor read with another layout")
            if t.kind == "row" and roles not in (("p",), ()):
                raise Unsupported("a computed per-row vector read along the free dim")
            return t
        fill = v.owner
        if isinstance(fill, linalg.FillOp):
            return self.scalar_value(fill.inputs[0])
        view = hbm_view(v, self.ev)
        if view is None:
            raise Unsupported(f"an operand made by {getattr(v.owner, 'name', 'an argument')}")
        sq = view.squeezed()
        if roles == ("p", "f") or roles == ("f", "p"):
            host, (r0, c0), transposed = window_2d(view, "full")
            if roles == ("f", "p"):
                transposed = not transposed
            k = self.karg(self.table.hbm(view.arg, *host))
            tile = self.new_tile(C, "x")
            if transposed:
                self.b.add(nki.LoadOp(tile, k, [self.b.c(r0), self.b.add_i(self.b.c(c0), self.row0())], transpose=True))
            else:
                self.b.add(nki.LoadOp(tile, k, [self.b.add_i(self.b.c(r0), self.row0()), self.b.c(c0)]))
            return TVal("full", tile)
        if roles == ("p",):
            host, (r0, c0), _ = window_2d(view, "rowvec")
            k = self.karg(self.table.hbm(view.arg, *host))
            tile = self.new_tile(1, "r")
            self.b.add(nki.LoadOp(tile, k, [self.b.add_i(self.b.c(r0), self.row0()), self.b.c(c0)]))
            return TVal("row", tile)
        if roles == ("f",):
            key = (view.arg, view.offset)
            if key not in self.hoisted_cols:
                host, (r0, c0), _ = window_2d(view, "colvec")
                k = self.karg(self.table.hbm(view.arg, *host))
                n = sq.shape[0] if sq.shape else 1
                tile = self.new_tile(n, "col", hoisted=True)
                self.hoist(nki.LoadOp(tile, k, [self.b.c(r0), self.b.c(c0)], broadcast=True))
                self.hoisted_cols[key] = tile
            return TVal("full", self.hoisted_cols[key])
        if roles == ():
            host, (r0, c0), _ = window_2d(view, "scalar")
            k = self.karg(self.table.hbm(view.arg, *host))
            tile = self.new_tile(1, "sc", hoisted=True)
            self.hoist(nki.LoadOp(tile, k, [self.b.c(r0), self.b.c(c0)], broadcast=True))
            return TVal("row", tile)
        raise Unsupported(f"operand roles {roles}")

    def scalar_value(self, v: SSAValue) -> TVal:
        c = v.owner
        if isinstance(c, arith.ConstantOp) and isinstance(c.value, FloatAttr):
            return TVal("imm", imm=float(c.value.value.data))
        if not isinstance(v.type, Float32Type):
            raise Unsupported(f"a {v.type} scalar in a kernel")
        if v not in self.hoisted_scalars:
            k = self.karg(self.table.scalar(v, f32))
            tile = self.new_tile(1, "hs", hoisted=True)
            self.hoist(nki.LoadOp(tile, k, [self.b.c(0), self.b.c(0)], broadcast=True))
            self.hoisted_scalars[v] = tile
        return TVal("row", self.hoisted_scalars[v])

    # --------------------------------------------------------------------------- generics --
    def generic(self, g: linalg.GenericOp) -> TVal:
        p, f = self.geo[g]
        sizes = _loop_dims(g, self.ev)
        C = sizes[f] if f is not None else 1
        if g in self.windows:
            assert p is not None and f is not None
            return self.window_generic(g, p, f, *self.windows[g], C)
        maps = [m.data for m in g.get_indexing_maps().data]
        blk = g.body.block
        vals: dict[SSAValue, TVal] = {}
        for i, (v, m) in enumerate(zip(g.inputs, maps, strict=False)):
            if blk.args[i].uses:
                vals[blk.args[i]] = self.operand(v, _roles(m, p, f), C)
        its = [str(t.data) for t in g.get_iterator_types().data]
        reduction = f is not None and its[f] == "reduction"
        out_arg = blk.args[len(g.inputs)]
        ops = [o for o in blk.ops if not isinstance(o, linalg.YieldOp)]
        y = blk.last_op
        assert isinstance(y, linalg.YieldOp)
        if not reduction:
            if out_arg.uses:
                raise Unsupported("an element-wise generic reading its output")
            for o in ops:
                self.body_op(o, vals, g)
            return self.as_tile(vals_get(vals, y.operands[0], self), C, "full" if f is not None else "row")
        # Row reduction: yield combine(out, expr)
        comb = y.operands[0].owner
        if comb not in ops or comb.name not in _BIN or out_arg not in comb.operands:  # type: ignore
            raise Unsupported("a reduction that is not out = out <op> expr")
        red_op = _BIN[comb.name]  # type: ignore
        if red_op not in _IDENTITY:
            raise Unsupported(f"reduction with {red_op}")
        expr = comb.operands[1] if comb.operands[0] is out_arg else comb.operands[0]  # type: ignore
        for o in ops:
            if o is comb:
                continue
            if out_arg in o.operands:
                raise Unsupported("the reduction's output used inside its body")
            self.body_op(o, vals, g)
        if float_order.keeps_order(g):
            raise Unsupported(float_order.remark(g))  # tensor_reduce has no specified order
        e = self.as_tile(vals_get(vals, expr, self), C, "full")
        r = self.new_tile(1, "red")
        self.b.add(nki.TensorReduceOp(r, e.tile, red_op))  # type: ignore[arg-type]
        init = self.operand(g.outputs[0], _roles(maps[len(g.inputs)], p, f), C)
        if init.kind == "imm" and init.imm == _IDENTITY[red_op]:
            return TVal("row", r)
        return self.binary(red_op, TVal("row", r), init)

    def window_generic(self, g: linalg.GenericOp, p: int, f: int, t: int, taps: int, C: int) -> TVal:
        """out[p, f] = init (op) e(tap 0) (op) e(tap 1) ... in the loop's order, each tap's body on
        windows of the inputs shifted by the tap."""
        maps = [m.data for m in g.get_indexing_maps().data]
        blk = g.body.block
        out_arg = blk.args[len(g.inputs)]
        ops = [o for o in blk.ops if not isinstance(o, linalg.YieldOp)]
        y = blk.last_op
        assert isinstance(y, linalg.YieldOp)
        comb = y.operands[0].owner
        if comb not in ops or comb.name not in _BIN or out_arg not in comb.operands:  # type: ignore
            raise Unsupported("a window reduction that is not out = out <op> expr")
        red_op = _BIN[comb.name]  # type: ignore
        expr = comb.operands[1] if comb.operands[0] is out_arg else comb.operands[0]  # type: ignore
        acc = self.operand(g.outputs[0], _roles(maps[len(g.inputs)], p, f), C)
        # Starting from tap 0 drops `+0.0 + e`, which differs for e = -0.0: not where the order is the proof's.
        first = acc.kind == "imm" and acc.imm == _IDENTITY.get(red_op) and not float_order.keeps_order(g)
        for tap in range(taps):
            vals: dict[SSAValue, TVal] = {}
            for i, (v, m) in enumerate(zip(g.inputs, maps, strict=False)):
                if blk.args[i].uses:
                    vals[blk.args[i]] = self.tap_operand(v, m, p, f, t, tap, C)
            for o in ops:
                if o is comb:
                    continue
                if out_arg in o.operands:
                    raise Unsupported("the reduction's output used inside its body")
                self.body_op(o, vals, g)
            e = vals_get(vals, expr, self)
            acc = e if first and tap == 0 else self.binary(red_op, acc, e)
        return self.as_tile(acc, C, "full")

    def tap_operand(self, v: SSAValue, m: Any, p: int, f: int, t: int, tap: int, C: int) -> TVal:
        """An argument read at (p, f + t) ([P, C] shifted by the tap) or (p, t) (a per-row column)."""
        kinds = [_tap_role(e, p, f, t) for e in m.results]
        view = hbm_view(v, self.ev) if v not in self.env else None
        if view is None or kinds not in (["p", "f+t"], ["p", "t"]):
            raise Unsupported(f"a window-reduction operand read at {list(m.results)}")
        host, (r0, c0), transposed = window_2d(view, "full")
        if transposed:
            raise Unsupported("a transposed window-reduction operand")
        k = self.karg(self.table.hbm(view.arg, *host))
        width = C if kinds[1] == "f+t" else 1
        tile = self.new_tile(width, "w")
        self.b.add(nki.LoadOp(tile, k, [self.b.add_i(self.b.c(r0), self.row0()), self.b.c(c0 + tap)]))
        return TVal("full" if width == C else "row", tile)

    def body_op(self, o: Operation, vals: dict[SSAValue, TVal], g: linalg.GenericOp) -> None:
        args = [vals_get(vals, v, self) for v in o.operands]
        if o.name in _BIN:
            vals[o.results[0]] = self.binary(_BIN[o.name], args[0], args[1])
            return
        if o.name == "arith.cmpf":
            pred = o.predicate.value.data  # type: ignore[attr-defined]
            if pred not in _CMP:
                raise Unsupported(f"cmpf predicate {pred}")
            vals[o.results[0]] = self.binary(_CMP[pred], args[0], args[1])
            return
        if o.name in _UNARY:
            vals[o.results[0]] = self.unary(_UNARY[o.name], args[0], o)
            return
        if o.name == "arith.negf":
            vals[o.results[0]] = self.binary("multiply", args[0], TVal("imm", imm=-1.0))
            return
        if o.name == "arith.select":
            vals[o.results[0]] = self.select(args[0], args[1], args[2])
            return
        if o.name in ("arith.extf", "arith.truncf") and isinstance(o.results[0].type, Float32Type):
            vals[o.results[0]] = args[0]
            return
        raise Unsupported(f"{o.name} in a generic body")

    def as_tile(self, t: TVal, C: int, kind: str) -> TVal:
        if t.kind != "imm":
            if kind == "full" and t.kind == "row":
                tile = self.new_tile(C, "bc")
                self.b.add(nki.MemsetOp(tile, 0.0))
                self.b.add(nki.TensorScalarOp(tile, tile, "add", t.tile))  # type: ignore[arg-type]
                return TVal("full", tile)
            return t
        tile = self.new_tile(C if kind == "full" else 1, "imm")
        self.b.add(nki.MemsetOp(tile, t.imm))
        return TVal(kind, tile)

    def binary(self, op: str, a: TVal, b: TVal) -> TVal:
        if a.kind == "imm" and b.kind == "imm":
            with np.errstate(all="ignore"):
                if op in _NP:
                    return TVal("imm", imm=float(_NP[op](np.float32(a.imm), np.float32(b.imm))))
            raise Unsupported(f"constant {op}")
        if a.kind == b.kind:
            dst = self.new_tile(a.free)
            self.b.add(nki.TensorTensorOp(dst, a.tile, b.tile, op))  # type: ignore[arg-type]
            return TVal(a.kind, dst)
        # One side is a per-row vector or an immediate: tensor_scalar on the wider side.
        wide, narrow, reverse = (a, b, False) if _rank(a) > _rank(b) else (b, a, True)
        if reverse and op in _SWAPPED:
            op, reverse = _SWAPPED[op], False
        elif op in _COMMUTES:
            reverse = False
        dst = self.new_tile(wide.free)
        operand: SSAValue | float = narrow.tile if narrow.kind != "imm" else narrow.imm  # type: ignore[assignment]
        self.b.add(nki.TensorScalarOp(dst, wide.tile, op, operand, reverse0=reverse,  # type: ignore[arg-type]
                                      engine=self.s.elementwise_engine))
        return TVal(wide.kind, dst)

    def unary(self, fn_name: str, a: TVal, o: Operation) -> TVal:
        if a.kind == "imm":
            f = {"exp": np.exp, "log": np.log, "tanh": np.tanh, "sqrt": np.sqrt, "abs": np.abs, "sin": np.sin,
                 "cos": np.cos, "rsqrt": lambda x: 1 / np.sqrt(x)}.get(fn_name)
            if f is None:
                raise Unsupported(f"constant {fn_name}")
            return TVal("imm", imm=float(f(np.float32(a.imm))))
        src, scale, bias = a.tile, None, None
        if self.s.fuse_activation and self.contract:
            src, scale, bias = self.fold_affine(a)
        dst = self.new_tile(a.free)
        kw: dict[str, Any] = {}
        if isinstance(scale, float):
            kw["scale_imm"] = scale
        elif scale is not None:
            kw["scale"] = scale
        if isinstance(bias, float):
            kw["bias_imm"] = bias
        elif bias is not None:
            kw["bias"] = bias
        self.b.add(nki.ActivationOp(dst, src, fn_name, **kw))  # type: ignore[arg-type]
        return TVal(a.kind, dst)

    def fold_affine(self, a: TVal) -> tuple[SSAValue, Any, Any]:
        """If a.tile = x (+|-) b with b per-row / immediate (one tensor_scalar), use x and the bias."""
        op = a.tile.owner if a.tile is not None else None
        users = [u.operation for u in a.tile.uses] if a.tile is not None else []
        for u in users:
            if isinstance(u, nki.TensorScalarOp) and u.dst is a.tile and u.op1 is None and u.reverse0 is None \
                    and u.op0.data in ("add", "subtract"):
                neg = u.op0.data == "subtract"
                if u.imm0 is not None:
                    bias: Any = -u.imm0.value.data if neg else u.imm0.value.data
                else:
                    bias = u.operand0
                    if neg:
                        nb = self.new_tile(1, "nb")
                        self.b.add(nki.TensorScalarOp(nb, bias, "multiply", -1.0))  # type: ignore[arg-type]
                        bias = nb
                src = u.src
                u.detach()
                u.erase()
                src, scale = self.fold_scale(src)
                return src, scale, bias
        del op
        return a.tile, None, None  # type: ignore[return-value]

    def fold_scale(self, t: SSAValue) -> tuple[SSAValue, float | None]:
        """If tile t = x * s (or x / s) with an immediate s and t has no other reader, use x and
        the activation's scale (the multiply-add fused into ScalarE's activation)."""
        users = [u.operation for u in t.uses]
        writers = [u for u in users if isinstance(u, nki.TensorScalarOp) and u.dst is t]
        if len(users) != 1 or len(writers) != 1:
            return t, None
        w = writers[0]
        if w.op1 is not None or w.reverse0 is not None or w.imm0 is None or w.op0.data not in ("multiply", "divide"):
            return t, None
        k, divide = float(w.imm0.value.data), w.op0.data == "divide"
        if divide and k == 0.0:
            return t, None
        src = w.src
        w.detach()
        w.erase()
        return src, (1.0 / k if divide else k)

    def select(self, c: TVal, a: TVal, b: TVal) -> TVal:
        kinds = {t.kind for t in (c, a, b)} - {"imm"}
        kind = "full" if "full" in kinds else "row"
        free = next((t.free for t in (c, a, b) if t.kind == kind), 1)
        c2, a2, b2 = (self.as_tile(t, free, kind) for t in (c, a, b))
        c2, a2, b2 = (self.as_tile(t, free, kind) if t.kind != kind else t for t in (c2, a2, b2))
        dst = self.new_tile(free)
        self.b.add(nki.SelectOp(dst, c2.tile, a2.tile, b2.tile))  # type: ignore[arg-type]
        return TVal(kind, dst)

    # ------------------------------------------------------------------------- results --
    def materialize(self, mat: bufferization.MaterializeInDestinationOp) -> None:
        src = mat.source
        value = src.owner.source if isinstance(src.owner, tensor.InsertSliceOp) else src  # type: ignore[union-attr]
        if value not in self.env:
            raise Unsupported("a materialized tensor not computed by the kernel")
        view = _dest_view(mat, value, self.ev)
        if view is None:
            raise Unsupported("a result written through an unsupported view")
        t = self.env[value]
        if t.kind == "full":
            host, (r0, c0), transposed = window_2d(view, "full")
            if transposed:
                raise Unsupported("a transposed store")
            _check_output_window(r0, c0)
            k = self.karg(self.table.hbm(view.arg, *host, output=True))
            self.b.add(nki.StoreOp(k, [self.b.add_i(self.b.c(r0), self.row0()), self.b.c(c0)], t.tile))  # type: ignore[arg-type]
            return
        if t.kind == "row":
            host, (r0, c0), _ = window_2d(view, "rowvec")
            _check_output_window(r0, c0)
            k = self.karg(self.table.hbm(view.arg, *host, output=True))
            self.b.add(nki.StoreOp(k, [self.b.add_i(self.b.c(r0), self.row0()), self.b.c(c0)], t.tile))  # type: ignore[arg-type]
            return
        raise Unsupported("a constant result")

    def returns(self, ret: func.ReturnOp) -> None:
        for v in ret.arguments:
            ex = v.owner
            if not isinstance(ex, tensor.ExtractOp) or ex.tensor not in self.env:
                continue  # host scalars: computed by the host wrapper
            t = self.env[ex.tensor]
            if t.kind != "row" or self.R != 1:
                raise Unsupported("returning one element of a multi-row result")
            idx = self.table.result(f32)
            self.scalar_results.append(idx)
            self.b.add(nki.StoreOp(self.karg(idx), [self.b.c(0), self.b.c(0)], t.tile))  # type: ignore[arg-type]


def _rank(t: TVal) -> int:
    return {"imm": 0, "row": 1, "full": 2}[t.kind]


def vals_get(vals: dict[SSAValue, TVal], v: SSAValue, low: _Lowering) -> TVal:
    if v in vals:
        return vals[v]
    if isinstance(v, BlockArgument) and not isinstance(v.owner.parent_op(), func.FuncOp):  # type: ignore[union-attr]
        raise Unsupported("a generic body reads an operand it does not map")
    return low.scalar_value(v)


def lower_rowwise(fn: func.FuncOp, o: LowerOptions) -> tuple[func.FuncOp, func.FuncOp, KernelRecord]:
    sched = o.schedules.get(fn.sym_name.data)
    if not isinstance(sched, RowSchedule):
        sched = RowSchedule()
    if any(isinstance(a.type, MemRefType) and not isinstance(a.type.element_type, Float32Type)
           for a in fn.body.block.args):
        raise Unsupported("row-wise kernels on non-f32 buffers")
    return _Lowering(fn, o, sched).build()


def _check_output_window(r0: int, c0: int) -> None:
    """A kernel's output is a fresh HBM tensor copied back over the buffer's prefix: a result
    written from an offset would overwrite the elements before it with undefined values."""
    if (r0, c0) != (0, 0):
        raise Unsupported("a result written from an offset into its buffer (the kernel's fresh output would overwrite the elements before it)")
