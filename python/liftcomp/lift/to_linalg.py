"""Lower a TensorSpec program to tensor-level IR: the body of a raised function.

`emit_program(func, prog, decls)` replaces the body of `func` (its signature stays: memref
arguments, scalar arguments, results) with linalg/tensor ops computing `prog`:

- every buffer the program reads becomes `bufferization.to_tensor %arg restrict`; a buffer that
  is also written is copied first (memref.alloc + memref.copy), because every read in a program
  sees the values at entry;
- each node becomes one op (tensor.extract_slice, tensor.expand_shape/collapse_shape,
  linalg.transpose, linalg.fill, linalg.matmul, linalg.generic ...); rank-0 values are plain
  SSA scalars, captured by the generic bodies that use them;
- element ops are derived from the element semantics in tensorspec.py (`_elementwise_term`,
  `_convert`), so the lowering computes what the verifier proved; integer division and
  remainder by zero give 0 (numpy's value) instead of MLIR's undefined behaviour;
- `buf[view] = value` updates the buffer's value in tensors (`bufferization.to_tensor %buf
  restrict writable`, then tensor.insert_slice / tensor.insert through the view chain, reshapes
  undone by expand/collapse_shape), and each written buffer gets one final
  `bufferization.materialize_in_destination %t in restrict writable %buf`. (Materializing into a
  memref.subview is what upstream allows too, but xDSL 0.74's verifier only accepts identity
  layouts for the destination.) Bufferization writes in place: the inserts become subviews;
- returned values are converted to the function's result types.

Size symbols (`Poly` variables) are scalar arguments (index, or integers through
arith.index_cast) or `"<buf>.shape[<k>]"` (memref.dim of that argument).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects import arith, bufferization, func, memref, tensor
from xdsl.dialects.builtin import (
    DYNAMIC_INDEX,
    AffineMapAttr,
    AnyFloat,
    ArrayAttr,
    BFloat16Type,
    DenseArrayBase,
    Float8E4M3FNType,
    Float8E5M2Type,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    TensorType,
    UnitAttr,
    i64,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr, AffineExpr, AffineMap
from xdsl.transforms.common_subexpression_elimination import cse

from liftcomp.diagnostics import LiftcompError
from liftcomp.interop import linalg_ops
from liftcomp.lift import terms as T
from liftcomp.lift.tensorspec import (
    Arg,
    ArgDecl,
    ArgReduce,
    Assign,
    Cast,
    Diagonal,
    DType,
    Elementwise,
    Full,
    Lit,
    MatMul,
    Node,
    Outer,
    Pad,
    Program,
    Reduce,
    Reshape,
    SizeVal,
    SliceSpec,
    Strided,
    Transpose,
    View,
    Window,
    _convert,  # pyright: ignore[reportPrivateUsage]
    _elementwise_term,  # pyright: ignore[reportPrivateUsage]
    ceil_definition,
    reduced_axes,
)
from liftcomp.lift.terms import Poly


class LoweringError(LiftcompError):
    """A TensorSpec program (or function) this lowering cannot express."""


def _read_args(prog: Program) -> set[str]:
    """The buffers the program's values read."""
    out: set[str] = set()
    seen: set[int] = set()

    def walk(n: object) -> None:
        if not isinstance(n, Node) or id(n) in seen:
            return
        seen.add(id(n))
        if isinstance(n, Arg) and not n.is_scalar:
            out.add(n.name)
        for v in vars(n).values():
            for c in v if isinstance(v, list | tuple) else [v]:
                walk(c)

    for a in prog.assigns:
        walk(a.value)
    for r in prog.returns:
        walk(r)
    return out


def emit_program(fn: func.FuncOp, prog: Program, decls: list[ArgDecl], named: bool = True) -> None:
    """Replace the body of `fn` with tensor-level IR computing `prog` (see the module docstring).
    named=False emits linalg.generic where a named op would go (the same maps and bodies: what
    upstream's linalg-generalize-named-ops makes of the named form; tests compare the two)."""
    _Emitter(fn, prog, decls, named).run()


# ---------------------------------------------------------------- types


def elem_type(dt: DType) -> Attribute:
    et = dt.etype
    if et.brain:
        return BFloat16Type()
    if et.fp8:
        return Float8E4M3FNType() if et.fp8 == "f8e4m3fn" else Float8E5M2Type()
    if et.kind == "f":
        return {16: Float16Type(), 32: Float32Type(), 64: Float64Type()}[et.width]
    return IntegerType(et.width)


def _etype_attr(et: T.EType) -> Attribute:
    if et.kind == "index":
        return IndexType()
    if et.brain:
        return BFloat16Type()
    if et.fp8:
        return Float8E4M3FNType() if et.fp8 == "f8e4m3fn" else Float8E5M2Type()
    if et.kind == "f":
        return {16: Float16Type(), 32: Float32Type(), 64: Float64Type()}[et.width]
    return IntegerType(et.width)


def _static(p: Poly) -> int:
    return p.const_value if p.is_const else DYNAMIC_INDEX


def tensor_type(shape: Sequence[Poly], dt: DType) -> TensorType[Attribute]:
    return TensorType(elem_type(dt), [_static(p) for p in shape])


def _map(num_dims: int, results: Sequence[int | None]) -> AffineMapAttr:
    """An affine map (d0..dn-1) -> results, None standing for the constant 0."""
    exprs = tuple(AffineExpr.constant(0) if r is None else AffineExpr.dimension(r) for r in results)
    return AffineMapAttr(AffineMap(num_dims, 0, exprs))


_PARALLEL = IteratorTypeAttr.parallel()
_REDUCTION = IteratorTypeAttr.reduction()

_CMPI = {"eq": 0, "ne": 1, "slt": 2, "sle": 3, "sgt": 4, "sge": 5, "ult": 6, "ule": 7, "ugt": 8, "uge": 9}
_CMPF = {"oeq": 1, "ogt": 2, "oge": 3, "olt": 4, "ole": 5, "one": 6, "ord": 7, "ueq": 8, "ugt_f": 9, "uge_f": 10,
         "ult_f": 11, "ule_f": 12, "une": 13, "uno": 14}
_MATH = {"exp", "log", "sqrt", "rsqrt", "tanh", "exp2", "expm1", "log2", "log10", "log1p", "sin", "cos", "tan", "atan",
         "floor", "ceil", "trunc", "round", "roundeven", "absf", "absi", "powf", "erf", "cbrt"}
_SHAPE_SYM = re.compile(r"^(\w+)\.shape\[(\d+)\]$")


def _is_whole(n: View) -> bool:
    """x[0:x.shape[0], ...]: the view is its source. For an argument, only its own extents count
    (static, or its `.shape[k]` symbols): declarations may name a buffer's extent by a size that
    bounds the loops rather than the memref."""
    if n.newaxes:
        return False
    for d, (spec, extent) in enumerate(zip(n.per_dim, n.src.shape, strict=True)):
        if not (isinstance(spec, SliceSpec) and spec.step == 1 and spec.start == Poly.const(0) and spec.length == extent):
            return False
        if isinstance(n.src, Arg) and not (extent.is_const or extent == Poly.var(f"{n.src.name}.shape[{d}]")):
            return False
    return True


def _strip_whole(n: Node) -> Node:
    while isinstance(n, View) and _is_whole(n):
        n = n.src
    return n


def _scalar_source(n: Node) -> Node | None:
    """The rank-0 node behind n (n itself, or a scalar with unit dims added), captured by bodies."""
    if not n.shape:
        return n
    if isinstance(n, View) and not n.src.shape:
        return n.src
    return None


def _children(n: Node) -> Iterator[Node]:
    for name in ("src", "lhs", "rhs", "value"):
        c = getattr(n, name, None)
        if isinstance(c, Node):
            yield c
    if isinstance(n, Elementwise):
        yield from n.args


# ---------------------------------------------------------------- the emitter


