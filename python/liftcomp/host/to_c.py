"""Host IR (func / scf / arith / memref / math) to C, with one hook for a target's own ops.

A target's emitter (e.g. targets/gemmini/emit_c.py) passes `target_op`, which writes its ops
through the `FuncEmitter` (`line`, `n`), and puts its own includes before `HOST_INCLUDES` and
`HELPERS`. Each memref argument becomes a pointer to its element type, followed by one
`int64_t <name>_d<i>` parameter per dynamic dimension; `emit_harness` writes a `main` that runs
one function on argument files (for checks that build the C).

Integer arithmetic goes through unsigned types so wrap-around is defined, as in MLIR's arith.
"""

from __future__ import annotations

from collections.abc import Callable

from xdsl.dialects import arith, func, memref, scf
from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
)
from xdsl.ir import Attribute, Block, Operation, SSAValue

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.ir.builder import const_int

HOST_INCLUDES = """\
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
"""

HELPERS = """\
/* arith.maximumf / minimumf: NaN if either operand is NaN, and -0 < +0. */
static inline float lc_maximumf(float a, float b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline float lc_minimumf(float a, float b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
static inline double lc_maximum(double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a == b) return signbit(a) ? b : a;
  return a > b ? a : b;
}
static inline double lc_minimum(double a, double b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a == b) return signbit(a) ? a : b;
  return a < b ? a : b;
}
"""


def c_type(t: Attribute) -> str:
    if isinstance(t, IndexType):
        return "int64_t"
    if isinstance(t, IntegerType):
        w = t.width.data
        if w == 1:
            return "bool"
        if w in (8, 16, 32, 64):
            return f"int{w}_t"
    if isinstance(t, Float32Type):
        return "float"
    if isinstance(t, Float64Type):
        return "double"
    raise LiftcompError(f"no C type for {t}")


def _utype(t: Attribute) -> str:
    ct = c_type(t)
    if ct == "bool":
        return "bool"
    return "u" + ct if ct.startswith("int") else ct


# A target's hook for its own ops: emit `op` at `depth` through the emitter (its `line` and `n`),
# return False for an op it does not know.
TargetOpHook = Callable[["FuncEmitter", Operation, int], bool]


def emit_functions(module: ModuleOp, target_op: TargetOpHook | None = None) -> list[str]:
    """C for every function of `module` (host scf/arith/memref/math code, and the target's ops
    through `target_op`)."""
    return [FuncEmitter(op, target_op).emit() for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]


def c_signature_args(fn: func.FuncOp) -> list[tuple[str, str]]:
    """(C type, C name) of every parameter, in order (memref pointers, then their dynamic dims)."""
    out: list[tuple[str, str]] = []
    for i, a in enumerate(fn.body.block.args):
        name = f"arg{i}"
        t = a.type
        if isinstance(t, MemRefType):
            out.append((c_type(t.element_type) + " *", name))
            for d, s in enumerate(t.shape.data):
                if s.data < 0:
                    out.append(("int64_t", f"{name}_d{d}"))
        else:
            out.append((c_type(t), name))
    return out


