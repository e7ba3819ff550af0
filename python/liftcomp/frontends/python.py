"""Python input: plain functions with loops over numpy arrays, translated from the `ast`.

The source is parsed, never run, at compile time. The convention (docs/FRONTENDS.md):

    from __future__ import annotations        # annotations are then never evaluated
    from liftcomp.frontends.python import f32, u8, kernel

    @kernel
    def saxpy(a: f32, x: f32[n], y: f32[n], out: f32[n], n: int):
        for i in range(n):
            out[i] = a * x[i] + y[i]

- Parameters: an array is `T[d0, d1, ...]` with T one of i8 i16 i32 i64 u8 u16 u32 u64 f32
  f64 (also spelled np.float32, np.uint8, ...) and each extent a name (`n`, dynamic), an integer
  (static) or `:`; a scalar is `T`, or `int` (a size: MLIR `index`, >= 0) or `float` (f64).
  Array parameters are assumed not to alias.
- Values follow NumPy 2's scalar rules (NEP 50), so the compiled kernel computes what the
  function computes when Python runs it on numpy arrays: an element has its array's dtype,
  `u8 * u8` stays uint8 (wraps), a Python int or float literal takes the other operand's type,
  mixed dtypes promote as numpy promotes them (`u8 + i32 -> i32`, `i32 + f32 -> f64`), `int(x)`
  and `float(x)` are Python's (modelled as int64 and float64), `/` is true division, `//` and
  `%` floor toward minus infinity (Python's), comparisons give bool, and a store converts to the
  array's dtype the way numpy's casting does (wrap-around for integers, truncation toward zero
  from floats). Integer division by zero is undefined here (numpy returns 0 with a warning).
- Statements: `for i in range(...)` (constant positive step), `if`/`elif`/`else`, `x if c else y`,
  assignments, augmented assignments, `and`/`or`/`not`, a final `return`; calls: abs, min, max,
  int, float, the dtype names as casts, and math./np. sqrt exp log tanh sin cos floor ceil fabs
  (also np.maximum/np.minimum).
Anything else is refused with its file:line:col.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from liftcomp.diagnostics import LiftcompError
from liftcomp.frontends.emit import Builder, Lazy, Unsupported

# ---------------------------------------------------------------- types


@dataclass(frozen=True)
class PyType:
    """A numpy dtype ('i8' ... 'f64', 'bool'), or a Python int/float ('int', 'float': weak)."""

    name: str

    @property
    def weak(self) -> bool:
        return self.name in ("int", "float")

    @property
    def np(self) -> np.dtype[Any]:
        special = {"int": "i8", "float": "f8", "bool": "?"}
        return np.dtype(special[self.name] if self.name in special else _NP[self.name])

    @property
    def is_float(self) -> bool:
        return self.np.kind == "f"

    @property
    def signed(self) -> bool:
        return self.np.kind not in "ub"

    @property
    def width(self) -> int:
        return 1 if self.name == "bool" else self.np.itemsize * 8

    @property
    def mlir(self) -> str:
        return f"f{self.width}" if self.is_float else f"i{self.width}"


_NP = {"i8": "i1", "i16": "i2", "i32": "i4", "i64": "i8", "u8": "u1", "u16": "u2", "u32": "u4", "u64": "u8",
       "f32": "f4", "f64": "f8"}
_ALIASES = {"int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16",
            "uint32": "u32", "uint64": "u64", "float32": "f32", "float64": "f64", "double": "f64", "bool_": "bool"}
INT, FLOAT, BOOL = PyType("int"), PyType("float"), PyType("bool")


def _dtype_name(name: str) -> str | None:
    name = _ALIASES.get(name, name)
    return name if name in _NP else None


def _result_type(a: PyType, b: PyType) -> PyType:
    """NumPy 2's promotion of two operand types (weak Python scalars take the other's type)."""
    if a.weak and b.weak:
        return FLOAT if FLOAT in (a, b) else INT
    if a.weak or b.weak:
        strong, weak = (b, a) if a.weak else (a, b)
        if weak == FLOAT and not strong.is_float:
            return PyType("f64")
        return PyType("i64") if strong == BOOL and weak == INT else strong
    r = np.result_type(a.np, b.np)
    if r.kind == "f" and not a.is_float and not b.is_float:
        raise LiftcompError(f"{a.name} and {b.name} promote to float64 in numpy: convert one explicitly")
    return _from_np(r)


def _from_np(d: np.dtype[Any]) -> PyType:
    if d.kind == "b":
        return BOOL
    return PyType(f"{'f' if d.kind == 'f' else 'u' if d.kind == 'u' else 'i'}{d.itemsize * 8}")


@dataclass
class Arr:
    ssa: str
    dtype: PyType
    shape: list[int | None]
    name: str

    @property
    def mlir(self) -> str:
        return f"memref<{'x'.join('?' if d is None else str(d) for d in self.shape)}x{self.dtype.mlir}>"


@dataclass
class Val:
    ty: PyType
    lazy: Lazy = field(default_factory=Lazy)
    const: int | float | None = None


class _Refuse(Exception):
    def __init__(self, message: str, node: ast.AST):
        super().__init__(message)
        self.message = message
        self.node = node


# Marker types usable in annotations at run time too (f32[n] needs `from __future__ import annotations`).
class _DType:
    def __init__(self, name: str):
        self.name = name

    def __getitem__(self, item: Any) -> _DType:
        return self

    def __repr__(self) -> str:
        return self.name


i8, i16, i32, i64 = _DType("i8"), _DType("i16"), _DType("i32"), _DType("i64")
u8, u16, u32, u64 = _DType("u8"), _DType("u16"), _DType("u32"), _DType("u64")
f32, f64 = _DType("f32"), _DType("f64")

MATH = {"sqrt": "math.sqrt", "exp": "math.exp", "log": "math.log", "tanh": "math.tanh", "sin": "math.sin",
        "cos": "math.cos", "floor": "math.floor", "ceil": "math.ceil", "fabs": "math.absf"}

# ---------------------------------------------------------------- translator


class PyTranslator:
    def __init__(self, fn: ast.FunctionDef, b: Builder, line_offset: int = 0):
        self.fn = fn
        self.b = b
        self.line_offset = line_offset
        self.env: dict[str, Val | Arr] = {}
        self.arg_names: list[str] = []
        self.result: PyType | None = None
        self.depth = 0
        self.returned = False
        self.carried_types: list[dict[str, PyType]] = []  # per enclosing loop: the iter_args' types

    def loc(self, node: ast.AST) -> str:
        return self.b.loc(getattr(node, "lineno", 1) + self.line_offset, getattr(node, "col_offset", 0) + 1)

    def refuse(self, message: str, node: ast.AST) -> _Refuse:
        return _Refuse(message, node)

    # ------------------------------------------------------------ values
    def val(self, v: Val) -> str:
        return self.b.get(v.lazy, "val")

    def idx(self, v: Val, node: ast.AST) -> str:
        if v.ty.is_float:
            raise self.refuse("a float used as an index or bound", node)
        return self.b.get(v.lazy, "idx")

    def cond(self, v: Val) -> str:
        return self.b.get(v.lazy, "cond")

    def make(self, ty: PyType, ssa: str | None = None, loc: str = "", const: int | float | None = None,
             idx: Callable[[], str] | str | None = None) -> Val:
        v = Val(ty, const=const)
        b = self.b
        if ssa is not None:
            v.lazy.memo["val"] = (b.scopes[-1], ssa)
        if const is not None:
            v.lazy.makers["val"] = lambda: b.const(const, ty.mlir, loc)
        if isinstance(idx, str):
            v.lazy.memo["idx"] = (b.scopes[-1], idx)
        elif idx is not None:
            v.lazy.makers["idx"] = idx
        if ssa is None and const is None and idx is not None:
            cast = "index_cast" if ty.signed else "index_castui"
            v.lazy.makers["val"] = lambda: b.op(f"arith.{cast} {b.get(v.lazy, 'idx')} : index to {ty.mlir}", loc)
        if not ty.is_float and "idx" not in v.lazy.memo and "idx" not in v.lazy.makers:
            if const is not None:
                v.lazy.makers["idx"] = lambda: b.const(int(const), "index", loc)
            else:
                cast = "index_cast" if ty.signed and ty != BOOL else "index_castui"
                v.lazy.makers["idx"] = lambda: b.op(f"arith.{cast} {self.val(v)} : {ty.mlir} to index", loc)
        if ty == BOOL:
            v.lazy.makers["cond"] = lambda: self.val(v)
        elif ty.is_float:
            v.lazy.makers["cond"] = lambda: b.op(f"arith.cmpf une, {self.val(v)}, {b.const(0.0, ty.mlir, loc)} : {ty.mlir}", loc)
        else:
            v.lazy.makers["cond"] = lambda: b.op(f"arith.cmpi ne, {self.val(v)}, {b.const(0, ty.mlir, loc)} : {ty.mlir}", loc)
        return v

    def convert(self, v: Val, to: PyType, node: ast.AST) -> Val:
        """numpy's (unsafe) cast of a value to another type; weak types become int64/float64."""
        to = {INT: PyType("i64"), FLOAT: PyType("f64")}.get(to, to)
        fr = {INT: PyType("i64"), FLOAT: PyType("f64")}.get(v.ty, v.ty)
        if v.const is not None:
            return self._convert_const(v, to, node)
        if fr == to:
            return v if v.ty == to else self._retype(v, to)
        b = self.b
        loc = self.loc(node)
        if to == BOOL:
            return self.make(BOOL, self.cond(v), loc)
        if not fr.is_float and not to.is_float:
            if fr == BOOL:
                return self.make(to, b.op(f"arith.extui {self.val(v)} : i1 to {to.mlir}", loc), loc)
            if to.width < fr.width:
                return self.make(to, b.op(f"arith.trunci {self.val(v)} : {fr.mlir} to {to.mlir}", loc), loc)
            out = self.make(to, None, loc, idx=lambda: self.idx(v, node))
            if to.width == fr.width:
                out.lazy.makers["val"] = lambda: self.val(v)
            else:
                ext = "extsi" if fr.signed else "extui"
                out.lazy.makers["val"] = lambda: b.op(f"arith.{ext} {self.val(v)} : {fr.mlir} to {to.mlir}", loc)
            return out
        if not fr.is_float:
            op = "uitofp" if (not fr.signed or fr == BOOL) else "sitofp"
            return self.make(to, b.op(f"arith.{op} {self.val(v)} : {fr.mlir} to {to.mlir}", loc), loc)
        if not to.is_float:
            if to.width < 64 and to != BOOL:
                # numpy casts through a wider signed integer (x86-64): a negative float stored in
                # a uint8 array wraps around instead of being undefined.
                wide = "i32" if to.width < 32 else "i64"
                w = b.op(f"arith.fptosi {self.val(v)} : {fr.mlir} to {wide}", loc)
                if to.width == int(wide[1:]):
                    return self.make(to, w, loc)
                return self.make(to, b.op(f"arith.trunci {w} : {wide} to {to.mlir}", loc), loc)
            op = "fptosi" if to.signed else "fptoui"
            return self.make(to, b.op(f"arith.{op} {self.val(v)} : {fr.mlir} to {to.mlir}", loc), loc)
        op = "extf" if to.width > fr.width else "truncf"
        return self.make(to, b.op(f"arith.{op} {self.val(v)} : {fr.mlir} to {to.mlir}", loc), loc)

    def _retype(self, v: Val, to: PyType) -> Val:
        out = Val(to, v.lazy, v.const)
        return out

    def _convert_const(self, v: Val, to: PyType, node: ast.AST) -> Val:
        c = v.const
        assert c is not None
        loc = self.loc(node)
        if to.is_float:
            return self.make(to, loc=loc, const=float(np.asarray(c).astype(to.np)))
        if to == BOOL:
            return self.make(BOOL, loc=loc, const=1 if c else 0)
        iv = int(c)
        info = np.iinfo(to.np)
        if not info.min <= iv <= info.max:
            if v.ty.weak:
                raise self.refuse(f"the literal {iv} does not fit {to.name} (numpy raises OverflowError)", node)
            iv = int(np.asarray(iv).astype(np.int64).astype(to.np))
        return self.make(to, loc=loc, const=iv)

    # ------------------------------------------------------------ function
    def translate(self) -> list[str]:
        fn = self.fn
        b = self.b
        sig: list[str] = []
        a = fn.args
        if a.vararg or a.kwarg or a.kwonlyargs or a.posonlyargs or a.defaults:
            raise self.refuse("only plain positional parameters are supported", fn)
        for p in a.args:
            sig.append(self.param(p))
            self.arg_names.append(p.arg)
        header_at = len(b.lines)
        body = fn.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            body = body[1:]  # docstring
        for i, s in enumerate(body):
            if isinstance(s, ast.Return) and i != len(body) - 1:
                raise self.refuse("'return' before the end of the function", s)
            self.stmt(s)
        if not self.returned:
            b.emit(f"func.return {self.loc(fn)}")
        ret = f" -> {self.result.mlir}" if self.result is not None else ""
        b.lines.insert(header_at, f"  func.func @{fn.name}({', '.join(sig)}){ret} {{")
        b.lines.append(f"  }} {self.loc(fn)}")
        return self.arg_names

    def param(self, p: ast.arg) -> str:
        name = p.arg
        ann = p.annotation
        if isinstance(ann, ast.Constant) and isinstance(ann.value, str):
            try:
                ann = ast.parse(ann.value, mode="eval").body
            except SyntaxError:
                raise self.refuse(f"annotation of '{name}' is not valid Python", p) from None
            ast.copy_location(ann, p)
        if ann is None:
            raise self.refuse(f"parameter '{name}' needs an annotation (f32[n], u8[m, n], f32, int, ...)", p)
        ssa = f"%{name}"
        loc = self.loc(p)
        if isinstance(ann, ast.Subscript):
            dt = self.dtype_of(ann.value, p)
            dims = ann.slice.elts if isinstance(ann.slice, ast.Tuple) else [ann.slice]
            shape: list[int | None] = []
            for d in dims:
                if isinstance(d, ast.Constant) and isinstance(d.value, int) and d.value >= 0:
                    shape.append(d.value)
                elif isinstance(d, (ast.Name, ast.Slice)):
                    shape.append(None)
                else:
                    raise self.refuse(f"extent '{ast.unparse(d)}' of '{name}': a name, an integer or ':'", d)
            arr = Arr(ssa, dt, shape, name)
            self.env[name] = arr
            return f"{ssa}: {arr.mlir} {loc}"
        if isinstance(ann, ast.Name) and ann.id == "int":
            v = self.make(INT, None, loc, idx=ssa)
            v.lazy.makers["val"] = lambda: self.b.op(f"arith.index_cast {ssa} : index to i64", loc)
            self.env[name] = v
            return f"{ssa}: index {loc}"
        dt = FLOAT if isinstance(ann, ast.Name) and ann.id == "float" else self.dtype_of(ann, p)
        mt = "f64" if dt == FLOAT else dt.mlir
        self.env[name] = self.make(PyType("f64") if dt == FLOAT else dt, ssa, loc)
        return f"{ssa}: {mt} {loc}"

    def dtype_of(self, node: ast.AST, where: ast.AST) -> PyType:
        name = node.attr if isinstance(node, ast.Attribute) else node.id if isinstance(node, ast.Name) else None
        dn = _dtype_name(name) if name else None
        if dn is None:
            if name == "bool":
                return BOOL
            raise self.refuse(f"unknown element type '{ast.unparse(node)}' (i8 i16 i32 i64 u8 u16 u32 u64 f32 f64)", where)
        return PyType(dn)

    # ------------------------------------------------------------ statements
    def stmt(self, s: ast.stmt) -> None:
        if isinstance(s, ast.For):
            self.for_stmt(s)
        elif isinstance(s, ast.If):
            self.if_stmt(s)
        elif isinstance(s, ast.Assign):
            if len(s.targets) != 1:
                raise self.refuse("chained assignment", s)
            self.assign(s.targets[0], self.expr(s.value), s)
        elif isinstance(s, ast.AnnAssign):
            if s.value is None:
                raise self.refuse("a declaration without a value", s)
            v = self.expr(s.value)
            if isinstance(s.annotation, ast.Name) and s.annotation.id in ("int", "float"):
                v = self.convert(v, INT if s.annotation.id == "int" else FLOAT, s)
            else:
                v = self.convert(v, self.dtype_of(s.annotation, s), s)
            self.assign(s.target, v, s)
        elif isinstance(s, ast.AugAssign):
            cur = self.expr(_load(s.target))
            self.assign(s.target, self.binop(s.op, cur, self.expr(s.value), s), s)
        elif isinstance(s, ast.Return):
            if self.depth:
                raise self.refuse("'return' inside a loop or branch (only one 'return' at the end)", s)
            self.returned = True
            if s.value is None:
                self.b.emit(f"func.return {self.loc(s)}")
                return
            v = self.expr(s.value)
            v = self.convert(v, v.ty, s)
            self.result = {INT: PyType("i64"), FLOAT: PyType("f64")}.get(v.ty, v.ty)
            self.b.emit(f"func.return {self.val(v)} : {self.result.mlir} {self.loc(s)}")
        elif isinstance(s, ast.Pass):
            return
        elif isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant):
            return
        else:
            raise self.refuse(f"'{type(s).__name__}' statements are not supported", s)

    def assign(self, target: ast.expr, v: Val, s: ast.AST) -> None:
        if isinstance(target, ast.Name):
            cur = self.env.get(target.id)
            if isinstance(cur, Arr):
                raise self.refuse(f"'{target.id}' is an array parameter: assign its elements", s)
            for scope in reversed(self.carried_types):
                if target.id in scope:
                    t = scope[target.id]
                    if v.ty != t and not v.ty.weak:
                        raise self.refuse(f"'{target.id}' changes type in the loop ({t.name} to {v.ty.name}): give it that type before the loop", s)
                    v = self.convert(v, t, s)
                    break
            self.env[target.id] = v
            return
        if isinstance(target, ast.Subscript):
            arr, idxs = self.subscript(target)
            v = self.convert(v, arr.dtype, s)
            self.b.emit(f"memref.store {self.val(v)}, {arr.ssa}[{', '.join(idxs)}] : {arr.mlir} {self.loc(s)}")
            return
        raise self.refuse(f"assignment to '{ast.unparse(target)}'", s)

    def assigned(self, nodes: list[ast.stmt]) -> list[str]:
        out: list[str] = []
        for n in nodes:
            for x in ast.walk(n):
                t: list[ast.expr] = []
                if isinstance(x, ast.Assign):
                    t = list(x.targets)
                elif isinstance(x, (ast.AugAssign, ast.AnnAssign)):
                    t = [x.target]
                for e in t:
                    if isinstance(e, ast.Name) and e.id not in out:
                        out.append(e.id)
        return out

    def for_stmt(self, s: ast.For) -> None:
        b = self.b
        loc = self.loc(s)
        if s.orelse:
            raise self.refuse("for ... else", s)
        if not isinstance(s.target, ast.Name):
            raise self.refuse("the loop variable must be a name", s.target)
        it = s.iter
        if not (isinstance(it, ast.Call) and isinstance(it.func, ast.Name) and it.func.id == "range" and 1 <= len(it.args) <= 3 and not it.keywords):
            raise self.refuse("loops must be 'for i in range(...)'", it)
        var = s.target.id
        body_assigned = self.assigned(s.body)
        if var in body_assigned:
            raise self.refuse(f"the loop variable '{var}' is assigned in the loop body", s)
        for a in it.args:
            for x in ast.walk(a):
                if isinstance(x, ast.Name) and x.id in body_assigned:
                    raise self.refuse(f"the loop bound uses '{x.id}', which the loop body assigns", a)
                if isinstance(x, ast.Subscript):
                    raise self.refuse("a loop bound read from an array (data-dependent bound)", a)
        args = [self.expr(a) for a in it.args]
        if len(args) == 1:
            lb, ub, step = self.make(INT, loc=loc, const=0), args[0], 1
        else:
            lb, ub = args[0], args[1]
            step = 1
            if len(args) == 3:
                c = args[2].const
                if not isinstance(c, int) or c < 1:
                    raise self.refuse("the range step must be a positive integer constant", it.args[2])
                step = c
        lbi, ubi = self.idx(lb, it), self.idx(ub, it)
        stepi = b.const(step, "index", loc)
        carried = [n for n in body_assigned if isinstance(self.env.get(n), Val)]
        tys = [self.env[n].ty for n in carried]  # type: ignore[union-attr]
        # A variable starting as a Python number takes the type one iteration gives it (as in
        # Python: `s = 0.0; s += x[i]` makes s a float32): a first pass over the body finds it.
        if carried:
            mark = len(b.lines)
            after = self._loop_pass(s, var, lbi, ubi, stepi, carried, tys, loc, dry=True)
            del b.lines[mark:]
            tys = [t2 if (t.weak and not t2.weak) else t for t, t2 in zip(tys, after, strict=True)]
        self._loop_pass(s, var, lbi, ubi, stepi, carried, tys, loc, dry=False)
        # Python keeps the loop variable and first-assigned locals after the loop: reading them
        # is refused (their value depends on the trip count).

    def _loop_pass(self, s: ast.For, var: str, lbi: str, ubi: str, stepi: str, carried: list[str], tys: list[PyType],
                   loc: str, dry: bool) -> list[PyType]:
        """Emit the scf.for (iter_args typed `tys`); returns the carried variables' types after one
        iteration. The loop's results replace the carried variables unless `dry`."""
        b = self.b
        inits = [self.convert(self.env[n], t, s) for n, t in zip(carried, tys, strict=True)]  # type: ignore[arg-type]
        mtys = [self._mlir(t) for t in tys]
        init_ssas = [self.val(v) for v in inits]
        iv = b.fresh(var)
        iters = [b.fresh(n) for n in carried]
        res = b.fresh("for")
        head = f"scf.for {iv} = {lbi} to {ubi} step {stepi}"
        if carried:
            head += " iter_args(" + ", ".join(f"{a} = {x}" for a, x in zip(iters, init_ssas, strict=True)) + ") -> (" + ", ".join(mtys) + ")"
        prefix = f"{res}:{len(carried)} = " if len(carried) > 1 else (f"{res} = " if carried else "")
        b.emit(prefix + head + " {")
        before = dict(self.env)
        with b.region():
            self.env[var] = self.make(INT, None, loc, idx=iv)
            for n, a, t in zip(carried, iters, tys, strict=True):
                self.env[n] = self.make(t, a, loc)
            self.depth += 1
            self.carried_types.append(dict(zip(carried, tys, strict=True)) if not dry else {})
            for st in s.body:
                self.stmt(st)
            self.carried_types.pop()
            self.depth -= 1
            after = [self.env[n].ty for n in carried]  # type: ignore[union-attr]
            if dry:
                self.env = before
                return after
            ys = [self.val(self.convert(self.env[n], t, s)) for n, t in zip(carried, tys, strict=True)]  # type: ignore[arg-type]
            b.emit(f"scf.yield {', '.join(ys)} : {', '.join(mtys)} {loc}" if carried else f"scf.yield {loc}")
        b.emit(f"}} {loc}")
        self.env = before
        for i, (n, t) in enumerate(zip(carried, tys, strict=True)):
            self.env[n] = self.make(t, f"{res}#{i}" if len(carried) > 1 else res, loc)
        return after

    @staticmethod
    def _mlir(t: PyType) -> str:
        return {INT: "i64", FLOAT: "f64"}.get(t, t.mlir) if t.weak else t.mlir

    def if_stmt(self, s: ast.If) -> None:
        b = self.b
        loc = self.loc(s)
        c = self.cond(self.expr(s.test))
        a_then, a_else = self.assigned(s.body), self.assigned(s.orelse)
        keys = [n for n in dict.fromkeys(a_then + a_else) if isinstance(self.env.get(n), Val) or (n in a_then and n in a_else)]
        before = dict(self.env)
        results: list[list[Val]] = []
        tys: list[PyType] = []
        bodies = [s.body, s.orelse]
        # Types of results: from the value before the if, else from the then branch.
        res = b.fresh("if")
        head_at = len(b.lines)
        b.emit("")  # the scf.if line, written once the result types are known
        for k, body in enumerate(bodies):
            if k == 1:
                if not body and not keys:
                    break
                b.emit("} else {")
            with b.region():
                self.env = dict(before)
                self.depth += 1
                for st in body:
                    self.stmt(st)
                self.depth -= 1
                vals: list[Val] = []
                for i, n in enumerate(keys):
                    v = self.env.get(n)
                    if not isinstance(v, Val):
                        raise self.refuse(f"'{n}' is assigned in only one branch and has no value before the if", s)
                    if k == 0:
                        prev = before.get(n)
                        tys.append(v.ty if not isinstance(prev, Val) or (prev.ty.weak and not v.ty.weak) else prev.ty)
                    elif v.ty != tys[i] and not v.ty.weak and not tys[i].weak:
                        raise self.refuse(f"'{n}' has type {tys[i].name} in one branch and {v.ty.name} in the other", s)
                    vals.append(v)
                if keys:
                    vals = [self.convert(v, t, s) for v, t in zip(vals, tys, strict=True)]
                    b.emit(f"scf.yield {', '.join(self.val(v) for v in vals)} : {', '.join(self._mlir(t) for t in tys)} {loc}")
                else:
                    b.emit(f"scf.yield {loc}")
                results.append(vals)
        b.emit(f"}} {loc}")
        mt = ", ".join(self._mlir(t) for t in tys)
        prefix = f"{res}:{len(keys)} = " if len(keys) > 1 else (f"{res} = " if keys else "")
        b.lines[head_at] = "  " * b.indent + prefix + f"scf.if {c}" + (f" -> ({mt})" if keys else "") + " {"
        self.env = before
        for i, (n, t) in enumerate(zip(keys, tys, strict=True)):
            self.env[n] = self.make(t, f"{res}#{i}" if len(keys) > 1 else res, loc)

    # ------------------------------------------------------------ expressions
    def expr(self, e: ast.expr) -> Val:
        loc = self.loc(e)
        if isinstance(e, ast.Constant):
            v = e.value
            if isinstance(v, bool):
                return self.make(BOOL, loc=loc, const=int(v))
            if isinstance(v, int):
                return self.make(INT, loc=loc, const=v)
            if isinstance(v, float):
                return self.make(FLOAT, loc=loc, const=v)
            raise self.refuse(f"constant {v!r} is not a number", e)
        if isinstance(e, ast.Attribute) and e.attr in ("inf", "nan", "pi", "e") and isinstance(e.value, ast.Name) and e.value.id in ("np", "numpy", "math"):
            import math

            return self.make(FLOAT, loc=loc, const=float(getattr(math, e.attr)))
        if isinstance(e, ast.Name):
            v = self.env.get(e.id)
            if v is None:
                raise self.refuse(f"'{e.id}' has no value here (not a parameter, or assigned only in a loop or one branch)", e)
            if isinstance(v, Arr):
                raise self.refuse(f"array '{e.id}' used as a value (index it)", e)
            return v
        if isinstance(e, ast.Subscript):
            arr, idxs = self.subscript(e)
            ssa = self.b.op(f"memref.load {arr.ssa}[{', '.join(idxs)}] : {arr.mlir}", loc)
            return self.make(arr.dtype, ssa, loc)
        if isinstance(e, ast.BinOp):
            return self.binop(e.op, self.expr(e.left), self.expr(e.right), e)
        if isinstance(e, ast.UnaryOp):
            return self.unary(e)
        if isinstance(e, ast.Compare):
            return self.compare(e)
        if isinstance(e, ast.BoolOp):
            vals = [self.cond(self.convert(self.expr(x), BOOL, x)) for x in e.values]
            acc = vals[0]
            for x in vals[1:]:
                acc = self.b.op(f"arith.{'andi' if isinstance(e.op, ast.And) else 'ori'} {acc}, {x} : i1", loc)
            return self.make(BOOL, acc, loc)
        if isinstance(e, ast.IfExp):
            c = self.cond(self.expr(e.test))
            x, y = self.expr(e.body), self.expr(e.orelse)
            t = _result_type(x.ty, y.ty) if x.ty != y.ty else x.ty
            t = {INT: PyType("i64"), FLOAT: PyType("f64")}.get(t, t)
            vx, vy = self.convert(x, t, e), self.convert(y, t, e)
            return self.make(t, self.b.op(f"arith.select {c}, {self.val(vx)}, {self.val(vy)} : {t.mlir}", loc), loc)
        if isinstance(e, ast.Call):
            return self.call(e)
        raise self.refuse(f"expression '{ast.unparse(e)[:40]}' is not supported", e)

    def subscript(self, e: ast.Subscript) -> tuple[Arr, list[str]]:
        if not isinstance(e.value, ast.Name) or not isinstance(self.env.get(e.value.id), Arr):
            raise self.refuse(f"'{ast.unparse(e.value)}' is not an array parameter", e)
        arr = self.env[e.value.id]
        assert isinstance(arr, Arr)
        ix = e.slice.elts if isinstance(e.slice, ast.Tuple) else [e.slice]
        if any(isinstance(i, ast.Slice) for i in ix):
            raise self.refuse("slices are not supported (loops over elements only)", e)
        if len(ix) != len(arr.shape):
            raise self.refuse(f"'{arr.name}' has {len(arr.shape)} dimension(s) but is indexed with {len(ix)}", e)
        out = []
        for i in ix:
            v = self.expr(i)
            if v.ty.is_float or v.ty == BOOL:
                raise self.refuse("an index must be an integer", i)
            out.append(self.idx(v, i))
        return arr, out

    def binop(self, op: ast.operator, a: Val, bv: Val, node: ast.AST) -> Val:
        b = self.b
        loc = self.loc(node)
        if isinstance(op, ast.Div):
            t = _result_type(a.ty, bv.ty)
            if not t.is_float:
                t = PyType("f64") if not t.weak else FLOAT
            return self.arith("divf", a, bv, t, node)
        try:
            t = _result_type(a.ty, bv.ty)
        except LiftcompError as err:
            raise self.refuse(err.message, node) from None
        if a.const is not None and bv.const is not None and t.weak:
            value = _fold(op, a.const, bv.const)
            if value is not None:
                return self.make(t, loc=loc, const=value)
        if t == BOOL and not isinstance(op, (ast.BitAnd, ast.BitOr, ast.BitXor)):
            t = PyType("i64") if isinstance(op, (ast.Add, ast.Sub, ast.Mult)) else t
        ft = t.is_float
        names: dict[type, str] = {ast.Add: "addf" if ft else "addi", ast.Sub: "subf" if ft else "subi",
                                  ast.Mult: "mulf" if ft else "muli"}
        if type(op) in names:
            out = self.arith(names[type(op)], a, bv, t, node)
            if not ft and not isinstance(op, ast.Div):
                mt = self._mlir(t)
                iname = names[type(op)]
                # Index view of + - * of integers: exact for subscripts and bounds.
                out.lazy.makers["idx"] = lambda: b.op(f"arith.{iname} {self.idx(a, node)}, {self.idx(bv, node)} : index", loc)
                _ = mt
            return out
        if ft and isinstance(op, ast.FloorDiv):
            q = self.arith("divf", a, bv, t, node)
            return self.make(t, b.op(f"math.floor {self.val(q)} : {self._mlir(t)}", loc), loc)
        if ft:
            raise self.refuse(f"operator '{ast.unparse(op) if hasattr(ast, 'unparse') else op}' on floats is not supported", node)
        if isinstance(op, ast.FloorDiv):
            return self.arith("floordivsi" if t.signed else "divui", a, bv, t, node)
        if isinstance(op, ast.Mod):
            if not t.signed:
                return self.arith("remui", a, bv, t, node)
            # Python's modulo: a - floor(a / b) * b (the sign of the divisor).
            q = self.arith("floordivsi", a, bv, t, node)
            p = self.arith("muli", q, bv, t, node)
            return self.arith("subi", a, p, t, node)
        bit = {ast.BitAnd: "andi", ast.BitOr: "ori", ast.BitXor: "xori", ast.LShift: "shli",
               ast.RShift: "shrsi" if t.signed else "shrui"}
        if type(op) in bit:
            return self.arith(bit[type(op)], a, bv, t, node)
        raise self.refuse(f"operator {type(op).__name__} is not supported", node)

    def arith(self, name: str, a: Val, bv: Val, t: PyType, node: ast.AST) -> Val:
        loc = self.loc(node)
        va, vb = self.convert(a, t, node), self.convert(bv, t, node)
        mt = self._mlir(t)
        out = self.make(t, None, loc)
        out.lazy.makers["val"] = lambda: self.b.op(f"arith.{name} {self.val(va)}, {self.val(vb)} : {mt}", loc)
        return out

    def unary(self, e: ast.UnaryOp) -> Val:
        loc = self.loc(e)
        v = self.expr(e.operand)
        b = self.b
        if isinstance(e.op, ast.Not):
            return self.make(BOOL, b.op(f"arith.xori {self.cond(v)}, {b.const(True, 'i1', loc)} : i1", loc), loc)
        if isinstance(e.op, ast.UAdd):
            return v
        if v.const is not None and v.ty.weak:
            return self.make(v.ty, loc=loc, const=-v.const if isinstance(e.op, ast.USub) else ~int(v.const))
        t = {INT: PyType("i64"), FLOAT: PyType("f64")}.get(v.ty, v.ty)
        if isinstance(e.op, ast.USub):
            if t.is_float:
                return self.make(t, b.op(f"arith.negf {self.val(self.convert(v, t, e))} : {t.mlir}", loc), loc)
            return self.arith("subi", self.make(t, loc=loc, const=0), v, t, e)
        if isinstance(e.op, ast.Invert) and not t.is_float:
            return self.arith("xori", v, self.make(t, loc=loc, const=-1), t, e)
        raise self.refuse("unsupported unary operator", e)

    def compare(self, e: ast.Compare) -> Val:
        loc = self.loc(e)
        left = self.expr(e.left)
        conds: list[str] = []
        for op, right_e in zip(e.ops, e.comparators, strict=True):
            right = self.expr(right_e)
            t = _result_type(left.ty, right.ty)
            t = {INT: PyType("i64"), FLOAT: PyType("f64")}.get(t, t)
            va, vb = self.convert(left, t, e), self.convert(right, t, e)
            sym = {ast.Lt: "lt", ast.LtE: "le", ast.Gt: "gt", ast.GtE: "ge", ast.Eq: "eq", ast.NotEq: "ne"}.get(type(op))
            if sym is None:
                raise self.refuse(f"comparison {type(op).__name__} is not supported", e)
            if t.is_float:
                pred = {"lt": "olt", "le": "ole", "gt": "ogt", "ge": "oge", "eq": "oeq", "ne": "une"}[sym]
                conds.append(self.b.op(f"arith.cmpf {pred}, {self.val(va)}, {self.val(vb)} : {t.mlir}", loc))
            else:
                pred = sym if sym in ("eq", "ne") else ("s" if t.signed and t != BOOL else "u") + sym
                conds.append(self.b.op(f"arith.cmpi {pred}, {self.val(va)}, {self.val(vb)} : {t.mlir}", loc))
            left = right
        acc = conds[0]
        for c in conds[1:]:
            acc = self.b.op(f"arith.andi {acc}, {c} : i1", loc)
        return self.make(BOOL, acc, loc)

    def call(self, e: ast.Call) -> Val:
        loc = self.loc(e)
        b = self.b
        f = e.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        if e.keywords:
            raise self.refuse("keyword arguments are not supported", e)
        args = [self.expr(a) for a in e.args]
        if name in ("int", "float") and isinstance(f, ast.Name) and len(args) == 1:
            return self._retype(self.convert(args[0], INT if name == "int" else FLOAT, e), INT if name == "int" else FLOAT)
        dn = _dtype_name(name)
        if dn is not None and len(args) == 1:
            return self.convert(args[0], PyType(dn), e)
        if name in ("abs", "fabs", "absolute") and len(args) == 1:
            v = args[0]
            t = {INT: PyType("i64"), FLOAT: PyType("f64")}.get(v.ty, v.ty)
            if name == "fabs":
                t = PyType("f64") if not t.is_float else t
            v = self.convert(v, t, e)
            op = "math.absf" if t.is_float else "math.absi"
            return self.make(v.ty if not v.ty.weak else t, b.op(f"{op} {self.val(v)} : {t.mlir}", loc), loc)
        if name in ("min", "max", "maximum", "minimum") and len(args) == 2:
            t = _result_type(args[0].ty, args[1].ty)
            t2 = {INT: PyType("i64"), FLOAT: PyType("f64")}.get(t, t)
            va, vb = self.convert(args[0], t2, e), self.convert(args[1], t2, e)
            big = name in ("max", "maximum")
            if t2.is_float:
                # Python's max(a, b) is `a if a >= b else b`-like; numpy's maximum propagates NaN.
                op = ("arith.maximumf" if big else "arith.minimumf") if name in ("maximum", "minimum") else None
                if op is None:
                    # max(a, b) returns a unless b > a (a < b for min): Python's builtin.
                    c = b.op(f"arith.cmpf {'olt' if big else 'ogt'}, {self.val(va)}, {self.val(vb)} : {t2.mlir}", loc)
                    return self.make(t, b.op(f"arith.select {c}, {self.val(vb)}, {self.val(va)} : {t2.mlir}", loc), loc)
                return self.make(t, b.op(f"{op} {self.val(va)}, {self.val(vb)} : {t2.mlir}", loc), loc)
            s = "s" if t2.signed else "u"
            return self.make(t, b.op(f"arith.{'max' if big else 'min'}{s}i {self.val(va)}, {self.val(vb)} : {t2.mlir}", loc), loc)
        if name in MATH and len(args) == 1:
            v = args[0]
            t = v.ty if v.ty.is_float and not v.ty.weak else PyType("f64")
            if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "math":
                t = PyType("f64")  # math.* returns a Python float
            v = self.convert(v, t, e)
            out_t = FLOAT if (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) and f.value.id == "math") else t
            return self.make(out_t, b.op(f"{MATH[name]} {self.val(v)} : {t.mlir}", loc), loc)
        raise self.refuse(f"call to '{ast.unparse(f)}' is not supported", e)