class _Emitter:
    def __init__(self, fn: func.FuncOp, prog: Program, decls: list[ArgDecl], named: bool = True):
        self.named = named
        if fn.is_declaration:
            raise LoweringError(f"function '{fn.sym_name.data}' has no body")
        self.fn = fn
        self.prog = prog
        self.top = fn.body.block
        if len(decls) != len(self.top.args):
            raise LoweringError(f"{len(decls)} argument declarations for {len(self.top.args)} arguments")
        self.decls = {d.name: d for d in decls}
        self.args: dict[str, SSAValue] = {d.name: a for d, a in zip(decls, self.top.args, strict=True)}
        self.cur: Block = self.top
        self.consts: dict[tuple[Any, Attribute], SSAValue] = {}
        self.indices: dict[Poly, SSAValue] = {}
        self.inputs: dict[str, SSAValue] = {}
        self.values: dict[str, SSAValue] = {}
        self.written = {a.buf for a in prog.assigns}
        self.copies: list[SSAValue] = []  # entry copies of buffers the program reads and writes
        self.outputs: dict[str, SSAValue] = {}  # current value of each written buffer

    # --- insertion
    def emit(self, op: Operation) -> SSAValue:
        self.cur.add_op(op)
        return op.results[0] if op.results else None  # type: ignore[return-value]

    def emit_top(self, op: Operation) -> SSAValue:
        """Loop-invariant values (constants, sizes, casts of arguments) go to the function block."""
        self.top.add_op(op)
        return op.results[0]

    def const(self, value: int | float, t: Attribute) -> SSAValue:
        # Keyed by bit pattern: 0.0 == -0.0 (and NaN != NaN) as Python floats, so a value key would
        # hand a select's +0.0 the -0.0 of a compare emitted earlier.
        key = (float(value).hex() if isinstance(t, AnyFloat) else int(value), t)
        if key in self.consts:
            return self.consts[key]
        if isinstance(t, IndexType):
            attr: Attribute = IntegerAttr(int(value), t)
        elif isinstance(t, IntegerType):
            w = t.width.data
            v = int(value) & ((1 << w) - 1)
            attr = IntegerAttr(v - (1 << w) if w > 1 and v >> (w - 1) else v, t)
        else:
            assert isinstance(t, AnyFloat)
            attr = FloatAttr(float(value), t)
        v = self.emit_top(arith.ConstantOp(attr, t))
        self.consts[key] = v
        return v

    # --- index arithmetic
    def symbol(self, name: str) -> SSAValue:
        m = _SHAPE_SYM.match(name)
        if m:
            buf, k = m.group(1), int(m.group(2))
            if buf not in self.args or not isinstance(self.args[buf].type, MemRefType):
                raise LoweringError(f"size symbol '{name}' names no memref argument")
            return self.emit_top(memref.DimOp(self.args[buf], self.const(k, IndexType())))
        ceil = ceil_definition(name)
        if ceil is not None:
            # The length of a slice with a step: max(0, ceil(num / s)).
            num = self.emit_top(arith.MaxSIOp(self.index(ceil[0]), self.const(0, IndexType())))
            return self.emit_top(arith.CeilDivSIOp(num, self.const(ceil[1], IndexType())))
        if name not in self.args:
            raise LoweringError(f"size symbol '{name}' is not an argument")
        a = self.args[name]
        if isinstance(a.type, IndexType):
            return a
        if isinstance(a.type, IntegerType):
            return self.emit_top(arith.IndexCastOp(a, IndexType()))
        raise LoweringError(f"size symbol '{name}' has type {a.type}, not index or integer")

    def index(self, p: Poly) -> SSAValue:
        if p in self.indices:
            return self.indices[p]
        idx = IndexType()
        total: SSAValue | None = None
        for mono, c in p.terms:
            if not mono:
                term = self.const(c, idx)
            else:
                term = self.symbol(mono[0])
                for v in mono[1:]:
                    term = self.emit_top(arith.MuliOp(term, self.symbol(v)))
                if c != 1:
                    term = self.emit_top(arith.MuliOp(term, self.const(c, idx)))
            total = term if total is None else self.emit_top(arith.AddiOp(total, term))
        out = total if total is not None else self.const(0, idx)
        self.indices[p] = out
        return out

    def mixed(self, p: Poly) -> int | SSAValue:
        """A static int for constants, an SSA index otherwise (the operands of slice-like ops)."""
        return p.const_value if p.is_const else self.index(p)

    def extent(self, p: Poly) -> int | SSAValue:
        """A size: a symbolic length below zero (a loop that runs zero times) is an empty range,
        as in numpy and in TensorSpec's semantics, so it is clamped at 0."""
        if p.is_const:
            return p.const_value
        return self.emit_top(arith.MaxSIOp(self.index(p), self.const(0, IndexType())))

    def dyn_sizes(self, shape: Sequence[Poly]) -> list[SSAValue]:
        return [self.extent(p) for p in shape if not p.is_const]  # type: ignore[misc]

    def empty(self, shape: Sequence[Poly], dt: DType) -> SSAValue:
        return self.emit(tensor.EmptyOp(self.dyn_sizes(shape), tensor_type(shape, dt)))

    # --- whole program
    def run(self) -> None:
        for op in reversed(list(self.top.ops)):
            self.top.erase_op(op, safe_erase=False)
        for a in self.prog.assigns:
            self.prepare_target(a)
        # Copies of buffers the program reads and writes come first: a later in-place write (an
        # empty tensor eliminated into an output's slice) must not reach what they copy.
        for name in sorted(_read_args(self.prog) & set(self.written)):
            self.input_tensor(name)
        for a in self.prog.assigns:
            self.assign(a)
        for buf, t in self.outputs.items():
            self.emit(
                bufferization.MaterializeInDestinationOp.create(
                    operands=[t, self.args[buf]], properties={"restrict": UnitAttr(), "writable": UnitAttr()}
                )
            )
        if not self.prog.returns:
            # The entry copies are dead once the outputs are written (a raised loop body runs
            # once per iteration: without this each iteration would leak its copies). A returned
            # value may still be a view of one, so functions with results keep them.
            for c in self.copies:
                self.emit(memref.DeallocOp.get(c))
        outputs = self.fn.function_type.outputs.data
        if len(outputs) != len(self.prog.returns):
            raise LoweringError(
                f"the program returns {len(self.prog.returns)} values, the function {len(outputs)}"
            )
        results = [self.to_type(self.value(r), r.dtype, t) for r, t in zip(self.prog.returns, outputs, strict=True)]
        self.emit(func.ReturnOp(*results))
        cse(self.fn)  # repeated views and sizes of the program text

    def to_type(self, v: SSAValue, dt: DType, t: Attribute) -> SSAValue:
        """Convert a returned scalar to the function's result type (numpy astype semantics)."""
        if v.type == t:
            return v
        if isinstance(t, IndexType):
            return self.emit(arith.IndexCastOp(v, t))
        if isinstance(t, IntegerType):
            dst = DType(f"{'u' if dt.is_unsigned else 'i'}{t.width.data}") if t.width.data > 1 else DType("bool")
        elif isinstance(t, AnyFloat):
            dst = DType("bf16" if isinstance(t, BFloat16Type) else f"f{t.bitwidth}")
        else:
            raise LoweringError(f"cannot return a value as {t}")
        return self.term(_convert(T.Scalar("$0", dt.etype), dt, dst), {"$0": v})

    # --- inputs
    def input_tensor(self, name: str) -> SSAValue:
        if name in self.inputs:
            return self.inputs[name]
        buf = self.args[name]
        t = buf.type
        if not isinstance(t, MemRefType):
            raise LoweringError(f"'{name}' is not a memref argument")
        if name in self.written:
            # Reads see the values at entry: read a copy of a buffer the program also writes.
            copy_t = MemRefType(t.element_type, t.get_shape())
            dims = [
                self.emit_top(memref.DimOp(buf, self.const(k, IndexType())))
                for k, s in enumerate(t.get_shape())
                if s == DYNAMIC_INDEX
            ]
            copy = self.emit_top(memref.AllocOp(dims, [], copy_t))
            self.top.add_op(memref.CopyOp(buf, copy))
            self.copies.append(copy)
            buf = copy
        v = self.emit_top(bufferization.ToTensorOp(buf, restrict=True))
        self.inputs[name] = v
        return v

    # --- nodes
    def value(self, n: Node) -> SSAValue:
        """A tensor for nodes of rank >= 1, a scalar for rank 0."""
        key = repr(n)  # structural: equal subtrees (e.g. the same slice written twice) are lowered once
        if key not in self.values:
            self.values[key] = self.lower(n)
        return self.values[key]

    def lower(self, n: Node) -> SSAValue:
        if isinstance(n, Lit):
            return self.const(n.value if n.dtype.is_float else int(n.value), elem_type(n.dtype))
        if isinstance(n, SizeVal):
            return self.emit_top(arith.IndexCastOp(self.index(n.poly), elem_type(n.dtype)))
        if isinstance(n, Arg):
            return self.lower_arg(n)
        if isinstance(n, View):
            return self.lower_view(n)
        if isinstance(n, Reshape):
            return self.lower_reshape(n)
        if isinstance(n, Transpose):
            return self.lower_transpose(n)
        if isinstance(n, Window):
            return self.lower_window(n)
        if isinstance(n, Strided):
            return self.lower_strided(n)
        if isinstance(n, Diagonal):
            return self.lower_diagonal(n)
        if isinstance(n, Pad):
            return self.lower_pad(n)
        if isinstance(n, Cast | Elementwise):
            window = _pooling_window(n)
            if window is not None:
                return self.pooling(n, window)
            return self.fused(n)
        if isinstance(n, Full):
            v = self.value(n.value)
            if not n.shape:
                return v
            return self.emit(linalg.FillOp([v], [self.empty(n.shape, n.dtype)], [tensor_type(n.shape, n.dtype)]))
        if isinstance(n, Reduce):
            return self.lower_reduce(n)
        if isinstance(n, ArgReduce):
            return self.lower_arg_reduce(n)
        if isinstance(n, MatMul):
            return self.lower_matmul(n)
        if isinstance(n, Outer):
            mul = Elementwise(n.dtype, (), op="mul", args=[n.lhs, n.rhs])
            return self.generic(
                n.shape, n.dtype, [(n.lhs, [0]), (n.rhs, [1])], [_PARALLEL, _PARALLEL], None,
                lambda v: self.elementwise(mul, v[:2]),
            )
        raise LoweringError(f"cannot lower {type(n).__name__} to linalg")

    def pooling(self, n: Node, w: _Window) -> SSAValue:
        """t(0,0) op t(0,1) op ... op t(KH-1,KW-1), t(a,b) = x[p + a*dh :: sh, q + b*dw :: sw]
        (an unrolled 2-D pooling window, left to right, row-major): linalg.pooling_nhwc_sum / max
        on x as a 1 x H x W x 1 tensor, from the op's identity (-0.0 for a float sum: -0.0 + t
        is t exactly, so the order and the result are the program's)."""
        assert isinstance(n, Elementwise)
        (oh, ow), dt = n.shape, n.dtype
        et = elem_type(dt)
        height = (oh - 1) * w.strides[0] + (w.window[0] - 1) * w.dilations[0] + 1
        width = (ow - 1) * w.strides[1] + (w.window[1] - 1) * w.dilations[1] + 1
        region = View(dt, (height, width), src=w.src, per_dim=[SliceSpec(w.start[0], 1, height), SliceSpec(w.start[1], 1, width)])
        one = Poly.const(1)
        x = self.expand(self.value(region), [[0, 1], [2, 3]], (one, height, width, one), dt)
        window = self.emit(tensor.EmptyOp([], TensorType(et, list(w.window))))
        out_shape = (one, oh, ow, one)
        if n.op == "add":
            ident: int | float = -0.0 if dt.is_float else 0
        else:
            ident = float("-inf") if dt.is_float else -(1 << (dt.etype.width - 1))
        init = self.emit(linalg.FillOp([self.const(ident, et)], [self.empty(out_shape, dt)], [tensor_type(out_shape, dt)]))
        block = Block(arg_types=[et, et, et])
        comb = {"add": "addf" if dt.is_float else "addi", "max": "maximumf" if dt.is_float else "maxsi"}[n.op]
        saved = self.cur
        self.cur = block
        self.emit(linalg.YieldOp(self.emit(_named(f"arith.{comb}", [block.args[2], block.args[0]], et))))
        self.cur = saved
        out_t = tensor_type(out_shape, dt)
        cls = linalg_ops.PoolingNhwcSumOp if n.op == "add" else linalg_ops.PoolingNhwcMaxOp
        op = cls([x, window], [init], Region(block), [out_t], linalg_ops.pooling_props(w.strides, w.dilations))
        if not self.named:
            op = linalg.GenericOp([x, window], [init], op.body.clone(), op.get_indexing_maps(), op.get_iterator_types(), [out_t])
        pooled = self.emit(op)
        collapse = tensor.CollapseShapeOp.create(
            operands=[pooled], result_types=[tensor_type(n.shape, dt)], properties={"reassociation": _reassociation([[0, 1], [2, 3]])},
        )
        return self.emit(collapse)

    def lower_window(self, n: Window) -> SSAValue:
        """A copy through the indexing map (i..., k...) -> (i + k ...): linalg's own convolution form."""
        src = self.value(n.src)
        r = len(n.window)
        nloops = 2 * r
        exprs = tuple(AffineExpr.dimension(d) + AffineExpr.dimension(r + d) for d in range(r))
        in_map = AffineMapAttr(AffineMap(nloops, 0, exprs))
        out_map = _map(nloops, list(range(nloops)))
        out_t = tensor_type(n.shape, n.dtype)
        block = Block(arg_types=[elem_type(n.dtype), elem_type(n.dtype)])
        saved = self.cur
        self.cur = block
        self.emit(linalg.YieldOp(block.args[0]))
        self.cur = saved
        return self.emit(linalg.GenericOp([src], [self.empty(n.shape, n.dtype)], Region(block), [in_map, out_map], [_PARALLEL] * nloops, [out_t]))

    def lower_pad(self, n: Pad) -> SSAValue:
        """np.pad with zeros: tensor.pad with static low/high widths, yielding 0."""
        widths = [*n.low, *n.high]
        if not all(w.is_const for w in widths):
            raise LoweringError("np.pad with symbolic widths")
        src = self.value(n.src)
        et = elem_type(n.dtype)
        block = Block(arg_types=[IndexType()] * len(n.shape))
        saved = self.cur
        self.cur = block
        self.emit(tensor.YieldOp(self.const(0.0 if n.dtype.is_float else 0, et)))
        self.cur = saved
        pad = tensor.PadOp(src, [], [], Region(block), [w.const_value for w in n.low], [w.const_value for w in n.high],
                           tensor_type(n.shape, n.dtype))
        return self.emit(pad)

    def lower_strided(self, n: Strided) -> SSAValue:
        """A gather: out[q...] = tensor.extract src[offset + sum q_k * strides[k]], inside one
        linalg.generic with no inputs (linalg.index gives q). It reads exactly the view's
        elements, so overlapping rows and the gaps between rows need no slice of whole rows
        (which could reach past the buffer where the loop does not)."""
        return self.gather(self.value(n.src), n.offset, n.shape, n.strides, n.dtype)

    def gather(self, src: SSAValue, offset_p: Poly, shape: Sequence[Poly], strides_p: Sequence[Poly], dt: DType) -> SSAValue:
        """out[q...] = src[offset + sum q_k * strides[k]] of a 1-D tensor, one linalg.generic."""
        offset = self.index(offset_p)
        strides = [self.index(s) for s in strides_p]
        rank = len(shape)
        out_t = tensor_type(shape, dt)
        block = Block(arg_types=[elem_type(dt)])
        saved = self.cur
        self.cur = block
        pos = offset
        for k, stride in enumerate(strides):
            q = self.emit(linalg.IndexOp(k))
            step = q if strides_p[k] == Poly.const(1) else self.emit(arith.MuliOp(q, stride))
            pos = self.emit(arith.AddiOp(pos, step))
        self.emit(linalg.YieldOp(self.emit(tensor.ExtractOp(src, [pos], elem_type(dt)))))
        self.cur = saved
        return self.emit(
            linalg.GenericOp([], [self.empty(shape, dt)], Region(block), [_map(rank, list(range(rank)))], [_PARALLEL] * rank, [out_t])
        )

    def lower_diagonal(self, n: Diagonal, src: SSAValue | None = None) -> SSAValue:
        """A gather out[q] = tensor.extract src[q, q] in a linalg.generic with no inputs."""
        src = self.value(n.src) if src is None else src
        block = Block(arg_types=[elem_type(n.dtype)])
        saved = self.cur
        self.cur = block
        q = self.emit(linalg.IndexOp(0))
        self.emit(linalg.YieldOp(self.emit(tensor.ExtractOp(src, [q, q], elem_type(n.dtype)))))
        self.cur = saved
        out_t = tensor_type(n.shape, n.dtype)
        return self.emit(linalg.GenericOp([], [self.empty(n.shape, n.dtype)], Region(block), [_map(1, [0])], [_PARALLEL], [out_t]))

    def put_diagonal(self, cur: SSAValue, new: SSAValue, n: Diagonal) -> SSAValue:
        """cur (a square 2-D tensor) with its diagonal replaced by new: a linalg.generic over
        cur's elements that takes new[i] where i == j and keeps cur elsewhere."""
        et = elem_type(n.dtype)
        new = self.coerce(new, tensor_type(n.shape, n.dtype))
        block = Block(arg_types=[et, et])
        saved = self.cur
        self.cur = block
        i, j = self.emit(linalg.IndexOp(0)), self.emit(linalg.IndexOp(1))
        on = self.emit(arith.CmpiOp(i, j, _CMPI["eq"]))
        self.emit(linalg.YieldOp(self.emit(arith.SelectOp(on, block.args[0], block.args[1]))))
        self.cur = saved
        return self.emit(linalg.GenericOp([new], [cur], Region(block), [_map(2, [0]), _map(2, [0, 1])], [_PARALLEL, _PARALLEL], [cur.type]))

    def lower_arg(self, n: Arg) -> SSAValue:
        a = self.args.get(n.name)
        if a is None:
            raise LoweringError(f"unknown argument '{n.name}'")
        if n.is_scalar:
            want = elem_type(n.dtype)
            if a.type == want:
                return a
            if isinstance(a.type, IndexType):
                return self.emit_top(arith.IndexCastOp(a, want))
            raise LoweringError(f"scalar '{n.name}' of type {a.type} used as {n.dtype}")
        t = self.input_tensor(n.name)
        if not n.shape:
            return self.emit_top(tensor.ExtractOp(t, [], elem_type(n.dtype)))
        return self.coerce(t, tensor_type(n.shape, n.dtype))

    def coerce(self, v: SSAValue, want: TensorType[Attribute]) -> SSAValue:
        """tensor.cast where static and dynamic extents of the same size meet."""
        if v.type == want:
            return v
        return self.emit(tensor.CastOp(v, want))

    def slice_params(self, n: View) -> tuple[list[int | SSAValue], list[int | SSAValue], list[int], list[Poly]]:
        """Offsets, sizes, strides of a view (integer indices: size 1, dropped) and its kept sizes."""
        offsets: list[int | SSAValue] = []
        sizes: list[int | SSAValue] = []
        strides: list[int] = []
        kept: list[Poly] = []
        for spec in n.per_dim:
            if isinstance(spec, SliceSpec):
                offsets.append(self.mixed(spec.start))
                sizes.append(self.extent(spec.length))
                strides.append(spec.step)
                kept.append(spec.length)
            else:
                offsets.append(self.mixed(spec))
                sizes.append(1)
                strides.append(1)
        return offsets, sizes, strides, kept

    def lower_view(self, n: View) -> SSAValue:
        if _is_whole(n):
            return self.value(n.src)
        if not n.src.shape:  # x[None, None] of a scalar
            return self.emit(tensor.FromElementsOp.create(operands=[self.value(n.src)], result_types=[tensor_type(n.shape, n.dtype)]))
        return self.slice_value(self.value(n.src), n)

    def slice_value(self, src: SSAValue, n: View) -> SSAValue:
        offsets, sizes, strides, kept = self.slice_params(n)
        if not kept and not n.newaxes:
            return self.emit(tensor.ExtractOp(src, [self.index(s) for s in n.per_dim if isinstance(s, Poly)], elem_type(n.dtype)))
        sliced = self.emit(
            tensor.ExtractSliceOp.build(
                operands=[src, *_dynamic_parts(offsets, sizes), []],
                result_types=[tensor_type(kept, n.dtype)],
                properties=_static_parts(offsets, sizes, strides),
            )
        )
        if not n.newaxes:
            return sliced
        # None: unit dims, each grouped with the nearest kept dim before it (or the first one).
        groups: list[list[int]] = []
        pending: list[int] = []
        for pos in range(len(n.shape)):
            if pos in n.newaxes:
                (groups[-1] if groups else pending).append(pos)
            else:
                groups.append([*pending, pos])
                pending = []
        if pending:  # rank-0 source: empty reassociation
            groups = []
        return self.expand(sliced, groups, n.shape, n.dtype)

    def expand(self, src: SSAValue, groups: list[list[int]], shape: Sequence[Poly], dt: DType) -> SSAValue:
        return self.emit(
            tensor.ExpandShapeOp(
                src,
                self.dyn_sizes(shape),
                _reassociation(groups),
                [_static(p) for p in shape],
                tensor_type(shape, dt),
            )
        )

    def lower_reshape(self, n: Reshape) -> SSAValue:
        return self.reshape_value(self.value(n.src), n.src.shape, n.shape, n.dtype)

    def reshape_value(self, src: SSAValue, src_shape: Sequence[Poly], shape: Sequence[Poly], dt: DType) -> SSAValue:
        """Row-major reshape between 1-D and N-D."""
        rank_in, rank_out = len(src_shape), len(shape)
        if rank_in == rank_out == 1:
            return self.coerce(src, tensor_type(shape, dt))
        if rank_in == 1 and sum(not p.is_const for p in shape) > 1:
            # One tensor.expand_shape group with two dynamic sizes is valid IR, but upstream's
            # expand-strided-metadata aborts on it after bufferization: read it as a gather.
            strides: list[Poly] = []
            for k in range(rank_out):
                stride = Poly.const(1)
                for d in shape[k + 1 :]:
                    stride = stride * d
                strides.append(stride)
            return self.gather(src, Poly.const(0), shape, strides, dt)
        if rank_in == 1:
            return self.expand(src, [list(range(rank_out))], shape, dt)
        if rank_out == 1:
            op = tensor.CollapseShapeOp.create(
                operands=[src],
                result_types=[tensor_type(shape, dt)],
                properties={"reassociation": _reassociation([list(range(rank_in))])},
            )
            return self.emit(op)
        raise LoweringError("reshape between two multi-dimensional shapes")

    def lower_transpose(self, n: Transpose) -> SSAValue:
        src = self.value(n.src)
        if list(n.perm) == list(range(len(n.perm))):
            return src
        init = self.empty(n.shape, n.dtype)
        return self.emit(linalg.TransposeOp(src, init, DenseArrayBase.from_list(i64, list(n.perm)), tensor_type(n.shape, n.dtype)))

    # --- element-wise maps
    def fused(self, root: Node) -> SSAValue:
        """One generic for a tree of element-wise ops and casts of the same shape."""

        def fusable(n: Node) -> bool:
            if n is not root and _pooling_window(n) is not None:
                return False  # a pooling window inside the tree: lowered as its own op
            return isinstance(n, Cast | Elementwise) and (n is root or n.shape == root.shape)

        leaves: dict[str, Node] = {}

        def collect(n: Node) -> None:
            if not fusable(n):
                leaves.setdefault(repr(n), n)
                return
            for c in _children(n):
                collect(c)

        collect(root)
        order = list(leaves)

        def body(vals: list[SSAValue]) -> SSAValue:
            env = dict(zip(order, vals, strict=True))

            def ev(n: Node) -> SSAValue:
                key = repr(n)
                if key in env:
                    return env[key]
                if isinstance(n, Cast):
                    r = self.term(_convert(T.Scalar("$0", n.src.dtype.etype), n.src.dtype, n.dtype), {"$0": ev(n.src)})
                else:
                    assert isinstance(n, Elementwise)
                    r = self.elementwise(n, [ev(a) for a in n.args])
                env[key] = r
                return r

            return ev(root)

        return self.map(root.shape, root.dtype, list(leaves.values()), body)

    def map(self, shape: Sequence[Poly], dt: DType, args: Sequence[Node], body: Callable[[list[SSAValue]], SSAValue]) -> SSAValue:
        """A broadcasting element-wise op; rank-0 arguments are captured as scalars."""
        if not shape:
            return body([self.value(a) for a in args])
        rank = len(shape)
        one = Poly.const(1)
        operands: list[tuple[Node, list[int | None]]] = []
        for a in args:
            off = rank - len(a.shape)
            dims: list[int | None] = [
                None if (a.shape[j] == one and shape[j + off] != one) else j + off for j in range(len(a.shape))
            ]
            if isinstance(a, View) and a.newaxes and a.src.shape and _whole_dims(a) and all(dims[k] is None for k in a.newaxes):
                # b[None, :] broadcast: read b itself (no unit-dim copy; the maps say broadcast).
                a, dims = a.src, [d for k, d in enumerate(dims) if k not in a.newaxes]
            operands.append((a, dims))  # type: ignore[arg-type]
        return self.generic(shape, dt, operands, [_PARALLEL] * rank, None, body)

    def generic(
        self,
        out_shape: Sequence[Poly],
        dt: DType,
        operands: Sequence[tuple[Node, Sequence[int | None]]],
        iterators: Sequence[IteratorTypeAttr],
        out_dims: Sequence[int] | None,
        body: Callable[[list[SSAValue]], SSAValue],
        init: SSAValue | None = None,
        combine: Callable[[SSAValue, SSAValue], SSAValue] | None = None,
    ) -> SSAValue:
        """One linalg.generic over len(iterators) loops.

        operands: (node, map results) for each input; rank-0 nodes are captured instead. The
        output's map is out_dims (identity by default). `body` gets the scalars of all
        operands in order; with `combine`, the yielded value is combine(acc, body(...)) and
        `init` is the output tensor (a reduction).
        """
        nloops = len(iterators)
        ins: list[SSAValue] = []
        maps: list[AffineMapAttr] = []
        captured: dict[int, SSAValue] = {}
        for i, (node, dims) in enumerate(operands):
            scalar = _scalar_source(node)
            if scalar is not None:
                captured[i] = self.value(scalar)
                continue
            ins.append(self.value(node))
            maps.append(_map(nloops, dims))
        out_t = tensor_type(out_shape, dt)
        outs = init if init is not None else self.empty(out_shape, dt)
        maps.append(_map(nloops, list(out_dims) if out_dims is not None else list(range(nloops))))
        arg_types = [v.type.element_type for v in ins] + [elem_type(dt)]  # type: ignore[attr-defined]
        block = Block(arg_types=arg_types)
        saved = self.cur
        self.cur = block
        vals: list[SSAValue] = []
        it = iter(block.args)
        for i in range(len(operands)):
            vals.append(captured[i] if i in captured else next(it))
        r = body(vals)
        if combine is not None:
            r = combine(block.args[-1], r)
        self.emit(linalg.YieldOp(r))
        self.cur = saved
        if self.named and combine is None and out_dims is None and all(it == _PARALLEL for it in iterators):
            named = _named_parallel(ins, outs, block, maps, out_t)
            if named is not None:
                return self.emit(named)
        return self.emit(linalg.GenericOp(ins, [outs], Region(block), maps, list(iterators), [out_t]))

    def elementwise(self, n: Elementwise, vals: Sequence[SSAValue]) -> SSAValue:
        names = [f"${i}" for i in range(len(vals))]
        args: list[T.Term] = [T.Scalar(nm, a.dtype.etype) for nm, a in zip(names, n.args, strict=True)]
        return self.term(_elementwise_term(n, args), dict(zip(names, vals, strict=True)))

    # --- element terms -> arith / math
    def term(self, t: T.Term, env: dict[str, SSAValue]) -> SSAValue:
        if isinstance(t, T.Scalar):
            return env[t.name]
        if isinstance(t, T.Const):
            return self.const(t.value, _etype_attr(t.type))
        if not isinstance(t, T.Op):
            raise LoweringError(f"no element lowering for {T.show(t)}")
        a = [self.term(x, env) for x in t.args]
        rt = _etype_attr(t.type)
        op = t.op
        if op in _CMPI:
            return self.emit(arith.CmpiOp(a[0], a[1], _CMPI[op]))
        if op in _CMPF:
            return self.emit(arith.CmpfOp(a[0], a[1], _CMPF[op]))
        if op in ("divsi", "divui", "remsi", "remui", "floordivsi", "modsi"):
            return self.division(op, a[0], a[1], rt)
        if op in _MATH:
            return self.emit(_named(f"math.{op}", a, rt))
        if op == "remf":
            raise LoweringError("np.fmod on floats needs arith.remf, which xDSL 0.74 does not define")
        if op in T.BINARY_INT or op in T.BINARY_FLOAT or op in T.CASTS or op in ("select", "negf"):
            return self.emit(_named(f"arith.{op}", a, rt))
        raise LoweringError(f"no lowering for element op '{op}'")

    def division(self, op: str, x: SSAValue, y: SSAValue, t: Attribute) -> SSAValue:
        """x op y with numpy's 0 for a zero divisor (MLIR leaves it undefined)."""
        zero, one = self.const(0, t), self.const(1, t)
        if op != "modsi" and _nonzero_constant(y):
            return self.emit(_named(f"arith.{op}", [x, y], t))
        is_zero = self.emit(arith.CmpiOp(y, zero, _CMPI["eq"]))
        safe = self.emit(arith.SelectOp(is_zero, one, y))
        if op == "modsi":
            # Python's modulo: the remainder takes the divisor's sign.
            r = self.emit(_named("arith.remsi", [x, safe], t))
            r_neg = self.emit(arith.CmpiOp(r, zero, _CMPI["slt"]))
            y_neg = self.emit(arith.CmpiOp(safe, zero, _CMPI["slt"]))
            r_nz = self.emit(arith.CmpiOp(r, zero, _CMPI["ne"]))
            differ = self.emit(_named("arith.xori", [r_neg, y_neg], IntegerType(1)))
            fix = self.emit(_named("arith.andi", [differ, r_nz], IntegerType(1)))
            r_fixed = self.emit(_named("arith.addi", [r, safe], t))
            q = self.emit(arith.SelectOp(fix, r_fixed, r))
        else:
            q = self.emit(_named(f"arith.{op}", [x, safe], t))
        return self.emit(arith.SelectOp(is_zero, zero, q))

    # --- reductions and contractions
    def lower_reduce(self, n: Reduce) -> SSAValue:
        contraction = self.sum_of_products(n)
        if contraction is not None:
            return contraction
        src, axes = _merged_sums(n)
        if len(axes) == 1 and isinstance(src, Transpose) and n.initial is None and n.op in ("sum", "prod"):
            # np.sum(x.T, axis=a): reduce x itself when the kept dims keep their order.
            kept = [p for k, p in enumerate(src.perm) if k != axes[0]]
            if kept == sorted(kept):
                axes, src = [src.perm[axes[0]]], src.src
        rank = len(src.shape)
        f, u = n.dtype.is_float, n.dtype.is_unsigned
        comb = {
            "sum": "addf" if f else "addi", "prod": "mulf" if f else "muli",
            "max": "maximumf" if f else ("maxui" if u else "maxsi"),
            "min": "minimumf" if f else ("minui" if u else "minsi"),
            "seq_max": "selectf_ogt", "seq_min": "selectf_olt",
        }[n.op]
        et = elem_type(n.dtype)
        # A float reduction over several axes is one fold in row-major order (TensorSpec's
        # semantics, which the proof used): one linalg.reduce over those dims runs exactly that.
        out_dims = [d for d in range(rank) if d not in axes]
        out_shape = tuple(src.shape[d] for d in out_dims)
        if n.initial is not None and n.initial.shape:
            # An array initial=: each output element's fold starts from its own value.
            init = self.coerce(self.value(self.broadcast_init(n)), tensor_type(out_shape, n.dtype))
            body_src: Node = src
        elif n.initial is not None:
            # numpy's initial=: the fold starts from it and runs over every element (also none).
            start = self.value(n.initial)
            init = self.emit(linalg.FillOp([start], [self.empty(out_shape, n.dtype)], [tensor_type(out_shape, n.dtype)]))
            body_src = src
        elif n.op in ("sum", "prod"):
            ident = T.IDENTITY[comb]
            init = self.emit(linalg.FillOp([self.const(ident, et)], [self.empty(out_shape, n.dtype)], [tensor_type(out_shape, n.dtype)]))
            body_src = src
        else:
            # max/min start from the first element along the axis and fold the rest (tensorspec's order).
            if len(axes) != 1:
                body_src, init = self.flat_first(src, n.dtype)
                axes, out_dims, rank = [0], [], 1
            else:
                a = axes[0]
                first = View(src.dtype, out_shape, src=src, per_dim=[Poly.const(0) if d == a else SliceSpec(Poly.const(0), 1, src.shape[d]) for d in range(rank)])
                first_v = self.value(first)
                if out_shape:
                    init = first_v
                else:
                    init = self.emit(tensor.FromElementsOp.create(operands=[first_v], result_types=[TensorType(et, [])]))
                body_src = View(src.dtype, tuple(src.shape[d] - 1 if d == a else src.shape[d] for d in range(rank)), src=src,
                                per_dim=[SliceSpec(Poly.const(1) if d == a else Poly.const(0), 1, src.shape[d] - 1 if d == a else src.shape[d]) for d in range(rank)])
        # Casts of the reduced values (i8 summed in i32) convert inside the body: no widened copy.
        base, convert = _peel_casts(body_src)
        out_t = tensor_type(out_shape, n.dtype)
        block = Block(arg_types=[elem_type(base.dtype), et])
        saved = self.cur
        self.cur = block
        x = self.term(convert, {"$0": block.args[0]})
        # comb(accumulator, element): TensorSpec's fold, and what upstream builds for
        # `linalg.reduce { arith.addf }`.
        if comb in T.SELECT_FOLDS:  # the loop's own compare and select: x wins only if P(x, acc)
            taken = self.emit(arith.CmpfOp(x, block.args[1], _CMPF[comb.removeprefix("selectf_")]))
            self.emit(linalg.YieldOp(self.emit(arith.SelectOp(taken, x, block.args[1]))))
        else:
            self.emit(linalg.YieldOp(self.emit(_named(f"arith.{comb}", [block.args[1], x], et))))
        self.cur = saved
        ins = [self.value(base)]
        if self.named:
            r = self.emit(linalg_ops.ReduceOp(ins, [init], axes, Region(block), [out_t]))
        else:
            maps = [_map(rank, list(range(rank))), _map(rank, out_dims)]
            iters = [_REDUCTION if d in axes else _PARALLEL for d in range(rank)]
            r = self.emit(linalg.GenericOp(ins, [init], Region(block), maps, iters, [out_t]))
        if out_shape:
            return r
        return self.emit(tensor.ExtractOp(r, [], et))

    def broadcast_init(self, n: Reduce) -> Node:
        """An array initial= at the result's shape (a bias row broadcast over the output)."""
        assert n.initial is not None
        if tuple(n.initial.shape) == tuple(n.shape):
            return n.initial
        return Cast(n.dtype, n.shape, src=n.initial)  # a copy whose map broadcasts

    def sum_of_products(self, n: Reduce) -> SSAValue | None:
        """np.sum(x * y, axis=a) (x, y broadcast views, transposes, windows, widening casts):
        one contraction, so no product or widened operand is materialised. Integer sums of
        sums merge into one (exact); float ones stay nested (their rounding). An initial=
        (several axes: a convolution from a bias) is the contraction's output operand."""
        if n.op != "sum" or (n.initial is not None and len(reduced_axes(n)) < 2):
            return None
        src, axes = _merged_sums(n)
        if not (isinstance(src, Elementwise) and src.op == "mul" and len(src.args) == 2 and src.dtype == n.dtype):
            return None
        if any(a.dtype != n.dtype for a in src.args):
            return None
        rank = len(src.shape)
        par = [d for d in range(rank) if d not in axes]
        loops = par + axes  # parallel loops first, in output order (the named ops' order)
        pos = {d: k for k, d in enumerate(loops)}
        one = Poly.const(1)
        operands: list[tuple[Node, list[AffineExpr | None]]] = []
        for a in src.args:
            off = rank - len(a.shape)
            exprs: list[AffineExpr | None] = [
                None if (a.shape[j] == one and src.shape[j + off] != one) else AffineExpr.dimension(pos[j + off]) for j in range(len(a.shape))
            ]
            operands.append((a, exprs))
        init: SSAValue | None = None
        if n.initial is not None:
            out_t = tensor_type(n.shape, n.dtype)
            if n.initial.shape:
                init = self.coerce(self.value(self.broadcast_init(n)), out_t)
            else:
                init = self.emit(linalg.FillOp([self.value(n.initial)], [self.empty(n.shape, n.dtype)], [out_t]))
        return self.contraction(n.shape, n.dtype, operands, len(par), len(loops), init)

    def contraction(self, out_shape: Sequence[Poly], dt: DType, operands: list[tuple[Node, list[AffineExpr | None]]],
                    n_par: int, n_loops: int, init: SSAValue | None = None) -> SSAValue:
        """out(d0..) = sum over the reduction loops of x * y, from 0, in loop order: a named op
        where one has these maps (matmul, batch_matmul, matvec, vecmat, dot, conv_1d, conv_2d),
        else a linalg.generic. Operands are read through their views (transposes and windows
        become the maps) and converted in the body (widening casts: i8 x i8 -> i32 reads i8)."""
        et = elem_type(dt)
        peeled = [_peel_access(node, exprs) for node, exprs in operands]
        plain = {e.position for p in peeled if p is not None for e in p[1] if isinstance(e, AffineDimExpr)}
        if any(p is None for p in peeled) or not plain >= set(range(n_par, n_loops)):
            # A loop the maps only reach through i + k: its range would not be known.
            peeled = [(node, exprs, T.Scalar("$0", node.dtype.etype)) for node, exprs in operands]
        accesses: list[tuple[Node, list[AffineExpr | None], T.Term]] = [p for p in peeled if p is not None]
        maps = [_expr_map(n_loops, exprs) for _, exprs, _ in accesses]
        out_map = _map(n_loops, list(range(n_par)))
        named = self.named_contraction([m.data for m in maps], n_par, n_loops, [c for _, _, c in accesses])
        if named is not None and named[1]:
            # The named op takes them the other way round (conv: input, filter; matvec: matrix,
            # vector): x * y = y * x exactly, also in floats.
            accesses = accesses[::-1]
            maps = maps[::-1]
        block = Block(arg_types=[elem_type(node.dtype) for node, _, _ in accesses] + [et])
        saved = self.cur
        self.cur = block
        vals = [self.term(conv, {"$0": arg}) for (_, _, conv), arg in zip(accesses, block.args, strict=False)]
        mul = Elementwise(dt, (), op="mul", args=[Lit(dt, ()), Lit(dt, ())])
        prod = self.elementwise(mul, vals)
        add = "addf" if dt.is_float else "addi"
        self.emit(linalg.YieldOp(self.emit(_named(f"arith.{add}", [block.args[-1], prod], et))))
        self.cur = saved
        out_t = tensor_type(out_shape, dt)
        if init is None:
            zero = self.const(0.0 if dt.is_float else 0, et)
            init = self.emit(linalg.FillOp([zero], [self.empty(out_shape, dt)], [out_t]))
        ins = [self.value(node) for node, _, _ in accesses]
        iters = [_PARALLEL] * n_par + [_REDUCTION] * (n_loops - n_par)
        if named is None or not self.named:
            op: Operation = linalg.GenericOp(ins, [init], Region(block), [*maps, out_map], iters, [out_t])
        else:
            op = named[0](ins, [init], Region(block), [out_t], named[2])
        r = self.emit(op)
        if out_shape:
            return r
        return self.emit(tensor.ExtractOp(r, [], et))

    def named_contraction(self, maps: list[AffineMap], n_par: int, n_loops: int, converts: list[T.Term]
                          ) -> tuple[Callable[..., Operation], bool, dict[str, Attribute]] | None:
        """(named op class, swap operands?, properties) of the contraction with these operand
        maps, or None. The output map is the identity over the n_par parallel loops."""
        cast = _cast_kind(converts)
        if cast is None:
            return None
        props: dict[str, Attribute] = {}
        key = (n_par, n_loops, *(str(m) for m in maps))
        d = [AffineExpr.dimension(i) for i in range(n_loops)]
        if n_par == 2 and n_loops == 3 and maps[0].results in ((d[0], d[2]), (d[2], d[0])) and maps[1].results in ((d[2], d[1]), (d[1], d[2])):
            props["indexing_maps"] = ArrayAttr([AffineMapAttr(m) for m in maps] + [_map(3, [0, 1])])
            if cast == "unsigned":
                props["cast"] = linalg_ops.TypeFnAttr(linalg_ops.TypeFn.CAST_UNSIGNED)
            return linalg_ops.MatmulOp, False, props
        if n_par == 3 and n_loops == 4 and maps[0].results in ((d[0], d[1], d[3]), (d[0], d[3], d[1])) and maps[1].results in ((d[0], d[3], d[2]), (d[0], d[2], d[3])):
            props["indexing_maps"] = ArrayAttr([AffineMapAttr(m) for m in maps] + [_map(4, [0, 1, 2])])
            if cast == "unsigned":
                props["cast"] = linalg_ops.TypeFnAttr(linalg_ops.TypeFn.CAST_UNSIGNED)
            return linalg_ops.BatchMatmulOp, False, props
        if cast != "signed":
            return None  # the other named contractions always sign-extend
        conv = _conv_2d_named(maps, n_par, n_loops)
        if conv is not None:
            return conv
        fixed: dict[tuple[object, ...], tuple[Callable[..., Operation], bool]] = {
            (1, 2, "(d0, d1) -> (d0, d1)", "(d0, d1) -> (d1)"): (linalg_ops.MatvecOp, False),
            (1, 2, "(d0, d1) -> (d1)", "(d0, d1) -> (d0, d1)"): (linalg_ops.MatvecOp, True),
            (1, 2, "(d0, d1) -> (d1)", "(d0, d1) -> (d1, d0)"): (linalg_ops.VecmatOp, False),
            (1, 2, "(d0, d1) -> (d1, d0)", "(d0, d1) -> (d1)"): (linalg_ops.VecmatOp, True),
            (0, 1, "(d0) -> (d0)", "(d0) -> (d0)"): (linalg_ops.DotOp, False),
            (1, 2, "(d0, d1) -> ((d0 + d1))", "(d0, d1) -> (d1)"): (linalg_ops.Conv1DOp, False),
            (1, 2, "(d0, d1) -> (d1)", "(d0, d1) -> ((d0 + d1))"): (linalg_ops.Conv1DOp, True),
            (2, 4, "(d0, d1, d2, d3) -> ((d0 + d2), (d1 + d3))", "(d0, d1, d2, d3) -> (d2, d3)"): (linalg_ops.Conv2DOp, False),
            (2, 4, "(d0, d1, d2, d3) -> (d2, d3)", "(d0, d1, d2, d3) -> ((d0 + d2), (d1 + d3))"): (linalg_ops.Conv2DOp, True),
        }
        if key not in fixed:
            return None
        cls, swap = fixed[key]
        return cls, swap, props

    def lower_arg_reduce(self, n: ArgReduce) -> SSAValue:
        """np.argmax/argmin: one linalg.generic reduction over x[1:] with two outputs, the best
        value and its index (i64), starting from (x[0], 0); linalg.index gives the position. The
        combine takes the new element when it is strictly better, or equal with a smaller index:
        in loop order that is the strict compare (first index on ties), and it stays so if the
        reduction is ever reordered. x is not empty (the verifier's obligation)."""
        src = n.src
        length = src.shape[0]
        vt, it = elem_type(src.dtype), elem_type(n.dtype)
        first = self.value(View(src.dtype, (), src=src, per_dim=[Poly.const(0)]))
        rest = self.value(View(src.dtype, (length - 1,), src=src, per_dim=[SliceSpec(Poly.const(1), 1, length - 1)]))
        init_v = self.emit(tensor.FromElementsOp.create(operands=[first], result_types=[TensorType(vt, [])]))
        init_i = self.emit(tensor.FromElementsOp.create(operands=[self.const(0, it)], result_types=[TensorType(it, [])]))
        u = src.dtype.is_unsigned
        pred = {"argmax": "ugt" if u else "sgt", "argmin": "ult" if u else "slt"}[n.op]
        block = Block(arg_types=[vt, vt, it])
        x, best, best_i = block.args
        saved = self.cur
        self.cur = block
        pos = self.emit(arith.AddiOp(self.emit(linalg.IndexOp(0)), self.const(1, IndexType())))
        pos_i = self.emit(arith.IndexCastOp(pos, it))
        strictly = self.emit(arith.CmpiOp(x, best, _CMPI[pred]))
        tie = self.emit(arith.CmpiOp(x, best, _CMPI["eq"]))
        earlier = self.emit(arith.CmpiOp(pos_i, best_i, _CMPI["slt"]))
        take = self.emit(_named("arith.ori", [strictly, self.emit(_named("arith.andi", [tie, earlier], IntegerType(1)))], IntegerType(1)))
        self.emit(linalg.YieldOp(self.emit(arith.SelectOp(take, x, best)), self.emit(arith.SelectOp(take, pos_i, best_i))))
        self.cur = saved
        generic = linalg.GenericOp(
            [rest], [init_v, init_i], Region(block), [_map(1, [0]), _map(1, []), _map(1, [])], [_REDUCTION],
            [TensorType(vt, []), TensorType(it, [])],
        )
        self.emit(generic)
        return self.emit(tensor.ExtractOp(generic.results[1], [], it))

    def flat_first(self, src: Node, dt: DType) -> tuple[Node, SSAValue]:
        """max/min over all axes of an N-D value: flatten (row-major), start from element 0."""
        total = Poly.const(1)
        for d in src.shape:
            total = total * d
        flat = Reshape(src.dtype, (total,), src=src)
        first = self.value(View(src.dtype, (), src=flat, per_dim=[Poly.const(0)]))
        init = self.emit(tensor.FromElementsOp.create(operands=[first], result_types=[TensorType(elem_type(dt), [])]))
        rest = View(src.dtype, (total - 1,), src=flat, per_dim=[SliceSpec(Poly.const(1), 1, total - 1)])
        return rest, init

    def lower_matmul(self, n: MatMul) -> SSAValue:
        d = AffineExpr.dimension
        la, lb = len(n.lhs.shape), len(n.rhs.shape)
        if la == 2 and lb == 2:  # (i, k) x (k, j) -> (i, j), loops (i, j, k)
            return self.contraction(n.shape, n.dtype, [(n.lhs, [d(0), d(2)]), (n.rhs, [d(2), d(1)])], 2, 3)
        if la == 2:  # (i, k) x (k) -> (i)
            return self.contraction(n.shape, n.dtype, [(n.lhs, [d(0), d(1)]), (n.rhs, [d(1)])], 1, 2)
        if lb == 2:  # (k) x (k, j) -> (j), loops (j, k)
            return self.contraction(n.shape, n.dtype, [(n.lhs, [d(1)]), (n.rhs, [d(1), d(0)])], 1, 2)
        return self.contraction(n.shape, n.dtype, [(n.lhs, [d(0)]), (n.rhs, [d(0)])], 0, 1)  # dot

    # --- writes
    def assign(self, a: Assign) -> None:
        decl = self.decls.get(a.buf)
        if decl is None or decl.shape is None:
            raise LoweringError(f"'{a.buf}' is not a buffer argument")
        val = a.value
        if isinstance(val, Lit) and val.dtype != decl.dtype:
            val = Lit(decl.dtype, (), value=_np_cast(val.value, val.dtype, decl.dtype))
        elif val.dtype != decl.dtype:
            val = Cast(decl.dtype, val.shape, src=val)
        shape = a.view.shape
        if shape and val.shape != shape:
            if not val.shape:
                t = self.emit(linalg.FillOp([self.value(val)], [self.empty(shape, decl.dtype)], [tensor_type(shape, decl.dtype)]))
            else:
                t = self.map(shape, decl.dtype, [val], lambda v: v[0])  # broadcast
        else:
            t = self.value(val)
        self.outputs[a.buf] = self.update(a.view, t, a.buf)

    def prepare_target(self, a: Assign) -> None:
        """Output tensors and target offsets first: they then dominate the values computed for
        them, which lets `eliminate-empty-tensors` compute those values in place."""
        if not isinstance(_strip_whole(a.view), Arg):
            self.dest(a.buf)
        n = a.view
        while isinstance(n, View | Reshape | Diagonal):
            if isinstance(n, Diagonal):
                n = n.src
                continue
            polys = [s.start if isinstance(s, SliceSpec) else s for s in n.per_dim] if isinstance(n, View) else []
            polys += [s.length for s in n.per_dim if isinstance(s, SliceSpec)] if isinstance(n, View) else list(n.shape)
            for p in polys:
                if not p.is_const:
                    self.index(p)
            n = n.src

    def dest(self, buf: str) -> SSAValue:
        """The current value of an output buffer: its entry value until a write replaces it."""
        if buf not in self.outputs:
            self.outputs[buf] = self.emit_top(bufferization.ToTensorOp(self.args[buf], restrict=True, writable=True))
        return self.outputs[buf]

    def current(self, n: Node, buf: str) -> SSAValue:
        """The current value of a view chain of an output buffer."""
        if isinstance(n, Arg):
            return self.coerce(self.dest(buf), tensor_type(n.shape, n.dtype))
        if isinstance(n, View):
            if _is_whole(n):
                return self.current(n.src, buf)
            return self.slice_value(self.current(n.src, buf), n)
        if isinstance(n, Reshape):
            return self.reshape_value(self.current(n.src, buf), n.src.shape, n.shape, n.dtype)
        if isinstance(n, Diagonal):
            return self.lower_diagonal(n, self.current(n.src, buf))
        raise LoweringError(f"an assignment target cannot be a {type(n).__name__}")

    def update(self, n: Node, new: SSAValue, buf: str) -> SSAValue:
        """The value of the whole buffer once view n of it is replaced by `new`."""
        if isinstance(n, Arg):
            t = self.args[buf].type
            assert isinstance(t, MemRefType)
            return self.coerce(new, TensorType(t.element_type, t.get_shape()))
        if isinstance(n, View):
            if n.newaxes:
                raise LoweringError("an assignment target cannot use None")
            if _is_whole(n):
                return self.update(n.src, new, buf)
            cur = self.current(n.src, buf)
            if not n.shape:
                idx = [self.index(s) for s in n.per_dim if isinstance(s, Poly)]
                return self.update(n.src, self.emit(tensor.InsertOp(new, cur, idx)), buf)
            offsets, sizes, strides, kept = self.slice_params(n)
            new = self.coerce(new, tensor_type(kept, n.dtype))
            op = tensor.InsertSliceOp.build(
                operands=[new, cur, *_dynamic_parts(offsets, sizes), []],
                result_types=[cur.type],
                properties=_static_parts(offsets, sizes, strides),
            )
            return self.update(n.src, self.emit(op), buf)
        if isinstance(n, Reshape):
            return self.update(n.src, self.reshape_value(new, n.shape, n.src.shape, n.dtype), buf)
        if isinstance(n, Diagonal):
            return self.update(n.src, self.put_diagonal(self.current(n.src, buf), new, n), buf)
        raise LoweringError(f"an assignment target cannot be a {type(n).__name__}")


