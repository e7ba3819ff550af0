"""Tensor ops (what liftcomp-raise produces) -> calls of `@<kernel>.launch` for `cuda.kernel`s.

Recognised, in one walk over each function:
- contractions: linalg.matmul, and linalg.generic multiply-accumulate nests (plain, transposed B,
  batched; also the raiser's "broadcast multiply, then sum the last axis" pair through unit-dim
  expand_shape) -> gemm. A linalg.transpose feeding B becomes a K-major B instead of a kernel;
  an output that is not a zero fill becomes the epilogue's residual (C + A B).
- a following elementwise generic that adds a per-column vector, multiplies by a scalar or takes
  a relu the epilogue computes exactly (`v > 0 ? v : 0`: maxnumf(v, +0.0), select(v ogt +0.0, v,
  +0.0), maximumf(v, +0.0) with nnan; _relu_max) -> fused into the GEMM's epilogue (CUTLASS's
  act(alpha acc + C + bias) order).
- elementwise generics (identity, per-row or per-column broadcast inputs, captured scalars) ->
  eltwise kernels; a chain of them, each the only user of the previous, -> one kernel.
- reductions over the last axis (sum, max; mat-vec as a row x vector map) -> reduce kernels.
- linalg.transpose of the last two axes -> transpose kernels.
Anything else stays host code (tensor glue, or a remark naming the op that was not lowered), so
nothing is silently wrong: the interpreter and the GPU evaluator check each function against the
reference.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field, replace
from typing import Any

from xdsl.dialects import arith, func, tensor
from xdsl.dialects.builtin import (
    AnyFloat,
    FloatAttr,
    IntegerAttr,
    ModuleOp,
    TensorType,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.dialects.linalg.abstract_ops import LinalgStructuredOperation
from xdsl.ir import Attribute, Block, Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr
from xdsl.rewriter import Rewriter

from liftcomp.diagnostics import op_location
from liftcomp.ir import float_order
from liftcomp.targets.base import Lowered
from liftcomp.targets.cuda import dialect as cu
from liftcomp.targets.cuda import rowfuse
from liftcomp.targets.cuda.kernels import build_kernel
from liftcomp.targets.cuda.policy import default_spec
from liftcomp.targets.cuda.scalar import Unsupported, build_map, c_expr, combiner, type_name
from liftcomp.targets.cuda.spec import DTYPES, KernelSpec, problem_dims
from liftcomp.targets.cuda.tuning import replay


@dataclass
class LowerOptions:
    arch: str = "sm_90a"
    allow_tf32: bool = False  # f32 GEMMs on tensor cores (changes results): off unless asked
    fuse_epilogue: bool = True
    # kernel name -> schedule fields (from the search)
    schedules: dict[str, dict[str, Any]] = field(default_factory=dict)
    # tuning records (tuning.py): a kernel with a recorded schedule for its sizes gets it
    records: list[dict[str, Any]] = field(default_factory=list)


def _elem(v: SSAValue) -> Attribute:
    t = v.type
    return t.element_type if isinstance(t, TensorType) else t  # type: ignore[return-value]


def _rank(v: SSAValue) -> int:
    t = v.type
    return len(t.get_shape()) if isinstance(t, TensorType) else 0


# ---------------------------------------------------------------- the walk


def _dims(m: Any) -> list[int | None]:
    return [e.position if isinstance(e, AffineDimExpr) else None for e in m.results]


def _strip_unit(v: SSAValue, dims: list[int | None]) -> tuple[SSAValue, list[int]]:
    """An operand read through constant-0 results on unit dims: the tensor without those dims."""
    if all(d is not None for d in dims):
        return v, [d for d in dims if d is not None]
    owner = v.owner
    if isinstance(owner, tensor.ExpandShapeOp):
        src = owner.src
        kept = [d for d in dims if d is not None]
        if _rank(src) == len(kept):
            return src, kept
    raise Unsupported("a broadcast operand that is not a unit-dim expand_shape")


def _is_zero_fill(v: SSAValue) -> bool:
    owner = v.owner
    if not isinstance(owner, linalg.FillOp):
        return False
    c = owner.inputs[0].owner
    if not isinstance(c, arith.ConstantOp):
        return False
    val = c.value
    return isinstance(val, (FloatAttr, IntegerAttr)) and float(val.value.data) == 0.0  # type: ignore[union-attr]


def _is_pos_zero_fill(v: SSAValue) -> bool:
    """A fill with +0.0 (or integer 0): where a sum in the loop's order may start from zero."""
    if not _is_zero_fill(v):
        return False
    c = v.owner.inputs[0].owner  # type: ignore[union-attr]
    return not math.copysign(1.0, float(c.value.value.data)) < 0  # type: ignore[union-attr]


