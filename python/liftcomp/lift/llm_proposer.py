"""The LLM proposer: asks an OpenAI-compatible model for TensorSpec programs, in the style of LLMLift.

Each request shows the model
- the TensorSpec operators as short Python definitions with docstrings (`operator_reference`, the
  names taken from TensorSpec's parser, so the prompt offers exactly what the parser accepts);
- the kernel: its arguments (names, numpy dtypes with signedness, symbolic shapes) and the loop nest
  as Python-like pseudo-code rendered from the xDSL IR (`render_function`);
- the rules of a program, and the candidates that already failed with the reason (a parse error,
  a rejection, or the verifier's counterexample).

Replies are parsed with `extract_program` against a whitelist derived from the same parser tables
(`tensorspec_policy`) and handed to the driver as `ast.unparse` text; nothing in a reply is ever
executed. A rejected reply becomes a feedback entry (the next request carries the reason).

Prompts are deterministic (no timestamps, fixed orders), so the response cache finds them again:
`--llm-cache replay` gives byte-for-byte repeatable lifts.

    proposer = LLMProposer(LLMClient(load_config()), n=4, temperature=0.7)
    RaiseOptions(llm=proposer, strategy="llm-first")
"""

from __future__ import annotations

import argparse
import ast
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xdsl.dialects.builtin import (
    AffineMapAttr,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.ir.affine import (
    AffineBinaryOpExpr,
    AffineBinaryOpKind,
    AffineConstantExpr,
    AffineDimExpr,
    AffineExpr,
    AffineSymExpr,
)

from liftcomp.diagnostics import LiftcompError
from liftcomp.lift import tensorspec as TS
from liftcomp.lift.proposer import Feedback, Problem
from liftcomp.llm import (
    BudgetExhausted,
    ExpressionPolicy,
    LLMClient,
    LLMConfig,
    RejectedCode,
    extract_code,
    extract_program,
    load_config,
)

# ---------------------------------------------------------------- the TensorSpec operators

# Calls TensorSpec's parser accepts as `np.<name>(...)` besides the tables it exports below.
_NP_OTHER = ("where", "clip", "matmul", "dot", "outer", "transpose", "full", "zeros", "ones", "argmax", "argmin")
# Methods (`x.<name>(...)`) and attributes (`x.T`, `x.shape[k]`) the parser accepts.
# (amax/amin are numpy functions only: arrays have no such methods.)
_METHODS = ("astype", "reshape", "transpose", "dot", *sorted(set(TS._NP_REDUCE) - {"amax", "amin"}))  # pyright: ignore[reportPrivateUsage]
_ATTRS = ("T", "shape")
_KEYWORDS = ("axis", "dtype", "initial")


def _np_functions() -> list[str]:
    names = (
        set(TS._NP_UNARY)  # pyright: ignore[reportPrivateUsage]
        | set(TS._NP_BINARY)  # pyright: ignore[reportPrivateUsage]
        | set(TS._NP_REDUCE)  # pyright: ignore[reportPrivateUsage]
        | set(TS.NP_DTYPE_NAMES)
        | set(_NP_OTHER)
    )
    return sorted(names)


def tensorspec_policy(decls: Sequence[TS.ArgDecl]) -> ExpressionPolicy:
    """What a reply may contain: TensorSpec's functions, methods and dtypes, the kernel's arguments."""
    dtypes = {f"np.{name}" for name in TS.NP_DTYPE_NAMES}
    return ExpressionPolicy.of(
        calls={f"np.{name}" for name in _np_functions()} | set(TS.BUILTINS),
        attrs={*_METHODS, *_ATTRS},
        names={d.name for d in decls} | dtypes | {"np.inf"},
        keywords=_KEYWORDS,
    )


# One line of signature and one docstring per operator. Names the parser accepts but this table
# lacks still appear (with a generic docstring), so the prompt never hides what is allowed.
_NP_DOCS: dict[str, tuple[str, str]] = {
    "where": (
        "cond, a, b",
        "Element-wise select: a where cond is True, else b. cond is a comparison such as x > 0.",
    ),
    "maximum": ("a, b", "Element-wise maximum (floats: NaN if either is NaN, +0.0 > -0.0). Broadcasts."),
    "minimum": ("a, b", "Element-wise minimum (floats: NaN if either is NaN, -0.0 < +0.0). Broadcasts."),
    "fmax": ("a, b", "Element-wise maximum ignoring a NaN operand (floats: either zero for +0.0 vs -0.0)."),
    "fmin": ("a, b", "Element-wise minimum ignoring a NaN operand."),
    "clip": ("a, lo, hi", "np.minimum(np.maximum(a, lo), hi)."),
    "add": ("a, b", "a + b."),
    "subtract": ("a, b", "a - b."),
    "multiply": ("a, b", "a * b."),
    "divide": ("a, b", "a / b (integers: a float64 result, like numpy)."),
    "power": ("a, b", "Element-wise a ** b."),
    "fmod": (
        "a, b",
        "Remainder with the sign of a (C's %); on integers this is arith.remsi/remui.",
    ),
    "abs": ("a", "Element-wise absolute value."),
    "absolute": ("a", "Same as np.abs."),
    "negative": ("a", "Element-wise -a."),
    "rint": ("a", "Round floats to the nearest integer, ties to even (math.roundeven)."),
    "floor": ("a", "Round floats down."),
    "ceil": ("a", "Round floats up."),
    "exp": ("a", "Element-wise e**a."),
    "exp2": ("a", "Element-wise 2**a."),
    "log": ("a", "Natural logarithm."),
    "log2": ("a", "Base-2 logarithm."),
    "log10": ("a", "Base-10 logarithm."),
    "sqrt": ("a", "Square root."),
    "tanh": ("a", "Hyperbolic tangent."),
    "sin": ("a", "Sine."),
    "cos": ("a", "Cosine."),
    "sum": (
        "a, axis=None, dtype=None, initial=None",
        "Sum over one axis, a tuple of axes (increasing: one running sum over them in row-major order), or all. Small integers are summed in int64 unless dtype= says otherwise: pass dtype=np.int32 to wrap like an i32 accumulator. initial= is the starting value.",
    ),
    "prod": (
        "a, axis=None, dtype=None, initial=None",
        "Product over one axis (or all); dtype= and initial= as for np.sum.",
    ),
    "max": (
        "a, axis=None, initial=None",
        "Maximum over one axis; without initial= the fold starts from the first element (the range must not be empty).",
    ),
    "min": ("a, axis=None, initial=None", "Minimum over one axis; initial= as for np.max."),
    "amax": ("a, axis=None, initial=None", "Same as np.max."),
    "amin": ("a, axis=None, initial=None", "Same as np.min."),
    "matmul": (
        "a, b",
        "Matrix product of 1-D or 2-D arrays, same as a @ b: sum over k of a[i, k] * b[k, j], in the operands' dtype.",
    ),
    "dot": ("a, b", "Same as np.matmul for 1-D and 2-D arrays."),
    "argmax": ("a", "Index (int64) of the first maximum of a non-empty 1-D integer array (ties: the first)."),
    "argmin": ("a", "Index (int64) of the first minimum of a non-empty 1-D integer array (ties: the first)."),
    "outer": ("a, b", "Outer product of two 1-D arrays: out[i, j] = a[i] * b[j]."),
    "transpose": ("a, axes=None", "Permute the axes (reverse them by default); axes are literals."),
    "full": ("shape, value, dtype=None", "An array of the given shape filled with value."),
    "pad": ("a, pad_width", "a surrounded by zeros: one (before, after) pair of literals per axis, e.g. np.pad(x, ((0, 0), (1, 1))) (a padded convolution's guarded loads)."),
    "zeros": ("shape, dtype=None", "An array of zeros."),
    "ones": ("shape, dtype=None", "An array of ones."),
}

_METHOD_DOCS: dict[str, tuple[str, str]] = {
    "astype": (
        "self, dtype",
        "Convert element-wise with numpy semantics: integers wrap or truncate, floats to ints round toward zero, ints to floats exactly. Also reinterprets signedness: x.astype(np.uint8) makes comparisons, division and max unsigned.",
    ),
    "reshape": (
        "self, *shape",
        "Reshape between 1-D and N-D (row-major); sizes explicit, no -1. w[0:m*n].reshape(m, n)[i, j] is w[i*n + j].",
    ),
    "transpose": ("self, *axes", "Same as np.transpose(self, axes)."),
    "dot": ("self, b", "Same as self @ b."),
    "T": ("self", "Property: the transpose (2-D: x.T[i, j] == x[j, i])."),
    "shape": ("self", "Property: x.shape[k] is the size of axis k, usable in slices."),
}


def operator_reference() -> str:
    """The TensorSpec operators as Python stubs with docstrings, for the system prompt."""
    lines = [
        "class ndarray:",
        '    """An argument or the value of an expression: a numpy array of fixed dtype and shape.',
        "",
        "    Operators (numpy broadcasting; integer arithmetic wraps at the dtype's width):",
        "      a + b, a - b, a * b, a / b (float division), a // b (floor division), a % b,",
        "      a & b, a | b, a ^ b, a << b, a >> b, -a, ~a, a @ b (matmul),",
        "      a < b, a <= b, a > b, a >= b, a == b, a != b (bool arrays, for np.where).",
        "    Indexing: x[start:stop], x[start:stop:step] (positive literal step), x[i] (an index),",
        "      x[:, None] (a new axis, for broadcasting). Bounds are literals, size symbols,",
        "      x.shape[k], and + - * of those; no negative indices.",
        '    """',
        "",
    ]
    for name in [*_METHODS, *_ATTRS]:
        if name in _METHOD_DOCS:
            params, doc = _METHOD_DOCS[name]
        else:  # a reduction method: np.<name>'s parameters
            params = "self, " + _NP_DOCS.get(name, ("a, axis=None", ""))[0].partition(", ")[2]
            doc = f"Same as np.{name}(self, ...)."
        if name in _ATTRS:
            lines.append("    @property")
        lines += [f"    def {name}({params}):", f'        """{doc}"""', ""]
    lines += [
        "",
        "class np:",
        '    """The numpy functions a program may call (nothing else from numpy exists here).',
        "",
        "    Dtypes (np.<dtype>(x) makes a typed scalar, e.g. np.float32(0.5); x.astype(np.<dtype>)):",
        "      " + ", ".join(f"np.{n}" for n in TS.NP_DTYPE_NAMES),
        "    Constant: np.inf.",
        '    """',
        "",
    ]
    for name in _np_functions():
        if name in TS.NP_DTYPE_NAMES:
            continue
        params, doc = _NP_DOCS.get(name, ("*args", f"numpy's np.{name}."))
        lines += ["    @staticmethod", f"    def {name}({params}):", f'        """{doc}"""', ""]
    lines += [
        "",
        "# TensorSpec's own functions (called without np.):",
        "def strided(x, offset, shape, strides):",
        '    """Read-only view of a 1-D array: out[q0, q1, ...] = x[offset + q0*strides[0] + q1*strides[1] + ...];',
        "    strides count elements and rows may overlap, e.g. strided(cache, h*hs, (pos + 1, hs), (kv_dim, 1)).\"\"\"",
        "",
        "def round_away(x):",
        '    """Round floats to the nearest integer, halves away from zero (C round, math.round); np.rint rounds halves to even."""',
        "",
        "def diagonal(x):",
        '    """out[q] = x[q, q] of a square 2-D view; also an assignment target through a subscript:',
        '    diagonal(corr[0:n, 0:n])[0:n] = 1.0 writes the diagonal only; diagonal(a[0:n-1, 1:n]) is the superdiagonal."""',
        "",
        "def seq_max(x, initial=None):",
        '    """A 1-D float array\'s maximum as the loop `m = x[0]; for k: m = x[k] if x[k] > m else m` computes it (from',
        "    initial= if given): a NaN element is never taken and -0.0 vs +0.0 keeps the earlier one; np.max propagates NaN.\"\"\"",
        "",
        "def seq_min(x, initial=None):",
        '    """Like seq_max with `<`: the loop `m = x[k] if x[k] < m else m`."""',
    ]
    return "\n".join(lines).rstrip() + "\n"


# ---------------------------------------------------------------- rendering the loop nest

_ATOM, _MUL, _ADD, _LOW = 0, 1, 2, 3  # precedence of inline expressions: higher binds looser


def _wrap(x: tuple[str, int], level: int) -> str:
    text, prec = x
    return f"({text})" if prec > level else text


_INFIX: dict[str, tuple[str, int]] = {
    "addi": ("+", _ADD), "addf": ("+", _ADD), "subi": ("-", _ADD), "subf": ("-", _ADD),
    "muli": ("*", _MUL), "mulf": ("*", _MUL), "divf": ("/", _MUL),
    "andi": ("&", _LOW), "ori": ("|", _LOW), "xori": ("^", _LOW), "shli": ("<<", _LOW), "shrsi": (">>", _LOW),
}  # fmt: skip
_INDEX_INFIX = {"floordivsi": ("//", _MUL), "remsi": ("%", _MUL), "divsi": ("//", _MUL)}

# Helper functions of the pseudo-code; the ones a kernel uses are explained under it.
_HELPERS: dict[str, str] = {
    "divsi": "signed integer division rounding toward zero (C semantics)",
    "divui": "unsigned integer division",
    "remsi": "signed remainder with the sign of the dividend (C %, np.fmod)",
    "remui": "unsigned remainder",
    "floordivsi": "signed division rounding toward negative infinity (Python //)",
    "ceildivsi": "signed division rounding toward positive infinity",
    "ceildivui": "unsigned division rounding up",
    "shrui": "logical (unsigned) right shift",
    "maxsi": "signed maximum", "minsi": "signed minimum",
    "maxui": "unsigned maximum (operands read as unsigned)",
    "minui": "unsigned minimum (operands read as unsigned)",
    "maximumf": "float maximum, NaN if either is NaN (np.maximum)",
    "minimumf": "float minimum, NaN if either is NaN (np.minimum)",
    "maxnumf": "float maximum ignoring a NaN operand (np.fmax)",
    "minnumf": "float minimum ignoring a NaN operand (np.fmin)",
    "extsi": "sign-extend to the wider integer type",
    "extui": "zero-extend to the wider integer type (the source is read as unsigned)",
    "trunci": "keep the low bits (narrower integer type)",
    "sitofp": "signed integer to float", "uitofp": "unsigned integer to float",
    "fptosi": "float to signed integer, rounding toward zero",
    "fptoui": "float to unsigned integer, rounding toward zero",
    "extf": "widen a float", "truncf": "narrow a float (round to nearest even)",
    "index_cast": "integer <-> index, sign-extending", "index_castui": "integer <-> index, zero-extending",
    "bitcast": "reinterpret the bits as the other type",
    "ult": "unsigned a < b", "ule": "unsigned a <= b", "ugt": "unsigned a > b", "uge": "unsigned a >= b",
    "one": "ordered a != b (False if either is NaN)", "ueq": "a == b or either is NaN",
    "ugt_f": "a > b or either is NaN", "uge_f": "a >= b or either is NaN",
    "ult_f": "a < b or either is NaN", "ule_f": "a <= b or either is NaN",
    "ord": "neither is NaN", "uno": "either is NaN",
    "roundeven": "round to nearest, ties to even (np.rint)", "round": "round to nearest, ties away from zero",
    "trunc": "round toward zero", "rsqrt": "1 / sqrt(x)", "absi": "integer absolute value",
    "absf": "float absolute value", "powf": "a ** b", "fma": "a * b + c",
    "copysign": "magnitude of a with the sign of b", "ctpop": "number of set bits",
}  # fmt: skip

_CMPI = {0: "==", 1: "!=", 2: "<", 3: "<=", 4: ">", 5: ">=", 6: "ult", 7: "ule", 8: "ugt", 9: "uge"}
_CMPF = {
    0: "False", 1: "==", 2: ">", 3: ">=", 4: "<", 5: "<=", 6: "one", 7: "ord",
    8: "ueq", 9: "ugt_f", 10: "uge_f", 11: "ult_f", 12: "ule_f", 13: "!=", 14: "uno", 15: "True",
}  # fmt: skip


def type_name(t: Attribute) -> str:
    if isinstance(t, IndexType):
        return "index"
    if isinstance(t, MemRefType):
        dims = ", ".join("?" if s < 0 else str(s) for s in t.get_shape())
        return f"{type_name(t.element_type)}[{dims}]"
    return str(t)


class _Renderer:
    """Python-like pseudo-code of a func.func over scf/affine/memref/arith/math.

    Constants and index arithmetic are written inline (`A[i + 1, j]`); every other value gets a
    statement `t3 = ...  # f32` with its element type. Unknown ops are written as calls with
    their MLIR name, so the rendering never fails.
    """

    def __init__(self, fn: Operation, arg_names: Sequence[str]):
        self.fn = fn
        self.lines: list[str] = []
        self.inline: dict[SSAValue, tuple[str, int]] = {}
        self.used: set[str] = {*arg_names, "np", "range", "min", "max"}
        self.helpers: set[str] = set()
        self.counters: dict[str, int] = {}
        self.arg_names = list(arg_names)

    # -- names
    def fresh(self, prefix: str) -> str:
        while True:
            k = self.counters.get(prefix, 0)
            self.counters[prefix] = k + 1
            name = f"{prefix}{k}"
            if name not in self.used:
                self.used.add(name)
                return name

    def loop_var(self) -> str:
        for name in ("i", "j", "k", "l", "p", "q", "r", "s", "u", "v", "w"):
            if name not in self.used:
                self.used.add(name)
                return name
        return self.fresh("i")

    def name(self, v: SSAValue, name: str) -> str:
        self.inline[v] = (name, _ATOM)
        return name

    def val(self, v: SSAValue) -> tuple[str, int]:
        return self.inline.get(v, ("<?>", _ATOM))

    def text(self, v: SSAValue, level: int = _LOW) -> str:
        return _wrap(self.val(v), level)

    def emit(self, depth: int, line: str) -> None:
        self.lines.append("    " * depth + line)

    def assign(self, depth: int, op: Operation, rhs: str) -> None:
        if not op.results:
            self.emit(depth, rhs)
            return
        names = [self.name(r, self.fresh("t")) for r in op.results]
        types = ", ".join(type_name(r.type) for r in op.results)
        self.emit(depth, f"{', '.join(names)} = {rhs}  # {types}")

    # -- entry
    def run(self) -> str:
        block = self.fn.regions[0].blocks.first
        assert block is not None
        for arg, name in zip(block.args, self.arg_names, strict=True):
            self.name(arg, name)
        fname = self.fn.properties.get("sym_name")
        header = f"def {getattr(fname, 'data', 'kernel')}({', '.join(self.arg_names)}):"
        self.lines.append(header)
        self.block(block, 1)
        if len(self.lines) == 1:
            self.emit(1, "pass")
        return "\n".join(self.lines) + "\n"

    def block(self, block: Block, depth: int) -> list[SSAValue]:
        """Render a block's ops; returns the operands of its terminator (yield/return)."""
        for op in block.ops:
            if op.name in ("scf.yield", "affine.yield"):
                return list(op.operands)
            self.op(op, depth)
        return []

    # -- ops
    def op(self, op: Operation, depth: int) -> None:
        name = op.name
        dialect, _, short = name.partition(".")
        if name == "arith.constant":
            self.constant(op)
        elif name == "func.return":
            if op.operands:
                self.emit(depth, "return " + ", ".join(self.text(v) for v in op.operands))
        elif name in ("scf.for", "affine.for"):
            self.loop(op, depth)
        elif name == "scf.if":
            self.if_(op, depth)
        elif name in ("memref.load", "affine.load"):
            self.assign(depth, op, self.access(op, 0, 1))
        elif name in ("memref.store", "affine.store"):
            self.emit(depth, f"{self.access(op, 1, 2)} = {self.text(op.operands[0])}")
        elif name == "memref.dim":
            self.inline[op.results[0]] = (
                f"{self.text(op.operands[0], _ATOM)}.shape[{self.text(op.operands[1])}]",
                _ATOM,
            )
        elif name == "affine.apply":
            m = op.properties.get("map")
            assert isinstance(m, AffineMapAttr)
            self.inline[op.results[0]] = self.affine_results(m, list(op.operands))[0]
        elif name in ("affine.min", "affine.max"):
            m = op.properties.get("map")
            assert isinstance(m, AffineMapAttr)
            parts = [t for t, _ in self.affine_results(m, list(op.operands))]
            self.inline[op.results[0]] = (f"{short}({', '.join(parts)})", _ATOM)
        elif name in ("memref.alloc", "memref.alloca"):
            t = op.results[0].type
            dyn = iter(op.operands)
            dims = []
            if isinstance(t, MemRefType):
                dims = [self.text(next(dyn)) if s < 0 else str(s) for s in t.get_shape()]
                et = type_name(t.element_type)
            else:
                et = type_name(t)
            shape = f"({dims[0]},)" if len(dims) == 1 else f"({', '.join(dims)})"
            buf = self.name(op.results[0], self.fresh("buf"))
            self.emit(depth, f"{buf} = np.empty({shape}, {et})  # a local buffer, uninitialised")
        elif name == "memref.dealloc":
            return
        elif (
            dialect == "arith"
            and op.results
            and isinstance(op.results[0].type, IndexType)
            and self.index_op(op, short)
        ):
            return
        elif dialect in ("arith", "math"):
            self.assign(depth, op, self.scalar(op, short))
        else:
            args = ", ".join(self.text(v) for v in op.operands)
            self.assign(depth, op, f"{name}({args})")
            for region in op.regions:
                if region.blocks:
                    self.emit(depth, f"# ... a region of '{name}' (not shown)")

    def constant(self, op: Operation) -> None:
        v = op.properties.get("value")
        r = op.results[0]
        if isinstance(v, IntegerAttr):
            x = v.value.data
            if isinstance(r.type, IntegerType) and r.type.width.data == 1:
                self.inline[r] = ("True" if x & 1 else "False", _ATOM)
            else:
                self.inline[r] = (str(x), _ATOM if x >= 0 else _ADD)
        elif isinstance(v, FloatAttr):
            x = float(v.value.data)
            if math.isnan(x):
                self.inline[r] = ("np.nan", _ATOM)
            elif math.isinf(x):
                self.inline[r] = ("np.inf" if x > 0 else "-np.inf", _ATOM if x > 0 else _ADD)
            else:
                self.inline[r] = (repr(x), _ATOM if x >= 0 else _ADD)
        else:
            self.inline[r] = (f"constant({v})", _ATOM)

    def index_op(self, op: Operation, short: str) -> bool:
        """Index arithmetic, inline; False for an op better shown as a statement."""
        r = op.results[0]
        if short in ("index_cast", "index_castui"):
            self.inline[r] = (f"int({self.text(op.operands[0])})", _ATOM)
            return True
        if short in _INFIX and short not in ("andi", "ori", "xori", "shli", "shrsi"):
            sym, prec = _INFIX[short]
            a, b = op.operands
            self.inline[r] = (f"{self.text(a, prec)} {sym} {self.text(b, prec - 1)}", prec)
            return True
        if short in _INDEX_INFIX:
            sym, prec = _INDEX_INFIX[short]
            if short == "divsi":
                self.helpers.add("divsi")
                self.inline[r] = (
                    f"divsi({self.text(op.operands[0])}, {self.text(op.operands[1])})",
                    _ATOM,
                )
                return True
            a, b = op.operands
            self.inline[r] = (f"{self.text(a, prec)} {sym} {self.text(b, prec - 1)}", prec)
            return True
        if short in ("maxsi", "minsi"):
            self.inline[r] = (
                f"{short[:3]}({self.text(op.operands[0])}, {self.text(op.operands[1])})",
                _ATOM,
            )
            return True
        return False

    def scalar(self, op: Operation, short: str) -> str:
        args = [self.text(v) for v in op.operands]
        if short in _INFIX and len(op.operands) == 2:
            sym, prec = _INFIX[short]
            a, b = op.operands
            return f"{self.text(a, prec)} {sym} {self.text(b, prec - 1)}"
        if short == "negf":
            return f"-{self.text(op.operands[0], _ATOM)}"
        if short == "select":
            return f"{self.text(op.operands[1])} if {self.text(op.operands[0])} else {self.text(op.operands[2])}"
        if short in ("cmpi", "cmpf"):
            pred = op.properties.get("predicate")
            k = pred.value.data if isinstance(pred, IntegerAttr) else -1
            sym = (_CMPI if short == "cmpi" else _CMPF).get(k, f"predicate{k}")
            if sym in ("True", "False"):
                return sym
            a, b = op.operands
            if sym[0] in "<>=!":
                return f"{self.text(a, _ADD)} {sym} {self.text(b, _ADD)}"
            self.helpers.add(sym)
            return f"{sym.removesuffix('_f')}({self.text(a)}, {self.text(b)})"
        casts = ("extsi", "extui", "trunci", "sitofp", "uitofp", "fptosi", "fptoui", "extf", "truncf",
                 "index_cast", "index_castui", "bitcast")  # fmt: skip
        if short in casts:
            self.helpers.add(short)
            return f"{short}({args[0]}, {type_name(op.results[0].type)})"
        if short in _HELPERS:
            self.helpers.add(short)
        return f"{short}({', '.join(args)})"

    def access(self, op: Operation, buf: int, first: int) -> str:
        m = op.properties.get("map")
        operands = list(op.operands[first:])
        if isinstance(m, AffineMapAttr):
            idx = [t for t, _ in self.affine_results(m, operands)]
        else:
            idx = [self.text(v) for v in operands]
        return f"{self.text(op.operands[buf], _ATOM)}[{', '.join(idx)}]"

    def affine_results(self, m: AffineMapAttr, operands: list[SSAValue]) -> list[tuple[str, int]]:
        nd = m.data.num_dims
        vals = [self.val(v) for v in operands]
        return [_affine_expr(e, vals[:nd], vals[nd:]) for e in m.data.results]

    def bounds(self, op: Operation) -> tuple[str, str, str]:
        if op.name == "scf.for":
            lb, ub, step = (self.text(v) for v in op.operands[:3])
            return lb, ub, step
        lbm, ubm = op.properties.get("lowerBoundMap"), op.properties.get("upperBoundMap")
        assert isinstance(lbm, AffineMapAttr) and isinstance(ubm, AffineMapAttr)
        seg = op.properties.get("operandSegmentSizes")
        sizes = list(seg.get_values()) if seg is not None else [0, 0]  # type: ignore[attr-defined]
        lbs = self.affine_results(lbm, list(op.operands[: sizes[0]]))
        ubs = self.affine_results(ubm, list(op.operands[sizes[0] : sizes[0] + sizes[1]]))
        lb = lbs[0][0] if len(lbs) == 1 else f"max({', '.join(t for t, _ in lbs)})"
        ub = ubs[0][0] if len(ubs) == 1 else f"min({', '.join(t for t, _ in ubs)})"
        st = op.properties.get("step")
        return lb, ub, str(st.value.data) if isinstance(st, IntegerAttr) else "1"

    def loop(self, op: Operation, depth: int) -> None:
        lb, ub, step = self.bounds(op)
        inits = (
            list(op.operands[3:])
            if op.name == "scf.for"
            else list(op.operands[len(op.operands) - len(op.results) :])
        )
        body = op.regions[0].blocks.first
        assert body is not None
        accs = [self.fresh("acc") for _ in inits]
        for acc, init in zip(accs, inits, strict=True):
            self.emit(
                depth, f"{acc} = {self.text(init)}  # {type_name(init.type)}, carried by the loop"
            )
        iv = self.name(body.args[0], self.loop_var())
        for acc, arg in zip(accs, body.args[1:], strict=True):
            self.name(arg, acc)
        rng = f"range({lb}, {ub})" if step == "1" else f"range({lb}, {ub}, {step})"
        self.emit(depth, f"for {iv} in {rng}:")
        start = len(self.lines)
        yielded = self.block(body, depth + 1)
        for acc, y in zip(accs, yielded, strict=True):
            if self.text(y) != acc:
                self.emit(depth + 1, f"{acc} = {self.text(y)}")
        if len(self.lines) == start:
            self.emit(depth + 1, "pass")
        for acc, r in zip(accs, op.results, strict=True):
            self.name(r, acc)

    def if_(self, op: Operation, depth: int) -> None:
        outs = [self.fresh("t") for _ in op.results]
        self.emit(depth, f"if {self.text(op.operands[0])}:")
        for k, region in enumerate(op.regions):
            blk = region.blocks.first
            if blk is None:
                continue
            if k == 1:
                self.emit(depth, "else:")
            start = len(self.lines)
            yielded = self.block(blk, depth + 1)
            for out, y in zip(outs, yielded, strict=True):
                self.emit(depth + 1, f"{out} = {self.text(y)}  # {type_name(y.type)}")
            if len(self.lines) == start:
                self.emit(depth + 1, "pass")
        for out, r in zip(outs, op.results, strict=True):
            self.name(r, out)


def _affine_expr(
    e: AffineExpr, dims: list[tuple[str, int]], syms: list[tuple[str, int]]
) -> tuple[str, int]:
    if isinstance(e, AffineConstantExpr):
        return str(e.value), _ATOM if e.value >= 0 else _ADD
    if isinstance(e, AffineDimExpr):
        return dims[e.position] if e.position < len(dims) else (f"d{e.position}", _ATOM)
    if isinstance(e, AffineSymExpr):
        return syms[e.position] if e.position < len(syms) else (f"s{e.position}", _ATOM)
    if isinstance(e, AffineBinaryOpExpr):
        lhs = _affine_expr(e.lhs, dims, syms)
        rhs = _affine_expr(e.rhs, dims, syms)
        if e.kind == AffineBinaryOpKind.Add:
            if isinstance(e.rhs, AffineConstantExpr) and e.rhs.value < 0:
                return f"{_wrap(lhs, _ADD)} - {-e.rhs.value}", _ADD
            return f"{_wrap(lhs, _ADD)} + {_wrap(rhs, _ADD)}", _ADD
        if e.kind == AffineBinaryOpKind.Mul:
            if isinstance(e.rhs, AffineConstantExpr) and e.rhs.value == -1:
                return f"-{_wrap(lhs, _ATOM)}", _ADD
            return f"{_wrap(lhs, _MUL)} * {_wrap(rhs, _ATOM)}", _MUL
        if e.kind == AffineBinaryOpKind.Mod:
            return f"{_wrap(lhs, _MUL)} % {_wrap(rhs, _ATOM)}", _MUL
        if e.kind == AffineBinaryOpKind.FloorDiv:
            return f"{_wrap(lhs, _MUL)} // {_wrap(rhs, _ATOM)}", _MUL
        return f"ceildiv({lhs[0]}, {rhs[0]})", _ATOM
    return str(e), _ATOM


def render_function(fn: Operation, arg_names: Sequence[str]) -> tuple[str, list[str]]:
    """The pseudo-code of `fn` (arguments named `arg_names`) and the helper functions it uses,
    each explained in one line, sorted."""
    r = _Renderer(fn, arg_names)
    code = r.run()
    helpers = [
        f"{h.removesuffix('_f')}(...): {_HELPERS[h]}" for h in sorted(r.helpers) if h in _HELPERS
    ]
    return code, helpers


# ---------------------------------------------------------------- prompts

SYSTEM_PROMPT = """\
You translate loop nests into TensorSpec: straight-line numpy-like programs, checked by a verifier
that proves them equal to the loop nest (or finds a counterexample).

TensorSpec has exactly these operators (Python stubs; nothing else from Python or numpy exists):

```python
{operators}```

Rules of a program:
- Straight-line statements only, in this order:
  `t = expr` (a temporary), `buf[view] = expr` (write a region of an output buffer), and a final
  `return expr` (or `return e1, e2`) when the function returns values (scalars: reduce them).
- A view is slices / integer indices of the buffer, optionally through `.reshape(...)`, e.g.
  `out[0:n]`, `C[0:m, 0:n]`, `y[1:n:2]`, `w[0:m*n].reshape(m, n)[0:m, 0:k]`.
- Write exactly the elements the loop nest writes: one assignment per region, in the order the
  nest writes them; leave everything else untouched.
- Every read sees the arguments as they were when the function was called, even after an
  assignment to the same buffer (write in-place updates as `a[0:n] = a[0:n] * 2`).
- Only the listed operators, the kernel's argument names, your temporaries, literals and size
  expressions (size symbols like `n` or `A.shape[0]`, with + - *). No loops, comprehensions,
  conditional statements (use np.where), imports, lambdas, strings or other names.
- Types follow numpy: keep the kernel's dtypes (e.g. pass dtype= to np.sum so an i32 accumulator
  wraps like the loop's), and use .astype(np.uint8) etc. where the loop compares, divides or
  extends integers as unsigned.

Example. The loop nest
```python
def saxpy(a, x, y, n):
    for i in range(0, n):
        t0 = x[i]  # f32
        t1 = a * t0  # f32
        t2 = y[i]  # f32
        t3 = t1 + t2  # f32
        y[i] = t3
```
is the program
```python
y[0:n] = a * x[0:n] + y[0:n]
```

Answer with one ```python code block holding the program, and nothing after it.
"""


def _dtype_text(d: TS.ArgDecl) -> str:
    np_name = {v: k for k, v in TS.NP_DTYPE_NAMES.items()}[d.dtype.name]
    return f"np.{np_name}"


def describe_arguments(decls: Sequence[TS.ArgDecl], problem: Problem) -> list[str]:
    read = {a.name: a.read for a in problem.summary.args}
    lines: list[str] = []
    for d in decls:
        if d.is_size:
            lines.append(f"- {d.name}: a size (index), usable in slices and shapes")
        elif d.shape is None:
            lines.append(f"- {d.name}: a scalar of dtype {_dtype_text(d)}")
        else:
            shape = ", ".join(str(s) for s in d.shape)
            role = "written (an output)" if d.output else "read (an input)"
            if d.output and read.get(d.name):
                role = "read and written (reads see its values at entry)"
            unsigned = (
                " (read as unsigned by the loop)"
                if d.dtype.is_unsigned and d.dtype.name != "bool"
                else ""
            )
            lines.append(
                f"- {d.name}: {_dtype_text(d)}{unsigned} array of shape ({shape}{',' if len(d.shape) == 1 else ''}), {role}"
            )
    return lines


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit] + " [...]"