def _reassociation(groups: list[list[int]]) -> ArrayAttr[ArrayAttr[IntegerAttr]]:
    return ArrayAttr([ArrayAttr([IntegerAttr(i, i64) for i in g]) for g in groups])


def _dynamic_parts(offsets: Sequence[int | SSAValue], sizes: Sequence[int | SSAValue]) -> list[list[SSAValue]]:
    return [[o for o in offsets if isinstance(o, SSAValue)], [z for z in sizes if isinstance(z, SSAValue)]]


def _static_parts(offsets: Sequence[int | SSAValue], sizes: Sequence[int | SSAValue], strides: Sequence[int]) -> dict[str, Attribute]:
    return {
        "static_offsets": DenseArrayBase.from_list(i64, [o if isinstance(o, int) else DYNAMIC_INDEX for o in offsets]),
        "static_sizes": DenseArrayBase.from_list(i64, [z if isinstance(z, int) else DYNAMIC_INDEX for z in sizes]),
        "static_strides": DenseArrayBase.from_list(i64, list(strides)),
    }


def _nonzero_constant(v: SSAValue) -> bool:
    op = v.owner
    return isinstance(op, arith.ConstantOp) and isinstance(op.value, IntegerAttr) and op.value.value.data != 0


def _named(name: str, operands: Sequence[SSAValue], result: Attribute) -> Operation:
    from liftcomp.interop.mlir_tool import default_context

    cls = default_context().get_op(name)
    return cls.create(operands=list(operands), result_types=[result])


