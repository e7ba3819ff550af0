"""C and C++ input: loop functions over arrays, translated to func/scf/memref/arith/math.

Parsed with libclang (the `libclang` wheel; no system clang) against liftcomp's own small headers
(`c_include/`: stdint.h, stddef.h, stdbool.h, stdlib.h, math.h, cmath, cstdint, cstdlib, vector),
so Clang's semantic analysis does C's work: every integer promotion and usual arithmetic
conversion arrives as an implicit cast node, and this module only has to translate each cast
exactly (trunci / extsi / extui / sitofp / uitofp / fptosi / fptoui / extf / truncf).

The subset (anything else is refused with the construct and file:line:col, and nothing is
written):
- parameters: integer and floating scalars; pointers and arrays (`float *a`, `float a[]`,
  `float a[8][12]`, `float a[][12]`, C99 `float a[m][n]`) become memrefs (dynamic where the C
  type says nothing of the extent); `std::vector<T>` (by value or reference) a 1-D memref,
  `v.size()` its dimension. Pointer parameters are assumed not to alias (as if `restrict`).
- a `std::vector<T>` result built with `push_back` in order (a fixed number of pushes per loop
  iteration, loop bounds that do not depend on other loops) becomes a last memref argument named
  after the returned variable; the caller passes it with the final length.
- `for` loops `for (T i = lb; i < ub; i++ / i += c)` (also `<=`, `>`/`>=` with the counter on
  the right), and `while (i < ub) { ...; i++; }` with the counter's current value as lower
  bound; the counter must not be assigned in the body and the bounds must not change in it.
  Loop bounds and subscripts are computed as exact integers (`index`): a C program whose index
  arithmetic wraps around accesses memory outside its arrays.
- `if`/`else`, `?:`, `&&`/`||` (short-circuit where the right side loads, divides or calls),
  local scalars (loop-carried ones become iter_args), assignments and compound assignments,
  `++`/`--`, all integer and float operators with C's semantics (division and remainder toward
  zero, unsigned compares and shifts by type), casts, scalar `return` at the end of the body.
- math calls: fabs sqrt exp exp2 log log2 log10 tanh sin cos erf floor ceil trunc round pow
  rint nearbyint (half to even: the default rounding mode) fmax fmin (double, `f`-suffixed float,
  and the std:: overloads), abs/labs/std::abs.
"""

from __future__ import annotations

import ctypes
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from liftcomp.diagnostics import LiftcompError
from liftcomp.frontends.emit import Builder, Lazy, Unsupported

INCLUDE_DIR = Path(__file__).parent / "c_include"
CXX_SUFFIXES = (".cc", ".cpp", ".cxx", ".C", ".hpp", ".hh")
C_SUFFIXES = (".c", ".h")

# ---------------------------------------------------------------- C types


@dataclass(frozen=True)
class CType:
    kind: str  # int | float
    width: int  # 1 for bool
    signed: bool = True

    @property
    def mlir(self) -> str:
        return f"f{self.width}" if self.kind == "float" else f"i{self.width}"

    def __str__(self) -> str:
        if self.kind == "float":
            return "double" if self.width == 64 else "float"
        if self.width == 1:
            return "bool"
        return f"{'' if self.signed else 'u'}int{self.width}"


BOOL = CType("int", 1, False)
INT = CType("int", 32, True)
SIZE_T = CType("int", 64, False)


@dataclass
class ArrayRef:
    ssa: str
    elem: CType
    shape: list[int | None]  # None: dynamic
    name: str
    vector: bool = False
    by_value: bool = False

    @property
    def mlir(self) -> str:
        dims = "x".join("?" if d is None else str(d) for d in self.shape)
        return f"memref<{dims}x{self.elem.mlir}>"


@dataclass
class ParamInfo:
    """How a C parameter was translated (for harnesses that call the C function itself)."""

    name: str
    kind: str  # scalar | array | vector | out_vector
    ctype: CType
    shape: list[int | None] = field(default_factory=list)

    @property
    def c_name(self) -> str:
        t = self.ctype
        if t.kind == "float":
            return str(t)
        if t.width == 1:
            return "bool"
        return f"{'' if t.signed else 'u'}int{t.width}_t"


@dataclass
class OutVector:
    """A local std::vector<T> built with push_back: the output argument and its element count."""

    arg: ArrayRef
    count: str | None = None  # index SSA of the elements pushed so far (None: 0)
    returned: bool = False


@dataclass
class CVal:
    ty: CType
    lazy: Lazy = field(default_factory=Lazy)
    const: int | float | None = None
    is_counter: bool = False  # a loop counter (its 'idx' is the loop's induction variable)


Unknown = object()  # a variable whose value is unknown here (uninitialised, or a finished loop's counter)


# ---------------------------------------------------------------- libclang access


@cache
def _clang() -> Any:
    try:
        import clang.cindex as ci
    except ImportError:
        raise LiftcompError("the C/C++ frontend needs libclang: pip install libclang") from None
    return ci


class _EvalResult:
    """clang_Cursor_Evaluate through ctypes (the Python bindings do not wrap it)."""

    @staticmethod
    @cache
    def lib() -> Any:
        ci = _clang()
        lib = ci.conf.lib
        lib.clang_Cursor_Evaluate.restype = ctypes.c_void_p
        lib.clang_Cursor_Evaluate.argtypes = [ci.Cursor]
        lib.clang_EvalResult_getKind.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_getKind.restype = ctypes.c_int
        lib.clang_EvalResult_isUnsignedInt.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_isUnsignedInt.restype = ctypes.c_uint
        lib.clang_EvalResult_getAsLongLong.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_getAsLongLong.restype = ctypes.c_longlong
        lib.clang_EvalResult_getAsUnsigned.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_getAsUnsigned.restype = ctypes.c_ulonglong
        lib.clang_EvalResult_getAsDouble.argtypes = [ctypes.c_void_p]
        lib.clang_EvalResult_getAsDouble.restype = ctypes.c_double
        lib.clang_EvalResult_dispose.argtypes = [ctypes.c_void_p]
        return lib

    @staticmethod
    def evaluate(cursor: Any) -> int | float | None:
        lib = _EvalResult.lib()
        res = lib.clang_Cursor_Evaluate(cursor)
        if not res:
            return None
        try:
            kind = lib.clang_EvalResult_getKind(res)
            if kind == 1:  # CXEval_Int
                if lib.clang_EvalResult_isUnsignedInt(res):
                    return int(lib.clang_EvalResult_getAsUnsigned(res))
                return int(lib.clang_EvalResult_getAsLongLong(res))
            if kind == 2:  # CXEval_Float
                return float(lib.clang_EvalResult_getAsDouble(res))
            return None
        finally:
            lib.clang_EvalResult_dispose(res)


class _Refuse(Exception):
    def __init__(self, message: str, cursor: Any):
        super().__init__(message)
        self.message = message
        self.cursor = cursor


def _ctype_of(t: Any, where: Any) -> CType | None:
    """The arithmetic C type of a clang type (None: not arithmetic)."""
    ci = _clang()
    K = ci.TypeKind
    k = t.get_canonical().kind
    ints = {
        K.BOOL: BOOL, K.CHAR_S: CType("int", 8, True), K.SCHAR: CType("int", 8, True),
        K.CHAR_U: CType("int", 8, False), K.UCHAR: CType("int", 8, False),
        K.SHORT: CType("int", 16, True), K.USHORT: CType("int", 16, False),
        K.INT: INT, K.UINT: CType("int", 32, False),
        K.LONG: CType("int", 64, True), K.ULONG: SIZE_T,
        K.LONGLONG: CType("int", 64, True), K.ULONGLONG: SIZE_T,
        K.FLOAT: CType("float", 32), K.DOUBLE: CType("float", 64),
    }
    if k in ints:
        return ints[k]
    if k in (K.LONGDOUBLE, K.HALF, K.FLOAT128, K.INT128, K.UINT128, K.WCHAR, K.CHAR16, K.CHAR32):
        raise _Refuse(f"type '{t.spelling}' is not supported", where)
    return None


# ---------------------------------------------------------------- the translator


MATH_UNARY = {
    "fabs": "math.absf", "sqrt": "math.sqrt", "exp": "math.exp", "exp2": "math.exp2", "log": "math.log",
    "log2": "math.log2", "log10": "math.log10", "tanh": "math.tanh", "sin": "math.sin", "cos": "math.cos",
    "erf": "math.erf", "floor": "math.floor", "ceil": "math.ceil", "trunc": "math.trunc", "round": "math.round",
    # In the default rounding mode (the only one modelled: no FENV_ACCESS) rint and nearbyint round
    # halves to even: requantisation `(int8_t)fminf(fmaxf(rintf(acc * s), -128), 127)`.
    "rint": "math.roundeven", "nearbyint": "math.roundeven",
}
MATH_BINARY = {"pow": "math.powf", "fmax": "arith.maxnumf", "fmin": "arith.minnumf"}