def _kernel_select(comb: Operation, out: SSAValue) -> bool:
    """select(x ogt out, x, out) / select(x olt out, x, out): exactly the ordered kernel's
    `b > a ? b : a` / `b < a ? b : a`, NaN and tied zeros included."""
    if not isinstance(comb, arith.SelectOp):
        return False
    cond, t, f = comb.operands
    cmp = cond.owner
    return isinstance(cmp, arith.CmpfOp) and f is out and t is not out and list(cmp.operands) == [t, out] and \
        int(cmp.predicate.value.data) in (2, 4)  # ogt, olt


# Element types of a sum kept in the loop's order: each step is computed in f32 and rounded to
# the type, which for bf16 / f16 is their own IEEE operation (f32 has more than 2p + 2 bits).
_ORDERED_TYPES = ("f32", "bf16", "f16")


def _mac(block: Block) -> bool:
    """out + a * b (float or integer, operands maybe extended first)."""
    ops = list(block.ops)
    y = ops[-1]
    if not isinstance(y, linalg.YieldOp):
        return False
    add = y.operands[0].owner
    if not isinstance(add, Operation) or add.name not in ("arith.addf", "arith.addi"):
        return False
    out = block.args[-1]
    other = [o for o in add.operands if o is not out]
    if len(other) != 1 or len(add.operands) != 2:
        return False
    mul = other[0].owner
    if not isinstance(mul, Operation) or mul.name not in ("arith.mulf", "arith.muli"):
        return False

    def root(v: SSAValue) -> SSAValue:
        o = v.owner
        while isinstance(o, Operation) and o.name in ("arith.extsi", "arith.extf", "arith.sitofp"):
            v = o.operands[0]
            o = v.owner
        return v

    return {root(o) for o in mul.operands} == set(block.args[:2])