def _np_cast(value: int | float, src: DType, dst: DType) -> int | float:
    with np.errstate(all="ignore"):
        v = np.array(value, dtype=src.np).astype(dst.np)
    return float(v) if dst.is_float else int(v)


@dataclass
class _Window:
    """An unrolled 2-D pooling window over `src` (see _Emitter.pooling)."""

    src: Node
    start: tuple[Poly, Poly]
    strides: tuple[int, int]
    dilations: tuple[int, int]
    window: tuple[int, int]


def _pooling_window(n: Node) -> _Window | None:
    """The window when n is ((t0 op t1) op t2) ... of strided 2-D views of one source at the
    offsets of a KH x KW window in row-major order (op: a sum, a float max or a signed max)."""
    if not (isinstance(n, Elementwise) and n.op in ("add", "max") and len(n.shape) == 2):
        return None
    if n.op == "max" and n.dtype.is_unsigned:
        return None
    terms: list[Node] = []
    cur: Node = n
    while isinstance(cur, Elementwise) and cur.op == n.op and len(cur.args) == 2 and cur.dtype == n.dtype:
        terms.append(cur.args[1])
        cur = cur.args[0]
    terms.append(cur)
    terms.reverse()
    views = [t for t in terms if isinstance(t, View) and not t.newaxes and t.dtype == n.dtype and t.shape == n.shape]
    if len(views) != len(terms) or len(views) < 2 or len({repr(v.src) for v in views}) != 1 or len(views[0].src.shape) != 2:
        return None
    specs = [v.per_dim for v in views]
    if not all(isinstance(d, SliceSpec) for spec in specs for d in spec):
        return None
    starts = [(spec[0].start, spec[1].start) for spec in specs]  # type: ignore[union-attr]
    steps = {(spec[0].step, spec[1].step) for spec in specs}  # type: ignore[union-attr]
    if len(steps) != 1:
        return None
    kw = next((k for k, s in enumerate(starts) if s[0] != starts[0][0]), len(starts))
    kh, rest = divmod(len(starts), kw)
    dh = (starts[kw][0] - starts[0][0]) if kh > 1 else Poly.const(1)
    dw = (starts[1][1] - starts[0][1]) if kw > 1 else Poly.const(1)
    if rest or not (dh.is_const and dw.is_const and dh.const_value >= 1 and dw.const_value >= 1):
        return None
    for k, (sh, sw) in enumerate(starts):
        a, b = divmod(k, kw)
        if sh - starts[0][0] != Poly.const(a * dh.const_value) or sw - starts[0][1] != Poly.const(b * dw.const_value):
            return None
    (step,) = steps
    return _Window(views[0].src, starts[0], step, (dh.const_value, dw.const_value), (kh, kw))