class FuncEmitter:
    """One function as C; ops the host part does not know go to the target's hook."""

    def __init__(self, fn: func.FuncOp, target_op: TargetOpHook | None = None):
        self.fn = fn
        self.target_op = target_op
        self.names: dict[SSAValue, str] = {}
        self.dims: dict[SSAValue, list[str]] = {}
        self.lines: list[str] = []
        self.allocs: list[str] = []
        self.counter = 0

    def _new(self, v: SSAValue) -> str:
        n = f"v{self.counter}"
        self.counter += 1
        self.names[v] = n
        return n

    def n(self, v: SSAValue) -> str:
        return self.names[v]

    def emit(self) -> str:
        fn = self.fn
        params = []
        for i, a in enumerate(fn.body.block.args):
            name = f"arg{i}"
            self.names[a] = name
            t = a.type
            if isinstance(t, MemRefType):
                params.append(f"{c_type(t.element_type)} *restrict {name}")
                dims = []
                for d, s in enumerate(t.shape.data):
                    if s.data < 0:
                        params.append(f"int64_t {name}_d{d}")
                        dims.append(f"{name}_d{d}")
                    else:
                        dims.append(str(s.data))
                self.dims[a] = dims
            else:
                params.append(f"{c_type(t)} {name}")
        results = fn.function_type.outputs.data
        if len(results) > 1:
            raise LiftcompError("functions with several results are not emitted", op_location(fn))
        ret = c_type(results[0]) if results else "void"
        self._block(fn.body.block, 1)
        body = "\n".join(self.lines)
        return f"{ret} {fn.sym_name.data}({', '.join(params) or 'void'}) {{\n{body}\n}}\n"

    def line(self, depth: int, text: str) -> None:
        self.lines.append("  " * depth + text)

    def _block(self, block: Block, depth: int) -> None:
        for op in block.ops:
            self._op(op, depth)

    def _flat_index(self, mem: SSAValue, indices: list[SSAValue]) -> str:
        dims = self.dims[mem]
        expr = ""
        for i, idx in enumerate(indices):
            expr = self.n(idx) if i == 0 else f"({expr}) * {dims[i]} + {self.n(idx)}"
        return expr or "0"

    def _op(self, op: Operation, d: int) -> None:  # noqa: C901 (one dispatch)
        if isinstance(op, arith.ConstantOp):
            v = op.value
            t = op.result.type
            if isinstance(v, IntegerAttr):
                lit = f"INT64_C({v.value.data})" if c_type(t) == "int64_t" else str(v.value.data)
                if c_type(t) == "bool":
                    lit = "true" if v.value.data & 1 else "false"
            elif isinstance(v, FloatAttr):
                lit = float_literal(float(v.value.data), isinstance(t, Float32Type))
            else:
                raise LiftcompError(f"cannot emit constant {v}", op_location(op))
            self.line(d, f"const {c_type(t)} {self._new(op.result)} = {lit};")
            return
        binop = _BINOPS.get(type(op))
        if binop is not None:
            a, b = (self.n(x) for x in op.operands)
            r = op.results[0]
            t = r.type
            ct = c_type(t)
            if isinstance(t, (IntegerType, IndexType)) and binop in ("+", "-", "*", "<<"):
                ut = _utype(t)
                expr = f"({ct})(({ut}){a} {binop} ({ut}){b})"
            elif binop in ("/u", "%u", ">>u"):
                ut = _utype(t)
                expr = f"({ct})(({ut}){a} {binop[:-1]} ({ut}){b})"
            elif binop == "min":
                expr = f"({a} < {b} ? {a} : {b})"
            elif binop == "max":
                expr = f"({a} > {b} ? {a} : {b})"
            elif binop == "minu":
                ut = _utype(t)
                expr = f"(({ut}){a} < ({ut}){b} ? {a} : {b})"
            elif binop == "maxu":
                ut = _utype(t)
                expr = f"(({ut}){a} > ({ut}){b} ? {a} : {b})"
            elif binop == "ceildiv":
                expr = f"(({a}) / ({b}) + ((({a}) % ({b}) != 0) && ((({a}) < 0) == (({b}) < 0))))"
            elif binop == "floordiv":
                expr = f"(({a}) / ({b}) - ((({a}) % ({b}) != 0) && ((({a}) < 0) != (({b}) < 0))))"
            else:
                expr = f"({ct})({a} {binop} {b})"
            self.line(d, f"{ct} {self._new(r)} = {expr};")
            return
        if self._float_op(op, d):
            return
        if isinstance(op, arith.CmpiOp):
            pred = op.predicate.value.data
            sym, unsigned = _CMPI[pred]
            a, b = self.n(op.lhs), self.n(op.rhs)
            if unsigned:
                ut = _utype(op.lhs.type)
                a, b = f"({ut}){a}", f"({ut}){b}"
            self.line(d, f"bool {self._new(op.result)} = {a} {sym} {b};")
            return
        if isinstance(op, arith.CmpfOp):
            expr = _CMPF[op.predicate.value.data].format(a=self.n(op.lhs), b=self.n(op.rhs))
            self.line(d, f"bool {self._new(op.result)} = {expr};")
            return
        if isinstance(op, arith.SelectOp):
            ct = c_type(op.result.type)
            self.line(d, f"{ct} {self._new(op.result)} = {self.n(op.cond)} ? {self.n(op.lhs)} : {self.n(op.rhs)};")
            return
        if isinstance(op, (arith.ExtSIOp, arith.IndexCastOp, arith.TruncIOp)) or op.name == "arith.trunci":
            r = op.results[0]
            self.line(d, f"{c_type(r.type)} {self._new(r)} = ({c_type(r.type)}){self.n(op.operands[0])};")
            return
        if isinstance(op, arith.ExtUIOp) or op.name == "arith.index_castui":
            r = op.results[0]
            src_t = _utype(op.operands[0].type)
            self.line(d, f"{c_type(r.type)} {self._new(r)} = ({c_type(r.type)})({src_t}){self.n(op.operands[0])};")
            return
        if isinstance(op, scf.ForOp):
            self._for(op, d)
            return
        if isinstance(op, scf.IfOp):
            self._if(op, d)
            return
        if isinstance(op, scf.YieldOp):
            return  # handled by the parent
        if isinstance(op, memref.LoadOp):
            ct = c_type(op.res.type)
            self.line(d, f"{ct} {self._new(op.res)} = {self.n(op.memref)}[{self._flat_index(op.memref, list(op.indices))}];")
            return
        if isinstance(op, memref.StoreOp):
            self.line(d, f"{self.n(op.memref)}[{self._flat_index(op.memref, list(op.indices))}] = {self.n(op.value)};")
            return
        if isinstance(op, memref.DimOp):
            idx = const_int(op.index)
            if idx is None:
                raise LiftcompError("memref.dim with a non-constant index", op_location(op))
            self.line(d, f"int64_t {self._new(op.result)} = {self.dims[op.source][idx]};")
            return
        if isinstance(op, (memref.AllocOp, memref.AllocaOp)):
            t = op.results[0].type
            assert isinstance(t, MemRefType)
            shape = [s.data for s in t.shape.data]
            ct = c_type(t.element_type)
            dyn = iter(op.operands)
            dims = [str(s) if s >= 0 else self.n(next(dyn)) for s in shape]
            name = self._new(op.results[0])
            count = " * ".join(f"(size_t){x}" for x in dims) or "1"
            self.dims[op.results[0]] = dims
            self.line(d, f"{ct} *{name} = ({ct} *)calloc({count}, sizeof({ct}));")
            self.allocs.append(name)
            return
        if isinstance(op, memref.CopyOp):
            src, dst = op.source, op.destination
            count = " * ".join(f"(size_t){d}" for d in self.dims[dst]) or "1"
            et = dst.type.element_type  # type: ignore[union-attr]
            self.line(d, f"memcpy({self.n(dst)}, {self.n(src)}, {count} * sizeof({c_type(et)}));")
            return
        if isinstance(op, memref.DeallocOp):
            return
        if isinstance(op, func.ReturnOp):
            for a in self.allocs:
                self.line(d, f"free({a});")
            if op.operands:
                self.line(d, f"return {self.n(op.operands[0])};")
            else:
                self.line(d, "return;")
            return
        if self.target_op is not None and self.target_op(self, op, d):
            return
        raise LiftcompError(f"the C emitter does not handle '{op.name}'", op_location(op))

    def _float_op(self, op: Operation, d: int) -> bool:
        """Float conversions, rounding and min/max (host epilogues); False if `op` is none of them."""
        name = op.name
        if not op.results:
            return False
        r = op.results[0]
        ct = c_type(r.type) if isinstance(r.type, (IntegerType, IndexType, Float32Type, Float64Type)) else ""
        f32 = isinstance(r.type, Float32Type)
        args = [self.n(x) for x in op.operands]
        expr = None
        if name in _FLOAT_CALLS:
            fn = _FLOAT_CALLS[name] + ("f" if f32 else "")
            expr = f"{fn}({args[0]})"
        elif name in ("arith.maximumf", "arith.minimumf"):
            fn = {"arith.maximumf": "lc_maximum", "arith.minimumf": "lc_minimum"}[name] + ("f" if f32 else "")
            expr = f"{fn}({args[0]}, {args[1]})"
        elif name in ("arith.maxnumf", "arith.minnumf"):
            fn = {"arith.maxnumf": "fmax", "arith.minnumf": "fmin"}[name] + ("f" if f32 else "")
            expr = f"{fn}({args[0]}, {args[1]})"
        elif name == "arith.negf":
            expr = f"-{args[0]}"
        elif name in ("arith.sitofp", "arith.extf", "arith.truncf", "arith.fptosi"):
            expr = f"({ct}){args[0]}"
        elif name == "arith.uitofp":
            expr = f"({ct})({_utype(op.operands[0].type)}){args[0]}"
        elif name == "arith.fptoui":
            expr = f"({ct})({_utype(r.type)}){args[0]}"
        if expr is None:
            return False
        self.line(d, f"{ct} {self._new(r)} = {expr};")
        return True

    def _for(self, op: scf.ForOp, d: int) -> None:
        body = op.body.block
        iv = body.args[0]
        iv_name = self._new(iv)
        carried = list(body.args[1:])
        results = [self._new(r) for r in op.results]
        for r, init in zip(op.results, op.iter_args, strict=True):
            self.line(d, f"{c_type(r.type)} {self.names[r]} = {self.n(init)};")
        for a, r in zip(carried, op.results, strict=True):
            self.names[a] = self.names[r]
        self.line(d, f"for (int64_t {iv_name} = {self.n(op.lb)}; {iv_name} < {self.n(op.ub)}; {iv_name} += {self.n(op.step)}) {{")
        self._block(body, d + 1)
        y = body.last_op
        if isinstance(y, scf.YieldOp) and y.operands:
            tmps = []
            for v in y.operands:
                tmp = f"t{self.counter}"
                self.counter += 1
                tmps.append(tmp)
                self.line(d + 1, f"{c_type(v.type)} {tmp} = {self.n(v)};")
            for name, tmp in zip(results, tmps, strict=True):
                self.line(d + 1, f"{name} = {tmp};")
        self.line(d, "}")

    def _if(self, op: scf.IfOp, d: int) -> None:
        results = [self._new(r) for r in op.results]
        for r in op.results:
            self.line(d, f"{c_type(r.type)} {self.names[r]};")
        self.line(d, f"if ({self.n(op.cond)}) {{")
        self._branch(op.true_region.block, results, d + 1)
        if op.false_region.blocks:
            self.line(d, "} else {")
            self._branch(op.false_region.block, results, d + 1)
        self.line(d, "}")

    def _branch(self, block: Block, results: list[str], d: int) -> None:
        self._block(block, d)
        y = block.last_op
        if isinstance(y, scf.YieldOp):
            for name, v in zip(results, y.operands, strict=True):
                self.line(d, f"{name} = {self.n(v)};")


