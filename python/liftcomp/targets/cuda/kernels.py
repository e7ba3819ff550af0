"""KernelSpec <-> `cuda.kernel` ops: the launch plan and the tile-program body of each kind.

`build_kernel(spec)` is the single place that turns a spec (kind, types, epilogue, schedule) into
the op the lowering inserts and the search rewrites; `spec_of(op)` reads it back. The body is
derived from the spec, so a schedule rewrite rebuilds it (the verifiers then check the limits).
"""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    BoolAttr,
    DictionaryAttr,
    Float64Type,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    i64,
)
from xdsl.ir import Attribute, Operation

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.cuda import dialect as cu
from liftcomp.targets.cuda.spec import DTYPES, GemmSchedule, KernelSpec, RowSchedule


def to_attr(v: Any) -> Attribute:
    if isinstance(v, bool):
        return BoolAttr.from_bool(v)
    if isinstance(v, int):
        return IntegerAttr(v, i64)
    if isinstance(v, float):
        return FloatAttr(v, Float64Type())
    if isinstance(v, str):
        return StringAttr(v)
    if isinstance(v, (list, tuple)):
        return ArrayAttr([to_attr(x) for x in v])
    if isinstance(v, dict):
        return DictionaryAttr({k: to_attr(x) for k, x in v.items()})
    raise TypeError(f"no attribute for {v!r}")


def from_attr(a: Attribute) -> Any:
    if isinstance(a, IntegerAttr):
        w = getattr(a.type, "width", None)
        if w is not None and w.data == 1:
            return bool(a.value.data)
        return int(a.value.data)
    if isinstance(a, FloatAttr):
        return float(a.value.data)
    if isinstance(a, StringAttr):
        return a.data
    if isinstance(a, ArrayAttr):
        return tuple(from_attr(x) for x in a.data)
    if isinstance(a, DictionaryAttr):
        return {k: from_attr(x) for k, x in a.data.items()}
    raise TypeError(f"unexpected attribute {a}")


def spec_attr(spec: KernelSpec) -> DictionaryAttr:
    d = asdict(spec)
    d.pop("name")
    d.pop("row" if spec.kind == "gemm" else "gemm")
    return DictionaryAttr({k: to_attr(v) for k, v in d.items()})


def spec_of(op: cu.KernelOp) -> KernelSpec:
    d = from_attr(op.spec)
    d["gemm"] = GemmSchedule(**d["gemm"]) if "gemm" in d else GemmSchedule()
    d["row"] = RowSchedule(**d["row"]) if "row" in d else RowSchedule()
    names = {f.name for f in fields(KernelSpec)}
    return KernelSpec(name=op.sym_name.data, **{k: v for k, v in d.items() if k in names})


def _i(v: int) -> IntegerAttr[Any]:
    return IntegerAttr(v, i64)


def _s(v: str) -> StringAttr:
    return StringAttr(v)