def _merged_sums(n: Reduce) -> tuple[Node, list[int]]:
    """(x, axes) for an integer sum of sums of x (one sum over several axes: exact), else
    (n.src, n's axes). Float sums stay nested: merging would change their rounding."""
    axes = reduced_axes(n)
    src = n.src
    if n.op != "sum" or n.initial is not None or n.dtype.is_float:
        return src, axes
    while isinstance(src, Reduce) and src.op == "sum" and src.initial is None and src.dtype == n.dtype:
        # Reduce(axis=a2) of Reduce(axis=a1, x): a2 counts x's dims without a1.
        inner = reduced_axes(src)
        kept = [d for d in range(len(src.src.shape)) if d not in inner]
        axes = sorted([kept[a] for a in axes] + inner)
        src = src.src
    return src, axes


def _peel_casts(n: Node) -> tuple[Node, T.Term]:
    """(x, convert) for n = casts of x: convert is n's element as a term of x's element "$0"."""
    casts: list[Cast] = []
    while isinstance(n, Cast):
        casts.append(n)
        n = n.src
    term: T.Term = T.Scalar("$0", n.dtype.etype)
    for c in reversed(casts):
        term = _convert(term, c.src.dtype, c.dtype)
    return n, term


def _whole_dims(n: View) -> bool:
    """Every dim of the view's source is taken whole (the view may add unit dims with None)."""
    return _is_whole(View(n.dtype, n.src.shape, src=n.src, per_dim=n.per_dim))