_BINOPS: dict[type[Operation], str] = {
    arith.AddiOp: "+",
    arith.SubiOp: "-",
    arith.MuliOp: "*",
    arith.DivSIOp: "/",
    arith.RemSIOp: "%",
    arith.DivUIOp: "/u",
    arith.RemUIOp: "%u",
    arith.MinSIOp: "min",
    arith.MaxSIOp: "max",
    arith.MinUIOp: "minu",
    arith.MaxUIOp: "maxu",
    arith.AndIOp: "&",
    arith.OrIOp: "|",
    arith.XOrIOp: "^",
    arith.ShLIOp: "<<",
    arith.ShRSIOp: ">>",
    arith.ShRUIOp: ">>u",
    arith.CeilDivSIOp: "ceildiv",
    arith.FloorDivSIOp: "floordiv",
    arith.AddfOp: "+",
    arith.SubfOp: "-",
    arith.MulfOp: "*",
    arith.DivfOp: "/",
}
_FLOAT_CALLS = {"math.roundeven": "nearbyint", "math.round": "round", "math.floor": "floor", "math.ceil": "ceil",
                "math.trunc": "trunc", "math.absf": "fabs", "math.exp": "exp", "math.exp2": "exp2", "math.log": "log",
                "math.log2": "log2", "math.log10": "log10", "math.sqrt": "sqrt", "math.tanh": "tanh",
                "math.sin": "sin", "math.cos": "cos"}