class _Lowering:
    def __init__(self, module: ModuleOp, opts: LowerOptions):
        self.module = module
        self.opts = opts
        self.remarks: list[str] = []
        self.kernels: list[dict[str, Any]] = []
        self.count = 0
        self.gone: set[Operation] = set()
        self.fn_name = ""

    def name(self, fn: func.FuncOp, kind: str) -> str:
        self.count += 1
        return f"{fn.sym_name.data}_{kind}{self.count}"

    def finish(self, spec: KernelSpec, mp: func.FuncOp | None) -> KernelSpec:
        spec = default_spec(replace(spec, arch=self.opts.arch))
        over = self.opts.schedules.get(spec.name)
        source = "default"
        if spec.ordered:
            pass  # one fixed kernel: no schedule to search or replay
        elif over:
            over = {k: tuple(v) if isinstance(v, list) else v for k, v in over.items()}
            spec = spec.with_gemm(**over) if spec.kind == "gemm" else spec.with_row(**over)
            source = "search"
        elif self.opts.records and all(spec.static_dims):
            hit = replay(spec, problem_dims(spec, 0), self.opts.records)
            if hit is not None:
                spec, source = hit, "records"
        for o in build_kernel(spec, mp):
            self.module.body.block.add_op(o)
        self.kernels.append({"func": self.fn_name, "name": spec.name, "kind": spec.kind, "arch": spec.arch,
                             "schedule": spec.schedule_json(), "schedule_source": source,
                             "epilogue": list(spec.epilogue)})
        if spec.ordered:
            self.kernels[-1].update(ordered=True, remark=(
                f"{spec.name}: a float sum proved in the loop's order (IEEE) runs one thread per output element "
                f"in that order (no tensor cores or tree reduction); to allow reordering, {float_order.HOW_TO_ALLOW}"))
        return spec

    def launch(self, op: Operation, spec: KernelSpec, mp: func.FuncOp | None, args: list[SSAValue],
               n_scalars: int, result: SSAValue) -> func.CallOp:
        spec = self.finish(spec, mp)
        self.module.body.block.add_op(cu.launch_declaration(spec.name, [a.type for a in args], result.type))
        call = func.CallOp(f"{spec.name}.launch", args, [result.type])
        Rewriter.insert_op(call, _before(op))
        _defs_before(call, call)
        result.replace_all_uses_with(call.res[0])
        return call

    def run(self) -> None:
        for fn in [o for o in self.module.body.block.ops if isinstance(o, func.FuncOp)]:
            self.fn_name = fn.sym_name.data
            self.count = 0  # kernel names per function: a one-function module names them the same
            self.fuse_rows(fn)
            for op in list(fn.body.block.ops):
                if op in self.gone or op.parent is None:
                    continue
                try:
                    self.lower_op(fn, op)
                except Unsupported as e:
                    where = op_location(op)
                    where = f" ({where})" if where and "'" not in where else ""
                    msg = f"@{fn.sym_name.data}: {op.name}{where} kept on the host: {e}"
                    self.remarks.append(msg)
                    self.kernels.append({"func": self.fn_name, "kind": "host", "op": op.name, "remark": msg})
            for op in reversed(list(fn.body.block.ops)):
                if op.name.startswith("linalg.") and op.results and not any(r.uses for r in op.results):
                    op.detach()
                    op.erase()

    def fuse_rows(self, fn: func.FuncOp) -> None:
        """A function made only of row-local ops (softmax, rmsnorm, layernorm, ...) -> one row kernel."""
        if float_order.ordered_ops(fn):
            return  # the row kernel's tree reductions reorder sums; each op is lowered on its own
        found = rowfuse.analyse(fn, type_name, c_expr)
        if found is None:
            return
        p, result = found
        spec = KernelSpec(self.name(fn, "rows"), "row", row_op="fused", a_type=p.types[0], out_type=p.out_type,
                          n_inputs=len(p.inputs), n_scalars=len(p.scalars), input_kinds=tuple(p.kinds),
                          in_types=tuple(p.types), static_dims=(p.rows, p.cols),
                          body=json.dumps({"lines": p.lines, "out": p.out, "reductions": p.reductions}))
        rows_fn = rowfuse.extract_function(f"{spec.name}.rows", fn, p, result)
        use = next(iter(result.uses)).operation
        spec = self.finish(spec, None)
        self.module.body.block.add_op(rows_fn)
        self.module.body.block.add_op(cu.launch_declaration(spec.name, [v.type for v in [*p.inputs, *p.scalars]],
                                                           result.type))
        call = func.CallOp(f"{spec.name}.launch", [*p.inputs, *p.scalars], [result.type])
        Rewriter.insert_op(call, _before(use))
        result.replace_all_uses_with(call.res[0])
        self.gone.update(p.ops)

    def lower_op(self, fn: func.FuncOp, op: Operation) -> None:
        if op.name in ("linalg.matmul", "linalg.batch_matmul") and isinstance(op, LinalgStructuredOperation):
            # upstream named ops (with their indexing maps: folded transposes, batches)
            maps = [m.data for m in op.get_indexing_maps().data]
            n = len(op.get_iterator_types().data)
            if not self.contraction(fn, op, maps, op.inputs[0], op.inputs[1], n):
                raise Unsupported("a contraction whose operand maps are not (batch, m, k) x (batch, k | n, n | k)")
        elif isinstance(op, linalg.GenericOp):
            self.generic(fn, op)
        elif isinstance(op, linalg.TransposeOp):
            self.transpose(fn, op)
        elif op.name.startswith("linalg.") and not isinstance(op, (linalg.FillOp, linalg.YieldOp)):
            raise Unsupported("no CUDA lowering for this op")

    # ---- contractions

    def gemm(self, fn: func.FuncOp, op: Operation, a: SSAValue, b: SSAValue, init: SSAValue, result: SSAValue,
             batch: bool, b_col: bool = False) -> None:
        ta, tb, to = type_name(_elem(a)), type_name(_elem(b)), type_name(_elem(result))
        if ta is None or tb is None or to is None or ta != tb:
            raise Unsupported(f"element types {_elem(a)} x {_elem(b)} -> {_elem(result)}")
        if float_order.keeps_order(op):
            self.ordered_gemm(fn, op, a, b, init, result, batch, b_col)
            return
        if ta in ("f64", "i32", "i64") or (ta == "i8" and to != "i32"):
            raise Unsupported(f"no tensor-core or exact GEMM path for {ta} -> {to}")
        if ta == "f32" and self.opts.allow_tf32:
            self.remarks.append(f"{fn.sym_name.data}: allow_tf32 is not implemented; f32 GEMMs run exactly on FMA units")
        # a transpose feeding B: read B K-major instead of launching a transpose
        t = b.owner
        if not b_col and isinstance(t, linalg.TransposeOp) and list(t.permutation.get_values()) == (
                [0, 2, 1] if batch else [1, 0]) and _nuses(t.res[0]) == 1:
            b, b_col = t.inputs[0], True
            self.gone.add(t)
        if ta == "i8" and not b_col:
            b, b_col = self.transposed(fn, op, b), True  # 8-bit wgmma (and WMMA here) read B K-major
        acc = "i32" if ta == "i8" else "f32"
        residual = not _is_zero_fill(init)
        spec = KernelSpec(self.name(fn, "gemm"), "gemm", a_type=ta, b_type=tb, out_type=to, acc_type=acc,
                          b_layout="col" if b_col else "row", epilogue=("residual",) if residual else (),
                          static_dims=_gemm_static(a, b, b_col, batch))
        args = [a, b] + ([init] if residual else [])
        spec, args, n_scalars, result = self.fuse_epilogue(spec, args, result)
        self.launch(op, spec, None, args, n_scalars, result)

    def ordered_gemm(self, fn: func.FuncOp, op: Operation, a: SSAValue, b: SSAValue, init: SSAValue, result: SSAValue,
                     batch: bool, b_col: bool) -> None:
        """A float contraction proved in the loop's order: one thread per output element sums its
        products in K order from the output's initial value (ir/float_order.py); no epilogue fusion
        (each consumer keeps its own rounding)."""
        t = type_name(_elem(result))
        if t not in _ORDERED_TYPES or type_name(_elem(a)) != t:
            raise Unsupported(f"a float sum in the loop's order over {_elem(a)} -> {_elem(result)} (only f32, bf16 or "
                              f"f16 throughout); to allow reordering, {float_order.HOW_TO_ALLOW}")
        tr = b.owner
        if not b_col and isinstance(tr, linalg.TransposeOp) and list(tr.permutation.get_values()) == (
                [0, 2, 1] if batch else [1, 0]) and _nuses(tr.res[0]) == 1:
            b, b_col = tr.inputs[0], True
            self.gone.add(tr)
        residual = not _is_pos_zero_fill(init)  # the sum starts from the output's value
        spec = KernelSpec(self.name(fn, "gemm"), "gemm", a_type=t, b_type=t, out_type=t, acc_type=t,
                          b_layout="col" if b_col else "row", epilogue=("residual",) if residual else (),
                          static_dims=_gemm_static(a, b, b_col, batch), ordered=True, fmad=False)
        self.launch(op, spec, None, [a, b] + ([init] if residual else []), 0, result)

    def transposed(self, fn: func.FuncOp, op: Operation, v: SSAValue) -> SSAValue:
        """A transpose kernel launch making `v` (..., K, N) into (..., N, K), before `op`."""
        t = v.type
        assert isinstance(t, TensorType)
        shape = list(t.get_shape())
        out_t = TensorType(t.element_type, [*shape[:-2], shape[-1], shape[-2]])
        tname = type_name(t.element_type) or "i8"
        spec = self.finish(KernelSpec(self.name(fn, "transpose"), "transpose", a_type=tname, out_type=tname,
                                      static_dims=tuple(max(0, d) for d in (shape[-2], shape[-1],
                                                                              shape[0] if len(shape) == 3 else 1))),
                           None)
        self.module.body.block.add_op(cu.launch_declaration(spec.name, [t], out_t))
        call = func.CallOp(f"{spec.name}.launch", [v], [out_t])
        Rewriter.insert_op(call, _before(op))
        return call.res[0]

    def fuse_epilogue(self, spec: KernelSpec, args: list[SSAValue], result: SSAValue
                      ) -> tuple[KernelSpec, list[SSAValue], int, SSAValue]:
        """Fold the only user of the GEMM's result into the epilogue when it is scale/bias/relu."""
        if not self.opts.fuse_epilogue or _nuses(result) != 1:
            return spec, args, 0, result
        user = next(iter(result.uses)).operation
        if not isinstance(user, linalg.GenericOp) or any(str(i.data) != "parallel" for i in user.get_iterator_types().data):
            return spec, args, 0, result
        maps = [m.data for m in user.get_indexing_maps().data]
        ins = list(user.inputs)
        if result not in ins or _rank(result) != 2:
            return spec, args, 0, result
        block = user.body.block
        cur = block.args[ins.index(result)]
        steps: list[str] = []
        bias: SSAValue | None = None
        scalars: list[SSAValue] = []
        for bop in block.ops:
            if isinstance(bop, linalg.YieldOp):
                if bop.operands[0] is not cur:
                    return spec, args, 0, result
                break
            if isinstance(bop, arith.ConstantOp) or _relu_compare(bop, cur):
                continue  # a relu's compare: read with its select below
            if isinstance(bop, arith.SelectOp):
                if not _relu_select(bop, cur):
                    return spec, args, 0, result
                steps.append("relu")
                cur = bop.result
                continue
            opnds = list(bop.operands)
            if cur not in opnds or len(opnds) != 2:
                return spec, args, 0, result
            other = opnds[1 - opnds.index(cur)]
            if bop.name in ("arith.addf", "arith.addi") and other in block.args:
                j = [a for a in block.args].index(other)  # type: ignore[arg-type]
                d = _dims(maps[j])
                if j >= len(ins) or d not in ([1], [None, 1]) or bias is not None:
                    return spec, args, 0, result
                src, _ = _strip_unit(ins[j], d)
                bias, step = src, "bias"
            elif _relu_max(bop, other):
                step = "relu"
            elif bop.name in ("arith.mulf",) and other not in block.args and not _in_block(other, block):
                scalars.append(other)
                step = "scale"
            else:
                return spec, args, 0, result
            steps.append(step)
            cur = bop.results[0]
        canon = [s for s in ("scale", "residual", "bias", "relu") if s in steps or s in spec.epilogue]
        if len(set(steps)) != len(steps) or [s for s in canon if s in steps] != steps:
            return spec, args, 0, result
        if "scale" in steps and "residual" in spec.epilogue:
            return spec, args, 0, result  # alpha would scale C too
        to = type_name(_elem(user.res[0]))
        if to is None:
            return spec, args, 0, result
        spec = replace(spec, epilogue=tuple(canon), out_type=to)
        names = spec.buffer_names()
        pos = {"A": args[0], "B": args[1], "bias": bias, "residual": args[2] if "residual" in spec.epilogue else None}
        new_args = [pos[n] for n in names if n != "D"]
        self.gone.add(user)
        return spec, [v for v in new_args if v is not None] + scalars, len(scalars), user.res[0]

    def generic(self, fn: func.FuncOp, op: linalg.GenericOp) -> None:
        iters = [str(i.data) for i in op.get_iterator_types().data]
        maps = [m.data for m in op.get_indexing_maps().data]
        if len(op.res) != 1:
            raise Unsupported("several results (argmax-style pairs are not lowered yet)")
        if all(i == "parallel" for i in iters):
            if self.mul_then_sum(fn, op, maps):
                return
            self.eltwise(fn, op, maps)
            return
        red = [d for d, i in enumerate(iters) if i != "parallel"]
        if len(red) != 1 or red[0] != len(iters) - 1:
            raise Unsupported("a reduction other than over the innermost loop")
        if _mac(op.body.block) and self.contraction(fn, op, maps, op.inputs[0], op.inputs[1], len(iters)):
            return
        self.reduce(fn, op, maps)

    def contraction(self, fn: func.FuncOp, op: Operation, maps: list[Any], a: SSAValue, b: SSAValue, n: int) -> bool:
        a, da = _strip_unit(a, _dims(maps[0]))
        b, db = _strip_unit(b, _dims(maps[1]))
        out = _dims(maps[-1])
        k = n - 1
        if len(out) not in (2, 3) or len(da) != len(out) or len(db) != len(out):
            return False
        bat = out[:-2]
        i, j = out[-2], out[-1]
        if da != [*bat, i, k]:
            return False
        if db == [*bat, k, j]:
            col = False
        elif db == [*bat, j, k]:
            col = True
        else:
            return False
        init = op.operands[len(op.operands) - 1]
        self.gemm(fn, op, a, b, init, op.results[0], batch=bool(bat), b_col=col)
        return True

    def mul_then_sum(self, fn: func.FuncOp, op: linalg.GenericOp, maps: list[Any]) -> bool:
        """The raiser's batched form: a broadcast product generic summed over its last axis by the
        only user, a reduction generic."""
        body = [o for o in op.body.block.ops if not isinstance(o, linalg.YieldOp)]
        if len(op.inputs) != 2 or len(body) != 1 or body[0].name not in ("arith.mulf", "arith.muli"):
            return False
        if _nuses(op.res[0]) != 1:
            return False
        red = next(iter(op.res[0].uses)).operation
        if not isinstance(red, linalg.GenericOp) or len(red.inputs) != 1:
            return False
        riters = [str(i.data) for i in red.get_iterator_types().data]
        rmaps = [m.data for m in red.get_indexing_maps().data]
        n = len(riters)
        rb = [o for o in red.body.block.ops if not isinstance(o, linalg.YieldOp)]
        if riters[-1] == "parallel" or any(i != "parallel" for i in riters[:-1]) or len(rb) != 1 or \
                rb[0].name not in ("arith.addf", "arith.addi") or _dims(rmaps[0]) != list(range(n)):
            return False
        if _dims(maps[-1]) != list(range(n)):
            return False
        try:
            ok = self.contraction(fn, red, [maps[0], maps[1], rmaps[-1]], op.inputs[0], op.inputs[1], n)
        except Unsupported:
            return False
        if ok:
            self.gone.add(red)
        return ok

    # ---- elementwise, reductions, transposes

    def eltwise(self, fn: func.FuncOp, op: linalg.GenericOp, maps: list[Any]) -> None:
        out_dims = _dims(maps[-1])
        rank = len(out_dims)
        if out_dims != list(range(rank)):
            raise Unsupported("an output map that is not the identity")
        block = op.body.block
        y = block.last_op
        assert isinstance(y, linalg.YieldOp)
        ins = list(op.inputs)
        kinds: list[str] = []
        bufs: list[SSAValue] = []
        for v, m in zip(ins, maps, strict=False):
            d = _dims(m)
            if d == out_dims:
                kinds.append("full")
                bufs.append(v)
            elif rank == 2 and d in ([1], [None, 1]):
                kinds.append("col")
                bufs.append(_strip_unit(v, d)[0])
            elif rank == 2 and d in ([0], [0, None]):
                kinds.append("rowb")
                bufs.append(_strip_unit(v, d)[0])
            else:
                raise Unsupported(f"an input indexed by {m}")
        mp, scalars = build_map(block, list(block.args[: len(ins)]), y.operands[0])
        types = [type_name(_elem(v)) for v in bufs]
        to = type_name(_elem(op.res[0]))
        if to not in DTYPES or any(t not in DTYPES for t in types):  # no CUDA type in the emitter (f64, i64)
            raise Unsupported("an element type the CUDA target does not handle")
        # a chain: fold this kernel into its only user if that is elementwise over the same shape
        spec = KernelSpec(self.name(fn, "eltwise"), "eltwise", a_type=types[0] or "f32", out_type=to,
                          n_inputs=len(bufs), n_scalars=len(scalars), input_kinds=tuple(kinds),
                          in_types=tuple(t or "f32" for t in types), body=c_expr(mp),
                          static_dims=tuple(max(0, s) for s in op.res[0].type.get_shape()),  # type: ignore[union-attr]
                          fmad=float_order.may_contract(op))  # a * b + c stays two roundings unless contract
        self.launch(op, spec, mp, bufs + scalars, len(scalars), op.res[0])

    def reduce(self, fn: func.FuncOp, op: linalg.GenericOp, maps: list[Any]) -> None:
        block = op.body.block
        y = block.last_op
        assert isinstance(y, linalg.YieldOp)
        comb = y.operands[0].owner
        out = block.args[-1]
        if not isinstance(comb, Operation) or out not in comb.operands:
            raise Unsupported("a reduction body that is not out = combine(out, f(inputs))")
        combine, val = combiner(comb, out)
        n = len(maps[0].results) if maps else 0
        loops = len([*op.get_iterator_types().data])
        k = loops - 1
        if _dims(maps[-1]) != list(range(k)):
            raise Unsupported("an output map that is not the parallel loops in order")
        kinds, bufs = [], []
        for v, m in zip(op.inputs, maps, strict=False):
            d = _dims(m)
            if d == list(range(loops)):
                kinds.append("row")
            elif d == [k]:
                kinds.append("col")
            else:
                v, d2 = _strip_unit(v, d)
                if d2 == list(range(loops)):
                    kinds.append("row")
                elif d2 == [k]:
                    kinds.append("col")
                else:
                    raise Unsupported(f"a reduction input indexed by {m}")
            bufs.append(v)
        del n
        if k > 1:
            raise Unsupported("reductions with more than one parallel loop")
        mp, scalars = build_map(block, list(block.args[: len(op.inputs)]), val)
        types = [type_name(_elem(v)) for v in bufs]
        to = type_name(_elem(op.res[0]))
        if to not in DTYPES or any(t not in DTYPES for t in types):  # no CUDA type in the emitter (f64, i64)
            raise Unsupported("an element type the CUDA target does not handle")
        init = op.outputs[0]
        ordered = float_order.keeps_order(op)
        if ordered and (to != "f32" or any(t != "f32" for t in types)):
            raise Unsupported(f"a float sum in the loop's order over {types} -> {to}; to allow reordering, "
                              f"{float_order.HOW_TO_ALLOW}")
        if ordered and combine != "sum" and not _kernel_select(comb, out):
            # combiner() folds the compare's predicate (ogt / oge / ugt) and maxnumf into "max": equal
            # only where NaN and the sign of a tied zero do not matter, which an IEEE proof does not assume.
            raise Unsupported(f"a float {combine} fold in the loop's order (select or maxnum/minnum: NaN and signed "
                              f"zeros decide it); to allow reordering, {float_order.HOW_TO_ALLOW}")
        # An ordered sum starts from +0.0 only where the loop's does (from -0.0 a zero sum keeps its sign).
        identity = (_is_pos_zero_fill(init) if ordered else _is_zero_fill(init)) and combine == "sum"
        if not identity:
            kinds.append("rowb")
            bufs.append(init)
            types.append(to)
        acc = "i64" if to.startswith("i") else ("f64" if to == "f64" else "f32")
        spec = KernelSpec(self.name(fn, "reduce"), "reduce", a_type=types[0] or "f32", out_type=to, acc_type=acc,
                          n_inputs=len(bufs), n_scalars=len(scalars), input_kinds=tuple(kinds),
                          in_types=tuple(t or "f32" for t in types), body=c_expr(mp), combine=combine,
                          static_dims=_row_dims(bufs[kinds.index("row")]) if "row" in kinds else (),
                          ordered=ordered, fmad=not ordered)
        self.launch(op, spec, mp, bufs + scalars, len(scalars), op.res[0])

    def transpose(self, fn: func.FuncOp, op: linalg.TransposeOp) -> None:
        perm = list(op.permutation.get_values())
        if perm not in ([1, 0], [0, 2, 1]):
            raise Unsupported(f"permutation {perm}")
        t = type_name(_elem(op.inputs[0]))
        if t not in DTYPES:
            raise Unsupported("element type")
        shape = [max(0, d) for d in op.inputs[0].type.get_shape()]  # type: ignore[union-attr]
        spec = KernelSpec(self.name(fn, "transpose"), "transpose", a_type=t, out_type=t,
                          static_dims=(shape[-2], shape[-1], shape[0] if len(shape) == 3 else 1))
        self.launch(op, spec, None, [op.inputs[0]], 0, op.res[0])