def _peel_access(n: Node, exprs: list[AffineExpr | None]) -> tuple[Node, list[AffineExpr | None], T.Term] | None:
    """An operand of a contraction read through its views: (the tensor read, its indices over
    the loops, the conversion of its element). Transposes permute the indices, sliding windows
    add the window loop (i + k), unit dims added by None are dropped, casts go to the body.
    None when a window position is a broadcast one."""
    n, convert = _peel_casts(n)
    while True:
        if isinstance(n, Transpose):
            src_exprs: list[AffineExpr | None] = [None] * len(exprs)
            for out_pos, src_pos in enumerate(n.perm):
                src_exprs[src_pos] = exprs[out_pos]
            n, exprs = n.src, src_exprs
        elif isinstance(n, Window):
            r = len(n.window)
            if any(exprs[d] is None or exprs[r + d] is None for d in range(r)):
                return None
            exprs = [_add(exprs[d], exprs[r + d]) for d in range(r)]  # type: ignore[arg-type]
            n = n.src
        elif isinstance(n, View) and _whole_dims(n):
            exprs = [e for i, e in enumerate(exprs) if i not in n.newaxes]
            n = n.src
        elif isinstance(n, View) and isinstance(n.src, Window):
            # Window positions taken with a step (a strided convolution), window dims of size 1
            # taken at 0 (an axis the window does not slide along): the step goes into the map.
            sliced = _sliced_exprs(n, exprs)
            if sliced is None:
                return None
            exprs = sliced
            n = n.src
        else:
            break
        if isinstance(n, Cast):
            return None  # a cast under a view: the conversion chain is not one term here
    return n, exprs, convert