def _math_name(name: str) -> str:
    """`sqrtf` -> `sqrt`, `std::sqrt` -> `sqrt` (the type comes from the call's type)."""
    if name.endswith("f") and (name[:-1] in MATH_UNARY or name[:-1] in MATH_BINARY):
        return name[:-1]
    return name


class FunctionTranslator:
    def __init__(self, fn: Any, b: Builder, filename: str, cxx: bool, size_params: frozenset[str] = frozenset()):
        self.fn = fn
        # Integer parameters used both as sizes and as data: their data uses go through the index
        # view (index_cast back to the C type, exact), so the analysis sees one size symbol.
        self.size_params = size_params
        self.idx_used: set[str] = set()
        self.val_used: set[str] = set()
        self.b = b
        self.filename = filename
        self.cxx = cxx
        self.ci = _clang()
        self.env: dict[Any, Any] = {}  # declaration key -> CVal | ArrayRef | OutVector | Unknown
        self.arg_names: list[str] = []
        self.result: CType | None = None
        self.returned = False
        self.outs: list[OutVector] = []
        self.depth = 0  # loops and branches around the current statement
        self.params: list[ParamInfo] = []

    # ------------------------------------------------------------ helpers
    def refuse(self, message: str, cursor: Any) -> _Refuse:
        return _Refuse(message, cursor)

    def loc(self, c: Any) -> str:
        return self.b.loc(c.location.line, c.location.column)

    @staticmethod
    def key(decl: Any) -> Any:
        return (decl.location.line, decl.location.column, decl.spelling)

    def children(self, c: Any) -> list[Any]:
        return list(c.get_children())

    def operator(self, c: Any) -> str:
        """The operator token of a binary/compound operator: the first token after the LHS."""
        kids = self.children(c)
        end = kids[0].extent.end.offset
        for tok in c.get_tokens():
            if tok.extent.start.offset >= end and tok.kind == self.ci.TokenKind.PUNCTUATION:
                return tok.spelling
        raise self.refuse("cannot read this operator (macro?)", c)

    def unary_operator(self, c: Any) -> tuple[str, bool]:
        """(operator, prefix?) of a unary operator."""
        toks = list(c.get_tokens())
        kid = self.children(c)[0]
        if toks and toks[0].extent.start.offset < kid.extent.start.offset:
            return toks[0].spelling, True
        if toks and toks[-1].kind == self.ci.TokenKind.PUNCTUATION:
            return toks[-1].spelling, False
        raise self.refuse("cannot read this operator (macro?)", c)

    def ctype(self, c: Any) -> CType:
        t = _ctype_of(c.type, c)
        if t is None:
            raise self.refuse(f"expression of type '{c.type.spelling}' where a number is expected", c)
        return t

    # ------------------------------------------------------------ values
    def val(self, v: CVal) -> str:
        return self.b.get(v.lazy, "val")

    def idx(self, v: CVal, c: Any) -> str:
        try:
            return self.b.get(v.lazy, "idx")
        except KeyError:
            raise self.refuse("a floating-point value used as an index or bound", c) from None

    def cond(self, v: CVal) -> str:
        return self.b.get(v.lazy, "cond")

    def make_val(self, ty: CType, ssa: str | None = None, loc: str = "", const: int | float | None = None) -> CVal:
        """A value with its lazy 'idx' (integers) and 'cond' representations."""
        v = CVal(ty, const=const)
        b = self.b
        if ssa is not None:
            v.lazy.memo["val"] = (b.scopes[-1], ssa)
        if const is not None:
            v.lazy.makers["val"] = lambda: b.const(const, ty.mlir, loc)
        if ty.kind == "int":
            cast = "index_cast" if ty.signed or ty.width == 1 else "index_castui"
            if ty.width == 1:
                cast = "index_castui"
            v.lazy.makers["idx"] = (
                (lambda: b.const(int(const), "index", loc)) if const is not None
                else (lambda: b.op(f"arith.{cast} {self.val(v)} : {ty.mlir} to index", loc))
            )
            if ty.width == 1:
                v.lazy.makers["cond"] = lambda: self.val(v)
            else:
                v.lazy.makers["cond"] = lambda: b.op(f"arith.cmpi ne, {self.val(v)}, {b.const(0, ty.mlir, loc)} : {ty.mlir}", loc)
        else:
            v.lazy.makers["cond"] = lambda: b.op(f"arith.cmpf une, {self.val(v)}, {b.const(0.0, ty.mlir, loc)} : {ty.mlir}", loc)
        return v

    def from_idx(self, ty: CType, idx: Callable[[], str] | str, loc: str) -> CVal:
        """An integer value known as an index (a loop counter, a size, index arithmetic)."""
        v = CVal(ty)
        b = self.b
        if isinstance(idx, str):
            v.lazy.memo["idx"] = (b.scopes[-1], idx)
        else:
            v.lazy.makers["idx"] = idx
        cast = "index_cast" if ty.signed else "index_castui"
        v.lazy.makers["val"] = lambda: b.op(f"arith.{cast} {b.get(v.lazy, 'idx')} : index to {ty.mlir}", loc)
        v.lazy.makers["cond"] = lambda: b.op(f"arith.cmpi ne, {self.val(v)}, {b.const(0, ty.mlir, loc)} : {ty.mlir}", loc)
        return v

    def from_cond(self, ty: CType, cond: str, loc: str) -> CVal:
        v = CVal(ty)
        b = self.b
        v.lazy.memo["cond"] = (b.scopes[-1], cond)
        if ty.width == 1:
            v.lazy.memo["val"] = (b.scopes[-1], cond)
        else:
            v.lazy.makers["val"] = lambda: b.op(f"arith.extui {cond} : i1 to {ty.mlir}", loc)
        v.lazy.makers["idx"] = lambda: b.op(f"arith.index_castui {self.val(v)} : {ty.mlir} to index", loc)
        return v

    def convert(self, v: CVal, to: CType, c: Any) -> CVal:
        """C's conversion of a value to another arithmetic type, exactly."""
        fr = v.ty
        if fr == to:
            return v
        loc = self.loc(c)
        b = self.b
        if v.const is not None and to.kind == "int" and fr.kind == "int":
            return self.make_val(to, loc=loc, const=_wrap(int(v.const), to))
        if v.const is not None and to.kind == "float":
            return self.make_val(to, loc=loc, const=_round_float(float(v.const), to))
        if to == BOOL:
            return self.from_cond(BOOL, self.cond(v), loc)
        if fr.kind == "int" and to.kind == "int":
            if fr.width == 1:
                return self.from_cond(to, self.cond(v), loc)
            if to.width < fr.width:
                return self.make_val(to, b.op(f"arith.trunci {self.val(v)} : {fr.mlir} to {to.mlir}", loc), loc)
            out = self.make_val(to, None, loc)
            if to.width == fr.width:
                out.lazy.makers["val"] = lambda: self.val(v)  # same bits, other signedness
            else:
                ext = "extsi" if fr.signed else "extui"
                out.lazy.makers["val"] = lambda: b.op(f"arith.{ext} {self.val(v)} : {fr.mlir} to {to.mlir}", loc)
            # The index view stays (no round trip through data): exact where the value is kept,
            # and where it is not (a negative int made unsigned) both index outside every array.
            out.lazy.makers["idx"] = lambda: self.idx(v, c)
            return out
        if fr.kind == "int" and to.kind == "float":
            op = "uitofp" if (not fr.signed or fr.width == 1) else "sitofp"
            return self.make_val(to, b.op(f"arith.{op} {self.val(v)} : {fr.mlir} to {to.mlir}", loc), loc)
        if fr.kind == "float" and to.kind == "int":
            op = "fptosi" if to.signed else "fptoui"
            return self.make_val(to, b.op(f"arith.{op} {self.val(v)} : {fr.mlir} to {to.mlir}", loc), loc)
        op = "extf" if to.width > fr.width else "truncf"
        return self.make_val(to, b.op(f"arith.{op} {self.val(v)} : {fr.mlir} to {to.mlir}", loc), loc)

    # ------------------------------------------------------------ function
    def translate(self) -> list[str]:
        fn = self.fn
        ci = self.ci
        params = [c for c in fn.get_children() if c.kind == ci.CursorKind.PARM_DECL]
        body = [c for c in fn.get_children() if c.kind == ci.CursorKind.COMPOUND_STMT]
        if not body:
            raise self.refuse("function declaration without a body", fn)
        sig: list[str] = []
        for p in params:
            name = p.spelling
            if not name:
                raise self.refuse("unnamed parameter", p)
            ssa = f"%{name}"
            t = self.param(p, ssa)
            sig.append(f"{ssa}: {t} {self.loc(p)}")
            self.arg_names.append(name)
        rt = fn.result_type
        ret_decl = ""
        self.ret_vector_elem: CType | None = None
        if rt.get_canonical().kind != ci.TypeKind.VOID:
            self.ret_vector_elem = self.vector_elem(rt, fn)
            if self.ret_vector_elem is None:
                self.result = _ctype_of(rt, fn)
                if self.result is None:
                    raise self.refuse(f"return type '{rt.spelling}' is not supported (scalars and std::vector<T>)", fn)
                ret_decl = f" -> {self.result.mlir}"
        header_at = len(self.b.lines)
        self.b.entry = header_at
        stmts = self.children(body[0])
        for i, s in enumerate(stmts):
            if s.kind == ci.CursorKind.RETURN_STMT and i != len(stmts) - 1:
                raise self.refuse("'return' before the end of the function", s)
            self.stmt(s)
        if self.result is not None and not self.returned:
            raise self.refuse("non-void function without a final 'return'", fn)
        if self.ret_vector_elem is not None and not any(o.returned for o in self.outs):
            raise self.refuse("a std::vector result must be a local vector built with push_back and returned", fn)
        if not self.returned:
            self.b.emit(f"func.return {self.loc(fn)}")
        for o in self.outs:
            sig.append(f"%{o.arg.name}: {o.arg.mlir} {self.loc(fn)}")
            self.arg_names.append(o.arg.name)
            self.params.append(ParamInfo(o.arg.name, "out_vector", o.arg.elem, [None]))
        self.b.entry = None
        head = f"  func.func @{fn.spelling}({', '.join(sig)}){ret_decl} {{"
        tail = f"  }} {self.loc(fn)}"
        self.b.lines.insert(header_at, head)
        self.b.lines.append(tail)
        return self.arg_names

    def scalar_param(self, name: str, ssa: str, ty: CType, loc: str) -> CVal:
        v = self.make_val(ty, None, loc)
        b = self.b
        if ty.kind != "int" or ty.width == 1:
            v.lazy.memo["val"] = (0, ssa)
            return v
        cast = "index_cast" if ty.signed else "index_castui"

        def idx() -> str:
            # At the function's entry: a size the analysis sees defined before every loop.
            self.idx_used.add(name)
            return b.hoist(f"arith.{cast} {ssa} : {ty.mlir} to index", loc)

        def val() -> str:
            if name in self.size_params:
                return b.op(f"arith.{cast} {b.get(v.lazy, 'idx')} : index to {ty.mlir}", loc)
            self.val_used.add(name)
            return ssa

        v.lazy.makers["idx"] = idx
        v.lazy.makers["val"] = val
        return v

    def vector_elem(self, t: Any, where: Any) -> CType | None:
        """T of a std::vector<T> type (through references and const), else None."""
        ci = self.ci
        if t.kind in (ci.TypeKind.LVALUEREFERENCE, ci.TypeKind.RVALUEREFERENCE):
            t = t.get_pointee()
        decl = t.get_canonical().get_declaration()
        if decl is None or decl.spelling != "vector" or t.get_canonical().get_num_template_arguments() != 1:
            return None
        et = _ctype_of(t.get_canonical().get_template_argument_type(0), where)
        if et is None:
            raise self.refuse(f"std::vector of '{t.get_canonical().get_template_argument_type(0).spelling}' is not supported", where)
        return et

    def param(self, p: Any, ssa: str) -> str:
        ci = self.ci
        K = ci.TypeKind
        t = p.type
        name = p.spelling
        scalar = _ctype_of(t, p)
        if scalar is not None:
            self.env[self.key(p)] = self.scalar_param(name, ssa, scalar, self.loc(p))
            self.params.append(ParamInfo(name, "scalar", scalar))
            return scalar.mlir
        vec = self.vector_elem(t, p)
        if vec is not None:
            ref = ArrayRef(ssa, vec, [None], name, vector=True, by_value=t.kind not in (K.LVALUEREFERENCE, K.RVALUEREFERENCE))
            self.env[self.key(p)] = ref
            self.params.append(ParamInfo(name, "vector", vec, [None]))
            return ref.mlir
        shape: list[int | None] = []
        cur = t
        if cur.kind == K.POINTER or cur.kind == K.INCOMPLETEARRAY:
            shape.append(None)
            cur = cur.get_pointee() if cur.kind == K.POINTER else cur.element_type
        while True:
            ck = cur.kind
            if ck == K.CONSTANTARRAY:
                shape.append(cur.element_count)
                cur = cur.element_type
            elif ck in (K.VARIABLEARRAY, K.DEPENDENTSIZEDARRAY):
                shape.append(None)
                cur = cur.element_type
            elif ck == K.INCOMPLETEARRAY:
                shape.append(None)
                cur = cur.element_type
            else:
                break
        et = _ctype_of(cur, p)
        if not shape or et is None:
            raise self.refuse(f"parameter '{name}' of type '{t.spelling}' is not supported (scalars, pointers and arrays of numbers, std::vector)", p)
        if cur.get_canonical().kind == K.POINTER:
            raise self.refuse(f"parameter '{name}': pointers to pointers are not supported (use a 2-D array)", p)
        ref = ArrayRef(ssa, et, shape, name)
        self.env[self.key(p)] = ref
        self.params.append(ParamInfo(name, "array", et, shape))
        return ref.mlir

    # ------------------------------------------------------------ statements
    def stmt(self, s: Any) -> None:
        ci = self.ci
        K = ci.CursorKind
        k = s.kind
        if k == K.COMPOUND_STMT:
            for c in self.children(s):
                self.stmt(c)
            return
        if k == K.NULL_STMT:
            return
        if k == K.DECL_STMT:
            for d in self.children(s):
                self.decl(d)
            return
        if k == K.FOR_STMT:
            self.for_stmt(s)
            return
        if k == K.WHILE_STMT:
            self.while_stmt(s)
            return
        if k == K.IF_STMT:
            self.if_stmt(s)
            return
        if k == K.RETURN_STMT:
            if self.depth:
                raise self.refuse("'return' inside a loop or branch (only one 'return' at the end)", s)
            self.return_stmt(s)
            return
        if k in (K.BREAK_STMT, K.CONTINUE_STMT, K.GOTO_STMT, K.DO_STMT, K.SWITCH_STMT, K.LABEL_STMT):
            raise self.refuse(f"'{k.name.lower().replace('_stmt', '')}' statements are not supported", s)
        if k.is_expression():
            self.expr_stmt(s)
            return
        raise self.refuse(f"statement '{k.name}' is not supported", s)

    def decl(self, d: Any) -> None:
        ci = self.ci
        if d.kind != ci.CursorKind.VAR_DECL:
            raise self.refuse(f"declaration '{d.kind.name}' is not supported inside a function", d)
        if d.storage_class == ci.StorageClass.STATIC:
            raise self.refuse(f"static local '{d.spelling}' is not supported", d)
        vec = self.vector_elem(d.type, d)
        if vec is not None:
            inits = [c for c in self.children(d) if c.kind.is_expression()]
            if any(self.children(c) for c in inits if c.kind == ci.CursorKind.CALL_EXPR):
                raise self.refuse(f"local vector '{d.spelling}' must start empty (built with push_back)", d)
            if self.depth:
                raise self.refuse(f"output vector '{d.spelling}' declared inside a loop or branch", d)
            out = OutVector(ArrayRef(f"%{d.spelling}", vec, [None], d.spelling, vector=True))
            if any(o.arg.name == d.spelling for o in self.outs) or d.spelling in self.arg_names:
                raise self.refuse(f"a second output vector named '{d.spelling}'", d)
            self.outs.append(out)
            self.env[self.key(d)] = out
            return
        ty = _ctype_of(d.type, d)
        if ty is None:
            raise self.refuse(f"local '{d.spelling}' of type '{d.type.spelling}' is not supported (local arrays are not supported)", d)
        inits = [c for c in self.children(d) if c.kind.is_expression()]
        if not inits:
            self.env[self.key(d)] = Unknown
            return
        self.env[self.key(d)] = self.convert(self.expr(inits[-1]), ty, inits[-1])

    def return_stmt(self, s: Any) -> None:
        kids = self.children(s)
        self.returned = True
        if self.ret_vector_elem is not None:
            K = self.ci.CursorKind
            refs = [x for x in (kids[0].walk_preorder() if kids else []) if x.kind == K.DECL_REF_EXPR and x.referenced is not None]
            ref = self.env.get(self.key(refs[0].referenced)) if len(refs) == 1 else None
            if not isinstance(ref, OutVector):
                raise self.refuse("a std::vector result must be a local vector built with push_back", s)
            ref.returned = True
            self.b.emit(f"func.return {self.loc(s)}")
            return
        if self.result is None:
            if kids:
                raise self.refuse("'return' with a value in a void function", s)
            self.b.emit(f"func.return {self.loc(s)}")
            return
        v = self.convert(self.expr(kids[0]), self.result, kids[0])
        self.b.emit(f"func.return {self.val(v)} : {self.result.mlir} {self.loc(s)}")

    def expr_stmt(self, e: Any) -> None:
        self.expr(e, discard=True)

    # ------------------------------------------------------------ assignment analysis
    def assigned_in(self, node: Any) -> tuple[list[Any], set[Any]]:
        """(declarations of scalars assigned in `node`, in first-assignment order; those declared in it)."""
        ci = self.ci
        K = ci.CursorKind
        assigned: list[Any] = []
        declared: set[Any] = set()
        for c in node.walk_preorder():
            if c.kind == K.VAR_DECL:
                declared.add(self.key(c))
            target = None
            if c.kind == K.BINARY_OPERATOR and self.children(c) and self.operator(c) == "=":
                target = self.children(c)[0]
            elif c.kind == K.COMPOUND_ASSIGNMENT_OPERATOR:
                target = self.children(c)[0]
            elif c.kind == K.UNARY_OPERATOR and self.unary_operator(c)[0] in ("++", "--"):
                target = self.children(c)[0]
            if target is None:
                continue
            t = _strip(target)
            if t.kind == K.DECL_REF_EXPR and t.referenced is not None:
                key = self.key(t.referenced)
                if key not in assigned:
                    assigned.append(key)
        return assigned, declared

    def carried(self, node: Any) -> list[Any]:
        """Scalars defined before `node` that `node` assigns (iter_args / scf.if results)."""
        assigned, declared = self.assigned_in(node)
        return [k for k in assigned if k not in declared and isinstance(self.env.get(k), CVal)]

    # ------------------------------------------------------------ loops
    def for_stmt(self, s: Any) -> None:
        ci = self.ci
        K = ci.CursorKind
        kids = self.children(s)
        if len(kids) != 4:
            raise self.refuse("a for loop needs an initialisation, a condition and an increment", s)
        init, cond, inc, body = kids
        if init.kind == K.DECL_STMT:
            decls = self.children(init)
            if len(decls) != 1:
                raise self.refuse("a for loop must declare exactly one counter", init)
            var = decls[0]
            inits = [c for c in self.children(var) if c.kind.is_expression()]
            ty = _ctype_of(var.type, var)
            if not inits or ty is None or ty.kind != "int":
                raise self.refuse("the loop counter must be an initialised integer", var)
            lb = self.convert(self.expr(inits[-1]), ty, inits[-1])
            key = self.key(var)
        else:
            e = _strip(init)
            if e.kind != K.BINARY_OPERATOR or self.operator(e) != "=":
                raise self.refuse("a for loop's initialisation must declare or assign its counter", init)
            tgt = _strip(self.children(e)[0])
            if tgt.kind != K.DECL_REF_EXPR:
                raise self.refuse("a for loop's initialisation must assign a local counter", init)
            var = tgt.referenced
            ty = _ctype_of(var.type, var)
            if ty is None or ty.kind != "int":
                raise self.refuse("the loop counter must be an integer", init)
            key = self.key(var)
            lb = self.convert(self.expr(self.children(e)[1]), ty, self.children(e)[1])
        step = self.increment(inc, key)
        self.loop(s, key, var, ty, lb, cond, step, body, [])

    def increment(self, inc: Any, key: Any) -> int:
        K = self.ci.CursorKind
        e = _strip(inc)
        if e.kind == K.UNARY_OPERATOR and self.unary_operator(e)[0] == "++" and self.is_var(self.children(e)[0], key):
            return 1
        if e.kind == K.COMPOUND_ASSIGNMENT_OPERATOR and self.operator(e) == "+=" and self.is_var(self.children(e)[0], key):
            c = self.constant(self.children(e)[1])
            if isinstance(c, int) and c >= 1:
                return c
        if e.kind == K.BINARY_OPERATOR and self.operator(e) == "=" and self.is_var(self.children(e)[0], key):
            rhs = _strip(self.children(e)[1])
            if rhs.kind == K.BINARY_OPERATOR and self.operator(rhs) == "+":
                a, c = self.children(rhs)
                cv = self.constant(c)
                if self.is_var(a, key) and isinstance(cv, int) and cv >= 1:
                    return cv
        raise self.refuse("the loop increment must be 'i++', '++i' or 'i += c' with a positive constant c (descending loops are not supported)", inc)

    def is_var(self, c: Any, key: Any) -> bool:
        e = _strip(c)
        return e.kind == self.ci.CursorKind.DECL_REF_EXPR and e.referenced is not None and self.key(e.referenced) == key

    def constant(self, c: Any) -> int | float | None:
        e = _strip(c)
        if e.kind in (self.ci.CursorKind.INTEGER_LITERAL, self.ci.CursorKind.FLOATING_LITERAL):
            return _EvalResult.evaluate(e)
        return None

    def while_stmt(self, s: Any) -> None:
        K = self.ci.CursorKind
        cond, body = self.children(s)
        stmts = self.children(body) if body.kind == K.COMPOUND_STMT else [body]
        c = _strip(cond)
        if c.kind != K.BINARY_OPERATOR or not stmts:
            raise self.refuse("a while loop must have the form 'while (i < n) { ...; i++; }'", s)
        a, bb = self.children(c)
        op = self.operator(c)
        counter = a if op in ("<", "<=") else bb
        e = _strip(counter)
        if e.kind != K.DECL_REF_EXPR or e.referenced is None:
            raise self.refuse("a while loop must have the form 'while (i < n) { ...; i++; }'", s)
        key = self.key(e.referenced)
        lb = self.env.get(key)
        ty = _ctype_of(e.referenced.type, e)
        if not isinstance(lb, CVal) or ty is None or ty.kind != "int":
            raise self.refuse("the while loop's counter must be an initialised integer variable", cond)
        step = self.increment(stmts[-1], key)
        self.loop(s, key, e.referenced, ty, lb, cond, step, body, stmts[:-1])

    def loop(self, s: Any, key: Any, var: Any, ty: CType, lb: CVal, cond: Any, step: int, body: Any, body_stmts: list[Any]) -> None:
        b = self.b
        loc = self.loc(s)
        assigned, declared = self.assigned_in(body)
        if self.counter_assigned_before_end(body_stmts or [body], key):
            raise self.refuse(f"the loop counter '{var.spelling}' is assigned in the loop body", body)
        ub = self.bound(cond, key, ty, lb, assigned, body)
        lbi = self.idx(lb, s)
        stepi = b.const(step, "index", loc)
        carried = [k for k in self.carried(body) if k != key]
        # Output vectors: a fixed number of pushes per iteration.
        pushes = {id(o): self.pushes_per_iteration(body, o) for o in self.outs}
        if any(n is not None for n in pushes.values()) and (step != 1 or lb.const != 0):
            raise self.refuse("push_back in a loop that does not start at 0 with step 1 (its trip count could be negative)", s)
        iter_vals: list[tuple[str, str]] = []
        for k in carried:
            v = self.env[k]
            iter_vals.append((self.val(v), v.ty.mlir))
        iv = b.fresh(var.spelling if var.spelling.isidentifier() else "i")
        iters = [b.fresh(self.short(k)) for k in carried]
        head = f"scf.for {iv} = {lbi} to {ub} step {stepi}"
        if carried:
            head += " iter_args(" + ", ".join(f"{a} = {x}" for a, (x, _) in zip(iters, iter_vals, strict=True)) + ")"
            head += " -> (" + ", ".join(t for _, t in iter_vals) + ")"
        res_name = b.fresh("for")
        prefix = f"{res_name}:{len(carried)} = " if len(carried) > 1 else (f"{res_name} = " if carried else "")
        b.emit(prefix + head + " {")
        saved = {k: self.env.get(k) for k in [key, *carried]}
        saved_counts = {id(o): o.count for o in self.outs}
        with b.region():
            counter = self.from_idx(ty, iv, loc)
            counter.is_counter = True
            self.env[key] = counter
            for k, a in zip(carried, iters, strict=True):
                self.env[k] = self.make_val(self.env[k].ty, a, loc)
            for o in self.outs:
                n = pushes[id(o)]
                if n is None:
                    continue
                # Elements pushed before this iteration: count0 + n * (iv - lb) / step.
                done = b.op(f"arith.muli {iv}, {n} : index", loc)
                o.count = b.op(f"arith.addi {saved_counts[id(o)]}, {done} : index", loc) if saved_counts[id(o)] else done
            self.depth += 1
            for st in body_stmts or [body]:
                self.stmt(st)
            self.depth -= 1
            ys = [self.val(self.env[k]) for k in carried]
            if carried:
                b.emit(f"scf.yield {', '.join(ys)} : {', '.join(t for _, t in iter_vals)} {loc}")
            else:
                b.emit(f"scf.yield {loc}")
        b.emit(f"}} {loc}")
        # Declared in the body: gone. Carried: the loop's results. The counter, and scalars
        # first assigned in the body: unknown afterwards.
        for k in declared:
            self.env.pop(k, None)
        for k in assigned:
            if k not in declared and k not in carried:
                self.env[k] = Unknown
        for i, k in enumerate(carried):
            r = f"{res_name}#{i}" if len(carried) > 1 else res_name
            self.env[k] = self.make_val(saved[k].ty, r, loc)  # type: ignore[union-attr]
        self.env[key] = Unknown
        for o in self.outs:
            n = pushes[id(o)]
            if n is None:
                o.count = saved_counts[id(o)]
                continue
            total = b.op(f"arith.muli {ub}, {n} : index", loc)
            o.count = b.op(f"arith.addi {saved_counts[id(o)]}, {total} : index", loc) if saved_counts[id(o)] else total

    def counter_assigned_before_end(self, stmts: list[Any], key: Any) -> bool:
        for st in stmts:
            assigned, _ = self.assigned_in(st)
            if key in assigned:
                return True
        return False

    def short(self, key: Any) -> str:
        name = key[2]
        return name if name.isidentifier() else "x"

    def bound(self, cond: Any, key: Any, ty: CType, lb: CVal, assigned: list[Any], body: Any) -> str:
        """The exclusive upper bound (index SSA) of `i < e` / `i <= e` / `e > i` / `e >= i`."""
        K = self.ci.CursorKind
        c = _strip(cond)
        if c.kind != K.BINARY_OPERATOR:
            raise self.refuse("the loop condition must compare the counter with a bound ('i < n')", cond)
        a, bnd = self.children(c)
        op = self.operator(c)
        if op in (">", ">="):
            a, bnd = bnd, a
            op = "<" if op == ">" else "<="
        if op not in ("<", "<=") or not self.is_var(a, key):
            raise self.refuse("the loop condition must compare the counter with a bound ('i < n', 'i <= n')", cond)
        for r in _strip(bnd).walk_preorder():
            if r.kind == K.DECL_REF_EXPR and r.referenced is not None and self.key(r.referenced) in assigned:
                raise self.refuse(f"the loop bound uses '{r.spelling}', which the loop body assigns", bnd)
            if r.kind == K.ARRAY_SUBSCRIPT_EXPR:
                raise self.refuse("a loop bound read from memory (data-dependent bound)", bnd)
        # The compare happens in the common type of counter and bound: an unsigned compare with a
        # signed counter is the same as the index compare only for a non-negative counter.
        cmp_t = _ctype_of(a.type, a) or ty  # `a` is the counter converted to the compare's type
        if not cmp_t.signed and ty.signed:
            lbc = lb.const
            if not (isinstance(lbc, int) and lbc >= 0):
                raise self.refuse("a signed counter compared as unsigned needs a non-negative constant start", cond)
        ubv = self.expr(bnd)
        if ubv.ty.kind != "int":
            raise self.refuse("a floating-point loop bound", bnd)
        if ty.width < cmp_t.width:
            # A narrow counter (char, short) wraps or overflows before a bound it cannot reach.
            top = (1 << (ty.width - (1 if ty.signed else 0))) - 1
            limit = ubv.const if isinstance(ubv.const, int) else None
            if limit is None or limit - (0 if op == "<=" else 1) > top:
                raise self.refuse(f"a {ty} loop counter with a bound it may not reach without wrapping (use int)", cond)
        ub = self.idx(ubv, bnd)
        if op == "<=":
            ub = self.b.op(f"arith.addi {ub}, {self.b.const(1, 'index', self.loc(cond))} : index", self.loc(cond))
        return ub

    def pushes_per_iteration(self, body: Any, out: OutVector) -> str | None:
        """Index SSA of the push_backs into `out` one execution of `body` makes (None: none)."""
        K = self.ci.CursorKind
        total: list[str] = []
        n_direct = 0
        loc = self.loc(body)
        stmts = self.children(body) if body.kind == K.COMPOUND_STMT else [body]
        for st in stmts:
            if self.is_push(st, out):
                n_direct += 1
                continue
            if not self.mentions_push(st, out):
                continue
            if st.kind == K.COMPOUND_STMT:
                inner = self.pushes_per_iteration(st, out)
                if inner is not None:
                    total.append(inner)
                continue
            if st.kind != K.FOR_STMT:
                raise self.refuse(f"push_back into '{out.arg.name}' under a condition or in a while loop: its length would depend on the data", st)
            total.append(self.for_trip_pushes(st, out))
        if n_direct:
            total.append(self.b.const(n_direct, "index", loc))
        if not total:
            return None
        acc = total[0]
        for t in total[1:]:
            acc = self.b.op(f"arith.addi {acc}, {t} : index", loc)
        return acc

    def for_trip_pushes(self, s: Any, out: OutVector) -> str:
        """trip count x pushes per iteration of an inner for loop (its bounds must not use outer counters)."""
        K = self.ci.CursorKind
        init, cond, inc, body = self.children(s)
        for r in list(init.walk_preorder()) + list(cond.walk_preorder()):
            if r.kind == K.DECL_REF_EXPR and r.referenced is not None:
                v = self.env.get(self.key(r.referenced))
                if isinstance(v, CVal) and v.is_counter:
                    raise self.refuse(f"push_back in a loop whose bounds depend on the counter '{r.spelling}'", s)
        # Evaluate the bounds here (they are pure: checked by the loop itself later).
        loc = self.loc(s)
        if init.kind == K.DECL_STMT:
            var = self.children(init)[0]
            lbe = [c for c in self.children(var) if c.kind.is_expression()][-1]
            key = self.key(var)
        else:
            e = _strip(init)
            var = _strip(self.children(e)[0]).referenced
            lbe = self.children(e)[1]
            key = self.key(var)
        ty = _ctype_of(var.type, var) or INT
        lb = self.convert(self.expr(lbe), ty, lbe)
        step = self.increment(inc, key)
        if step != 1:
            raise self.refuse("push_back in a loop with a step other than 1", s)
        ub = self.bound(cond, key, ty, lb, [], body)
        lbi = self.idx(lb, s)
        if lb.const is None or lb.const != 0:
            raise self.refuse("push_back in a loop that does not start at 0 (its trip count could be negative)", s)
        trip = self.b.op(f"arith.subi {ub}, {lbi} : index", loc)
        inner = self.pushes_per_iteration(body, out)
        if inner is None:
            return self.b.const(0, "index", loc)
        return self.b.op(f"arith.muli {trip}, {inner} : index", loc)

    def is_push(self, st: Any, out: OutVector) -> bool:
        K = self.ci.CursorKind
        e = _strip(st)
        if e.kind != K.CALL_EXPR or e.spelling != "push_back":
            return False
        obj = self.member_object(e)
        return obj is not None and self.env.get(self.key(obj)) is out

    def mentions_push(self, st: Any, out: OutVector) -> bool:
        return any(self.is_push(c, out) for c in st.walk_preorder() if c.kind == self.ci.CursorKind.CALL_EXPR)

    def member_object(self, call: Any) -> Any:
        """The declaration of `v` in `v.f(...)`."""
        K = self.ci.CursorKind
        kids = self.children(call)
        if not kids or kids[0].kind != K.MEMBER_REF_EXPR:
            return None
        mk = self.children(kids[0])
        if not mk:
            return None
        o = _strip(mk[0])
        return o.referenced if o.kind == K.DECL_REF_EXPR else None

    # ------------------------------------------------------------ if
    def if_stmt(self, s: Any) -> None:
        kids = self.children(s)
        if len(kids) not in (2, 3):
            raise self.refuse("if statement with an initialiser or a declaration in its condition", s)
        cond, then = kids[0], kids[1]
        els = kids[2] if len(kids) == 3 else None
        for o in self.outs:
            if self.mentions_push(s, o):
                raise self.refuse(f"push_back into '{o.arg.name}' under a condition: its length would depend on the data", s)
        b = self.b
        loc = self.loc(s)
        c = self.cond(self.expr(cond))
        assigned: list[Any] = []
        for part in (then, els):
            if part is not None:
                for k in self.carried(part):
                    if k not in assigned:
                        assigned.append(k)
        # Uninitialised before the if and assigned in both branches: a result too.
        both = self.assigned_both(then, els)
        extra = [k for k in both if self.env.get(k) is Unknown and k not in assigned]
        keys = assigned + extra
        types = [self.declared_type(k, s) for k in keys]
        res = b.fresh("if")
        tys = ", ".join(t.mlir for t in types)
        prefix = f"{res}:{len(keys)} = " if len(keys) > 1 else (f"{res} = " if keys else "")
        b.emit(prefix + f"scf.if {c}" + (f" -> ({tys})" if keys else "") + " {")
        before = dict(self.env)
        branch_vals: list[list[CVal]] = []
        for part in (then, els):
            if part is None and not keys:
                continue
            if part is els:
                b.emit("} else {")
            with b.region():
                self.env = dict(before)
                if part is not None:
                    self.depth += 1
                    self.stmt(part)
                    self.depth -= 1
                vals = []
                for k in keys:
                    v = self.env.get(k)
                    if not isinstance(v, CVal):
                        raise self.refuse(f"'{k[2]}' is assigned in only one branch and read later uninitialised", s)
                    vals.append(v)
                if keys:
                    b.emit(f"scf.yield {', '.join(self.val(v) for v in vals)} : {tys} {loc}")
                elif part is not None:
                    b.emit(f"scf.yield {loc}")
                branch_vals.append(vals)
        b.emit(f"}} {loc}")
        self.env = before
        for i, (k, t) in enumerate(zip(keys, types, strict=True)):
            r = f"{res}#{i}" if len(keys) > 1 else res
            self.env[k] = self.make_val(t, r, loc)
        # Uninitialised and assigned in one branch only: still unknown afterwards.

    def assigned_both(self, then: Any, els: Any) -> list[Any]:
        if els is None:
            return []
        a, _ = self.assigned_in(then)
        e, _ = self.assigned_in(els)
        return [k for k in a if k in e]

    def declared_type(self, key: Any, where: Any) -> CType:
        v = self.env.get(key)
        if isinstance(v, CVal):
            return v.ty
        t = self.decl_types.get(key)
        if t is None:
            raise self.refuse(f"cannot tell the type of '{key[2]}'", where)
        return t

    @property
    def decl_types(self) -> dict[Any, CType]:
        if not hasattr(self, "_decl_types"):
            out: dict[Any, CType] = {}
            for c in self.fn.walk_preorder():
                if c.kind == self.ci.CursorKind.VAR_DECL:
                    t = _ctype_of(c.type, c)
                    if t is not None:
                        out[self.key(c)] = t
            self._decl_types = out
        return self._decl_types

    # ------------------------------------------------------------ expressions
    def expr(self, c: Any, discard: bool = False) -> CVal:
        ci = self.ci
        K = ci.CursorKind
        k = c.kind
        if k in (K.PAREN_EXPR,):
            return self.expr(self.children(c)[0], discard)
        if k == K.UNEXPOSED_EXPR or k in (K.CSTYLE_CAST_EXPR, K.CXX_STATIC_CAST_EXPR, K.CXX_FUNCTIONAL_CAST_EXPR):
            kids = [x for x in self.children(c) if x.kind.is_expression()]
            if len(kids) != 1:
                raise self.refuse(f"expression '{_text(c)}' is not supported", c)
            inner = kids[0]
            to = _ctype_of(c.type, c)
            if to is None:
                # Array-to-pointer decay, a reference binding, ...: the operand itself.
                return self.expr(inner, discard)
            v = self.expr(inner, discard)
            return self.convert(v, to, c)
        if k in (K.INTEGER_LITERAL, K.FLOATING_LITERAL, K.CHARACTER_LITERAL, K.CXX_BOOL_LITERAL_EXPR):
            value = _EvalResult.evaluate(c)
            if k == K.CXX_BOOL_LITERAL_EXPR:
                value = 1 if _text(c) == "true" else 0
            if value is None:
                raise self.refuse(f"cannot evaluate the literal '{_text(c)}'", c)
            ty = self.ctype(c)
            return self.make_val(ty, loc=self.loc(c), const=value if ty.kind == "int" else _round_float(float(value), ty))
        if k == K.DECL_REF_EXPR:
            return self.ref(c)
        if k == K.ARRAY_SUBSCRIPT_EXPR:
            arr, idxs = self.subscript(c)
            return self.load(arr, idxs, c)
        if k == K.CALL_EXPR:
            return self.call(c, discard)
        if k == K.BINARY_OPERATOR:
            return self.binary(c, discard)
        if k == K.COMPOUND_ASSIGNMENT_OPERATOR:
            return self.compound(c)
        if k == K.UNARY_OPERATOR:
            return self.unary(c, discard)
        if k == K.CONDITIONAL_OPERATOR:
            return self.conditional(c)
        raise self.refuse(f"expression '{_text(c)}' ({k.name.lower()}) is not supported", c)

    def ref(self, c: Any) -> CVal:
        d = c.referenced
        if d is None:
            raise self.refuse(f"unknown name '{c.spelling}'", c)
        if d.kind == self.ci.CursorKind.ENUM_CONSTANT_DECL:
            return self.make_val(self.ctype(c), loc=self.loc(c), const=d.enum_value)
        v = self.env.get(self.key(d), None)
        if v is None:
            raise self.refuse(f"'{c.spelling}' is not a parameter or local of this function (globals are not supported)", c)
        if v is Unknown:
            raise self.refuse(f"'{c.spelling}' is read where its value is unknown (uninitialised, or a loop counter after its loop)", c)
        if not isinstance(v, CVal):
            raise self.refuse(f"array '{c.spelling}' used as a value", c)
        return v

    def array_of(self, c: Any) -> ArrayRef:
        e = _strip(c)
        if e.kind != self.ci.CursorKind.DECL_REF_EXPR or e.referenced is None:
            raise self.refuse(f"subscript of '{_text(c)}': only parameters are indexed (no pointer arithmetic)", c)
        v = self.env.get(self.key(e.referenced))
        if isinstance(v, OutVector):
            raise self.refuse(f"'{e.spelling}' is an output vector: only push_back is supported on it", c)
        if not isinstance(v, ArrayRef):
            raise self.refuse(f"'{e.spelling}' is not an array", c)
        return v

    def subscript(self, c: Any) -> tuple[ArrayRef, list[str]]:
        """The array and index SSAs of `a[i][j]` (or `v[i]` on a std::vector)."""
        K = self.ci.CursorKind
        idx_exprs: list[Any] = []
        cur = c
        while True:
            e = _strip(cur)
            if e.kind == K.ARRAY_SUBSCRIPT_EXPR:
                base, ix = self.children(e)
                idx_exprs.append(ix)
                cur = base
                continue
            if e.kind == K.CALL_EXPR and e.spelling == "operator[]":
                kids = [x for x in self.children(e) if x.kind.is_expression()]
                # [object, callee, index]
                idx_exprs.append(kids[-1])
                cur = kids[0]
                continue
            break
        arr = self.array_of(cur)
        idx_exprs.reverse()
        if len(idx_exprs) != len(arr.shape):
            raise self.refuse(f"'{arr.name}' has {len(arr.shape)} dimension(s) but is indexed with {len(idx_exprs)}", c)
        out = []
        for ix in idx_exprs:
            v = self.expr(ix)
            if v.ty.kind != "int":
                raise self.refuse("a floating-point subscript", ix)
            out.append(self.idx(v, ix))
        return arr, out

    def load(self, arr: ArrayRef, idxs: list[str], c: Any) -> CVal:
        ssa = self.b.op(f"memref.load {arr.ssa}[{', '.join(idxs)}] : {arr.mlir}", self.loc(c))
        return self.make_val(arr.elem, ssa, self.loc(c))

    def store(self, target: Any, v: CVal, c: Any) -> CVal:
        """Assign `v` (already of the target's type) to a variable or an array element."""
        K = self.ci.CursorKind
        t = _strip(target)
        if t.kind == K.DECL_REF_EXPR:
            d = t.referenced
            cur = self.env.get(self.key(d)) if d is not None else None
            if cur is None or isinstance(cur, (ArrayRef, OutVector)):
                raise self.refuse(f"assignment to '{t.spelling}' is not supported (only locals and array elements)", c)
            self.env[self.key(d)] = v
            return v
        if t.kind == K.ARRAY_SUBSCRIPT_EXPR or (t.kind == K.CALL_EXPR and t.spelling == "operator[]"):
            arr, idxs = self.subscript(t)
            if arr.by_value:
                raise self.refuse(f"writes to '{arr.name}', a std::vector passed by value (the caller would not see them)", c)
            self.b.emit(f"memref.store {self.val(v)}, {arr.ssa}[{', '.join(idxs)}] : {arr.mlir} {self.loc(c)}")
            return v
        if t.kind == K.UNARY_OPERATOR:
            raise self.refuse("pointer dereference is not supported (index arrays with a[i])", c)
        raise self.refuse(f"assignment to '{_text(target)}' is not supported", c)

    def target_type(self, target: Any) -> CType:
        return self.ctype(_strip(target))

    def binary(self, c: Any, discard: bool) -> CVal:
        a, bb = self.children(c)
        op = self.operator(c)
        loc = self.loc(c)
        if op == "=":
            v = self.convert(self.expr(bb), self.target_type(a), c)
            return self.store(a, v, c)
        if op in ("&&", "||"):
            return self.logical(c, op, a, bb)
        if op == ",":
            self.expr(a, discard=True)
            return self.expr(bb, discard)
        ty = self.ctype(c)
        va, vb = self.expr(a), self.expr(bb)
        if op in ("<", "<=", ">", ">=", "==", "!="):
            return self.from_cond(ty, self.compare(op, va, vb, c), loc)
        if op in ("<<", ">>"):
            vb = self.convert(vb, va.ty, c)
        return self.arith(op, va, vb, ty, c)

    def compare(self, op: str, va: CVal, vb: CVal, c: Any) -> str:
        t = va.ty
        if va.ty != vb.ty:
            raise self.refuse("comparison of operands of different types (internal: missing conversion)", c)
        loc = self.loc(c)
        if t.kind == "float":
            pred = {"<": "olt", "<=": "ole", ">": "ogt", ">=": "oge", "==": "oeq", "!=": "une"}[op]
            return self.b.op(f"arith.cmpf {pred}, {self.val(va)}, {self.val(vb)} : {t.mlir}", loc)
        s = "s" if t.signed and t.width > 1 else "u"
        pred = {"<": f"{s}lt", "<=": f"{s}le", ">": f"{s}gt", ">=": f"{s}ge", "==": "eq", "!=": "ne"}[op]
        return self.b.op(f"arith.cmpi {pred}, {self.val(va)}, {self.val(vb)} : {t.mlir}", loc)

    def arith(self, op: str, va: CVal, vb: CVal, ty: CType, c: Any) -> CVal:
        loc = self.loc(c)
        b = self.b
        if va.ty != ty or vb.ty != ty and op not in ("<<", ">>"):
            raise self.refuse(f"operands of '{op}' of types {va.ty}, {vb.ty} for a {ty} result (internal: missing conversion)", c)
        m = ty.mlir
        if ty.kind == "float":
            name = {"+": "addf", "-": "subf", "*": "mulf", "/": "divf"}.get(op)
            if name is None:
                raise self.refuse(f"operator '{op}' on floating-point values", c)
            return self.make_val(ty, b.op(f"arith.{name} {self.val(va)}, {self.val(vb)} : {m}", loc), loc)
        name = {
            "+": "addi", "-": "subi", "*": "muli", "/": "divsi" if ty.signed else "divui",
            "%": "remsi" if ty.signed else "remui", "&": "andi", "|": "ori", "^": "xori", "<<": "shli",
            ">>": "shrsi" if ty.signed else "shrui",
        }.get(op)
        if name is None:
            raise self.refuse(f"operator '{op}' is not supported", c)
        out = self.make_val(ty, None, loc)
        out.lazy.makers["val"] = lambda: b.op(f"arith.{name} {self.val(va)}, {self.val(vb)} : {m}", loc)
        if op in ("+", "-", "*"):
            # Index arithmetic stays exact (polynomial) for subscripts and bounds.
            iname = {"+": "addi", "-": "subi", "*": "muli"}[op]
            out.lazy.makers["idx"] = lambda: b.op(f"arith.{iname} {self.idx(va, c)}, {self.idx(vb, c)} : index", loc)
        return out

    def logical(self, c: Any, op: str, a: Any, bb: Any) -> CVal:
        b = self.b
        loc = self.loc(c)
        ty = self.ctype(c)
        ca = self.cond(self.expr(a))
        if not self.may_trap(bb):
            cb = self.cond(self.expr(bb))
            return self.from_cond(ty, b.op(f"arith.{'andi' if op == '&&' else 'ori'} {ca}, {cb} : i1", loc), loc)
        res = b.fresh("sc")
        b.emit(f"{res} = scf.if {ca} -> (i1) {{")
        with b.region():
            if op == "&&":
                b.emit(f"scf.yield {self.cond(self.expr(bb))} : i1 {loc}")
            else:
                b.emit(f"scf.yield {b.const(True, 'i1', loc)} : i1 {loc}")
        b.emit("} else {")
        with b.region():
            if op == "&&":
                b.emit(f"scf.yield {b.const(False, 'i1', loc)} : i1 {loc}")
            else:
                b.emit(f"scf.yield {self.cond(self.expr(bb))} : i1 {loc}")
        b.emit(f"}} {loc}")
        return self.from_cond(ty, res, loc)

    def may_trap(self, c: Any) -> bool:
        """Loads, divisions, calls or side effects: evaluate only where C would."""
        K = self.ci.CursorKind
        for x in c.walk_preorder():
            if x.kind in (K.ARRAY_SUBSCRIPT_EXPR, K.CALL_EXPR, K.COMPOUND_ASSIGNMENT_OPERATOR):
                return True
            if x.kind == K.BINARY_OPERATOR and self.operator(x) in ("/", "%", "="):
                return True
            if x.kind == K.UNARY_OPERATOR and self.unary_operator(x)[0] in ("++", "--"):
                return True
        return False

    def conditional(self, c: Any) -> CVal:
        cond, x, y = [k for k in self.children(c) if k.kind.is_expression()]
        ty = self.ctype(c)
        b = self.b
        loc = self.loc(c)
        cv = self.cond(self.expr(cond))
        if not self.may_trap(x) and not self.may_trap(y):
            vx = self.convert(self.expr(x), ty, x)
            vy = self.convert(self.expr(y), ty, y)
            return self.make_val(ty, b.op(f"arith.select {cv}, {self.val(vx)}, {self.val(vy)} : {ty.mlir}", loc), loc)
        res = b.fresh("sel")
        b.emit(f"{res} = scf.if {cv} -> ({ty.mlir}) {{")
        with b.region():
            b.emit(f"scf.yield {self.val(self.convert(self.expr(x), ty, x))} : {ty.mlir} {loc}")
        b.emit("} else {")
        with b.region():
            b.emit(f"scf.yield {self.val(self.convert(self.expr(y), ty, y))} : {ty.mlir} {loc}")
        b.emit(f"}} {loc}")
        return self.make_val(ty, res, loc)

    def compound(self, c: Any) -> CVal:
        a, bb = self.children(c)
        op = self.operator(c)[:-1]
        lt = self.target_type(a)
        cur = self.expr(a)
        rhs = self.expr(bb)
        comp = _usual(lt, rhs.ty) if op not in ("<<", ">>") else _promote(lt)
        va = self.convert(cur, comp, c)
        vb = self.convert(rhs, comp if op not in ("<<", ">>") else _promote(rhs.ty), c)
        if op in ("<<", ">>"):
            vb = self.convert(vb, comp, c)
        r = self.arith(op, va, vb, comp, c)
        return self.store(a, self.convert(r, lt, c), c)

    def unary(self, c: Any, discard: bool) -> CVal:
        op, prefix = self.unary_operator(c)
        (a,) = self.children(c)
        loc = self.loc(c)
        b = self.b
        if op in ("++", "--"):
            lt = self.target_type(a)
            cur = self.expr(a)
            comp = _promote(lt)
            one = self.make_val(comp, loc=loc, const=1 if comp.kind == "int" else 1.0)
            new = self.store(a, self.convert(self.arith("+" if op == "++" else "-", self.convert(cur, comp, c), one, comp, c), lt, c), c)
            return new if prefix else cur
        if op in ("*", "&"):
            raise self.refuse(f"pointer operator '{op}' is not supported (index arrays with a[i])", c)
        ty = self.ctype(c)
        v = self.expr(a)
        if op == "+":
            return v
        if op == "!":
            return self.from_cond(ty, b.op(f"arith.xori {self.cond(v)}, {b.const(True, 'i1', loc)} : i1", loc), loc)
        if op == "-":
            if ty.kind == "float":
                return self.make_val(ty, b.op(f"arith.negf {self.val(v)} : {ty.mlir}", loc), loc)
            zero = self.make_val(ty, loc=loc, const=0)
            return self.arith("-", zero, v, ty, c)
        if op == "~":
            ones = self.make_val(ty, loc=loc, const=-1)
            return self.arith("^", v, ones, ty, c)
        raise self.refuse(f"unary operator '{op}' is not supported", c)

    def call(self, c: Any, discard: bool) -> CVal:
        b = self.b
        loc = self.loc(c)
        name = c.spelling
        if name == "size":
            obj = self.member_object(c)
            arr = self.env.get(self.key(obj)) if obj is not None else None
            if not isinstance(arr, ArrayRef) or not arr.vector:
                raise self.refuse("size() of something other than a std::vector parameter", c)
            d = b.const(0, "index", loc)
            dim = b.op(f"memref.dim {arr.ssa}, {d} : {arr.mlir}", loc)
            return self.from_idx(SIZE_T, dim, loc)
        if name == "push_back":
            obj = self.member_object(c)
            out = self.env.get(self.key(obj)) if obj is not None else None
            if not isinstance(out, OutVector):
                raise self.refuse("push_back on something other than a local output vector", c)
            args = [x for x in self.children(c) if x.kind.is_expression() and x.kind != self.ci.CursorKind.MEMBER_REF_EXPR]
            v = self.convert(self.expr(args[-1]), out.arg.elem, args[-1])
            at = out.count or b.const(0, "index", loc)
            b.emit(f"memref.store {self.val(v)}, {out.arg.ssa}[{at}] : {out.arg.mlir} {loc}")
            one = b.const(1, "index", loc)
            out.count = b.op(f"arith.addi {at}, {one} : index", loc)
            return v
        if name == "operator[]":
            arr, idxs = self.subscript(c)
            return self.load(arr, idxs, c)
        ref = c.referenced
        if ref is not None and ref.kind == self.ci.CursorKind.FUNCTION_DECL and name not in MATH_UNARY and \
                _math_name(name) not in MATH_UNARY and _math_name(name) not in MATH_BINARY and name not in ("abs", "labs"):
            return self.inline_call(c, ref)
        args = [x for x in self.children(c) if x.kind.is_expression()]
        # The first child is the callee reference (an implicit function-to-pointer cast).
        args = [x for x in args if _ctype_of(x.type, x) is not None]
        base = _math_name(name)
        ty = self.ctype(c)
        vals = [self.convert(self.expr(x), ty, x) for x in args]
        if base in ("abs", "labs") and ty.kind == "int" and len(vals) == 1:
            return self.make_val(ty, b.op(f"math.absi {self.val(vals[0])} : {ty.mlir}", loc), loc)
        if base in MATH_UNARY and len(vals) == 1 and ty.kind == "float":
            return self.make_val(ty, b.op(f"{MATH_UNARY[base]} {self.val(vals[0])} : {ty.mlir}", loc), loc)
        if base in MATH_BINARY and len(vals) == 2 and ty.kind == "float":
            return self.make_val(ty, b.op(f"{MATH_BINARY[base]} {self.val(vals[0])}, {self.val(vals[1])} : {ty.mlir}", loc), loc)
        raise self.refuse(f"call to '{name}' is not supported (math functions only: {', '.join(sorted([*MATH_UNARY, *MATH_BINARY, 'abs']))})", c)


    def inline_call(self, c: Any, ref: Any) -> CVal:
        """A call to a helper defined in the file whose body is local declarations and a final
        `return e;`: inlined (its parameters bound to the converted arguments)."""
        K = self.ci.CursorKind
        fn = ref.get_definition()
        if fn is None or fn.location.file is None or fn.location.file.name != self.filename:
            raise self.refuse(f"call to '{c.spelling}' is not supported (math functions and helpers defined in this file only)", c)
        self.inline_depth = getattr(self, "inline_depth", 0) + 1
        if self.inline_depth > 8:
            raise self.refuse(f"call to '{c.spelling}': helpers nested deeper than 8 (recursion?)", c)
        params = [p for p in fn.get_children() if p.kind == K.PARM_DECL]
        body = [b for b in fn.get_children() if b.kind == K.COMPOUND_STMT]
        stmts = self.children(body[0]) if body else []
        rt = _ctype_of(fn.result_type, fn)
        if rt is None or not stmts or stmts[-1].kind != K.RETURN_STMT or any(st.kind != K.DECL_STMT for st in stmts[:-1]):
            raise self.refuse(f"call to '{c.spelling}': only helpers made of declarations and a final 'return e;' returning a number are inlined", c)
        args = [x for x in self.children(c) if x.kind.is_expression()][-len(params):] if params else []
        bound: list[tuple[Any, CVal | ArrayRef]] = []
        for p, a in zip(params, args, strict=True):
            pt = _ctype_of(p.type, p)
            if pt is not None:
                bound.append((self.key(p), self.convert(self.expr(a), pt, a)))  # in C's order, side effects included
                continue
            e = _strip(a)
            arr = self.env.get(self.key(e.referenced)) if e.kind == K.DECL_REF_EXPR and e.referenced is not None else None
            if not isinstance(arr, ArrayRef):
                raise self.refuse(f"argument '{_text(a)}' of '{c.spelling}': numbers and array parameters only", a)
            bound.append((self.key(p), arr))
        saved = dict(self.env)
        self.env.update(bound)
        for st in stmts[:-1]:
            self.stmt(st)
        value = self.convert(self.expr(self.children(stmts[-1])[0]), rt, stmts[-1])
        self.env = saved  # the helper's parameters and locals go out of scope
        self.inline_depth -= 1
        return value