def _const_zero(v: SSAValue) -> bool:
    o = v.owner
    return isinstance(o, arith.ConstantOp) and isinstance(o.value, (FloatAttr, IntegerAttr)) and \
        float(o.value.value.data) == 0.0  # type: ignore[union-attr]


def _pos_zero(v: SSAValue) -> bool:
    """An integer 0 or a float +0.0 constant (a relu's bound: -0.0 would give -0.0 for v <= 0)."""
    o = v.owner
    return _const_zero(v) and not (isinstance(o.value, FloatAttr) and  # type: ignore[union-attr]
                                   math.copysign(1.0, float(o.value.value.data)) < 0)  # type: ignore[union-attr]


def _relu_max(op: Operation, other: SSAValue) -> bool:
    """max(v, 0) that the epilogue's relu computes exactly. The epilogues compute `v > 0 ? v : 0`
    (on sm_90a the functor LcRelu), NaN -> 0: that is maxnumf (maxNum drops a NaN operand) but not
    maximumf, which returns NaN, unless its fastmath says nnan."""
    if not _pos_zero(other):
        return False
    if op.name in ("arith.maxsi", "arith.maxnumf"):
        return True
    fm = op.properties.get("fastmath")
    return op.name == "arith.maximumf" and "nnan" in {str(f.value) for f in getattr(fm, "data", ())}


