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
_C_FN = {"arith.maximumf": "fmaxf", "arith.minimumf": "fminf", "arith.maxnumf": "fmaxf", "arith.minnumf": "fminf",
         "math.exp": "expf", "math.log": "logf", "math.sqrt": "sqrtf", "math.tanh": "tanhf", "math.absf": "fabsf",
         "math.rsqrt": "rsqrtf", "math.sin": "sinf", "math.cos": "cosf", "math.floor": "floorf", "math.ceil": "ceilf",
         "math.roundeven": "rintf", "math.trunc": "truncf",
         "arith.maxsi": "max", "arith.minsi": "min", "arith.negf": "-"}
_CMPF = {1: "==", 2: ">", 3: ">=", 4: "<", 5: "<=", 6: "!=", 8: "==", 9: ">", 10: ">=", 11: "<", 12: "<=", 13: "!="}
_CMPI = {0: "==", 1: "!=", 2: "<", 3: "<=", 4: ">", 5: ">="}
_CMPI_UNSIGNED = {6: "<", 7: "<=", 8: ">", 9: ">="}  # ult ule ugt uge: compared as unsigned of the width


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
            env[op.results[0]] = f"{_C_FN[n]}({', '.join(a)})"
        elif n == "arith.cmpf":
            pred = op.predicate.value.data  # type: ignore[attr-defined]
            if pred not in _CMPF:
                raise Unsupported(f"no CUDA form for arith.cmpf predicate {pred}")
            env[op.results[0]] = f"({a[0]} {_CMPF[pred]} {a[1]})"
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


def combiner(comb: Operation, out: SSAValue) -> tuple[str, SSAValue]:
    """("sum" | "max" | "min", the value combined into `out`) of a reduction's last op: add, max/min
    ops, or select(cmp(x, out), x, out) (how the raiser states a max or min loop exactly)."""
    simple = {"arith.addf": "sum", "arith.addi": "sum", "arith.maximumf": "max", "arith.maxsi": "max",
              "arith.maxnumf": "max", "arith.minimumf": "min", "arith.minsi": "min", "arith.minnumf": "min"}
    if comb.name in simple and len(comb.operands) == 2:
        return simple[comb.name], comb.operands[1 - list(comb.operands).index(out)]
    if comb.name == "arith.select" and len(comb.operands) == 3:
        cond, t, f = comb.operands
        cmp = cond.owner
        if isinstance(cmp, (arith.CmpfOp, arith.CmpiOp)) and out in (t, f):
            pred = str(cmp.predicate.value.data)
            names = {0: "oeq", 1: "ogt", 2: "oge", 3: "olt", 4: "ole"} if isinstance(cmp, arith.CmpfOp) else {
                2: "slt", 3: "sle", 4: "sgt", 5: "sge"}
            if isinstance(cmp, arith.CmpfOp):  # arith.cmpf's predicate numbers: oeq 1, ogt 2, ..., ugt 9, ...
                names = {2: "ogt", 3: "oge", 4: "olt", 5: "ole", 9: "ugt", 10: "uge", 11: "ult", 12: "ule"}
            d = _CMP_DIR.get(names.get(int(pred), ""))
            x = f if t is out else t
            if d is not None and list(cmp.operands) in ([x, out], [out, x]):
                # select(x > out, x, out) is a max; select(out > x, out, x) too; the others a min
                flip = (list(cmp.operands) == [out, x]) != (t is out)
                return ({"max": "min", "min": "max"}[d] if flip else d), x
    raise Unsupported(f"combiner {comb.name}")