def gemm_plan(spec: KernelSpec) -> dict[str, Any]:
    """Launch plan of a GEMM: block threads, cluster, shared memory, registers, stages."""
    g = spec.gemm
    tm, tn, tk = g.tile
    eb = DTYPES[spec.a_type][1]
    if spec.arch == "sm_90a" and spec.a_type != "f32":
        consumers = g.consumer_warpgroups if g.persistent else 1
        threads = 128 * (consumers + 1)
        stage_bytes = (tm * tk + tn * tk) * eb
        epi_bytes = tm * min(tn, 64) * DTYPES[spec.out_type][1] * 2
        stages = g.stages or max(2, min(8, (227 * 1024 - epi_bytes - 1024) // stage_bytes))
        smem = stages * stage_bytes + epi_bytes + 1024
        # accumulators: tm x tn f32 over the consumer threads, plus addressing
        acc_regs = tm * tn // (128 * consumers) if g.policy == "cooperative" else tm * tn // 128
        regs = acc_regs + 40  # the verifier refuses more than 255 (the accumulators would spill)
        return {"threads": threads, "smem": smem, "stages": stages, "regs": regs,
                "cluster": (g.cluster[0], g.cluster[1], 1), "consumers": consumers}
    if spec.a_type == "f32":
        return {"threads": 256, "smem": 2 * 16 * 17 * 4, "stages": 1, "regs": 32, "cluster": (1, 1, 1), "consumers": 0}
    ldk = 16 + 16 // eb
    smem = 2 * (2 * 128 * ldk * eb) + 2 * (32 * (128 + 16 // eb) * eb)
    return {"threads": 256, "smem": smem, "stages": 2, "regs": 128, "cluster": (1, 1, 1), "consumers": 0}


def _gemm_body(spec: KernelSpec, plan: dict[str, Any]) -> list[Operation]:
    g = spec.gemm
    tm, tn, tk = g.tile
    eb = DTYPES[spec.a_type][1]
    names = spec.buffer_names()
    idx = {n: i for i, n in enumerate(names)}
    epi: list[Operation] = []
    # CUTLASS's fused epilogue computes act(alpha * acc + beta * C + bias): the canonical order
    for step in ("scale", "residual", "bias", "relu"):
        if step in spec.epilogue:
            props: dict[str, Attribute] = {"op": _s(step)}
            if step in ("bias", "residual"):
                props["operand"] = _i(idx[step])
            epi.append(cu.EpilogueOp.create(attributes=props))
    epi.append(cu.EpilogueOp.create(attributes={"op": _s("convert")}))
    if spec.arch == "sm_90a" and spec.a_type != "f32":
        k_major_b = spec.b_layout == "col"
        loads = [
            cu.TmaLoadOp.create(attributes={"operand": _i(0), "box": cu.ints_attr([tm, tk]), "elem_bytes": _i(eb),
                                            "multicast": _i(g.cluster[1])}),
            cu.TmaLoadOp.create(attributes={"operand": _i(1), "box": cu.ints_attr([tn, tk] if k_major_b else [tk, tn]),
                                            "elem_bytes": _i(eb), "multicast": _i(g.cluster[0])}),
        ]
        mma_n = tn if tn <= 256 else 256
        mma = cu.WgmmaOp.create(attributes={
            "shape": cu.ints_attr([64, mma_n, 32 if eb == 1 else 16]), "a_type": _s(spec.a_type),
            "acc_type": _s(spec.acc_type), "a_major": _s("k"), "b_major": _s("k" if k_major_b else "mn")})
        kl = {"stages": _i(plan["stages"]), "k_tile": _i(tk)}
        return [
            cu.WarpRoleOp.create(attributes={"role": _s("producer"), "warpgroups": _i(1), "max_regs": _i(40)}),
            cu.KLoopOp.create(attributes=kl), *loads, cu.KLoopEndOp.create(),
            cu.WarpRoleOp.create(attributes={"role": _s("consumer"), "warpgroups": _i(plan["consumers"]),
                                             "max_regs": _i(232 if plan["consumers"] == 2 else 240)}),
            cu.KLoopOp.create(attributes=kl), mma, cu.KLoopEndOp.create(), *epi,
            cu.StoreTileOp.create(attributes={"operand": _i(idx["D"]), "via": _s("tma"), "out_type": _s(spec.out_type)}),
        ]
    if spec.a_type == "f32":
        inner: list[Operation] = [cu.FmaLoopOp.create()]
        kl = {"stages": _i(1), "k_tile": _i(16)}
    else:
        inner = [cu.CpAsyncOp.create(attributes={"operand": _i(0), "box": cu.ints_attr([128, 32]), "bytes": _i(16)}),
                 cu.CpAsyncOp.create(attributes={"operand": _i(1), "box": cu.ints_attr([32, 128]), "bytes": _i(16)}),
                 cu.MmaSyncOp.create(attributes={"shape": cu.ints_attr([16, 16, 16]), "a_type": _s(spec.a_type),
                                                 "acc_type": _s(spec.acc_type)})]
        kl = {"stages": _i(2), "k_tile": _i(32)}
    return [cu.KLoopOp.create(attributes=kl), *inner, cu.KLoopEndOp.create(), *epi,
            cu.StoreTileOp.create(attributes={"operand": _i(idx["D"]), "via": _s("st.global"),
                                              "out_type": _s(spec.out_type)})]


def _row_body(spec: KernelSpec) -> list[Operation]:
    vec = spec.row.vec
    cols = spec.static_dims[1] if len(spec.static_dims) > 1 and spec.static_dims[1] else 16384
    items = max(1, -(-cols // (spec.row.threads * vec)))
    ops: list[Operation] = [cu.RowLoadOp.create(attributes={"operand": _i(0), "vec": _i(vec), "items": _i(items)})]
    if spec.row_op == "fused":
        import json

        reductions = list(json.loads(spec.body)["reductions"])
        ops = [cu.RowLoadOp.create(attributes={"operand": _i(i), "vec": _i(vec), "items": _i(items)})
               for i in range(spec.n_inputs)]
    else:
        reductions = {"softmax": ["max", "sum"], "rmsnorm": ["sum"], "layernorm": ["sum", "sum"]}[spec.row_op]
    for r in reductions:
        ops.append(cu.BlockReduceOp.create(attributes={"combine": _s(r), "scope": _s("block")}))
    ops.append(cu.RowMathOp.create(attributes={"op": _s(spec.row_op), "eps": FloatAttr(spec.eps, Float64Type())}))
    ops.append(cu.StoreTileOp.create(attributes={"operand": _i(spec.n_buffers - 1), "via": _s("st.global"),
                                                 "out_type": _s(spec.out_type)}))
    return ops


def _ordered_body(spec: KernelSpec) -> list[Operation]:
    """A gemm / reduce that sums in the loop's order: the ordered sum, a gemm's epilogue, the store."""
    if spec.kind not in ("gemm", "reduce"):
        raise LiftcompError(f"cuda kernel {spec.name}: only gemm and reduce kernels sum in order, not {spec.kind}")
    acc = spec.out_type if spec.kind == "gemm" else "f32"
    combine = spec.combine if spec.kind == "reduce" else "sum"
    ops: list[Operation] = [cu.OrderedSumOp.create(attributes={"combine": _s(combine), "acc_type": _s(acc)})]
    names = spec.buffer_names()
    for step in (spec.epilogue if spec.kind == "gemm" else ()):
        props: dict[str, Attribute] = {"op": _s(step)}
        if step in ("bias", "residual"):
            props["operand"] = _i(names.index(step))
        ops.append(cu.EpilogueOp.create(attributes=props))
    return [*ops, cu.StoreTileOp.create(attributes={"operand": _i(spec.n_buffers - 1), "via": _s("st.global"),
                                                    "out_type": _s(spec.out_type)})]


def build_kernel(spec: KernelSpec, map_fn: func.FuncOp | None = None) -> list[Operation]:
    """The `cuda.kernel` op of a spec, its tile program `@<name>.body` and, for elementwise and
    reduction kernels, their scalar computation `map_fn` renamed `@<name>.map`."""
    if spec.kind in ("eltwise", "reduce") and map_fn is None:
        raise LiftcompError(f"cuda kernel {spec.name}: an {spec.kind} kernel needs its map function")
    body: list[Operation]
    if spec.ordered:
        body = _ordered_body(spec)
        block, smem, regs, cluster = (spec.row.threads if spec.kind == "reduce" else 256, 1, 1), 0, 32, (1, 1, 1)
    elif spec.kind == "gemm":
        plan = gemm_plan(spec)
        body = _gemm_body(spec, plan)
        block, smem, regs, cluster = (plan["threads"], 1, 1), plan["smem"], plan["regs"], plan["cluster"]
    elif spec.kind == "row":
        body = _row_body(spec)
        block, smem, regs, cluster = (spec.row.threads, 1, 1), 128, 64, (1, 1, 1)
    elif spec.kind in ("eltwise", "reduce"):
        body = []
        if spec.kind == "reduce":
            body.append(cu.BlockReduceOp.create(attributes={"combine": _s(spec.combine), "scope": _s("block")}))
        body.append(cu.StoreTileOp.create(attributes={"operand": _i(spec.n_buffers - 1), "via": _s("st.global"),
                                                      "out_type": _s(spec.out_type)}))
        block, smem, regs, cluster = (spec.row.threads, 1, 1), 8192 if spec.kind == "reduce" else 0, 32, (1, 1, 1)
    elif spec.kind == "transpose":
        body = [cu.TransposeTileOp.create(attributes={"tile": _i(32)})]
        block, smem, regs, cluster = (32, 8, 1), 33 * 32 * DTYPES[spec.a_type][1], 32, (1, 1, 1)
    else:
        raise LiftcompError(f"unknown cuda kernel kind '{spec.kind}'")
    kernel = cu.KernelOp.create(
        attributes={"sym_name": _s(spec.name), "kind": _s(spec.kind), "arch": _s(spec.arch),
                    "grid": cu.ints_attr([0, 0, 0]), "block": cu.ints_attr(block), "cluster": cu.ints_attr(cluster),
                    "smem_bytes": _i(smem), "regs": _i(regs), "spec": spec_attr(spec)})
    out: list[Operation] = [kernel, cu.body_function(spec.name, body)]
    if map_fn is not None:
        map_fn.sym_name = StringAttr(f"{spec.name}.map")
        out.append(map_fn)
    return out


def _function(kernel: cu.KernelOp, suffix: str) -> func.FuncOp | None:
    module = kernel.parent_op()
    if module is None:
        return None
    name = f"{kernel.sym_name.data}.{suffix}"
    for o in module.regions[0].block.ops:
        if isinstance(o, func.FuncOp) and o.sym_name.data == name:
            return o
    return None


def body_ops(kernel: cu.KernelOp) -> list[Operation]:
    """The kernel's tile program (the ops of `@<name>.body`, without the return)."""
    fn = _function(kernel, "body")
    if fn is None:
        raise LiftcompError(f"cuda.kernel @{kernel.sym_name.data} has no @{kernel.sym_name.data}.body function")
    return [o for o in fn.body.block.ops if not isinstance(o, func.ReturnOp)]


def map_of(kernel: cu.KernelOp) -> func.FuncOp | None:
    return _function(kernel, "map")


def spec_to_json(spec: KernelSpec) -> dict[str, Any]:
    return asdict(spec)


def spec_from_json(d: dict[str, Any]) -> KernelSpec:
    """The inverse of `spec_to_json` (lists back to tuples)."""
    d = dict(d)
    g: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in dict(d.pop("gemm", {})).items()}
    r = dict(d.pop("row", {}))
    names = {f.name for f in fields(KernelSpec)}
    unknown = sorted(set(d) - names)
    if unknown:
        raise LiftcompError(f"a CUDA kernel spec with unknown fields {unknown}")
    d = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
    return KernelSpec(**d, gemm=GemmSchedule(**g), row=RowSchedule(**r))