def _linear(m: AffineMap) -> list[tuple[int, ...]]:
    """Each result of a (linear) map as its coefficients of d0.. and its constant, last."""
    zero = m.eval([0] * m.num_dims, [])
    units = [m.eval([int(i == k) for i in range(m.num_dims)], []) for k in range(m.num_dims)]
    return [(*(u[r] - zero[r] for u in units), zero[r]) for r in range(len(zero))]


def _conv_2d_named(maps: list[AffineMap], n_par: int, n_loops: int
                   ) -> tuple[Callable[..., Operation], bool, dict[str, Attribute]] | None:
    """linalg.conv_2d_nhwc_hwcf / conv_2d_nchw_fchw (input, filter, or swapped) when the maps are
    the op's in its own loop order, with the strides and dilations they show. The loop order
    is the program's reduction order: a float conv whose loops run in another order stays
    generic (its sum would be another value)."""
    if (n_par, n_loops) != (4, 7) or len(maps) != 2:
        return None
    for swap in (False, True):
        x, w = (_linear(m) for m in (maps[::-1] if swap else maps))
        for cls, (n, c, h, wd), (kh, kw), filt in (
            (linalg.Conv2DNhwc_HwcfOp, (0, 6, 1, 2), (4, 5), (4, 5, 6, 3)),
            (linalg.Conv2DNchwFchwOp, (0, 4, 2, 3), (5, 6), (1, 4, 5, 6)),
        ):
            layout = (0, 1, 2, 3) if cls is linalg.Conv2DNchwFchwOp else (0, 3, 1, 2)  # x's (n, c, h, w) axes
            unit = [tuple(int(i == d) for i in range(7)) + (0,) for d in range(7)]
            if len(x) != 4 or w != [unit[d] for d in filt] or x[layout[0]] != unit[n] or x[layout[1]] != unit[c]:
                continue
            rows = (x[layout[2]], x[layout[3]])
            strides = (rows[0][h], rows[1][wd])
            dilations = (rows[0][kh], rows[1][kw])
            expect = [tuple(strides[k] * (i == (h, wd)[k]) + dilations[k] * (i == (kh, kw)[k]) for i in range(7)) + (0,) for k in range(2)]
            if list(rows) != expect or min(*strides, *dilations) < 1:
                continue
            return functools.partial(linalg_ops.conv_2d, cls), swap, linalg_ops.pooling_props(strides, dilations)
    return None