def _relu_compare(op: Operation, cur: SSAValue) -> bool:
    """`v ogt +0.0` (or `v sgt 0`) used only by a select: the condition of a relu select."""
    if not isinstance(op, (arith.CmpfOp, arith.CmpiOp)) or list(op.operands)[0] is not cur:
        return False
    gt = 2 if isinstance(op, arith.CmpfOp) else 4  # ogt / sgt
    uses = list(op.result.uses)
    return int(op.predicate.value.data) == gt and _pos_zero(op.operands[1]) and len(uses) == 1 and \
        isinstance(uses[0].operation, arith.SelectOp)


def _relu_select(op: arith.SelectOp, cur: SSAValue) -> bool:
    """select(v ogt 0, v, 0): exactly the epilogue's `v > 0 ? v : 0` (NaN -> 0, -0.0 -> +0.0)."""
    cmp = op.cond.owner
    return isinstance(cmp, Operation) and _relu_compare(cmp, cur) and op.lhs is cur and _pos_zero(op.rhs)


def _in_block(v: SSAValue, block: Block) -> bool:
    o = v.owner
    return (isinstance(o, Operation) and o.parent_block() is block) or o is block


def _gemm_static(a: SSAValue, b: SSAValue, b_col: bool, batch: bool) -> tuple[int, ...]:
    sa = list(a.type.get_shape())  # type: ignore[union-attr]
    sb = list(b.type.get_shape())  # type: ignore[union-attr]
    m, k = sa[-2], sa[-1]
    n = sb[-2] if b_col else sb[-1]
    batch_n = sa[0] if batch else 1
    return tuple(max(0, x) for x in (m, n, k, batch_n))