def _fold(op: ast.operator, a: int | float, b: int | float) -> int | float | None:
    try:
        if isinstance(op, ast.Add):
            return a + b
        if isinstance(op, ast.Sub):
            return a - b
        if isinstance(op, ast.Mult):
            return a * b
    except OverflowError:
        return None
    return None


def _load(t: ast.expr) -> ast.expr:
    """The same target read as a value (for augmented assignments)."""
    new = ast.parse(ast.unparse(t), mode="eval").body
    return ast.copy_location(ast.fix_missing_locations(ast.copy_location(new, t)), t)


# ---------------------------------------------------------------- entry points


@dataclass
class PyProgram:
    text: str
    arg_names: dict[str, list[str]]


def _kernel_functions(tree: ast.Module) -> list[ast.FunctionDef]:
    """Functions decorated with @kernel (any spelling ending in 'kernel'); all functions if none is."""
    funcs = [n for n in tree.body if isinstance(n, ast.FunctionDef)]
    marked = [f for f in funcs if any(_decorator_name(d).endswith("kernel") for d in f.decorator_list)]
    return marked or funcs


def _decorator_name(d: ast.expr) -> str:
    if isinstance(d, ast.Call):
        d = d.func
    return ast.unparse(d)


def translate_python_source(text: str, filename: str, only: str | None = None, line_offset: int = 0) -> PyProgram:
    try:
        tree = ast.parse(text, filename)
    except SyntaxError as e:
        raise Unsupported(f"Python syntax error: {e.msg}", f"{filename}:{(e.lineno or 0) + line_offset}:{e.offset or 0}") from None
    funcs = _kernel_functions(tree)
    if only is not None:
        funcs = [f for f in funcs if f.name == only]
    if not funcs:
        raise LiftcompError(f"{filename}: no functions to translate")
    b = Builder(filename)
    b.lines.append("module {")
    names: dict[str, list[str]] = {}
    for f in funcs:
        try:
            names[f.name] = PyTranslator(f, b, line_offset).translate()
        except _Refuse as r:
            where = f"{filename}:{getattr(r.node, 'lineno', 0) + line_offset}:{getattr(r.node, 'col_offset', 0) + 1}"
            raise Unsupported(r.message, where) from None
    b.lines.append("}")
    return PyProgram("\n".join(b.lines) + "\n", names)