def _sliced_exprs(n: View, exprs: list[AffineExpr | None]) -> list[AffineExpr | None] | None:
    """The source indices of a view read at `exprs`: start + step * e per slice, the index
    itself per integer index; None when a start or index is not a literal."""
    kept = [e for i, e in enumerate(exprs) if i not in n.newaxes]
    it = iter(kept)
    out: list[AffineExpr | None] = []
    for spec in n.per_dim:
        if not isinstance(spec, SliceSpec):
            if not spec.is_const:
                return None
            out.append(AffineExpr.constant(spec.const_value))
            continue
        e = next(it)
        if e is None or not spec.start.is_const:
            return None
        term = e * spec.step if spec.step != 1 else e
        start = spec.start.const_value
        out.append(term + start if start else term)
    return out


def _add(a: AffineExpr, b: AffineExpr) -> AffineExpr:
    """a + b with the lower loop first (d0 + d1, as upstream's conv maps are written); a window
    offset of a literal 0 (a size-1 window dim) adds nothing."""
    if isinstance(b, AffineConstantExpr) and b.value == 0:
        return a
    if isinstance(a, AffineConstantExpr) and a.value == 0:
        return b
    if isinstance(a, AffineDimExpr) and isinstance(b, AffineDimExpr) and b.position < a.position:
        return b + a
    return a + b


def _expr_map(num_dims: int, exprs: Sequence[AffineExpr | None]) -> AffineMapAttr:
    return AffineMapAttr(AffineMap(num_dims, 0, tuple(AffineExpr.constant(0) if e is None else e for e in exprs)))


def _cast_kind(converts: Sequence[T.Term]) -> str | None:
    """How a named contraction converts its operands: 'signed' (extsi, extf, sitofp or none),
    'unsigned' (extui, uitofp, extf or none), or None when a conversion is neither."""
    kinds: set[str] = set()
    for c in converts:
        if isinstance(c, T.Scalar):
            continue
        if not (isinstance(c, T.Op) and len(c.args) == 1 and isinstance(c.args[0], T.Scalar)):
            return None
        if c.op in ("extsi", "sitofp"):
            kinds.add("signed")
        elif c.op in ("extui", "uitofp"):
            kinds.add("unsigned")
        elif c.op != "extf":
            return None
    if len(kinds) > 1:
        return None
    return kinds.pop() if kinds else "signed"


# linalg.elementwise kinds and the one op each has in its body (MLIR 22's region builder).
_ELEMENTWISE_KINDS: dict[str, str] = {
    "arith.addf": "add", "arith.addi": "add", "arith.subf": "sub", "arith.subi": "sub",
    "arith.mulf": "mul", "arith.muli": "mul", "arith.divf": "div",
    "arith.maximumf": "max_signed", "arith.maxsi": "max_signed", "arith.maxui": "max_unsigned",
    "arith.minimumf": "min_signed", "arith.minsi": "min_signed", "arith.minui": "min_unsigned",
    "math.exp": "exp", "math.log": "log", "math.absf": "abs", "math.ceil": "ceil", "math.floor": "floor",
    "arith.negf": "negf", "math.round": "round", "math.sqrt": "sqrt", "math.rsqrt": "rsqrt", "math.tanh": "tanh",
    "math.erf": "erf", "math.powf": "powf", "arith.select": "select",
}


def _elementwise_kind(block: Block, n_ins: int) -> linalg_ops.ElementwiseKind | None:
    """The linalg.elementwise kind whose body is `block`: one op of the inputs, in order, of one
    element type (select: an i1 condition), yielded; else None."""
    ops = list(block.ops)
    if len(ops) != 2 or not isinstance(ops[1], linalg.YieldOp) or ops[1].operands[0] is not ops[0].results[0]:
        return None
    op = ops[0]
    kind = _ELEMENTWISE_KINDS.get(op.name)
    if kind is None or list(op.operands) != list(block.args[:n_ins]) or op.attributes:
        return None
    if any(getattr(v, "data", None) != frozenset() for v in op.properties.values()):
        return None  # overflow or fast-math flags: not what the named op's body has
    et = op.results[0].type
    values = list(op.operands)[1:] if kind == "select" else list(op.operands)
    if any(v.type != et for v in values) or (isinstance(et, IntegerType) and et.width.data == 1):
        return None
    return linalg_ops.ElementwiseKind(kind)


def _named_parallel(ins: list[SSAValue], out: SSAValue, block: Block, maps: list[AffineMapAttr], out_t: Attribute) -> Operation | None:
    """The named op of an all-parallel linalg.generic with an identity output map: elementwise
    (one op; its maps may broadcast), map (any body, identity maps), broadcast (a copy that adds
    dims), or None."""
    rank = maps[-1].data.num_dims
    projected = all(
        all(isinstance(e, AffineDimExpr) for e in m.data.results)
        and [e.position for e in m.data.results] == sorted({e.position for e in m.data.results})  # type: ignore[attr-defined]
        for m in maps
    )
    if not projected or not ins:
        return None
    identity = all(len(m.data.results) == rank for m in maps)
    kind = _elementwise_kind(block, len(ins))
    if kind is not None:
        return linalg_ops.ElementwiseOp(kind, ins, [out], Region(block), maps, [out_t])
    if identity:
        return linalg_ops.MapOp(ins, out, Region(block), [out_t])
    ops = list(block.ops)
    if len(ins) == 1 and len(ops) == 1 and isinstance(ops[0], linalg.YieldOp) and ops[0].operands[0] is block.args[0]:
        kept = {e.position for e in maps[0].data.results}  # type: ignore[attr-defined]
        return linalg_ops.BroadcastOp(ins[0], out, [d for d in range(rank) if d not in kept], Region(block), [out_t])
    return None
