"""TensorSpec: the numpy-like language tensor programs are proposed in.

A program is a few Python statements over the kernel's arguments:

    out[0:n] = np.where(base[0:n] > active[0:n], active[0:n], base[0:n])
    return np.sum(a[0:n] * b[0:n])

It is parsed with `ast` into the `Node` tree below and never executed. Each op has one
definition here, from which come its type and shape rules, its element semantics (`elem`: the
value at a symbolic position, as a `terms.Term`, used by the verifier) and its numpy evaluation
(`evaluate`, used by differential tests). The linalg lowering (to_linalg.py) walks the same tree.

Types follow numpy: integer dtypes carry a signedness (u8 vs i8) that picks the signless arith op
(ult vs slt, divui vs divsi, extui vs extsi); arithmetic wraps at the dtype's width; Python
literals are "weak" (take the other operand's dtype); `a / b` on integers is float64 like numpy.
Statements: `t = expr` (a temporary), `buf[view] = expr` (write into an output buffer; each view
is slices / `None`-free / `.reshape(...)` of the buffer), `return expr` or `return (e1, e2)`.
Every read of an argument sees its value at function entry.
"""

from __future__ import annotations

import ast
import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import z3

from liftcomp.diagnostics import LiftcompError
from liftcomp.lift import floats
from liftcomp.lift import terms as T
from liftcomp.lift.analysis import zpoly
from liftcomp.lift.terms import EType, Poly


class SpecError(LiftcompError):
    """A proposal that is not valid TensorSpec (syntax, names, types or shapes)."""


# ---------------------------------------------------------------- dtypes


@dataclass(frozen=True)
class DType:
    name: str  # bool, i8..i64, u8..u64, f16, bf16, f32, f64

    @property
    def etype(self) -> EType:
        if self.name == "bool":
            return T.I1
        if self.name == "bf16":
            return T.BF16
        if self.name in T.FP8:
            return T.FP8[self.name]
        if self.name[0] in "iu":
            return EType("i", int(self.name[1:]))
        return EType("f", int(self.name[1:]))

    @property
    def is_float(self) -> bool:
        return self.name[0] == "f" or self.name == "bf16"

    @property
    def is_unsigned(self) -> bool:
        return self.name[0] == "u" or self.name == "bool"

    @property
    def np(self) -> np.dtype[Any]:
        if self.name == "bool":
            return np.dtype(np.bool_)
        if self.name == "bf16":
            import ml_dtypes

            return np.dtype(ml_dtypes.bfloat16)
        if self.name in T.FP8:
            return np.dtype(T.np_float(T.FP8[self.name]))
        kind = {"i": "int", "u": "uint", "f": "float"}[self.name[0]]
        return np.dtype(f"{kind}{self.name[1:]}")

    def __str__(self) -> str:
        return self.name


def dtype_of_np(d: np.dtype[Any]) -> DType:
    if d.kind == "b":
        return DType("bool")
    if d.name == "bfloat16":
        return DType("bf16")
    if d.name in ("float8_e4m3fn", "float8_e5m2"):
        return DType(d.name.replace("float8_", "f8"))
    return DType(f"{ {'i': 'i', 'u': 'u', 'f': 'f'}[d.kind] }{d.itemsize * 8}".replace(" ", ""))


NP_DTYPE_NAMES = {
    "bool_": "bool", "int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64",
    "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64",
    "float16": "f16", "float32": "f32", "float64": "f64", "bfloat16": "bf16",
    "float8_e4m3fn": "f8e4m3fn", "float8_e5m2": "f8e5m2",
}


def promote(a: DType, b: DType) -> DType:
    """numpy's promotion of two array dtypes."""
    return dtype_of_np(np.result_type(a.np, b.np))


# ---------------------------------------------------------------- nodes

Shape = tuple[Poly, ...]


@dataclass
class Node:
    dtype: DType
    shape: Shape
    weak: bool = field(default=False, kw_only=True)  # a Python literal: adopts the other operand's dtype


@dataclass
class Arg(Node):
    name: str = ""
    is_scalar: bool = False


@dataclass
class Lit(Node):
    value: int | float = 0


@dataclass
class SizeVal(Node):
    """An index-valued expression such as `n` or `x.shape[0]` used as data."""

    poly: Poly = field(default_factory=lambda: Poly.const(0))


@dataclass
class SliceSpec:
    start: Poly
    step: int
    length: Poly  # number of elements selected


@dataclass
class View(Node):
    """x[...] with slices, integer indices and None; dims: one entry per result dim of x."""

    src: Node = None  # type: ignore[assignment]
    # For each dim of src: a SliceSpec (kept dim) or a Poly (integer index, dim dropped).
    per_dim: list[SliceSpec | Poly] = field(default_factory=list)
    newaxes: list[int] = field(default_factory=list)  # result positions of None


@dataclass
class Reshape(Node):
    src: Node = None  # type: ignore[assignment]


@dataclass
class Transpose(Node):
    src: Node = None  # type: ignore[assignment]
    perm: tuple[int, ...] = ()


@dataclass
class Window(Node):
    """np.lib.stride_tricks.sliding_window_view(x, w): out[i..., k...] = x[i + k ...]."""

    src: Node = None  # type: ignore[assignment]
    window: tuple[Poly, ...] = ()


@dataclass
class Strided(Node):
    """strided(x, offset, shape, strides): out[q...] = x[offset + sum_k q_k * strides[k]] of a 1-D x.

    Strides count elements (numpy's as_strided counts bytes) and may make rows overlap (a row
    stride smaller than the row: the key cache of one head, `key_cache[t*kv_dim + h*hs + i]`).
    The view reads exactly these elements, never the gaps between rows."""

    src: Node = None  # type: ignore[assignment]
    offset: Poly = field(default_factory=lambda: Poly.const(0))
    strides: tuple[Poly, ...] = ()


@dataclass
class Diagonal(Node):
    """diagonal(x): out[q] = x[q, q] of a square 2-D view (a slice `a[r:r+n, c:c+n]` gives the
    diagonal that starts at (r, c)). Unlike np.diagonal it may be an assignment target:
    `diagonal(corr[0:n, 0:n])[0:n] = 1.0` writes the diagonal and nothing else."""

    src: Node = None  # type: ignore[assignment]


@dataclass
class Cast(Node):
    src: Node = None  # type: ignore[assignment]


@dataclass
class Elementwise(Node):
    """Broadcasting element-wise op; `op` is a TensorSpec op name (see _ELEMENTWISE)."""

    op: str = ""
    args: list[Node] = field(default_factory=list)


@dataclass
class Reduce(Node):
    op: str = ""  # sum | prod | max | min | seq_max | seq_min
    src: Node = None  # type: ignore[assignment]
    axis: int | None = None  # None: all axes (unless `axes` names them)
    initial: Node | None = None  # numpy's `initial=`: the fold starts from it (a scalar)
    axes: tuple[int, ...] = ()  # axis=(a, b, ...) of a sum/prod: one fold over them, row-major


def reduced_axes(n: Reduce) -> list[int]:
    """The axes of n.src that n reduces, in fold order (row-major)."""
    if n.axes:
        return list(n.axes)
    return list(range(len(n.src.shape))) if n.axis is None else [n.axis]


@dataclass
class Pad(Node):
    """np.pad(x, ((lo, hi), ...)): x surrounded by zeros (numpy's default constant mode),
    out[q...] = x[q - lo ...] where every q_d - lo_d lies inside x, else 0."""

    src: Node = None  # type: ignore[assignment]
    low: tuple[Poly, ...] = ()
    high: tuple[Poly, ...] = ()


@dataclass
class ArgReduce(Node):
    """np.argmax / np.argmin of a 1-D integer array: the first index of the maximum (minimum),
    an int64. A left fold over (value, index) pairs from (x[0], 0) in which a later element wins
    only if strictly greater (less), so ties keep the first index as numpy does. Floats are
    refused: numpy returns the first NaN, while a loop's compare never picks one."""

    op: str = ""  # argmax | argmin
    src: Node = None  # type: ignore[assignment]


@dataclass
class MatMul(Node):
    """numpy matmul / dot for 1-D and 2-D operands (a @ b)."""

    lhs: Node = None  # type: ignore[assignment]
    rhs: Node = None  # type: ignore[assignment]


@dataclass
class Outer(Node):
    lhs: Node = None  # type: ignore[assignment]
    rhs: Node = None  # type: ignore[assignment]


@dataclass
class Full(Node):
    value: Node = None  # type: ignore[assignment]


@dataclass
class Assign:
    buf: str
    view: Node  # a View/Reshape chain rooted at Arg(buf)
    value: Node


@dataclass
class Program:
    assigns: list[Assign]
    returns: list[Node]
    text: str

    def __str__(self) -> str:
        return self.text


# ---------------------------------------------------------------- signature of the problem


@dataclass(frozen=True)
class ArgDecl:
    """What a proposal may refer to: a buffer (shape, dtype) or a scalar."""

    name: str
    dtype: DType
    shape: Shape | None  # None: scalar
    is_size: bool = False  # an index/int scalar that sizes loops (usable in slices)
    output: bool = False


# ---------------------------------------------------------------- parsing