def build_messages(
    problem: Problem, feedback: Feedback, max_failures: int = 6
) -> list[dict[str, str]]:
    """The chat messages for one request: the same problem and feedback give the same messages."""
    names = [d.name for d in problem.decls]
    code, helpers = render_function(problem.fn, names)
    results = [type_name(t) for t in getattr(problem.fn.function_type, "outputs", ())]
    lines = [f"Kernel `{problem.name}`.", "", "Arguments:"]
    lines += describe_arguments(problem.decls, problem)
    lines.append(f"Returns: {', '.join(results) if results else 'nothing'}")
    sizes = sorted(
        {str(v) for d in problem.decls if d.shape is not None for s in d.shape for v in s.vars()}
        | {d.name for d in problem.decls if d.is_size}
    )
    if sizes:
        lines.append(f"Size symbols: {', '.join(sizes)} (all >= 0; loops may run zero times).")
    lines += [
        "",
        "The loop nest (Python-like pseudo-code of its MLIR; `# type` gives each value's type):",
        "```python",
        code.rstrip(),
        "```",
    ]
    if helpers:
        lines += ["Helper functions in the pseudo-code:"] + [f"- {h}" for h in helpers]
    failures = _distinct_failures(feedback, max_failures)
    if failures:
        lines += [
            "",
            "These programs were tried and failed; do not repeat them. Fix what the reasons say:",
        ]
        for k, (text, reason) in enumerate(failures, 1):
            lines += [
                "",
                f"Attempt {k}:",
                "```python",
                _clip(text.strip(), 1500),
                "```",
                f"Failed: {_clip(reason.strip(), 1000)}",
            ]
    lines += ["", "Write the TensorSpec program for this kernel."]
    system = SYSTEM_PROMPT.replace("{operators}", operator_reference())
    return [
        {"role": "system", "content": system},
        {"role": "user", "content": "\n".join(lines) + "\n"},
    ]