def _row_dims(v: SSAValue) -> tuple[int, ...]:
    shape = [max(0, d) for d in v.type.get_shape()]  # type: ignore[union-attr]
    return (1, shape[0]) if len(shape) == 1 else (shape[0], shape[1])


def _before(op: Operation) -> Any:
    from xdsl.rewriter import InsertPoint

    return InsertPoint.before(op)


def lower_module(module: ModuleOp, opts: LowerOptions | None = None) -> Lowered:
    """Lower a tensor-level module (not modified) to the cuda dialect."""
    from liftcomp.interop.linalg_ops import generalize

    out = module.clone()
    generalize(out)  # named ops (matmul, matvec, dot, reduce, map, elementwise, ...) as their linalg.generic
    low = _Lowering(out, opts or LowerOptions())
    low.run()
    return Lowered(out, low.kernels, low.remarks)


__all__ = ["LowerOptions", "lower_module", "type_name", "AnyFloat"]


def _nuses(v: SSAValue) -> int:
    return sum(1 for _ in v.uses)


def _defs_before(op: Operation, anchor: Operation) -> None:
    """Operands of `op` defined after `anchor` in its block (a fused epilogue's bias, read after
    the GEMM the launch replaces) move before it, with what they use in turn."""
    block = anchor.parent_block()
    if block is None:
        return
    for v in op.operands:
        d = v.owner
        if not isinstance(d, Operation) or d.parent_block() is not block:
            continue
        if block.get_operation_index(d) > block.get_operation_index(anchor):
            _defs_before(d, anchor)
            d.detach()
            block.insert_op_before(d, anchor)