def _wrap(v: int, t: CType) -> int:
    if t.width == 1:
        return 1 if v else 0
    v &= (1 << t.width) - 1
    if t.signed and v >= 1 << (t.width - 1):
        v -= 1 << t.width
    return v


def _round_float(v: float, t: CType) -> float:
    if t.width == 32:
        import numpy as np

        return float(np.float32(v))
    return v


def _promote(t: CType) -> CType:
    if t.kind == "int" and t.width < 32:
        return INT
    return t


def _usual(a: CType, b: CType) -> CType:
    """C's usual arithmetic conversions (LP64)."""
    if a.kind == "float" or b.kind == "float":
        w = max(x.width for x in (a, b) if x.kind == "float")
        return CType("float", w)
    a, b = _promote(a), _promote(b)
    if a == b:
        return a
    if a.signed == b.signed:
        return a if a.width >= b.width else b
    u, s = (a, b) if not a.signed else (b, a)
    if u.width >= s.width:
        return u
    return s


def _strip(c: Any) -> Any:
    """Through parentheses and implicit (unexposed) casts."""
    K = _clang().CursorKind
    while c.kind in (K.PAREN_EXPR, K.UNEXPOSED_EXPR):
        kids = [x for x in c.get_children() if x.kind.is_expression()]
        if len(kids) != 1:
            return c
        c = kids[0]
    return c