def _distinct_failures(feedback: Feedback, limit: int) -> list[tuple[str, str]]:
    """The latest `limit` failures, one per candidate text, oldest first."""
    if limit <= 0:
        return []
    seen: set[str] = set()
    out: list[tuple[str, str]] = []
    for text, reason in reversed(feedback.failures):
        if text in seen:
            continue
        seen.add(text)
        out.append((text, reason))
        if len(out) == limit:
            break
    return out[::-1]


# ---------------------------------------------------------------- the proposer

REJECTED = "the reply was rejected before verification: "


@dataclass
class _Stats:
    requests: int = 0  # client.request calls that returned (from the endpoint or the cache)
    samples: int = 0
    rejected: int = 0


class LLMProposer:
    """A Proposer backed by an LLMClient. See the module docstring.

    `calls` counts the HTTP requests this proposer made (retries included, cache hits not: what
    the budget's max_calls counts); `cache_hits` the answers served from the response cache.
    Each `propose` sends one request of `n` samples; when every sample was rejected (not a
    program, or already tried) it asks again, up to `requests_per_round` requests, each carrying
    the reasons. BudgetExhausted ends the LLM's turn: `propose` returns [] and the driver goes on
    with the next proposer (later requests are still tried: answers in the cache cost nothing).
    """

    name = "llm"

    def __init__(
        self,
        client: LLMClient,
        n: int = 4,
        temperature: float = 0.7,
        *,
        max_tokens: int | None = None,
        requests_per_round: int = 2,
        max_failures_shown: int = 6,
    ):
        if n < 1:
            raise LiftcompError(f"the LLM proposer needs n >= 1 samples per request, got {n}")
        self.client = client
        self.n = n
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.requests_per_round = max(1, requests_per_round)
        self.max_failures_shown = max_failures_shown
        self.calls = 0
        self.cache_hits = 0
        self.stats = _Stats()
        self.exhausted: str | None = None  # the BudgetExhausted message, once spent

    def propose(self, problem: Problem, feedback: Feedback) -> list[str]:
        tried = {text for text, _ in feedback.failures}
        policy = tensorspec_policy(problem.decls)
        for _ in range(self.requests_per_round):
            try:
                replies = self._ask(build_messages(problem, feedback, self.max_failures_shown))
            except BudgetExhausted as e:
                self.exhausted = e.message
                return []
            out: list[str] = []
            for reply in replies:
                text = self._parse(reply, policy, feedback)
                if text is None:
                    continue
                if text in tried or text in out:
                    continue
                out.append(text)
            if out:
                return out
        return []

    def why_not(self, problem: Problem) -> str:
        if self.exhausted is not None:
            return self.exhausted
        return "the model proposed no new program"

    def _ask(self, messages: list[dict[str, str]]) -> list[str]:
        usage = self.client.usage
        calls0, hits0 = usage.calls, usage.cache_hits
        try:
            completion = self.client.request(
                messages, n=self.n, temperature=self.temperature, max_tokens=self.max_tokens
            )
        finally:
            self.calls += usage.calls - calls0
            self.cache_hits += usage.cache_hits - hits0
        self.stats.requests += 1
        self.stats.samples += len(completion.texts)
        return completion.texts

    def _parse(self, reply: str, policy: ExpressionPolicy, feedback: Feedback) -> str | None:
        """The program of a reply as canonical text, or None (the reason goes to the feedback)."""
        try:
            module = extract_program(reply, policy)
        except RejectedCode as e:
            self.stats.rejected += 1
            feedback.failures.append((_clip(_shown_code(reply), 1500), REJECTED + e.reason))
            return None
        return ast.unparse(module)