_ELEMENTWISE_BIN = {
    ast.Add: "add", ast.Sub: "sub", ast.Mult: "mul", ast.Div: "truediv", ast.FloorDiv: "floordiv",
    ast.Mod: "mod", ast.BitAnd: "and", ast.BitOr: "or", ast.BitXor: "xor", ast.LShift: "shl", ast.RShift: "shr",
}
_CMP = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}
_NP_UNARY = {"rint", "exp", "log", "sqrt", "tanh", "abs", "negative", "exp2", "log2", "log10", "sin", "cos", "floor", "ceil", "absolute"}
_NP_BINARY = {"maximum": "max", "minimum": "min", "add": "add", "subtract": "sub", "multiply": "mul", "divide": "truediv", "power": "pow", "fmod": "fmod",
              "fmax": "fmax", "fmin": "fmin"}
# TensorSpec's own functions, called without `np.`:
#   strided(x, offset, shape, strides): a strided view of a 1-D array (Strided), strides in elements;
#   round_away(x): round floats to the nearest integer, halves away from zero (C's round,
#     math.round); np.round and np.rint round halves to even;
#   diagonal(x): the diagonal of a square 2-D view (Diagonal), also as an assignment target;
#   seq_max(x) / seq_min(x): a loop's compare-and-select reduction (see _Parser.seq_reduce).
BUILTINS = ("strided", "round_away", "diagonal", "seq_max", "seq_min")
_NP_REDUCE = {"sum": "sum", "prod": "prod", "max": "max", "min": "min", "amax": "max", "amin": "min"}