def _text(c: Any) -> str:
    return " ".join(t.spelling for t in c.get_tokens())[:60]


# ---------------------------------------------------------------- entry points


@dataclass
class CProgram:
    text: str  # MLIR
    arg_names: dict[str, list[str]]
    params: dict[str, list[ParamInfo]] = field(default_factory=dict)  # per function, in MLIR argument order
    results: dict[str, CType | None] = field(default_factory=dict)


def translate_c(path: str | Path, source: str | None = None, cxx: bool | None = None) -> CProgram:
    """Translate every function defined in a C/C++ file; the first unsupported construct raises
    Unsupported with its file:line:col."""
    ci = _clang()
    p = Path(path)
    if cxx is None:
        cxx = p.suffix in CXX_SUFFIXES
    text = source if source is not None else _read_text(p)
    args = ["-x", "c++" if cxx else "c", "-std=c++17" if cxx else "-std=c11", "-nostdinc", "-nostdinc++",
            f"-I{INCLUDE_DIR}", "-fno-builtin"]
    try:
        index = ci.Index.create()
        tu = index.parse(str(p), args=args, unsaved_files=[(str(p), text)])
    except ci.TranslationUnitLoadError as e:
        raise LiftcompError(f"libclang could not parse {p}: {e}") from None
    for d in tu.diagnostics:
        if d.severity >= ci.Diagnostic.Error:
            where = f"{d.location.file.name if d.location.file else p}:{d.location.line}:{d.location.column}"
            msg = d.spelling
            if "file not found" in msg:
                msg += f" (the C frontend knows only the headers in {INCLUDE_DIR.name}/: {', '.join(sorted(x.name for x in INCLUDE_DIR.iterdir()))})"
            raise Unsupported(msg, where)
    b = Builder(str(path))
    names: dict[str, list[str]] = {}
    params: dict[str, list[ParamInfo]] = {}
    results: dict[str, CType | None] = {}
    funcs = [c for c in tu.cursor.get_children() if c.location.file is not None and c.location.file.name == str(p)]
    b.lines.append("module {")
    for c in funcs:
        if c.kind == ci.CursorKind.FUNCTION_DECL and c.is_definition():
            if c.spelling in names:
                raise Unsupported(f"a second definition of '{c.spelling}' (overloads are not supported)", _where(c))
            mark, counter = len(b.lines), b.counter
            tr = FunctionTranslator(c, b, str(path), cxx)
            try:
                names[c.spelling] = tr.translate()
                both = frozenset(tr.idx_used & tr.val_used)
                if both:
                    del b.lines[mark:]
                    b.counter = counter
                    tr = FunctionTranslator(c, b, str(path), cxx, both)
                    names[c.spelling] = tr.translate()
                params[c.spelling] = tr.params
                results[c.spelling] = tr.result
            except _Refuse as r:
                raise Unsupported(f"{r.message}", _where(r.cursor)) from None
            continue
        if c.kind in (ci.CursorKind.FUNCTION_DECL, ci.CursorKind.TYPEDEF_DECL, ci.CursorKind.STRUCT_DECL) and not c.is_definition():
            continue
        if c.kind == ci.CursorKind.TYPEDEF_DECL:
            continue
        if c.kind == ci.CursorKind.VAR_DECL:
            raise Unsupported(f"global variable '{c.spelling}' is not supported (only function definitions)", _where(c))
        raise Unsupported(f"top-level '{c.kind.name.lower()}' is not supported (only function definitions)", _where(c))
    if not names:
        raise LiftcompError(f"{p}: no function definitions to translate")
    b.lines.append("}")
    return CProgram("\n".join(b.lines) + "\n", names, params, results)


def _read_text(p: Path) -> str:
    # Bytes that are not UTF-8: an error at their line and column.
    from liftcomp.frontends.mlir import check_source

    try:
        data = p.read_bytes()
    except OSError as e:
        raise LiftcompError(f"cannot read {p}: {e.strerror}") from None
    return check_source(data, str(p))


def _where(c: Any) -> str:
    f = c.location.file
    return f"{f.name if f else '?'}:{c.location.line}:{c.location.column}"


def read_c(path: str | Path, prog: CProgram | None = None) -> Any:
    """Read a C/C++ file into a SourceModule (MLIR through mlir-opt-22, locations in the file);
    `prog` is the file's translation when the caller has it already."""
    from liftcomp.frontends.mlir import SourceModule
    from liftcomp.interop.mlir_tool import parse_mlir

    p = Path(path)
    if not p.is_file():
        raise LiftcompError(f"no such file: {path}")
    prog = prog or translate_c(p)
    return SourceModule(parse_mlir(prog.text, str(p)), prog.text, str(p), prog.arg_names)
