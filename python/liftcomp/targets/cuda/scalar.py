"""Scalar bodies of linalg generics: the map functions (`@<kernel>.map`) and their C expressions,
the combiner of a reduction, and the element type names the CUDA kernels use. Shared by the op-by-op
lowering (lowering.py) and the row-kernel fusion (rowfuse.py)."""

from __future__ import annotations

from xdsl.dialects import arith, func
from xdsl.dialects.builtin import (
    BFloat16Type,
    Float16Type,
    Float32Type,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    IntegerType,
)
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue

from liftcomp.targets.cuda.spec import DTYPES


def type_name(t: Attribute) -> str | None:
    if isinstance(t, BFloat16Type):
        return "bf16"
    if isinstance(t, Float16Type):
        return "f16"
    if isinstance(t, Float32Type):
        return "f32"
    if isinstance(t, Float64Type):
        return "f64"
    if isinstance(t, IntegerType) and t.width.data in (8, 32, 64):
        return f"i{t.width.data}"
    return None


class Unsupported(Exception):
    """What the CUDA lowering cannot express; the op stays host code with a remark."""


# ---------------------------------------------------------------- scalar bodies -> map functions + C


_C_BIN = {"arith.addf": "+", "arith.subf": "-", "arith.mulf": "*", "arith.divf": "/", "arith.addi": "+",
          "arith.subi": "-", "arith.muli": "*", "arith.andi": "&", "arith.ori": "|", "arith.xori": "^"}
# maximumf / minimumf (IEEE 754-2019 maximum / minimum: NaN if either is NaN, -0.0 < +0.0) need the
# exact helpers of C_HELPERS; maxnumf / minnumf are fmaxf / fminf (IEEE maxNum: a NaN operand is
# dropped, the sign of a tied zero unspecified).
_C_FN = {"arith.maximumf": "lc_maximumf", "arith.minimumf": "lc_minimumf", "arith.maxnumf": "fmaxf",
         "arith.minnumf": "fminf",
         "math.exp": "expf", "math.log": "logf", "math.sqrt": "sqrtf", "math.tanh": "tanhf", "math.absf": "fabsf",
         "math.rsqrt": "rsqrtf", "math.sin": "sinf", "math.cos": "cosf", "math.floor": "floorf", "math.ceil": "ceilf",
         "math.roundeven": "rintf", "math.trunc": "truncf",
         "arith.maxsi": "max", "arith.minsi": "min", "arith.negf": "-"}
# maximumf / minimumf whose op says neither NaN nor the sign of a zero matters: the fast instruction
_C_FN_FAST = {"arith.maximumf": "fmaxf", "arith.minimumf": "fminf"}
# arith.cmpf predicates (0 false, 1 oeq, ..., 7 ord, 8 ueq, ..., 14 uno, 15 true) as C over a and b:
# C's <, <=, >, >=, == are false on NaN (ordered); != is true on NaN (une); the others are built
# from them.
_CMPF = {0: "false", 1: "({a} == {b})", 2: "({a} > {b})", 3: "({a} >= {b})", 4: "({a} < {b})", 5: "({a} <= {b})",
         6: "({a} < {b} || {a} > {b})", 7: "({a} == {a} && {b} == {b})", 8: "!({a} < {b} || {a} > {b})",
         9: "!({a} <= {b})", 10: "!({a} < {b})", 11: "!({a} >= {b})", 12: "!({a} > {b})", 13: "({a} != {b})",
         14: "({a} != {a} || {b} != {b})", 15: "true"}
_CMPI = {0: "==", 1: "!=", 2: "<", 3: "<=", 4: ">", 5: ">="}
_CMPI_UNSIGNED = {6: "<", 7: "<=", 8: ">", 9: ">="}  # ult ule ugt uge: compared as unsigned of the width

# Exact device (and host: tests run them) helpers of the emitted scalar code, in every kernel's prelude.
C_HELPERS = """\
template <class F, class U> __host__ __device__ __forceinline__ U lc_bits(F x) { U u; memcpy(&u, &x, sizeof u); return u; }
template <class F, class U> __host__ __device__ __forceinline__ F lc_from_bits(U u) { F x; memcpy(&x, &u, sizeof x); return x; }
// IEEE 754-2019 maximum / minimum (arith.maximumf / minimumf): NaN if either operand is NaN;
// -0.0 < +0.0 (equal operands: the bits ANDed for max, ORed for min, which only differ on zeros)
#define LC_MINMAX(F, U) \\
__host__ __device__ __forceinline__ F lc_maximumf(F a, F b) { \\
  if (a != a || b != b) return a + b; \\
  if (a == b) return lc_from_bits<F, U>(lc_bits<F, U>(a) & lc_bits<F, U>(b)); \\
  return a > b ? a : b; } \\
__host__ __device__ __forceinline__ F lc_minimumf(F a, F b) { \\
  if (a != a || b != b) return a + b; \\
  if (a == b) return lc_from_bits<F, U>(lc_bits<F, U>(a) | lc_bits<F, U>(b)); \\
  return a < b ? a : b; }
LC_MINMAX(float, uint32_t)
LC_MINMAX(double, uint64_t)
#undef LC_MINMAX
"""


