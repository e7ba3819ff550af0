"""Raised tensor programs -> nki kernels plus host wrappers (the `liftcomp-lower-nki` pass).

Per function, in this order:
- a matmul (linalg.matmul, or a generic whose body is a multiply-accumulate over one reduction
  dim) with an optional epilogue generic (+ bias over N, relu/max(., 0), other unary
  activations) -> a TensorE kernel (matmul.py) from a MatmulSchedule (default: the tutorial's
  naive tiling; the search replaces it);
- a straight line of element-wise and row-reduction generics over the same rows (element-wise
  chains, softmax, rmsnorm, layernorm, depthwise conv1d as shifted multiply-adds, 1-D
  reductions) -> one row-tile loop (rows on partitions, the row's elements on the free dim)
  that keeps every intermediate in SBUF (rowwise.py);
- anything else stays on the host (the raised function, run by numpy) with a remark.
Shapes are specialised (views.py); scalar arithmetic outside the kernels runs in the host
wrapper and reaches the kernel as [1, 1] tensors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import arith, bufferization, func, math, memref, tensor
from xdsl.dialects.builtin import (
    ArrayAttr,
    Float32Type,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    TensorType,
    i64,
)
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Attribute, Block, BlockArgument, Operation, Region, SSAValue

from liftcomp.ir import float_order
from liftcomp.targets.nki import api
from liftcomp.targets.nki import dialect as nki
from liftcomp.targets.nki.config import DEFAULT_CHIP, NkiChip
from liftcomp.targets.nki.matmul import (
    MatmulProblem,
    MatmulSchedule,
    build_matmul_kernel,
    naive_schedule,
)
from liftcomp.targets.nki.views import HbmView, IndexEval, Unsupported, hbm_view, is_structured

HOST_ATTR = "nki.host"


@dataclass
class LowerOptions:
    chip: NkiChip = DEFAULT_CHIP
    dyn_size: int = 64
    schedules: dict[str, Any] = field(default_factory=dict)  # function name -> MatmulSchedule / RowSchedule
    originals: dict[str, func.FuncOp] = field(default_factory=dict)  # input loop nests, kept on the host


@dataclass
class KernelRecord:
    func: str
    kind: str              # "matmul" | "rowwise" | "host"
    remark: str = ""
    schedule: dict[str, Any] = field(default_factory=dict)
    problem: Any = None

    def to_json(self) -> dict[str, Any]:
        return {"func": self.func, "kind": self.kind, "remark": self.remark, "schedule": self.schedule}


@dataclass
class LoweringReport:
    kernels: list[KernelRecord] = field(default_factory=list)

    @property
    def remarks(self) -> list[str]:
        return [k.remark for k in self.kernels if k.remark]


# ------------------------------------------------------------------------ kernel arguments --
@dataclass
class KArg:
    """One HBM tensor of a kernel: a host operand seen as a 2-D row-major array."""

    name: str
    host: int | SSAValue      # argument index of the host function, or a host scalar value
    rows: int
    cols: int
    elem: Attribute
    output: bool = False


class ArgTable:
    def __init__(self, fn: func.FuncOp):
        self.fn = fn
        self.args: list[KArg] = []
        self.names = _arg_names(fn)

    def hbm(self, arg: int, rows: int, cols: int, output: bool = False) -> int:
        for i, a in enumerate(self.args):
            if a.host == arg and (a.rows, a.cols) == (rows, cols) and a.output == output:
                return i
        t = self.fn.body.block.args[arg].type
        assert isinstance(t, MemRefType)
        suffix = "_out" if output else ""
        self.args.append(KArg(f"{self.names[arg]}{suffix}", arg, rows, cols, t.element_type, output))
        return len(self.args) - 1

    def scalar(self, v: SSAValue, elem: Attribute, name: str = "s") -> int:
        for i, a in enumerate(self.args):
            if a.host is v:
                return i
        self.args.append(KArg(f"{name}{len(self.args)}", v, 1, 1, elem))
        return len(self.args) - 1

    def result(self, elem: Attribute) -> int:
        """A [1, 1] output the host wrapper reads back as a scalar result."""
        self.args.append(KArg(f"ret{len(self.args)}", -1 - len(self.args), 1, 1, elem, True))
        return len(self.args) - 1

    def types(self) -> list[tuple[str, MemRefType]]:
        return [(a.name, MemRefType(a.elem, [a.rows, a.cols])) for a in self.args]


def _arg_names(fn: func.FuncOp) -> list[str]:
    attr = fn.attributes.get("liftcomp.arg_names")
    if isinstance(attr, ArrayAttr):
        return [getattr(s, "data", f"arg{i}") for i, s in enumerate(attr.data)]
    return [f"arg{i}" for i in range(len(fn.body.block.args))]


def window_2d(view: HbmView, role: str) -> tuple[tuple[int, int], tuple[int, int], bool]:
    """(host 2-D shape, (row, col) offset, transposed) of a squeezed view used as `role`:
    "full" [rows, cols], "rowvec" (one value per row: a column of the 2-D view) or "colvec"
    (one row, broadcast over partitions) or "scalar"."""
    v = view.squeezed()
    total = v.offset + 1 + sum((s - 1) * st for s, st in zip(v.shape, v.strides, strict=True))
    if role == "full":
        if len(v.shape) != 2:
            raise Unsupported(f"a {len(v.shape)}-d view used as a 2-d tile")
        (a, b), (sa, sb) = v.shape, v.strides
        if sb == 1:
            ld = sa
            transposed = False
        elif sa == 1:
            ld = sb
            transposed = True
        else:
            raise Unsupported("a view with no unit stride")
        rows = -(-max(total, v.offset + 1) // ld)
        r0, c0 = divmod(v.offset, ld)
        inner = b if not transposed else a
        if c0 + inner > ld:
            raise Unsupported("a view that wraps around rows")
        return (rows, ld), (r0, c0), transposed
    if role in ("rowvec", "colvec"):
        if len(v.shape) > 1:
            raise Unsupported("a vector view of a 2-d region")
        st = v.strides[0] if v.shape else 1
        n_total = max(total, 1)
        if role == "rowvec" and st != 1:
            # Every st-th element (a column of a row-major matrix): a column window of [., st].
            return (-(-n_total // st), st), divmod(v.offset, st), False
        if st != 1 and len(v.shape) == 1:
            raise Unsupported("a strided vector along the free dim")
        if role == "rowvec":
            return (n_total, 1), (v.offset, 0), False
        return (1, n_total), (0, v.offset), False
    return (1, max(total, 1)), (0, v.offset), False


# ------------------------------------------------------------------------------- driver --
def _has_loops(fn: func.FuncOp) -> bool:
    return any(op.name in ("scf.for", "scf.while", "affine.for", "scf.if") for op in fn.walk())


def build_host(fn: func.FuncOp, kernel_name: str, table: ArgTable, scalar_results: list[int],
               ev: IndexEval) -> func.FuncOp:
    """The host wrapper: fn's signature; its scalar arithmetic; the kernel's call on nki.hbm_view's of
    its arguments; scalar results."""
    block = Block(arg_types=[a.type for a in fn.body.block.args])
    host = func.FuncOp(fn.sym_name.data, fn.function_type, Region(block))
    host.attributes["nki.arg_names"] = ArrayAttr([StringAttr(n) for n in table.names])
    host.attributes["nki.dyn_size"] = IntegerAttr(ev.dyn, i64)
    mapping: dict[SSAValue, SSAValue] = dict(zip(fn.body.block.args, block.args, strict=True))
    # Scalar ops (and the reads of single elements) the kernel's scalar inputs depend on.
    kernel_returns = {v for v in _returned(fn) if isinstance(v.owner, tensor.ExtractOp)
                      and hbm_view(v.owner.tensor, ev) is None}
    needed = _scalar_closure([a.host for a in table.args if isinstance(a.host, SSAValue)])
    needed |= _scalar_closure([v for v in _returned(fn) if v not in kernel_returns])
    for op in fn.body.block.ops:
        if op not in needed:
            continue
        if isinstance(op, tensor.ExtractOp):
            view = hbm_view(op.tensor, ev)
            if view is None:
                raise Unsupported("tensor.extract of a computed tensor")
            idx = [ev(i) for i in op.indices]
            flat = view.offset + sum(i * s for i, s in zip(idx, view.strides, strict=True))
            mt = fn.body.block.args[view.arg].type
            assert isinstance(mt, MemRefType)
            nd = len(mt.get_shape())
            shape = [ev.dim(mt, i) for i in range(nd)]
            coords = []
            for s in reversed(shape):
                coords.append(flat % s)
                flat //= s
            cops = [arith.ConstantOp(IntegerAttr(c, IndexType())) for c in reversed(coords)]
            for c in cops:
                block.add_op(c)
            ld = memref.LoadOp.get(mapping[fn.body.block.args[view.arg]], [c.result for c in cops])
            block.add_op(ld)
            mapping[op.result] = ld.res
            continue
        new = op.clone(value_mapper=mapping)
        block.add_op(new)
        for a, b in zip(op.results, new.results, strict=True):
            mapping[a] = b
    launch_args: list[SSAValue] = []
    result_bufs: dict[int, SSAValue] = {}
    for i, a in enumerate(table.args):
        if isinstance(a.host, SSAValue):
            host_value = mapping[a.host]
        elif a.host >= 0:
            host_value = block.args[a.host]
        else:
            buf = memref.AllocOp.get(a.elem, shape=[1, 1])
            block.add_op(buf)
            result_bufs[i] = buf.memref
            host_value = buf.memref
        view = nki.HbmViewOp(host_value, a.rows, a.cols, a.elem)
        block.add_op(view)
        launch_args.append(view.result)
    block.add_op(func.CallOp(kernel_name, launch_args, []))
    rets: list[SSAValue] = []
    zero = arith.ConstantOp(IntegerAttr(0, IndexType()))
    block.add_op(zero)
    results = iter(scalar_results)
    for v in _returned(fn):
        if v not in kernel_returns:
            rets.append(mapping[v])
            continue
        ld = memref.LoadOp.get(result_bufs[next(results)], [zero.result, zero.result])
        block.add_op(ld)
        rets.append(ld.res)
    block.add_op(func.ReturnOp(*rets))
    return host


def _returned(fn: func.FuncOp) -> list[SSAValue]:
    last = fn.body.block.last_op
    return list(last.operands) if isinstance(last, func.ReturnOp) else []


def _scalar_closure(roots: list[SSAValue]) -> set[Operation]:
    """Ops computing these scalars (stopping at arguments and tensors)."""
    seen: set[Operation] = set()
    stack = list(roots)
    while stack:
        v = stack.pop()
        op = v.owner
        if isinstance(v, BlockArgument) or op in seen or isinstance(v.type, TensorType):
            continue
        if isinstance(op, tensor.ExtractOp):
            seen.add(op)
            stack += list(op.indices)
            continue
        if not (op.name.startswith("arith.") or op.name.startswith("math.") or op.name == "memref.dim"):  # type: ignore
            continue
        seen.add(op)  # type: ignore
        stack += list(op.operands)  # type: ignore
    return seen


# ------------------------------------------------------------------------------- matmul --
def _is_mac(block: Block) -> bool:
    ops = list(block.ops)
    if len(ops) != 3 or not isinstance(ops[2], linalg.YieldOp):
        return False
    mul, add = ops[0], ops[1]
    if mul.name != "arith.mulf" or add.name != "arith.addf":
        return False
    a = block.args
    return set(mul.operands) == {a[0], a[1]} and set(add.operands) == {a[2], mul.results[0]}


def _dims(m: Any) -> list[int] | None:
    from xdsl.ir.affine import AffineConstantExpr, AffineDimExpr

    out = []
    for e in m.results:
        if isinstance(e, AffineDimExpr):
            out.append(e.position)
        elif isinstance(e, AffineConstantExpr) and e.value == 0:
            out.append(-1)
        else:
            return None
    return out


def _contraction(op: Operation, ev: IndexEval) -> tuple[SSAValue, SSAValue, str, str, SSAValue] | None:
    """(A, B, a_layout, b_layout, init) of C[i, j] = sum_k A . B, or None."""
    if op.name == "linalg.matmul":
        ins, outs = list(op.inputs), list(op.outputs)  # type: ignore[attr-defined]
        maps = [_dims(m.data) for m in op.get_indexing_maps().data]  # type: ignore[attr-defined]
        if len(ins) != 2 or maps != [[0, 2], [2, 1], [0, 1]]:
            return None
        return ins[0], ins[1], "mk", "kn", outs[0]
    if not hasattr(op, "get_indexing_maps") or len(op.inputs) != 2 or not _is_mac(op.body.block):  # type: ignore[attr-defined]
        return None
    its = [str(it.data) for it in op.get_iterator_types().data]  # type: ignore
    maps = [_dims(m.data) for m in op.get_indexing_maps().data]  # type: ignore
    if None in maps or its.count("reduction") != 1:
        return None
    k = its.index("reduction")
    par = [i for i, t in enumerate(its) if t == "parallel"]
    if len(par) not in (1, 2):
        return None
    i_dim = par[0]
    j_dim = par[1] if len(par) == 2 else None
    ma, mb, mc = maps  # type: ignore[misc]
    ma = [d for d in ma if d >= 0]  # type: ignore
    mb = [d for d in mb if d >= 0]  # type: ignore
    mc = [d for d in mc if d >= 0]  # type: ignore
    if mc != ([i_dim, j_dim] if j_dim is not None else [i_dim]):
        return None
    a_layout = {(i_dim, k): "mk", (k, i_dim): "km"}.get(tuple(ma))  # type: ignore[arg-type]
    if j_dim is None:
        b_layout = "kn" if mb == [k] else None
    else:
        b_layout = {(k, j_dim): "kn", (j_dim, k): "nk"}.get(tuple(mb))  # type: ignore[arg-type]
    if a_layout is None or b_layout is None:
        return None
    return op.inputs[0], op.inputs[1], a_layout, b_layout, op.outputs[0]  # type: ignore


_ACT_OF = {"math.tanh": "tanh", "math.exp": "exp", "math.sqrt": "sqrt", "math.rsqrt": "rsqrt", "math.erf": "erf"}


def _epilogue(op: linalg.GenericOp, mm_result: SSAValue) -> tuple[SSAValue | None, str] | None:
    """(bias tensor or None, activation) of generic(mm, [bias]) = act(mm + bias), else None."""
    if mm_result not in op.inputs or len(op.outputs) != 1:
        return None
    blk = op.body.block
    ins = dict(zip(op.inputs, blk.args, strict=False))
    x = ins[mm_result]
    bias = None
    ops = [o for o in blk.ops if not isinstance(o, linalg.YieldOp)]
    cur: SSAValue = x
    act = ""
    for o in ops:
        if o.name == "arith.addf" and cur in o.operands and bias is None:
            other = o.operands[1] if o.operands[0] is cur else o.operands[0]
            if not isinstance(other, BlockArgument) or other.index >= len(op.inputs):
                return None
            bias = op.inputs[other.index]
            maps = [_dims(m.data) for m in op.get_indexing_maps().data]
            bmap = [d for d in (maps[other.index] or []) if d >= 0]
            if bmap != [1]:
                return None
            cur = o.results[0]
            continue
        if o.name in ("arith.maximumf", "arith.maxnumf") and cur in o.operands and not act:
            other = o.operands[1] if o.operands[0] is cur else o.operands[0]
            c = other.owner
            if not (isinstance(c, arith.ConstantOp) and float(c.value.value.data) == 0.0):  # type: ignore[union-attr]
                return None
            act = "relu"
            cur = o.results[0]
            continue
        if o.name in _ACT_OF and o.operands[0] is cur and not act:
            act = _ACT_OF[o.name]
            cur = o.results[0]
            continue
        return None
    last = blk.last_op
    if not isinstance(last, linalg.YieldOp) or last.operands[0] is not cur:
        return None
    return bias, act


def _is_zero_fill(v: SSAValue) -> bool:
    op = v.owner
    if not isinstance(op, linalg.FillOp):
        return False
    c = op.inputs[0].owner
    return isinstance(c, arith.ConstantOp) and float(c.value.value.data) == 0.0  # type: ignore[union-attr]


def match_matmul(fn: func.FuncOp, o: LowerOptions) -> tuple[func.FuncOp, func.FuncOp, KernelRecord] | None:
    ev = IndexEval(o.dyn_size)
    structured = [op for op in fn.body.block.ops if op.name == "linalg.matmul" or is_structured(op)]
    if not structured or len(structured) > 2:
        return None
    c = _contraction(structured[0], ev)
    if c is None:
        return None
    if float_order.keeps_order(structured[0]):
        # TensorE's PSUM accumulation has no specified order (ir/float_order.py).
        raise Unsupported(float_order.remark(structured[0]))
    a, bm, a_layout, b_layout, init = c
    if not _is_zero_fill(init):
        raise Unsupported("a matmul accumulating into a non-zero tensor")
    result = structured[0].results[0]
    bias = None
    act = ""
    if len(structured) == 2:
        if not hasattr(structured[1], "get_indexing_maps"):
            return None
        epi = _epilogue(structured[1], result)  # type: ignore[arg-type]
        if epi is None:
            return None
        bias, act = epi
        result = structured[1].results[0]
    mats = [op for op in fn.body.block.ops if isinstance(op, bufferization.MaterializeInDestinationOp)]
    if len(mats) != 1:
        return None
    dest_view = _dest_view(mats[0], result, ev)
    if dest_view is None:
        return None
    if _returned(fn):
        raise Unsupported("a matmul function that returns values")
    av, bv = hbm_view(a, ev), hbm_view(bm, ev)
    if av is None or bv is None:
        raise Unsupported("matmul operands computed on the device (only arguments are loaded)")
    elems = {fn.body.block.args[x.arg].type.element_type for x in (av, bv)}  # type: ignore[attr-defined]
    et = next(iter(elems))
    if len(elems) != 1 or nki.element_bytes(et) not in (1, 2, 4) or not hasattr(et, "bitwidth") or not _has_nki_dtype(et):
        raise Unsupported(f"matmul element types {sorted(map(str, elems))}")
    if isinstance(et, IntegerType):  # TensorE multiplies in floating point: int32 products are not exact
        raise Unsupported(f"an integer ({et}) matmul: TensorE multiplies in floating point")
    if nki.is_fp8(et) and not o.chip.has_fp8:
        raise Unsupported(f"an fp8 ({et}) matmul: {o.chip.name}'s TensorE has no fp8 (trn2's has)")
    if nki.is_fp8(et) and not isinstance(fn.body.block.args[dest_view.arg].type.element_type, Float32Type):  # type: ignore[attr-defined]
        raise Unsupported("an fp8 matmul must accumulate into f32 (TensorE sums fp8 products in fp32 PSUM)")
    am, ak = (av.squeezed().shape + (1,))[:2] if a_layout == "mk" else tuple(reversed((av.squeezed().shape + (1,))[:2]))
    sq_b = bv.squeezed().shape
    n = 1 if len(sq_b) == 1 else (sq_b[1] if b_layout == "kn" else sq_b[0])
    m, k = (am, ak)
    table = ArgTable(fn)
    a_host, a_off, a_t = window_2d(av, "full")
    if a_off != (0, 0) or (a_t != (a_layout == "km")) and False:
        raise Unsupported("matmul operand windows not at the start of their buffers")
    # The kernel's A is [M, K] (mk) or [K, M] (km): the host view decides which.
    a_idx = table.hbm(av.arg, *a_host)
    if len(sq_b) == 1:
        b_host, b_off = (k, 1), (bv.offset, 0)
    else:
        b_host, b_off, _ = window_2d(bv, "full")
    b_idx = table.hbm(bv.arg, *b_host)
    bias_idx = None
    if bias is not None:
        biv = hbm_view(bias, ev)
        if biv is None:
            raise Unsupported("a bias computed on the device")
        bias_idx = table.hbm(biv.arg, 1, n)
    c_idx = table.hbm(dest_view.arg, m, n, output=True)
    if (a_host[0] * a_host[1], b_host[0] * b_host[1]) != (m * k, k * n) or a_off != (0, 0) or b_off != (0, 0):
        raise Unsupported("matmul operands that are windows of larger buffers")
    if dest_view.offset != 0:
        raise Unsupported("a matmul result written into a window of its buffer")
    p = MatmulProblem(m, n, k, et, et, fn.body.block.args[dest_view.arg].type.element_type,  # type: ignore[attr-defined]
                      a_layout if a_host == ((m, k) if a_layout == "mk" else (k, m)) else "mk", b_layout,
                      bias is not None, act)
    if (a_layout == "mk" and a_host != (m, k)) or (a_layout == "km" and a_host != (k, m)):
        raise Unsupported("matmul operand layout")
    sched = o.schedules.get(fn.sym_name.data)
    if not isinstance(sched, MatmulSchedule):
        sched = naive_schedule(p, o.chip)
    name = f"{fn.sym_name.data}_kernel"
    kernel = build_matmul_kernel(name, p, sched, o.chip)
    # matmul.py's argument order: a, b, [bias], c; reorder the table to match.
    order = [a_idx, b_idx] + ([bias_idx] if bias_idx is not None else []) + [c_idx]
    table.args = [table.args[i] for i in order]  # type: ignore[index]
    kernel.attributes["nki.arg_names"] = ArrayAttr([StringAttr(x.name) for x in table.args])
    host = build_host(fn, name, table, [], ev)
    return kernel, host, KernelRecord(fn.sym_name.data, "matmul", "", sched.to_json(), p)


def _dest_view(mat: bufferization.MaterializeInDestinationOp, result: SSAValue, ev: IndexEval) -> HbmView | None:
    """The window of the destination argument that `result` is written to."""
    src = mat.source
    dest = mat.dest
    if not isinstance(dest, BlockArgument):
        return None
    if src is result:
        t = dest.type
        assert isinstance(t, MemRefType)
        shape = tuple(ev.dim(t, i) for i in range(len(t.get_shape())))
        strides = [1] * len(shape)
        for i in range(len(shape) - 2, -1, -1):
            strides[i] = strides[i + 1] * shape[i + 1]
        return HbmView(dest.index, 0, shape, tuple(strides))
    ins = src.owner
    if isinstance(ins, tensor.InsertSliceOp) and ins.source is result:
        base = hbm_view(ins.dest, ev)
        if base is None or base.arg != dest.index:
            return None
        offs = list(ins.static_offsets.get_values())
        if ins.offsets or any(s != 1 for s in ins.static_strides.get_values()):
            raise Unsupported("insert_slice with dynamic offsets or strides")
        off = base.offset + sum(o * s for o, s in zip(offs, base.strides, strict=True))
        shape = ev.shape(result)
        rank_src = len(shape)
        strides = base.strides[-rank_src:] if rank_src else ()
        return HbmView(base.arg, off, tuple(shape), tuple(strides))
    return None


__all__ = ["LowerOptions", "LoweringReport", "KernelRecord", "match_matmul", "build_host",
           "ArgTable", "window_2d", "Float32Type", "math"]


def _has_nki_dtype(t: Attribute) -> bool:
    """Whether the emitted NKI Python can name the type (i8 cannot: no integer TensorE path here)."""
    try:
        api.dtype(t)
    except ValueError:
        return False
    return True