# arith.cmpf predicates as C: ordered comparisons are false on NaN, unordered ones true (C's != is une).
_CMPF = {0: "false", 1: "{a} == {b}", 2: "{a} > {b}", 3: "{a} >= {b}", 4: "{a} < {b}", 5: "{a} <= {b}",
         6: "({a} < {b} || {a} > {b})", 7: "!(isnan({a}) || isnan({b}))", 8: "!({a} < {b} || {a} > {b})",
         9: "!({a} <= {b})", 10: "!({a} < {b})", 11: "!({a} >= {b})", 12: "!({a} > {b})", 13: "{a} != {b}",
         14: "(isnan({a}) || isnan({b}))", 15: "true"}


def float_literal(value: float, f32: bool) -> str:
    """An exact C literal (hexadecimal floating constant) for `value`."""
    if value != value:
        return "NAN" if f32 else "(double)NAN"
    if value in (float("inf"), float("-inf")):
        lit = "INFINITY" if value > 0 else "-INFINITY"
        return lit if f32 else f"(double){lit}"
    return float(value).hex() + ("f" if f32 else "")


_CMPI = {
    0: ("==", False), 1: ("!=", False), 2: ("<", False), 3: ("<=", False), 4: (">", False), 5: (">=", False),
    6: ("<", True), 7: ("<=", True), 8: (">", True), 9: (">=", True),
}