def _no_nan_nsz(op: Operation) -> bool:
    """The op's fastmath flags say NaN and the sign of zero do not matter (nnan and nsz, or fast)."""
    fm = op.properties.get("fastmath") or op.attributes.get("fastmath")
    flags = {str(f.value) for f in getattr(fm, "data", ())}
    return {"nnan", "nsz"} <= flags


def _c_cmpi(op: Operation, a: list[str]) -> str:
    pred = op.predicate.value.data  # type: ignore[attr-defined]
    if pred in _CMPI:
        return f"({a[0]} {_CMPI[pred]} {a[1]})"
    t = op.operands[0].type
    if pred not in _CMPI_UNSIGNED or not isinstance(t, IntegerType) or t.width.data not in (8, 16, 32, 64):
        raise Unsupported(f"no CUDA form for arith.cmpi predicate {pred} on {t}")
    u = f"uint{t.width.data}_t"
    return f"(({u}){a[0]} {_CMPI_UNSIGNED[pred]} ({u}){a[1]})"


def c_expr(mp: func.FuncOp) -> str:
    """The C expression of a map function: arguments x0.. (inputs) then s0.. (scalars)."""
    block = mp.body.block
    n_in = int(mp.attributes["cuda.inputs"].value.data)  # type: ignore[union-attr]
    env: dict[SSAValue, str] = {}
    for i, a in enumerate(block.args):
        ct = DTYPES.get(type_name(a.type) or "f32", ("float", 4))[0]
        env[a] = f"lc_to_f(x{i})" if i < n_in and ct in ("__nv_bfloat16", "__half") else (
            f"x{i}" if i < n_in else f"(({ct})s{i - n_in})")
    for op in block.ops:
        if isinstance(op, func.ReturnOp):
            return env[op.arguments[0]]
        a = [env[v] for v in op.operands]
        n = op.name
        ct = DTYPES.get(type_name(op.results[0].type) or "f32", ("float", 4))[0] if op.results else "float"
        ct = "float" if ct in ("__nv_bfloat16", "__half") else ct
        if isinstance(op, arith.ConstantOp):
            v = op.value
            val = repr(float(v.value.data)) + "f" if isinstance(v, FloatAttr) else str(v.value.data)  # type: ignore[union-attr]
            env[op.result] = f"(({ct}){val})"
        elif n in _C_BIN:
            env[op.results[0]] = f"(({ct})({a[0]} {_C_BIN[n]} {a[1]}))"
        elif n == "arith.negf":
            env[op.results[0]] = f"(-{a[0]})"
        elif n in _C_FN:
            fn = _C_FN_FAST[n] if n in _C_FN_FAST and _no_nan_nsz(op) else _C_FN[n]
            env[op.results[0]] = f"{fn}({', '.join(a)})"
        elif n == "arith.cmpf":
            pred = op.predicate.value.data  # type: ignore[attr-defined]
            if pred not in _CMPF:
                raise Unsupported(f"no CUDA form for arith.cmpf predicate {pred}")
            env[op.results[0]] = "(" + _CMPF[pred].format(a=a[0], b=a[1]) + ")"
        elif n == "arith.cmpi":
            env[op.results[0]] = _c_cmpi(op, a)
        elif n == "arith.select":
            env[op.results[0]] = f"({a[0]} ? {a[1]} : {a[2]})"
        elif n in ("arith.extf", "arith.truncf", "arith.sitofp", "arith.fptosi", "arith.extsi", "arith.trunci"):
            env[op.results[0]] = f"(({ct}){a[0]})"
        else:
            raise Unsupported(f"no CUDA form for '{n}' in an elementwise body")
    raise Unsupported("map function without func.return")


_MAP_OPS = set(_C_BIN) | set(_C_FN) | {"arith.constant", "arith.cmpf", "arith.cmpi", "arith.select", "arith.extf",
                                       "arith.truncf", "arith.sitofp", "arith.fptosi", "arith.extsi", "arith.trunci"}