class _Parser:
    def __init__(self, decls: list[ArgDecl]):
        self.decls = {d.name: d for d in decls}
        self.temps: dict[str, Node] = {}

    def fail(self, node: ast.AST, msg: str) -> SpecError:
        return SpecError(f"line {getattr(node, 'lineno', '?')}, col {getattr(node, 'col_offset', 0) + 1}: {msg}")

    # --- statements
    def program(self, text: str) -> Program:
        try:
            mod = ast.parse(text.strip() + "\n")
        except SyntaxError as e:
            raise SpecError(f"syntax error at line {e.lineno}: {e.msg}") from None
        assigns: list[Assign] = []
        returns: list[Node] = []
        for st in mod.body:
            if returns:
                raise self.fail(st, "statements after `return`")
            if isinstance(st, ast.Return):
                if st.value is None:
                    raise self.fail(st, "`return` needs a value")
                elts = st.value.elts if isinstance(st.value, ast.Tuple) else [st.value]
                returns = [self.expr(e) for e in elts]
                for r in returns:
                    if r.shape:
                        raise self.fail(st, "returned values must be scalars (reduce them)")
            elif isinstance(st, ast.Assign) and len(st.targets) == 1:
                tgt = st.targets[0]
                if isinstance(tgt, ast.Name):
                    if tgt.id in self.decls:
                        raise self.fail(st, f"cannot rebind argument '{tgt.id}'; write `{tgt.id}[...] = ...`")
                    self.temps[tgt.id] = self.expr(st.value)
                else:
                    assigns.append(self.assign(tgt, st.value))
            else:
                raise self.fail(st, "only `name = expr`, `buf[view] = expr` and `return expr` are allowed")
        if not assigns and not returns:
            raise SpecError("the program writes nothing: assign an output buffer or return a value")
        return Program(assigns, returns, text.strip())

    def assign(self, tgt: ast.expr, value: ast.expr) -> Assign:
        root = tgt
        while isinstance(root, ast.Subscript | ast.Call | ast.Attribute):
            if isinstance(root, ast.Call) and isinstance(root.func, ast.Name) and root.func.id == "diagonal" and root.args:
                root = root.args[0]  # diagonal(buf[...]): a view of buf
                continue
            root = root.value if isinstance(root, ast.Subscript | ast.Attribute) else root.func  # type: ignore[assignment]
        if not isinstance(root, ast.Name) or root.id not in self.decls:
            raise self.fail(tgt, "assignment target must be a view of an argument buffer")
        decl = self.decls[root.id]
        if decl.shape is None:
            raise self.fail(tgt, f"'{root.id}' is a scalar; return it instead")
        view = self.expr(tgt) if not isinstance(tgt, ast.Name) else self.expr(tgt)
        if not _is_view_chain(view, root.id):
            raise self.fail(tgt, "assignment target may only use slices, integer indices and reshape")
        rhs = self.expr(value)
        rhs = _broadcast_to(rhs, view.shape, lambda m: self.fail(value, m))
        return Assign(root.id, view, rhs)

    # --- expressions
    def expr(self, e: ast.expr) -> Node:
        if isinstance(e, ast.Constant):
            if isinstance(e.value, bool):
                return Lit(DType("bool"), (), value=int(e.value), weak=True)
            if isinstance(e.value, int):
                return Lit(DType("i64"), (), value=e.value, weak=True)
            if isinstance(e.value, float):
                return Lit(DType("f64"), (), value=e.value, weak=True)
            raise self.fail(e, f"unsupported constant {e.value!r}")
        if isinstance(e, ast.Name):
            if e.id in self.temps:
                return self.temps[e.id]
            d = self.decls.get(e.id)
            if d is None:
                raise self.fail(e, f"unknown name '{e.id}' (arguments: {', '.join(self.decls)})")
            if d.shape is None:
                if d.is_size:
                    return SizeVal(DType("i64"), (), poly=Poly.var(d.name))
                return Arg(d.dtype, (), name=d.name, is_scalar=True)
            return Arg(d.dtype, d.shape, name=d.name)
        if isinstance(e, ast.UnaryOp):
            x = self.expr(e.operand)
            if isinstance(e.op, ast.USub):
                if isinstance(x, Lit):
                    return Lit(x.dtype, (), value=-x.value, weak=True)
                return self.elementwise("neg", [x], e)
            if isinstance(e.op, ast.Invert):
                return self.elementwise("not", [x], e)
            if isinstance(e.op, ast.UAdd):
                return x
            raise self.fail(e, "unsupported unary operator")
        if isinstance(e, ast.BinOp):
            if isinstance(e.op, ast.MatMult):
                return self.matmul(self.expr(e.left), self.expr(e.right), e)
            op = _ELEMENTWISE_BIN.get(type(e.op))
            if op is None:
                raise self.fail(e, "unsupported binary operator")
            left, right = self.expr(e.left), self.expr(e.right)
            lp, rp = _as_poly(left), _as_poly(right)
            if lp is not None and rp is not None and op in ("add", "sub", "mul") and (isinstance(left, SizeVal) or isinstance(right, SizeVal)):
                p = {"add": lp + rp, "sub": lp - rp, "mul": lp * rp}[op]
                return SizeVal(DType("i64"), (), poly=p)
            return self.elementwise(op, [left, right], e)
        if isinstance(e, ast.Compare):
            if len(e.ops) != 1:
                raise self.fail(e, "chained comparisons are not allowed")
            return self.elementwise(_CMP[type(e.ops[0])], [self.expr(e.left), self.expr(e.comparators[0])], e)
        if isinstance(e, ast.Subscript):
            return self.subscript(e)
        if isinstance(e, ast.Attribute):
            if isinstance(e.value, ast.Name) and e.value.id == "np" and e.attr == "inf":
                return Lit(DType("f64"), (), value=float("inf"), weak=True)
            return self.attribute(e)
        if isinstance(e, ast.Call):
            return self.call(e)
        raise self.fail(e, f"unsupported expression ({type(e).__name__})")

    def size(self, e: ast.expr) -> Poly:
        """An index expression: integer literals, size arguments, x.shape[k], + - *."""
        n = self.expr(e)
        if isinstance(n, Lit) and isinstance(n.value, int) and not n.dtype.is_float:
            return Poly.const(int(n.value))
        if isinstance(n, SizeVal):
            return n.poly
        raise self.fail(e, "expected an index expression (literal, size argument or x.shape[k])")

    def attribute(self, e: ast.Attribute) -> Node:
        if e.attr == "T":
            x = self.expr(e.value)
            perm = tuple(reversed(range(len(x.shape))))
            return Transpose(x.dtype, tuple(x.shape[p] for p in perm), src=x, perm=perm)
        raise self.fail(e, f"attribute '.{e.attr}' is not allowed")

    def subscript(self, e: ast.Subscript) -> Node:
        # x.shape[k]
        if isinstance(e.value, ast.Attribute) and e.value.attr == "shape":
            x = self.expr(e.value.value)
            k = self.size(e.slice)
            if not k.is_const or not 0 <= k.const_value < len(x.shape):
                raise self.fail(e, "shape index out of range")
            return SizeVal(DType("i64"), (), poly=x.shape[k.const_value])
        x = self.expr(e.value)
        items = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        per_dim: list[SliceSpec | Poly] = []
        newaxes: list[int] = []
        out_shape: list[Poly] = []
        d = 0
        for it in items:
            if isinstance(it, ast.Constant) and it.value is None:
                newaxes.append(len(out_shape))
                out_shape.append(Poly.const(1))
                continue
            if d >= len(x.shape):
                raise self.fail(e, "too many indices")
            extent = x.shape[d]
            if isinstance(it, ast.Slice):
                start = self.size(it.lower) if it.lower is not None else Poly.const(0)
                stop = self.size(it.upper) if it.upper is not None else extent
                step = self.size(it.step) if it.step is not None else Poly.const(1)
                if not step.is_const or step.const_value <= 0:
                    raise self.fail(e, "slice steps must be positive integer literals")
                if _negative_literal(start) or _negative_literal(stop):
                    raise self.fail(e, "negative slice bounds are not allowed (write the length explicitly)")
                s = step.const_value
                length = stop - start if s == 1 else _ceil_div(stop - start, s, lambda m: self.fail(e, m))
                per_dim.append(SliceSpec(start, s, length))
                out_shape.append(length)
            else:
                idx = self.size(it)
                if _negative_literal(idx):
                    raise self.fail(e, "negative indices are not allowed")
                per_dim.append(idx)
            d += 1
        while d < len(x.shape):
            per_dim.append(SliceSpec(Poly.const(0), 1, x.shape[d]))
            out_shape.append(x.shape[d])
            d += 1
        return View(x.dtype, tuple(out_shape), src=x, per_dim=per_dim, newaxes=newaxes)

    def call(self, e: ast.Call) -> Node:
        kwargs = {k.arg: k.value for k in e.keywords}
        if None in kwargs:
            raise self.fail(e, "**kwargs are not allowed")
        f = e.func
        if ast.unparse(f) in ("np.lib.stride_tricks.sliding_window_view", "sliding_window_view"):
            return self.window(e)
        # Methods: x.astype(dt), x.reshape(...), x.sum(...), x.transpose(), x.max()...
        if isinstance(f, ast.Attribute) and not (isinstance(f.value, ast.Name) and f.value.id == "np"):
            x = self.expr(f.value)
            if f.attr == "astype":
                return self.cast(x, self.dtype_arg(e.args[0] if e.args else None, e))
            if f.attr == "reshape":
                dims = e.args[0].elts if len(e.args) == 1 and isinstance(e.args[0], ast.Tuple) else e.args
                return self.reshape(x, [self.size(a) for a in dims], e)
            if f.attr in ("transpose",):
                return self.transpose(x, self.perm_arg(e.args, len(x.shape), e), e)
            if f.attr in _NP_REDUCE:
                return self.reduce(_NP_REDUCE[f.attr], x, kwargs, e)
            if f.attr == "dot":
                return self.matmul(x, self.expr(e.args[0]), e)
            raise self.fail(e, f"method '.{f.attr}()' is not allowed")
        if isinstance(f, ast.Name) and f.id in BUILTINS:
            return self.builtin(f.id, e)
        if not (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "np"):
            raise self.fail(e, f"only numpy functions (np.<name>) and {', '.join(sorted(BUILTINS))} may be called")
        name = f.attr
        args = [self.expr(a) for a in e.args] if name not in ("full", "zeros", "ones", "einsum", "transpose", "pad") else []
        if name in NP_DTYPE_NAMES:  # np.float32(1.5): a typed scalar
            if len(args) != 1 or args[0].shape:
                raise self.fail(e, f"np.{name}() takes one scalar")
            return self.cast(args[0], DType(NP_DTYPE_NAMES[name]))
        if name in _NP_UNARY:
            self.arity(e, args, 1)
            op = {"negative": "neg", "absolute": "abs"}.get(name, name)
            return self.elementwise(op, args, e)
        if name in _NP_BINARY:
            self.arity(e, args, 2)
            return self.elementwise(_NP_BINARY[name], args, e)
        if name == "where":
            self.arity(e, args, 3)
            return self.elementwise("where", args, e)
        if name == "clip":
            self.arity(e, args, 3)
            return self.elementwise("min", [self.elementwise("max", [args[0], args[1]], e), args[2]], e)
        if name in _NP_REDUCE:
            self.arity(e, args, 1)
            return self.reduce(_NP_REDUCE[name], args[0], kwargs, e)
        if name in ("argmax", "argmin"):
            self.arity(e, args, 1)
            if kwargs:
                raise self.fail(e, f"np.{name} takes no keyword arguments here (1-D arrays only)")
            x = args[0]
            if len(x.shape) != 1:
                raise self.fail(e, f"np.{name} of a {len(x.shape)}-D array (1-D only)")
            if x.dtype.is_float or x.dtype.name == "bool":
                raise self.fail(e, f"np.{name} of {x.dtype} (integer arrays only: numpy picks the first NaN, a loop's compare never does)")
            return ArgReduce(DType("i64"), (), op=name, src=x)
        if name in ("matmul", "dot"):
            self.arity(e, args, 2)
            return self.matmul(args[0], args[1], e)
        if name == "outer":
            self.arity(e, args, 2)
            a, b = args
            if len(a.shape) != 1 or len(b.shape) != 1:
                raise self.fail(e, "np.outer takes two 1-D arrays")
            return Outer(promote_nodes(a, b), (a.shape[0], b.shape[0]), lhs=a, rhs=b)
        if name == "pad":
            return self.pad(e, args, kwargs)
        if name == "transpose":
            return self.transpose(self.expr(e.args[0]), self.perm_arg(e.args[1:], len(self.expr(e.args[0]).shape), e), e)
        if name in ("full", "zeros", "ones"):
            shape_e = e.args[0] if e.args else kwargs.get("shape")
            if shape_e is None:
                raise self.fail(e, f"np.{name} needs a shape")
            dims = shape_e.elts if isinstance(shape_e, ast.Tuple) else [shape_e]
            shape = tuple(self.size(d) for d in dims)
            if name == "full":
                if len(e.args) < 2:
                    raise self.fail(e, "np.full(shape, value, dtype=...)")
                val = self.expr(e.args[1])
            else:
                val = Lit(DType("f64"), (), value=0.0 if name == "zeros" else 1.0, weak=False)
            dt = self.dtype_arg(kwargs["dtype"], e) if "dtype" in kwargs else (val.dtype if not val.weak else (DType("f64") if isinstance(val, Lit) and isinstance(val.value, float) else DType("i64")))
            return Full(dt, shape, value=self.cast(val, dt))
        raise self.fail(e, f"np.{name} is not part of TensorSpec")

    def builtin(self, name: str, e: ast.Call) -> Node:
        """TensorSpec's own functions (see BUILTINS): what numpy cannot spell exactly."""
        if name in ("seq_max", "seq_min"):
            return self.seq_reduce(name, e)
        if e.keywords:
            raise self.fail(e, f"{name}() takes positional arguments only")
        if name == "strided":
            return self.strided(e)
        if name == "diagonal":
            x = self.expr(e.args[0]) if len(e.args) == 1 else None
            if x is None or len(x.shape) != 2 or x.shape[0] != x.shape[1]:
                raise self.fail(e, "diagonal(x) takes one square 2-D view (equal extents, e.g. a[r:r+n, c:c+n])")
            return Diagonal(x.dtype, (x.shape[0],), src=x)
        args = [self.expr(a) for a in e.args]
        self.arity(e, args, 1)
        if not args[0].dtype.is_float:
            raise self.fail(e, f"{name}() of an integer array")
        return self.elementwise(name, args, e)

    def seq_reduce(self, name: str, e: ast.Call) -> Node:
        """seq_max(x) / seq_min(x) [initial=v]: the compare-and-select reduction of a 1-D float
        array in order, `m = x[k] if x[k] > m else m` (`<` for seq_min) from m = x[0] (or v):
        an ordered compare, so a NaN element is never taken and ties (-0.0 vs +0.0) keep the
        earlier value, unlike np.max (NaN wins, +0.0 > -0.0)."""
        kwargs = {k.arg: k.value for k in e.keywords}
        if set(kwargs) - {"initial"}:
            raise self.fail(e, f"{name}() takes one array and initial= only")
        args = [self.expr(a) for a in e.args]
        self.arity(e, args, 1)
        x = args[0]
        if len(x.shape) != 1 or not x.dtype.is_float:
            raise self.fail(e, f"{name}() of a 1-D float array only")
        initial = None
        if "initial" in kwargs:
            iv = self.expr(kwargs["initial"])
            if iv.shape:
                raise self.fail(e, "initial= must be a scalar")
            initial = self.cast(iv, x.dtype)
        return Reduce(x.dtype, (), op=name, src=x, axis=None, initial=initial)

    def strided(self, e: ast.Call) -> Node:
        if len(e.args) != 4:
            raise self.fail(e, "strided(x, offset, shape, strides) takes four arguments")
        x = self.expr(e.args[0])
        if len(x.shape) != 1:
            raise self.fail(e, "strided() views a 1-D array")
        offset = self.size(e.args[1])
        shape_e, strides_e = e.args[2], e.args[3]
        dims = shape_e.elts if isinstance(shape_e, ast.Tuple) else [shape_e]
        steps = strides_e.elts if isinstance(strides_e, ast.Tuple) else [strides_e]
        shape = tuple(self.size(d) for d in dims)
        strides = tuple(self.size(s) for s in steps)
        if len(shape) != len(strides) or not shape:
            raise self.fail(e, "strided() needs one stride per dimension of the shape")
        if any(_negative_literal(p) for p in (offset, *shape, *strides)):
            raise self.fail(e, "strided() takes no negative offset, size or stride")
        return Strided(x.dtype, shape, src=x, offset=offset, strides=strides)

    def pad(self, e: ast.Call, args: list[Node], kwargs: dict[str | None, ast.expr]) -> Node:
        """np.pad(x, ((lo, hi), ...)) with zeros: one (lo, hi) pair per axis of x."""
        if len(e.args) != 2:
            raise self.fail(e, "np.pad(x, ((lo, hi), ...)) takes an array and one (lo, hi) pair per axis")
        mode = kwargs.pop("mode", None)
        if mode is not None and not (isinstance(mode, ast.Constant) and mode.value == "constant"):
            raise self.fail(e, "np.pad: only mode='constant' (zeros)")
        cval = kwargs.pop("constant_values", None)
        if cval is not None and not (isinstance(cval, ast.Constant) and cval.value == 0):
            raise self.fail(e, "np.pad: only constant_values=0")
        if kwargs:
            raise self.fail(e, f"np.pad: unexpected keyword arguments {sorted(str(k) for k in kwargs)}")
        x = self.expr(e.args[0])
        pairs = e.args[1].elts if isinstance(e.args[1], ast.Tuple) else []
        if len(pairs) != len(x.shape) or not x.shape or not all(isinstance(p, ast.Tuple) and len(p.elts) == 2 for p in pairs):
            raise self.fail(e, f"np.pad of a {len(x.shape)}-D array needs {len(x.shape)} (lo, hi) pairs")
        low = tuple(self.size(p.elts[0]) for p in pairs)  # type: ignore[attr-defined]
        high = tuple(self.size(p.elts[1]) for p in pairs)  # type: ignore[attr-defined]
        if any(_negative_literal(w) for w in (*low, *high)):
            raise self.fail(e, "np.pad widths must not be negative")
        shape = tuple(d + lo + hi for d, lo, hi in zip(x.shape, low, high, strict=True))
        return Pad(x.dtype, shape, src=x, low=low, high=high)

    def perm_arg(self, args: list[ast.expr], rank: int, e: ast.AST) -> tuple[int, ...] | None:
        if not args:
            return None
        items = args[0].elts if len(args) == 1 and isinstance(args[0], ast.Tuple) else args
        perm: list[int] = []
        for it in items:
            p = self.size(it)
            if not p.is_const:
                raise self.fail(e, "transpose axes must be literals")
            perm.append(p.const_value)
        if sorted(perm) != list(range(rank)):
            raise self.fail(e, f"transpose axes {perm} are not a permutation of {rank} axes")
        return tuple(perm)

    def window(self, e: ast.Call) -> Node:
        if len(e.args) != 2 or e.keywords:
            raise self.fail(e, "sliding_window_view(x, window_shape) takes two arguments")
        x = self.expr(e.args[0])
        ws = e.args[1].elts if isinstance(e.args[1], ast.Tuple) else [e.args[1]]
        window = tuple(self.size(w) for w in ws)
        if len(window) != len(x.shape) or not x.shape:
            raise self.fail(e, "the window needs one size per axis of the array")
        shape = tuple(d - w + 1 for d, w in zip(x.shape, window, strict=True)) + window
        return Window(x.dtype, shape, src=x, window=window)

    def arity(self, e: ast.Call, args: list[Node], n: int) -> None:
        if len(args) != n:
            raise self.fail(e, f"{ast.unparse(e.func)} takes {n} arguments, got {len(args)}")

    def dtype_arg(self, a: ast.expr | None, e: ast.AST) -> DType:
        if isinstance(a, ast.Attribute) and isinstance(a.value, ast.Name) and a.value.id == "np" and a.attr in NP_DTYPE_NAMES:
            return DType(NP_DTYPE_NAMES[a.attr])
        raise self.fail(e, "expected a numpy dtype such as np.int32 or np.float32")

    # --- node builders
    def cast(self, x: Node, dt: DType) -> Node:
        if isinstance(x, Lit):
            v = x.value
            if dt.is_float:
                return Lit(dt, (), value=float(v))
            if isinstance(v, float):
                v = int(v)
            return Lit(dt, (), value=int(np.array(v).astype(np.int64).astype(dt.np)) if dt.name != "bool" else int(bool(v)))
        if x.dtype == dt and not isinstance(x, SizeVal):
            return x
        return Cast(dt, x.shape, src=x)

    def elementwise(self, op: str, args: list[Node], e: ast.AST) -> Node:
        for a in args:
            if isinstance(a, SizeVal):
                continue
        shape = _broadcast_shapes([a.shape for a in args], lambda m: self.fail(e, m))
        vals = args[1:] if op == "where" else args
        dt = _result_dtype(vals, lambda m: self.fail(e, m))
        if op in ("truediv",) and not dt.is_float:
            dt = promote(dt, DType("f64"))
        if op in ("exp", "log", "sqrt", "tanh", "exp2", "log2", "log10", "sin", "cos", "pow") and not dt.is_float:
            dt = promote(dt, DType("f64")) if op != "pow" else dt
        if op in ("floor", "ceil", "rint") and not dt.is_float:
            raise self.fail(e, f"np.{op} of an integer array")
        cast_args = []
        for i, a in enumerate(args):
            if op == "where" and i == 0:
                if a.dtype.name != "bool":
                    raise self.fail(e, "np.where's condition must be a comparison (bool)")
                cast_args.append(a)
            else:
                cast_args.append(self.cast(a, dt))
        out_dt = DType("bool") if op in _CMP.values() else dt
        if op == "not" and dt.is_float:
            raise self.fail(e, "~ of a float array")
        return Elementwise(out_dt, shape, op=op, args=cast_args, weak=all(a.weak for a in args))

    def reduce(self, op: str, x: Node, kwargs: dict[str | None, ast.expr], e: ast.AST) -> Node:
        axis: int | None = None
        axes: tuple[int, ...] = ()
        if "axis" in kwargs and isinstance(kwargs["axis"], ast.Tuple):
            # One fold over several axes in row-major order (a sum/prod: numpy's axis tuple).
            axes = tuple(self.axis_literal(a, len(x.shape), e) for a in kwargs["axis"].elts)  # type: ignore[attr-defined]
            if op not in ("sum", "prod") or len(axes) < 1 or list(axes) != sorted(set(axes)):
                raise self.fail(e, "an axis tuple must list distinct axes in increasing order (sum and prod only)")
        elif "axis" in kwargs:
            ax = self.size(kwargs["axis"])
            if not ax.is_const:
                raise self.fail(e, "axis must be a literal")
            axis = ax.const_value
            if axis < 0:
                axis += len(x.shape)
            if not 0 <= axis < len(x.shape):
                raise self.fail(e, "axis out of range")
        dt = x.dtype
        if op in ("sum", "prod") and not dt.is_float and dt.np.itemsize < 8:
            dt = DType("u64" if dt.is_unsigned else "i64")  # numpy sums small ints in the default int
        if "dtype" in kwargs:
            dt = self.dtype_arg(kwargs["dtype"], e)
        src = self.cast(x, dt)
        if axes:
            shape = tuple(s for i, s in enumerate(x.shape) if i not in axes)
        else:
            shape = () if axis is None else tuple(s for i, s in enumerate(x.shape) if i != axis)
        if not x.shape:
            raise self.fail(e, "reduction of a scalar")
        initial = None
        if "initial" in kwargs:
            iv = self.expr(kwargs["initial"])
            # An array of the result's shape, or one that broadcasts to it (TensorSpec, not numpy):
            # each output element's fold starts from its own value, as `C[i, j] += ...` or an
            # accumulator started from a bias (`acc = b[f]`) does.
            if iv.shape and not (op in ("sum", "prod") and len(iv.shape) == len(shape)
                                 and all(a == b or a == Poly.const(1) for a, b in zip(iv.shape, shape, strict=True))):
                raise self.fail(e, "initial= must be a scalar (or, for sum/prod, an array of the result's shape or broadcast to it)")
            initial = self.cast(iv, dt)
        return Reduce(dt, shape, op=op, src=src, axis=axis, initial=initial, axes=axes)

    def axis_literal(self, a: ast.expr, rank: int, e: ast.AST) -> int:
        ax = self.size(a)
        if not ax.is_const:
            raise self.fail(e, "axis must be a literal")
        v = ax.const_value + (rank if ax.const_value < 0 else 0)
        if not 0 <= v < rank:
            raise self.fail(e, "axis out of range")
        return v

    def matmul(self, a: Node, b: Node, e: ast.AST) -> Node:
        if len(a.shape) not in (1, 2) or len(b.shape) not in (1, 2):
            raise self.fail(e, "matmul/dot take 1-D or 2-D operands")
        ka = a.shape[len(a.shape) - 1]
        kb = b.shape[0]
        if ka != kb:
            raise self.fail(e, f"matmul inner dimensions differ: {ka} vs {kb}")
        dt = _result_dtype([a, b], lambda m: self.fail(e, m))
        shape = a.shape[:-1] + b.shape[1:]
        return MatMul(dt, shape, lhs=self.cast(a, dt), rhs=self.cast(b, dt))

    def reshape(self, x: Node, dims: list[Poly], e: ast.AST) -> Node:
        if len(x.shape) != 1 and len(dims) != 1:
            raise self.fail(e, "reshape goes between 1-D and N-D only")
        if any(_negative_literal(d) for d in dims):
            raise self.fail(e, "write reshape's sizes explicitly (no -1)")
        total = Poly.const(1)
        for d in dims:
            total = total * d
        src_total = Poly.const(1)
        for d in x.shape:
            src_total = src_total * d
        if total != src_total:
            raise self.fail(e, f"reshape from {len(x.shape)}-D size {src_total} to size {total}")
        return Reshape(x.dtype, tuple(dims), src=x)

    def transpose(self, x: Node, perm: tuple[int, ...] | None, e: ast.AST) -> Node:
        p = perm or tuple(reversed(range(len(x.shape))))
        return Transpose(x.dtype, tuple(x.shape[i] for i in p), src=x, perm=p)