def translate_python(path: str | Path) -> PyProgram:
    p = Path(path)
    if not p.is_file():
        raise LiftcompError(f"no such file: {path}")
    # Bytes that are not UTF-8: an error at their line and column.
    from liftcomp.frontends.mlir import check_source

    try:
        data = p.read_bytes()
    except OSError as e:
        raise LiftcompError(f"cannot read {p}: {e.strerror}") from None
    return translate_python_source(check_source(data, str(p)), str(p))


def read_python(path: str | Path) -> Any:
    from liftcomp.frontends.mlir import SourceModule
    from liftcomp.interop.mlir_tool import parse_mlir

    prog = translate_python(path)
    return SourceModule(parse_mlir(prog.text, str(path)), prog.text, str(path), prog.arg_names)


# ---------------------------------------------------------------- the Python API


class Kernel:
    """A Python loop function with its lifted tensor program (lifted on first use).

    `k.mlir` is the loop-level MLIR, `k.tensor_program` the lifted module (linalg/tensor, every
    op proven equal to the loops), `k.report` the lift report, `k.program` the TensorSpec
    program, and `k(*arrays)` runs the lifted tensor program on numpy arrays (outputs written in
    place, like the Python function; the return value returned). `k.py(*arrays)` is the original
    Python function itself.
    """

    def __init__(self, fn: Callable[..., Any], options: Any = None):
        self.py = fn
        self.name = fn.__name__
        self.options = options
        self._lifted: Any = None
        src = inspect.getsource(fn)
        try:
            filename = inspect.getsourcefile(fn) or "<python>"
        except TypeError:
            filename = "<python>"
        _, first = inspect.getsourcelines(fn)
        self.filename = filename
        self._program = translate_python_source(textwrap.dedent(src), filename, only=self.name, line_offset=first - 1)

    @property
    def mlir(self) -> str:
        return self._program.text

    @property
    def arg_names(self) -> list[str]:
        return self._program.arg_names[self.name]

    def _lift(self) -> Any:
        if self._lifted is None:
            from liftcomp.interop.mlir_tool import parse_mlir, to_upstream_text
            from liftcomp.lift.liftcomp_raise import raise_module

            module = parse_mlir(self.mlir, self.filename)
            raised, reports = raise_module(module, self.options, self._program.arg_names)
            report = next(r for r in reports if r.name == self.name)
            if report.status != "lifted":
                raise LiftcompError(f"@{self.name} could not be lifted: {report.reason}", report.location)
            self._lifted = (raised, report, to_upstream_text(raised))
        return self._lifted

    @property
    def tensor_program(self) -> str:
        return self._lift()[2]

    @property
    def report(self) -> Any:
        return self._lift()[1]

    @property
    def program(self) -> str:
        return self._lift()[1].program

    def __call__(self, *args: Any) -> Any:
        from liftcomp.corpus.check import find_func
        from liftcomp.interop.mlir_tool import run_pipeline
        from liftcomp.reference import run_reference

        raised = self._lift()[0]
        if len(args) != len(self.arg_names):
            raise LiftcompError(f"@{self.name} takes {len(self.arg_names)} arguments ({', '.join(self.arg_names)}), got {len(args)}")
        if any(op.name.startswith("affine.") for op in raised.walk()):
            raised = run_pipeline(raised, "builtin.module(lower-affine)")
        fn = find_func(raised, self.name)
        if any(op.name == "scf.for" for op in fn.walk()):
            raise LiftcompError(f"@{self.name} was lifted around kept loops ({self.report.program.splitlines()[0]}); "
                                "the numpy reference runs whole tensor programs only: use .compile(target) or .py")
        out = run_reference(fn, list(args))
        if not out:
            return None
        return out[0] if len(out) == 1 else tuple(out)


    def compile(self, target: str = "gemmini", config: str = "default") -> CompiledKernel:
        """The lifted program lowered to `target` with its default schedule: a callable that runs
        it on the target's evaluator (Gemmini: the simulator) on numpy arrays."""
        from liftcomp.corpus.check import find_func
        from liftcomp.interop.mlir_tool import parse_mlir, run_pipeline
        from liftcomp.targets import get_target

        t = get_target(target)
        cfg = t.config_for(config)
        raised = self._lift()[0].clone()
        if any(op.name.startswith("affine.") for op in raised.walk()):
            raised = run_pipeline(raised, "builtin.module(lower-affine)")
        loops = parse_mlir(self.mlir, self.filename)
        lowered = t.lower(raised, cfg, {}, originals={self.name: find_func(loops, self.name)})
        return CompiledKernel(self, t, cfg, lowered)