def _shown_code(reply: str) -> str:
    """What to quote back to the model from a rejected reply: its code, else the reply."""
    try:
        code = extract_code(reply)  # text only: finds the fenced block, runs nothing
    except RejectedCode:
        code = reply.strip()
    # A fence inside would end the prompt's own fence early.
    return code.replace("```", "` ` `") or "(an empty reply)"


# ---------------------------------------------------------------- construction from options

HOW_TO_CONFIGURE = (
    "the LLM proposer needs a model and an endpoint: set LIFTCOMP_MODEL (or --llm-model) and "
    "OPENAI_API_KEY (OpenAI) or OPENAI_BASE_URL (a local OpenAI-compatible server such as vLLM, "
    "Ollama or llama.cpp), or replay recorded answers with --llm-cache replay; see docs/LLM.md "
    "(the default proposer, symbolic, needs none of this)"
)


def proposer_for_config(config: LLMConfig, n: int = 4, temperature: float = 0.7) -> LLMProposer:
    if not config.models or not config.endpoint_configured:
        missing = "no model" if not config.models else "no endpoint"
        raise LiftcompError(f"{missing} configured: {HOW_TO_CONFIGURE}")
    return LLMProposer(LLMClient(config), n=n, temperature=temperature)


def proposer_from_args(ns: argparse.Namespace) -> LLMProposer:
    """For `liftcomp lift --proposer llm`: the --llm-* flags over the environment and config file."""
    from liftcomp.llm.options import config_from_args

    n = getattr(ns, "llm_samples", None)
    temperature = getattr(ns, "llm_temperature", None)
    return proposer_for_config(
        config_from_args(ns),
        n if n is not None else 4,
        temperature if temperature is not None else 0.7,
    )


def proposer_from_environment(**overrides: Any) -> LLMProposer:
    """For the liftcomp-raise pass: config file and environment, then `overrides` (LLMConfig
    fields such as models=, cache_mode=, cache_dir=; None or "" values are ignored)."""
    config = load_config(**{k: v for k, v in overrides.items() if v not in (None, "")})
    return proposer_for_config(config)