def _as_poly(n: Node) -> Poly | None:
    if isinstance(n, SizeVal):
        return n.poly
    if isinstance(n, Lit) and isinstance(n.value, int) and not n.dtype.is_float:
        return Poly.const(int(n.value))
    return None


def promote_nodes(a: Node, b: Node) -> DType:
    return _result_dtype([a, b], lambda m: SpecError(m))


def _negative_literal(p: Poly) -> bool:
    return p.is_const and p.const_value < 0


def _ceil_div(p: Poly, s: int, fail: Any) -> Poly:
    """The length of a slice of p elements with step s, numpy's max(0, ceil(p / s)). Not a
    polynomial unless s divides p exactly: then a derived size symbol (see ceil_symbol)."""
    del fail  # every length is expressible now; kept for the callers' signature
    if p.is_const:
        return Poly.const(max(0, -(-p.const_value // s)))
    d = p.as_dict()
    if all(c % s == 0 for c in d.values()):
        return Poly._make({m: c // s for m, c in d.items()})  # pyright: ignore[reportPrivateUsage]
    return ceil_symbol(p, s)


# Derived size symbols t = max(0, ceil(num / s)): the trip count of a step-s loop and the length of
# a slice with step s when s does not divide the extent. A symbol's name determines (num, s), so
# equal lengths are equal polynomials; the verifier states the definition to z3 (ceil_facts), the
# evaluator computes the value (set_sizes) and the linalg lowering emits a ceildivsi.
_CEIL: dict[str, tuple[Poly, int]] = {}


def ceil_symbol(num: Poly, s: int) -> Poly:
    name = f"ceil({num})/{s}"
    _CEIL[name] = (num, s)
    return Poly.var(name)


def ceil_definition(name: str) -> tuple[Poly, int] | None:
    return _CEIL.get(name)


def ceil_symbols_in(polys: Any) -> set[str]:
    """The derived symbols in some polynomials, with those their definitions use."""
    out: set[str] = set()
    todo = [v for p in polys for v in p.vars() if v in _CEIL]
    while todo:
        v = todo.pop()
        if v not in out:
            out.add(v)
            todo.extend(x for x in _CEIL[v][0].vars() if x in _CEIL)
    return out


def program_ceil_symbols(prog: Program) -> set[str]:
    """The derived symbols a program's shapes and views use."""
    polys: list[Poly] = []
    seen: set[int] = set()

    def walk(n: object) -> None:
        if id(n) in seen:
            return
        seen.add(id(n))
        if isinstance(n, Node):
            polys.extend(n.shape)
        if isinstance(n, SliceSpec):
            polys.extend((n.start, n.length))
        elif isinstance(n, Poly):
            polys.append(n)
        if isinstance(n, Node | SliceSpec | Assign):
            for v in vars(n).values():
                for c in v if isinstance(v, list | tuple) else [v]:
                    walk(c)

    for a in prog.assigns:
        walk(a)
    for r in prog.returns:
        walk(r)
    return ceil_symbols_in(polys)


def ceil_facts(names: set[str]) -> list[Any]:
    """z3 definitions of derived symbols: t = 0 if num <= 0 else the least t with s*t >= num."""
    out: list[Any] = []
    for name in sorted(names):
        num, s = _CEIL[name]
        t: Any = z3.Int(name)
        n = zpoly(num)
        out.append(z3.If(n <= 0, t == 0, z3.And(s * t >= n, s * (t - 1) < n)))
    return out


def ceil_values(sizes: dict[str, int]) -> dict[str, int]:
    """Values of the derived symbols whose definitions the given sizes determine."""
    out = dict(sizes)
    changed = True
    while changed:
        changed = False
        for name, (num, s) in list(_CEIL.items()):
            if name not in out and num.vars() <= out.keys():
                out[name] = max(0, -(-num.eval(out) // s))
                changed = True
    return {k: v for k, v in out.items() if k not in sizes}


def _is_view_chain(n: Node, root: str) -> bool:
    while isinstance(n, View | Reshape | Diagonal):
        if isinstance(n, View) and n.newaxes:
            return False
        n = n.src
    return isinstance(n, Arg) and n.name == root and not n.is_scalar


def _broadcast_shapes(shapes: list[Shape], fail: Any) -> Shape:
    rank = max((len(s) for s in shapes), default=0)
    out: list[Poly] = []
    one = Poly.const(1)
    for k in range(rank):
        dim = one
        for s in shapes:
            j = k - (rank - len(s))
            if j < 0:
                continue
            d = s[j]
            if d == one:
                continue
            if dim != one and d != dim:
                raise fail(f"shapes {[tuple(map(str, s)) for s in shapes]} do not broadcast ({d} vs {dim})")
            dim = d
        out.append(dim)
    return tuple(out)


def _broadcast_to(x: Node, shape: Shape, fail: Any) -> Node:
    b = _broadcast_shapes([x.shape, shape], fail)
    if b != shape:
        raise fail(f"value of shape {tuple(map(str, x.shape))} does not fit target of shape {tuple(map(str, shape))}")
    return x


def _result_dtype(args: list[Node], fail: Any) -> DType:
    strong = [a for a in args if not a.weak]
    if not strong:
        # All literals: numpy default types.
        if any(a.dtype.is_float for a in args):
            return DType("f64")
        return DType("i64")
    dt = strong[0].dtype
    for a in strong[1:]:
        dt = promote(dt, a.dtype)
    for a in args:
        if a.weak and a.dtype.is_float and not dt.is_float:
            dt = DType("f64")
        if a.weak and isinstance(a, Lit) and not dt.is_float and not isinstance(a.value, float):
            info = np.iinfo(dt.np) if dt.name != "bool" else None
            if info is not None and not info.min <= int(a.value) <= info.max:
                raise fail(f"literal {a.value} does not fit {dt} (numpy 2 rejects it too)")
    return dt


def parse_program(text: str, decls: list[ArgDecl]) -> Program:
    """Parse TensorSpec text against the problem's arguments; raises SpecError with a reason."""
    return _Parser(decls).program(text)


# ---------------------------------------------------------------- element semantics


def _tmap_cmp(op: str, dt: DType) -> str:
    if dt.is_float:
        return {"lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge", "eq": "oeq", "ne": "une"}[op]
    if dt.is_unsigned:
        return {"lt": "ult", "le": "ule", "gt": "ugt", "ge": "uge", "eq": "eq", "ne": "ne"}[op]
    return {"lt": "slt", "le": "sle", "gt": "sgt", "ge": "sge", "eq": "eq", "ne": "ne"}[op]


def _convert(t: T.Term, src: DType, dst: DType) -> T.Term:
    """numpy astype semantics as arith casts."""
    s, d = src.etype, dst.etype
    if src == dst:
        return t
    if src.is_float and dst.is_float:
        if s.width == d.width:
            return t
        return T.Op("extf" if d.width > s.width else "truncf", (t,), d)
    if not src.is_float and not dst.is_float:
        if dst.name == "bool":
            return T.Op("ne", (t, T.Const(0, s)), d)
        if d.width == s.width:
            return t
        if d.width < s.width:
            return T.Op("trunci", (t,), d)
        return T.Op("extui" if src.is_unsigned else "extsi", (t,), d)
    if dst.is_float:
        return T.Op("uitofp" if src.is_unsigned else "sitofp", (t,), d)
    return T.Op("fptoui" if dst.is_unsigned else "fptosi", (t,), d)


def elem(n: Node, idx: tuple[Poly, ...]) -> T.Term:
    """The value of node n at position idx (len(idx) == rank)."""
    et = n.dtype.etype
    if isinstance(n, Lit):
        return T.Const(n.value if n.dtype.is_float else int(n.value) & ((1 << et.width) - 1), et)
    if isinstance(n, SizeVal):
        return T.IndexValue(n.poly, et)
    if isinstance(n, Arg):
        if n.is_scalar:
            return T.Scalar(n.name, et)
        return T.Read(n.name, idx, et)
    if isinstance(n, View):
        it = iter(idx)
        src_idx: list[Poly] = []
        kept = [i for i in range(len(idx)) if i not in n.newaxes]
        kept_idx = [idx[i] for i in kept]
        it = iter(kept_idx)
        for spec in n.per_dim:
            if isinstance(spec, SliceSpec):
                src_idx.append(spec.start + next(it) * spec.step)
            else:
                src_idx.append(spec)
        return elem(n.src, tuple(src_idx))
    if isinstance(n, Reshape):
        if len(n.src.shape) == 1:
            flat = Poly.const(0)
            for k, p in enumerate(idx):
                stride = Poly.const(1)
                for d in n.shape[k + 1 :]:
                    stride = stride * d
                flat = flat + p * stride
            return elem(n.src, (flat,))
        raise SpecError("reshape of an N-D array to 1-D cannot be used inside an expression yet")
    if isinstance(n, Window):
        r = len(n.window)
        return elem(n.src, tuple(idx[d] + idx[r + d] for d in range(r)))
    if isinstance(n, Diagonal):
        return elem(n.src, (idx[0], idx[0]))
    if isinstance(n, Pad):
        return _pad_term(n, idx)
    if isinstance(n, Strided):
        flat = n.offset
        for q, stride in zip(idx, n.strides, strict=True):
            flat = flat + q * stride
        return elem(n.src, (flat,))
    if isinstance(n, Transpose):
        src_idx_l: list[Poly] = [Poly.const(0)] * len(idx)
        for out_pos, src_pos in enumerate(n.perm):
            src_idx_l[src_pos] = idx[out_pos]
        return elem(n.src, tuple(src_idx_l))
    if isinstance(n, Cast):
        return _convert(elem(n.src, idx), n.src.dtype, n.dtype)
    if isinstance(n, Full):
        return elem(n.value, ())
    if isinstance(n, Elementwise):
        args = [elem(a, _bcast_idx(idx, a.shape, n.shape)) for a in n.args]
        return _elementwise_term(n, args)
    if isinstance(n, Reduce):
        return _reduce_term(n, idx)
    if isinstance(n, ArgReduce):
        return _arg_fold_term(n)
    if isinstance(n, MatMul):
        k = T.fresh("k")
        kv = Poly.var(k)
        a_idx = (idx[0], kv) if len(n.lhs.shape) == 2 else (kv,)
        if len(n.rhs.shape) == 2:
            b_idx = (kv, idx[-1])
        else:
            b_idx = (kv,)
        prod = _elementwise_term(Elementwise(n.dtype, (), op="mul", args=[]), [elem(n.lhs, a_idx), elem(n.rhs, b_idx)])
        add = "addf" if n.dtype.is_float else "addi"
        zero = T.Const(0.0 if n.dtype.is_float else 0, et)
        return T.Fold(add, zero, k, Poly.const(0), n.lhs.shape[-1], 1, prod, et)
    if isinstance(n, Outer):
        return _elementwise_term(Elementwise(n.dtype, (), op="mul", args=[]), [elem(n.lhs, (idx[0],)), elem(n.rhs, (idx[1],))])
    raise SpecError(f"no semantics for {type(n).__name__}")


def _pad_term(n: Pad, idx: tuple[Poly, ...]) -> T.Term:
    """select(every padded axis's source position inside x, x[q - lo], 0): the guarded load
    `if 0 <= ih && ih < H: x[ih] else 0` of a padded loop nest."""
    src_idx = tuple(q - lo for q, lo in zip(idx, n.low, strict=True))
    inside: T.Term | None = None
    zero_i = T.IndexValue(Poly.const(0), T.INDEX)
    for p, extent, lo, hi in zip(src_idx, n.src.shape, n.low, n.high, strict=True):
        if lo == Poly.const(0) and hi == Poly.const(0):
            continue
        v = T.IndexValue(p, T.INDEX)
        both = T.Op("andi", (T.Op("sge", (v, zero_i), T.I1), T.Op("slt", (v, T.IndexValue(extent, T.INDEX)), T.I1)), T.I1)
        inside = both if inside is None else T.Op("andi", (inside, both), T.I1)
    x = elem(n.src, src_idx)
    if inside is None:
        return x
    zero = T.Const(0.0 if n.dtype.is_float else 0, n.dtype.etype)
    return T.Op("select", (inside, x, zero), n.dtype.etype)


def _bcast_idx(idx: tuple[Poly, ...], shape: Shape, out_shape: Shape) -> tuple[Poly, ...]:
    off = len(out_shape) - len(shape)
    one = Poly.const(1)
    return tuple(Poly.const(0) if (shape[j] == one and out_shape[j + off] != one) else idx[j + off] for j in range(len(shape)))


def _elementwise_term(n: Elementwise, args: list[T.Term]) -> T.Term:
    dt = n.dtype
    op = n.op
    if op in ("lt", "le", "gt", "ge", "eq", "ne"):
        src_dt = n.args[0].dtype
        return T.Op(_tmap_cmp(op, src_dt), tuple(args), T.I1)
    et = dt.etype
    f = dt.is_float
    if op == "where":
        return T.Op("select", tuple(args), et)
    if op == "neg":
        return T.Op("negf", (args[0],), et) if f else T.Op("subi", (T.Const(0, et), args[0]), et)
    if op == "not":
        return T.Op("xori", (args[0], T.Const((1 << et.width) - 1, et)), et)
    if op == "abs":
        return T.Op("absf", (args[0],), et) if f else (args[0] if dt.is_unsigned else T.Op("absi", (args[0],), et))
    simple_f = {"add": "addf", "sub": "subf", "mul": "mulf", "truediv": "divf", "max": "maximumf", "min": "minimumf", "pow": "powf",
                "fmax": "maxnumf", "fmin": "minnumf"}
    simple_i = {"add": "addi", "sub": "subi", "mul": "muli", "and": "andi", "or": "ori", "xor": "xori", "shl": "shli"}
    if f and op in simple_f:
        return T.Op(simple_f[op], tuple(args), et)
    if f and op == "fmod":
        return T.Op("remf", tuple(args), et)
    if f and op in ("exp", "log", "sqrt", "tanh", "exp2", "log2", "log10", "sin", "cos", "floor", "ceil"):
        return T.Op(op, (args[0],), et)
    if f and op == "rint":
        return T.Op("roundeven", (args[0],), et)
    if f and op == "round_away":
        return T.Op("round", (args[0],), et)
    if not f and op in simple_i:
        return T.Op(simple_i[op], tuple(args), et)
    u = dt.is_unsigned
    if not f:
        table = {
            "max": "maxui" if u else "maxsi", "min": "minui" if u else "minsi",
            "fmax": "maxui" if u else "maxsi", "fmin": "minui" if u else "minsi",
            "floordiv": "divui" if u else "floordivsi", "mod": "remui" if u else "modsi",
            "shr": "shrui" if u else "shrsi", "fmod": "remui" if u else "remsi",
        }
        if op in table:
            return T.Op(table[op], tuple(args), et)
    raise SpecError(f"operator '{op}' is not defined for {dt}")


def _reduce_term(n: Reduce, idx: tuple[Poly, ...]) -> T.Term:
    src = n.src
    et = n.dtype.etype
    f = n.dtype.is_float
    u = n.dtype.is_unsigned
    comb = {
        "sum": "addf" if f else "addi", "prod": "mulf" if f else "muli",
        "max": "maximumf" if f else ("maxui" if u else "maxsi"), "min": "minimumf" if f else ("minui" if u else "minsi"),
        "seq_max": "selectf_ogt", "seq_min": "selectf_olt",
    }[n.op]
    axes = reduced_axes(n)
    # Left fold in row-major order over the reduced axes; max/min start from the first element.
    # A float sum/prod over several axes is one fold (inner folds continue the outer accumulator,
    # terms.ACC), as its linalg reduction runs; integers may restart inner folds at the identity.
    names = {a: T.fresh("r") for a in axes}

    def src_index(fixed: dict[int, Poly]) -> tuple[Poly, ...]:
        out: list[Poly] = []
        it = iter(idx)
        for d in range(len(src.shape)):
            out.append(fixed[d] if d in fixed else next(it))
        return tuple(out)

    def build(level: int, fixed: dict[int, Poly], acc_init: T.Term | None) -> T.Term:
        a = axes[level]
        var = names[a]
        inner_fixed = dict(fixed)
        inner_fixed[a] = Poly.var(var)
        if level == len(axes) - 1:
            body = elem(src, src_index(inner_fixed))
        else:
            body = build(level + 1, inner_fixed, T.acc_var(et) if f else None)
        return T.Fold(comb, acc_init if acc_init is not None else _identity_or(comb, et), var, Poly.const(0), src.shape[a], 1, body, et)

    if n.initial is not None:
        # The outermost fold starts from initial= (inner float folds continue it, terms.ACC).
        return build(0, {}, elem(n.initial, _bcast_idx(idx, n.initial.shape, n.shape) if n.initial.shape else ()))
    if n.op in ("sum", "prod"):
        return build(0, {}, None)
    # max/min/seq_max/seq_min: init = first element, fold from 1 (only single-axis or 1-D for now).
    if len(axes) != 1:
        raise SpecError("max/min over several axes: reduce one axis at a time")
    a = axes[0]
    var = names[a]
    first = elem(src, src_index({a: Poly.const(0)}))
    body = elem(src, src_index({a: Poly.var(var)}))
    return T.Fold(comb, first, var, Poly.const(1), src.shape[a], 1, body, et)


def _arg_fold_term(n: ArgReduce) -> T.Term:
    """fold over k in 1..len of (x[k], k) from (x[0], 0), keeping the first strict winner."""
    src = n.src
    u = src.dtype.is_unsigned
    op = {"argmax": "argmaxui" if u else "argmaxsi", "argmin": "argminui" if u else "argminsi"}[n.op]
    k = T.fresh("r")

    def pair(i: Poly) -> T.Term:
        return T.Op("pair", (elem(src, (i,)), T.IndexValue(i, T.INDEX)), T.INDEX)

    return T.Fold(op, pair(Poly.const(0)), k, Poly.const(1), src.shape[0], 1, pair(Poly.var(k)), T.INDEX)


def _identity_or(comb: str, et: EType) -> T.Term:
    v = T.IDENTITY.get(comb)
    if v is None:
        raise SpecError(f"no identity for {comb}")
    return T.Const(v, et)


# ---------------------------------------------------------------- numpy evaluation


# Limits on evaluating an untrusted program (an LLM's reply): checked from the program's shapes at
# the bound sizes before numpy runs it, since one numpy call (a 3000x3000 matmul) cannot be
# interrupted. None: no limit (the built-in proposer's programs).
_WORK_LIMIT: ContextVar[tuple[int, int] | None] = ContextVar("liftcomp_tensorspec_work_limit", default=None)
MAX_ELEMENTS = 1 << 24  # elements of any one intermediate array (128 MiB of float64)
MAX_WORK = 1 << 28  # element operations of one evaluation (about a second of numpy at most)


@contextmanager
def work_limit(max_elements: int = MAX_ELEMENTS, max_work: int = MAX_WORK) -> Iterator[None]:
    """Within: `evaluate` refuses (SpecError) a program whose arrays or work at the bound sizes
    exceed these limits, instead of running it."""
    token = _WORK_LIMIT.set((max_elements, max_work))
    try:
        yield
    finally:
        _WORK_LIMIT.reset(token)


def _elements(shape: Shape) -> int:
    n = 1
    for p in shape:
        n *= max(0, p.eval(_SIZES))
    return n


def _children(n: Node) -> Iterator[Node]:
    for f in dataclasses.fields(n):
        v = getattr(n, f.name)
        if isinstance(v, Node):
            yield v
        elif isinstance(v, list | tuple):
            yield from (x for x in v if isinstance(x, Node))  # pyright: ignore[reportUnknownVariableType]


def _check_work(prog: Program) -> None:
    limit = _WORK_LIMIT.get()
    if limit is None:
        return
    max_elements, max_work = limit
    work = 0
    todo: list[Node] = [a.value for a in prog.assigns] + list(prog.returns)
    while todo:
        n = todo.pop()
        try:
            size = _elements(n.shape)
            # A matmul does (its result's elements) x (the contracted extent) multiply-adds.
            per = _elements(n.lhs.shape[-1:]) if isinstance(n, MatMul) and n.lhs.shape else 1
        except Exception:  # a symbol without a value: numpy's own checks decide
            continue
        if size > max_elements:
            raise SpecError(f"an intermediate array of {size} elements at the test sizes (at most {max_elements} are evaluated)")
        work += size * per
        if work > max_work:
            raise SpecError(f"about {work} element operations at the test sizes (at most {max_work} are evaluated)")
        todo.extend(_children(n))


def evaluate(prog: Program, args: dict[str, Any]) -> tuple[dict[str, np.ndarray[Any, Any]], list[Any]]:
    """Run the program with numpy on concrete arguments (arrays viewed with the declared dtypes).

    Returns the final contents of assigned buffers (copies) and the returned values.
    """
    _check_work(prog)
    env: dict[str, Any] = dict(args)
    outs: dict[str, np.ndarray[Any, Any]] = {}
    with np.errstate(all="ignore"):
        pending = [(a, _eval(a.value, env)) for a in prog.assigns]
        for a, val in pending:
            buf = outs.setdefault(a.buf, np.array(args[a.buf], copy=True))
            _assign(buf, a.view, val)
        rets = [_eval(r, env) for r in prog.returns]
    return outs, rets


def _assign(buf: np.ndarray[Any, Any], view: Node, val: Any) -> None:
    root = view
    while not isinstance(root, Arg):
        root = root.src  # type: ignore[attr-defined]
    _check_view_bounds(view, {root.name: buf})
    idx = _view_indices(view)
    shape = tuple(max(0, _size(p, {})) for p in view.shape)
    buf[idx] = np.broadcast_to(np.asarray(val).astype(buf.dtype), shape)


def _view_indices(view: Node) -> tuple[Any, ...]:
    """Integer index arrays of a slice/reshape/transpose chain over an argument, computed from
    the same polynomial index semantics as `elem` (so evaluation and proofs agree exactly)."""
    shape = tuple(max(0, _size(p, {})) for p in view.shape)
    qs = [f"q#{k}" for k in range(len(shape))]
    target = elem(view, tuple(Poly.var(q) for q in qs))
    if not isinstance(target, T.Read):
        raise SpecError("not a view of an argument")
    grids = np.indices(shape, dtype=np.int64) if shape else []
    env: dict[str, Any] = dict(_SIZES)
    for q, g in zip(qs, grids, strict=False):
        env[q] = g
    out: list[Any] = []
    for p in target.idx:
        v = p.eval(env)
        out.append(np.broadcast_to(np.asarray(v, dtype=np.int64), shape))
    return tuple(out)


def _strided_indices(n: Strided) -> np.ndarray[Any, Any]:
    """The source positions a strided view reads, in the view's shape."""
    shape = tuple(max(0, _size(p, {})) for p in n.shape)
    flat = np.full(shape, _size(n.offset, {}), dtype=np.int64)
    for g, stride in zip(np.indices(shape, dtype=np.int64), n.strides, strict=True):
        flat = flat + g * _size(stride, {})
    return flat


def _check_view_bounds(n: Node, env: dict[str, Any]) -> None:
    """Every slice of a view chain must lie inside what it slices (numpy would clip silently;
    the lowered memref.subview / tensor.extract_slice would read out of bounds)."""
    if isinstance(n, View):
        _check_view_bounds(n.src, env)
        src_shape = _concrete_shape(n.src, env)
        for d, spec in enumerate(n.per_dim):
            extent = src_shape[d]
            if isinstance(spec, SliceSpec):
                start, length = _size(spec.start, {}), _size(spec.length, {})
                if length > 0 and (start < 0 or start + (length - 1) * spec.step >= extent):
                    raise SpecError(f"slice {start}:{start + length * spec.step}:{spec.step} is outside a dimension of {extent}")
            else:
                i = _size(spec, {})
                if not 0 <= i < extent:
                    raise SpecError(f"index {i} is outside a dimension of {extent}")
    elif isinstance(n, Reshape | Transpose):
        _check_view_bounds(n.src, env)
    elif isinstance(n, Strided):
        # Only the elements the view reads count (rows may overlap; the gaps are never read).
        _check_view_bounds(n.src, env)
        extent = _concrete_shape(n.src, env)[0]
        idx = _strided_indices(n)
        if idx.size and (idx.min() < 0 or idx.max() >= extent):
            raise SpecError(f"strided view reads element {int(idx.max())} of a dimension of {extent}")


def _check_slices(n: View, src_shape: tuple[int, ...]) -> None:
    """A view of a computed value (a window, a padded array) lies inside it, as the lowered
    tensor.extract_slice / the named op's maps must (numpy would clip silently)."""
    for spec, extent in zip(n.per_dim, src_shape, strict=False):
        if isinstance(spec, SliceSpec):
            start, length = _size(spec.start, {}), _size(spec.length, {})
            if length > 0 and (start < 0 or start + (length - 1) * spec.step >= extent):
                raise SpecError(f"slice {start}:{start + length * spec.step}:{spec.step} is outside a dimension of {extent}")
        elif not 0 <= _size(spec, {}) < extent:
            raise SpecError(f"index {_size(spec, {})} is outside a dimension of {extent}")


def _concrete_shape(n: Node, env: dict[str, Any]) -> tuple[int, ...]:
    if isinstance(n, Arg):
        return tuple(np.asarray(env[n.name]).shape)
    return tuple(max(0, _size(p, {})) for p in n.shape)


def _is_argument_view(n: Node) -> bool:
    while isinstance(n, View | Reshape | Transpose | Strided):
        n = n.src
    return isinstance(n, Arg) and not n.is_scalar


def _eval_view(buf: np.ndarray[Any, Any], n: Node) -> np.ndarray[Any, Any]:
    if isinstance(n, Arg):
        return buf
    if isinstance(n, Diagonal):
        base = _eval_view(buf, n.src)
        # A writable view of base[q, q] (np.diagonal's view is read-only).
        return np.lib.stride_tricks.as_strided(base, shape=(base.shape[0],), strides=(base.strides[0] + base.strides[1],))
    if isinstance(n, View):
        base = _eval_view(buf, n.src)
        return base[_np_index(n, {})]
    if isinstance(n, Reshape):
        base = _eval_view(buf, n.src)
        shape = tuple(_size(p, {}) for p in n.shape)
        v = base.reshape(shape)
        if not np.shares_memory(v, base):
            raise SpecError("reshape of a non-contiguous view cannot be assigned")
        return v
    raise SpecError("bad assignment target")


_SIZES: dict[str, int] = {}


def _size(p: Poly, _unused: dict[str, int]) -> int:
    return p.eval(_SIZES)


def _np_index(n: View, _unused: dict[str, int]) -> tuple[Any, ...]:
    out: list[Any] = []
    for spec in n.per_dim:
        if isinstance(spec, SliceSpec):
            start = _size(spec.start, {})
            # A negative symbolic length is an empty range (a loop that runs zero times).
            out.append(slice(start, start + max(0, _size(spec.length, {})) * spec.step, spec.step))
        else:
            out.append(_size(spec, {}))
    return tuple(out)


def _eval(n: Node, env: dict[str, Any]) -> Any:
    if isinstance(n, Lit):
        return n.dtype.np.type(n.value)
    if isinstance(n, SizeVal):
        return np.int64(_size(n.poly, {}))
    if isinstance(n, Arg):
        v = env[n.name]
        if n.is_scalar:
            if n.dtype.is_float:
                return n.dtype.np.type(v)
            # Integer scalars wrap to their width (the caller may pass the unsigned reading).
            return np.array(int(v)).astype(np.int64).astype(n.dtype.np)[()]
        return np.asarray(v).view(n.dtype.np)
    if isinstance(n, View | Reshape | Strided) and _is_argument_view(n):
        root = n
        while not isinstance(root, Arg):
            root = root.src  # type: ignore[attr-defined]
        arr = np.asarray(env[root.name]).view(root.dtype.np)
        _check_view_bounds(n, env)
        idx = _view_indices(n)
        for k, ix in enumerate(idx):
            if ix.size and (ix.min() < 0 or ix.max() >= arr.shape[k]):
                raise SpecError(f"view of '{root.name}' reads outside the buffer")
        return arr[idx]
    if isinstance(n, View):
        src = _eval(n.src, env)
        _check_slices(n, np.shape(src))
        out = src[_np_index(n, {})]
        for pos in n.newaxes:
            out = np.expand_dims(out, pos)
        return out
    if isinstance(n, Reshape):
        return np.asarray(_eval(n.src, env)).reshape(tuple(_size(p, {}) for p in n.shape))
    if isinstance(n, Transpose):
        return np.transpose(_eval(n.src, env), n.perm)
    if isinstance(n, Diagonal):
        return np.diagonal(np.asarray(_eval(n.src, env))).copy()
    if isinstance(n, Strided):
        src = np.asarray(_eval(n.src, env))
        idx = _strided_indices(n)
        if idx.size and (idx.min() < 0 or idx.max() >= src.shape[0]):
            raise SpecError(f"strided view reads element {int(idx.max())} of an array of {src.shape[0]}")
        return src[idx]
    if isinstance(n, Window):
        src = np.asarray(_eval(n.src, env))
        window = tuple(_size(w, {}) for w in n.window)
        if any(w < 1 or w > d for w, d in zip(window, src.shape, strict=True)):
            raise SpecError(f"window {window} does not fit an array of shape {src.shape}")
        return np.lib.stride_tricks.sliding_window_view(src, window)
    if isinstance(n, Pad):
        widths = [(_size(lo, {}), _size(hi, {})) for lo, hi in zip(n.low, n.high, strict=True)]
        return np.pad(np.asarray(_eval(n.src, env)), widths)
    if isinstance(n, Cast):
        return np.asarray(_eval(n.src, env)).astype(n.dtype.np)
    if isinstance(n, Full):
        return np.full(tuple(_size(p, {}) for p in n.shape), _eval(n.value, env), dtype=n.dtype.np)
    if isinstance(n, Elementwise):
        a = [_eval(x, env) for x in n.args]
        return _np_elementwise(n, a)
    if isinstance(n, Reduce) and n.dtype.is_float:
        return _float_reduce(n, np.asarray(_eval(n.src, env)).astype(n.dtype.np), None if n.initial is None else _eval(n.initial, env))
    if isinstance(n, Reduce) and n.initial is not None and n.initial.shape:
        # An array initial= (integers: exact in any order, wrapping): the reduction, then one combine.
        x = _eval(n.src, env)
        ax = tuple(reduced_axes(n))
        red = np.sum(x, axis=ax, dtype=n.dtype.np) if n.op == "sum" else np.prod(x, axis=ax, dtype=n.dtype.np)
        init = np.asarray(_eval(n.initial, env)).astype(n.dtype.np)
        return (init + red if n.op == "sum" else init * red).astype(n.dtype.np)
    if isinstance(n, Reduce):
        x = _eval(n.src, env)
        kw: dict[str, Any] = {} if n.initial is None else {"initial": _eval(n.initial, env)}
        if n.op == "sum":
            return np.sum(x, axis=n.axes or n.axis, dtype=n.dtype.np, **kw)
        if n.op == "prod":
            return np.prod(x, axis=n.axes or n.axis, dtype=n.dtype.np, **kw)
        if n.op == "max":
            return np.max(x, axis=n.axis, **kw)
        return np.min(x, axis=n.axis, **kw)
    if isinstance(n, ArgReduce):
        x = np.asarray(_eval(n.src, env))
        if x.size == 0:
            raise SpecError(f"np.{n.op} of an empty array")
        return np.int64(np.argmax(x) if n.op == "argmax" else np.argmin(x))
    if isinstance(n, MatMul) and n.dtype.is_float:
        return _float_matmul(np.asarray(_eval(n.lhs, env)), np.asarray(_eval(n.rhs, env)), n.dtype.np)
    if isinstance(n, MatMul):
        return np.matmul(_eval(n.lhs, env), _eval(n.rhs, env)).astype(n.dtype.np)
    if isinstance(n, Outer):
        return np.outer(_eval(n.lhs, env), _eval(n.rhs, env)).astype(n.dtype.np)
    raise SpecError(f"cannot evaluate {type(n).__name__}")


def _float_reduce(n: Reduce, x: np.ndarray[Any, Any], initial: Any) -> Any:
    """A float reduction as its fold runs (elem, the emitted linalg): one left fold over the
    reduced axes in row-major order from +0.0 / 1.0 / the first element / initial=, each step
    rounded (numpy's own sum is pairwise and would be another value)."""
    axes = reduced_axes(n)
    kept = [d for d in range(x.ndim) if d not in axes]
    flat = np.transpose(x, kept + axes).reshape((*[x.shape[d] for d in kept], -1))
    flat = np.moveaxis(flat, -1, 0)  # the reduced elements in fold order, first axis
    step = {"sum": np.add, "prod": np.multiply, "max": floats.maximumf, "min": floats.minimumf,
            "seq_max": lambda acc, v: np.where(v > acc, v, acc), "seq_min": lambda acc, v: np.where(v < acc, v, acc)}[n.op]
    if initial is not None:
        acc, rest = np.broadcast_to(np.asarray(initial, dtype=x.dtype), flat.shape[1:]).copy(), flat
    elif n.op in ("sum", "prod"):
        acc, rest = np.full(flat.shape[1:], 0.0 if n.op == "sum" else 1.0, dtype=x.dtype), flat
    else:
        if flat.shape[0] == 0:
            raise SpecError(f"{n.op} of an empty array")
        acc, rest = flat[0], flat[1:]
    with np.errstate(all="ignore"):
        for v in rest:
            acc = np.asarray(step(acc, v)).astype(x.dtype)
    return acc if acc.ndim else acc[()]


def _float_matmul(a: np.ndarray[Any, Any], b: np.ndarray[Any, Any], dt: np.dtype[Any]) -> Any:
    """a @ b as linalg.matmul / the generic runs it: acc = +0.0, then acc + a[.., k] * b[k, ..] for
    k in order, every product and sum rounded (no BLAS order, no fused multiply-add)."""
    a, b = a.astype(dt), b.astype(dt)
    av = a if a.ndim == 2 else a[None, :]
    bv = b if b.ndim == 2 else b[:, None]
    acc = np.zeros((av.shape[0], bv.shape[1]), dtype=dt)
    with np.errstate(all="ignore"):
        for k in range(av.shape[1]):
            acc = (acc + (av[:, k : k + 1] * bv[k : k + 1, :]).astype(dt)).astype(dt)
    if a.ndim == 1:
        acc = acc[0]
    if b.ndim == 1:
        acc = acc[..., 0]
    return acc if acc.ndim else acc[()]


def _np_elementwise(n: Elementwise, a: list[Any]) -> Any:
    dt = n.dtype.np
    op = n.op
    if op == "where":
        return np.where(a[0], a[1], a[2]).astype(dt)
    unary = {"neg": np.negative, "not": np.invert, "abs": np.abs, "exp": np.exp, "log": np.log, "sqrt": np.sqrt,
             "tanh": np.tanh, "exp2": np.exp2, "log2": np.log2, "log10": np.log10, "sin": np.sin, "cos": np.cos,
             "floor": np.floor, "ceil": np.ceil, "rint": np.rint}
    if op in unary:
        return np.asarray(unary[op](a[0])).astype(dt)
    if op == "round_away":
        return _round_away(np.asarray(a[0])).astype(dt)
    binary = {"add": np.add, "sub": np.subtract, "mul": np.multiply, "truediv": np.true_divide,
              "floordiv": np.floor_divide, "mod": np.mod, "and": np.bitwise_and, "or": np.bitwise_or,
              "xor": np.bitwise_xor, "shl": np.left_shift, "shr": np.right_shift, "max": np.maximum,
              "min": np.minimum, "pow": np.power, "fmod": np.fmod, "fmax": np.fmax, "fmin": np.fmin, "lt": np.less, "le": np.less_equal, "gt": np.greater,
              "ge": np.greater_equal, "eq": np.equal, "ne": np.not_equal}
    if op in ("max", "min") and n.dtype.is_float:
        binary = {"max": floats.maximumf, "min": floats.minimumf}  # arith.maximumf: +0.0 > -0.0
    r = binary[op](a[0], a[1])
    return np.asarray(r).astype(dt)


def _round_away(x: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Round halves away from zero (math.round). x - trunc(x) is exact, so unlike
    floor(x + 0.5) no addition rounds first (0.49999997 stays 0)."""
    whole = np.trunc(x)
    frac = x - whole
    return np.where(np.abs(frac) >= 0.5, whole + np.sign(x), whole).astype(x.dtype)


def set_sizes(sizes: dict[str, int]) -> None:
    """Bind size symbols (argument names, `x.shape[k]`) for evaluation."""
    _SIZES.clear()
    _SIZES.update(sizes)
    _SIZES.update(ceil_values(sizes))