def build_map(block: Block, inputs: list[SSAValue], result: SSAValue,
              extra: dict[SSAValue, SSAValue] | None = None) -> tuple[func.FuncOp, list[SSAValue]]:
    """A private function computing `result` from the generic body's `inputs` block args (the
    kernel's map, renamed `@<kernel>.map` by build_kernel); values from outside the body become
    scalar arguments (returned, in order)."""
    order: list[Operation] = []
    seen: set[Operation] = set()
    outside: list[SSAValue] = []

    def visit(v: SSAValue) -> None:
        if v in inputs or (extra and v in extra):
            return
        owner = v.owner
        if isinstance(owner, Operation) and (owner.parent_block() is block or isinstance(owner, arith.ConstantOp)):
            if owner in seen:
                return
            if owner.name not in _MAP_OPS:
                raise Unsupported(f"'{owner.name}' in an elementwise body")
            for o in owner.operands:
                visit(o)
            seen.add(owner)
            order.append(owner)
            return
        if isinstance(owner, Block) and owner is block:
            raise Unsupported("the body reads its output (an accumulation in place)")
        if v not in outside:
            outside.append(v)

    visit(result)
    arg_types = [v.type for v in inputs] + [v.type for v in outside]
    new_block = Block(arg_types=arg_types)
    vmap: dict[SSAValue, SSAValue] = {}
    for old, new in zip([*inputs, *outside], new_block.args, strict=True):
        vmap[old] = new
    if extra:
        vmap.update(extra)
    for op in order:
        c = op.clone(value_mapper=vmap)  # type: ignore[arg-type]
        new_block.add_op(c)
    out = vmap.get(result, result)
    new_block.add_op(func.ReturnOp(out))
    mp = func.FuncOp.from_region("map", arg_types, [out.type], Region(new_block), visibility="private")
    mp.attributes["cuda.inputs"] = IntegerAttr(len(inputs), 64)
    return mp, outside


_CMP_DIR = {"ogt": "max", "oge": "max", "ugt": "max", "uge": "max", "sgt": "max", "sge": "max",
            "olt": "min", "ole": "min", "ult": "min", "ule": "min", "slt": "min", "sle": "min"}
# arith.cmpf's predicate numbers: oeq 1, ogt 2, ..., ugt 9, ...; arith.cmpi's: slt 2, sle 3, sgt 4, sge 5
_CMPF_NAMES = {2: "ogt", 3: "oge", 4: "olt", 5: "ole", 9: "ugt", 10: "uge", 11: "ult", 12: "ule"}
_CMPI_NAMES = {2: "slt", 3: "sle", 4: "sgt", 5: "sge"}

# What a reduction's combiner computes, which each emitter must keep (NaN and signed zeros included):
#   sum;
#   max / min: IEEE maximum / minimum (arith.maximumf / minimumf: NaN wins, -0.0 < +0.0; exact in any
#     order) or an integer max / min;
#   maxnum / minnum: arith.maxnumf / minnumf (a NaN operand is dropped; a tied zero's sign is
#     unspecified), and maximumf / minimumf / select folds whose ops say nnan and nsz (fmaxf / fminf);
#   selmax / selmin: a float select fold that keeps the accumulator when a compare meets a NaN
#     (select(x ogt out, x, out) and its equivalents): a NaN element is skipped, a NaN start stays;
#     `b > a ? b : a` / `b < a ? b : a`.
COMBINERS = ("sum", "max", "min", "maxnum", "minnum", "selmax", "selmin")


def combiner(comb: Operation, out: SSAValue) -> tuple[str, SSAValue]:
    """(one of COMBINERS, the value combined into `out`) of a reduction's last op: add, max/min ops,
    or select(cmp(x, out), x, out) (how the raiser states a max or min loop exactly)."""
    simple = {"arith.addf": "sum", "arith.addi": "sum", "arith.maximumf": "max", "arith.maxsi": "max",
              "arith.maxnumf": "maxnum", "arith.minimumf": "min", "arith.minsi": "min", "arith.minnumf": "minnum"}
    if comb.name in simple and len(comb.operands) == 2 and out in comb.operands:
        kind = simple[comb.name]
        if comb.name in ("arith.maximumf", "arith.minimumf") and _no_nan_nsz(comb):
            kind += "num"  # neither NaN nor a zero's sign matters: fmaxf / fminf
        return kind, comb.operands[1 - list(comb.operands).index(out)]
    if comb.name == "arith.select" and len(comb.operands) == 3:
        cond, t, f = comb.operands
        cmp = cond.owner
        if isinstance(cmp, (arith.CmpfOp, arith.CmpiOp)) and out in (t, f):
            pred = int(cmp.predicate.value.data)
            name = (_CMPF_NAMES if isinstance(cmp, arith.CmpfOp) else _CMPI_NAMES).get(pred, "")
            d = _CMP_DIR.get(name)
            x = f if t is out else t
            if d is not None and list(cmp.operands) in ([x, out], [out, x]):
                # select(x > out, x, out) is a max; select(out > x, out, x) too; the others a min
                flip = (list(cmp.operands) == [out, x]) != (t is out)
                d = {"max": "min", "min": "max"}[d] if flip else d
                if isinstance(cmp, arith.CmpiOp):
                    return d, x
                if _no_nan_nsz(cmp):
                    return d + "num", x
                # on NaN an ordered compare is false (the select takes f), an unordered one true (t)
                if (f if name.startswith("o") else t) is out:
                    return "sel" + d, x
                raise Unsupported(f"a select {d} fold that takes a NaN element ({name}), then drops it: its value "
                                  "depends on the order; nnan and nsz on the compare allow reordering")
    raise Unsupported(f"combiner {comb.name}")