def emit_harness(fn: func.FuncOp, shapes: list[tuple[int, ...] | None], scalars: list[int | float | None]) -> str:
    """A `main` that runs `fn` once: memref argument i is read from `arg<i>.bin` (raw, row-major)
    in the working directory and written back to `arg<i>.out` after the call. `shapes[i]` gives
    the concrete shape of memref argument i (for its dynamic dims), `scalars[i]` scalar values."""
    lines = ["#include <stdio.h>", "#include <stdint.h>", "#include <stdlib.h>", "#include <stdbool.h>", ""]
    params = ", ".join(f"{t}{'' if t.endswith('*') else ' '}{n}" for t, n in c_signature_args(fn))
    ret_t = fn.function_type.outputs.data
    lines.append(f"{c_type(ret_t[0]) if ret_t else 'void'} {fn.sym_name.data}({params or 'void'});")
    lines.append("static void *rd(const char *p, size_t n) {")
    lines.append("  void *d = malloc(n ? n : 1); FILE *f = fopen(p, \"rb\"); if (!f || fread(d, 1, n, f) != n) abort();")
    lines.append("  fclose(f); return d; }")
    lines.append("static void wr(const char *p, const void *d, size_t n) {")
    lines.append("  FILE *f = fopen(p, \"wb\"); if (!f || fwrite(d, 1, n, f) != n) abort(); fclose(f); }")
    lines.append("int main(void) {")
    call_args: list[str] = []
    writes: list[str] = []
    for i, a in enumerate(fn.body.block.args):
        t = a.type
        if isinstance(t, MemRefType):
            shape = shapes[i]
            assert shape is not None
            ct = c_type(t.element_type)
            count = 1
            for s in shape:
                count *= s
            lines.append(f"  {ct} *a{i} = ({ct} *)rd(\"arg{i}.bin\", {count} * sizeof({ct}));")
            call_args.append(f"a{i}")
            for d, s in enumerate(t.shape.data):
                if s.data < 0:
                    call_args.append(f"INT64_C({shape[d]})")
            writes.append(f"  wr(\"arg{i}.out\", a{i}, {count} * sizeof({ct}));")
        else:
            v = scalars[i]
            if isinstance(t, (Float32Type, Float64Type)):
                call_args.append(float_literal(float(v), isinstance(t, Float32Type)))  # type: ignore[arg-type]
            else:
                call_args.append(str(int(v)))  # type: ignore[arg-type]
    lines.append(f"  {fn.sym_name.data}({', '.join(call_args)});")
    lines.extend(writes)
    lines.append("  return 0;")
    lines.append("}")
    return "\n".join(lines) + "\n"