class CompiledKernel:
    """A Kernel lowered to a target. Calling it runs the target IR on the target's evaluator
    (arrays updated in place) and checks the outputs against the lifted program's numpy
    reference on copies of the inputs: `measurement` holds the cost (cycles, ns), `correct`."""

    def __init__(self, kernel: Kernel, target: Any, config: Any, lowered: Any):
        self.kernel = kernel
        self.target = target
        self.config = config
        self.lowered = lowered
        self.measurement: Any = None

    @property
    def target_ir(self) -> str:
        from liftcomp.interop.mlir_tool import print_custom

        return print_custom(self.lowered.module)

    def __call__(self, *args: Any) -> Any:
        if len(args) != len(self.kernel.arg_names):
            raise LiftcompError(f"@{self.kernel.name} takes {len(self.kernel.arg_names)} arguments, got {len(args)}")
        expected = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        self.kernel(*expected)
        m = self.target.evaluator(self.config).run(self.lowered.module, self.kernel.name, list(args))
        if m.error:
            raise LiftcompError(f"@{self.kernel.name} on {self.target.name}: {m.error}")
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        m.correct = self.target.outputs_match(arrays, [e for e in expected if isinstance(e, np.ndarray)])
        self.measurement = m
        return m


def kernel(fn: Callable[..., Any] | None = None, *, options: Any = None) -> Any:
    """Decorator: `@kernel` (or `@kernel(options=RaiseOptions(...))`) makes a Kernel."""
    if fn is None:
        return lambda f: Kernel(f, options)
    return Kernel(fn, options)
