"""Lower tensor-level kernels (the raising pass's output) to the gemmini dialect.

Input (per function): `bufferization.to_tensor` of memref arguments, linalg ops on tensors, and
`bufferization.materialize_in_destination` into memref arguments. Each linalg op whose result is
materialized is recognised by its indexing maps and body, never by name alone:

- contraction C[i,j] += sext(A[i,k]) * sext(B[k,j]) with i8 inputs and an i32 accumulator
  (linalg.matmul or linalg.generic): a tiled matmul, `loop_ws` per tile or explicit instructions
  in scf loops, with the tile choice of a `MatmulSchedule` (default: tiled_matmul_auto's);
- mat-vec y[i] += sext(A[i,k]) * sext(x[k]): the same, with x as a K x 1 matrix;
- element-wise add of two tensors whose body Gemmini's accumulator computes exactly (i32 + i32,
  sext(i8) + sext(i8) into i32, or an int8 saturating add): resadd through the accumulator;
- anything else stays on the host as scf loops, with a remark saying why.

Tensors map back to memrefs (to_tensor source, materialize destination), so no bufferization
runs. `lower_module` is the entry point; the `liftcomp-lower-gemmini` pass wraps it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import arith, bufferization, func, memref, tensor
from xdsl.dialects.builtin import IntegerType, MemRefType, ModuleOp, TensorType
from xdsl.dialects.linalg import ops as linalg
from xdsl.ir import Block, Operation, SSAValue
from xdsl.ir.affine import AffineDimExpr, AffineMap

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.ir.builder import IRBuilder
from liftcomp.lowering import views
from liftcomp.lowering.match import is_mac_body
from liftcomp.targets.gemmini import dialect as g
from liftcomp.targets.gemmini import epilogue as epi
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.schedule import Form, MatmulSchedule, MatmulShape, library_schedule

ScheduleChoice = MatmulSchedule | Callable[[MatmulShape], MatmulSchedule] | None


@dataclass
class LowerOptions:
    """form: the form of the default (library) schedule; schedule: a fixed schedule, or a function
    from shape to schedule (search plugs in here); None = tiled_matmul_auto's choice."""

    form: Form = "explicit"
    schedule: ScheduleChoice = None
    config: GemminiConfig = DEFAULT_CONFIG
    cleanup: bool = False  # run liftcomp-gemmini-cleanup on every function (schedules may ask for it too)
    # The input program's functions (loop nests) by name: a function whose tensor ops cannot all be
    # lowered keeps these loops on the host instead of failing (liftcomp compile passes them).
    originals: dict[str, func.FuncOp] | None = None
    # A schedule per function name (what a search chose for that function's kernel); it wins over
    # `schedule` for that function's matmuls (a ConvSchedule: for its convolution).
    func_schedules: dict[str, Any] | None = None
    # Convolutions: a fixed ConvSchedule, or a function from ConvShape to one; None = tiled_conv_auto's.
    conv_schedule: Any = None

    def conv_schedule_for(self, shape: Any, func_name: str = "") -> Any:
        from liftcomp.targets.gemmini.conv import ConvSchedule, library_conv_schedule

        chosen = (self.func_schedules or {}).get(func_name)
        if isinstance(chosen, ConvSchedule):
            return chosen
        s = self.conv_schedule
        if s is None:
            return library_conv_schedule(shape, self.config)
        return s if isinstance(s, ConvSchedule) else s(shape)

    def schedule_for(self, shape: MatmulShape, func_name: str = "") -> MatmulSchedule:
        chosen = (self.func_schedules or {}).get(func_name)
        if isinstance(chosen, MatmulSchedule):
            return chosen
        s = self.schedule
        if s is None:
            return library_schedule(shape, self.config, self.form)
        if isinstance(s, MatmulSchedule):
            return s
        return s(shape)


@dataclass
class KernelRecord:
    """One lowered tensor op: what it became and with which schedule."""

    func: str
    kind: str  # matmul | matvec | resadd | host
    shape: MatmulShape | None = None
    schedule: MatmulSchedule | None = None
    remark: str = ""
    epilogue: str | None = None  # the requantisation Gemmini applies at mvout (None: raw int32)
    a_transposed: bool = False
    b_transposed: bool = False
    epilogue_refused: str = ""  # why an epilogue after the matmul cannot go into the mvouts
    host_location: str = ""  # where the op kept on the host is (op_location), for strict/remarks
    conv_shape: Any = None  # a convolution's conv.ConvShape (kind "conv"; `shape` is its implicit GEMM)

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "func": self.func,
            "kind": self.kind,
            "shape": None if self.shape is None else [self.shape.m, self.shape.k, self.shape.n],
            "schedule": None if self.schedule is None else self.schedule.to_json(),
            "remark": self.remark,
        }
        if self.epilogue is not None:
            d["epilogue"] = self.epilogue
        if self.a_transposed or self.b_transposed:
            d["transposed"] = {"a": self.a_transposed, "b": self.b_transposed}
        if self.conv_shape is not None:
            d["conv"] = self.conv_shape.describe()  # "shape" above is its implicit GEMM (M x K x N)
        return d


@dataclass
class LoweringReport:
    kernels: list[KernelRecord] = field(default_factory=list)

    @property
    def remarks(self) -> list[str]:
        return [f"{k.func}: {k.remark}" for k in self.kernels if k.remark]


def lower_module(module: ModuleOp, options: LowerOptions | None = None) -> ModuleOp:
    """A lowered copy of `module` (the input is left alone)."""
    return lower_module_with_report(module, options)[0]


def lower_module_with_report(module: ModuleOp, options: LowerOptions | None = None) -> tuple[ModuleOp, LoweringReport]:
    out = module.clone()
    report = lower_in_place(out, options or LowerOptions())
    return out, report


def lower_in_place(module: ModuleOp, options: LowerOptions) -> LoweringReport:
    from liftcomp.interop.linalg_ops import generalize
    from liftcomp.targets.gemmini.liftcomp_gemmini_cleanup import cleanup_function

    report = LoweringReport()
    # Hardware other than the default is recorded, so verifiers and the simulator check its limits.
    g.attach_config(module, options.config)
    for fn in [op for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks]:
        first = len(report.kernels)
        name = fn.sym_name.data
        try:
            generalize(fn)  # named linalg ops (matvec, reduce, map, ...) are matched as generics
            _FuncLowering(fn, options, report).run()
        except LiftcompError as e:
            original = (options.originals or {}).get(name)
            if original is None:
                raise
            del report.kernels[first:]
            module.body.block.insert_op_before(original.clone(), fn)
            fn.detach()
            fn.erase()
            report.kernels.append(KernelRecord(name, "host", remark=f"kept the input loop nests on the host: {e.message}",
                                               host_location=e.location or ""))
            continue
        # A schedule with remove_redundant_config cleans up the whole function it belongs to.
        if options.cleanup or any(k.schedule is not None and k.schedule.remove_redundant_config
                                  for k in report.kernels[first:]):
            cleanup_function(fn)
    return report


# ---------------------------------------------------------------------------------- analysis --
@dataclass
class Mat:
    """A DRAM operand seen as a row-major matrix: rows x cols elements, row stride in elements."""

    mem: SSAValue
    rows: SSAValue
    cols: SSAValue
    stride: SSAValue
    # Stored transposed: element (r, c) of the matrix is at c * stride + r in `mem`.
    transposed: bool = False

    def offset(self, b: IRBuilder, r: SSAValue, c: SSAValue) -> SSAValue:
        """Element offset in `mem` of the matrix's element (r, c)."""
        if self.transposed:
            return b.add(b.mul(c, self.stride), r)
        return b.add(b.mul(r, self.stride), c)


@dataclass
class Contraction:
    """C[i,j] += A[i,k] * B[k,j] (kind 'matmul') or y[i] += A[i,k] * x[k] ('matvec'); `a`, `b`:
    the i8 tensors as stored, transposed (A as K x M, B as N x K) where `a_t` / `b_t` say so."""

    kind: str
    a: SSAValue
    b: SSAValue
    a_t: bool = False
    b_t: bool = False


def _map_dims(m: AffineMap) -> tuple[int, ...] | None:
    out: list[int] = []
    for e in m.results:
        if not isinstance(e, AffineDimExpr):
            return None
        out.append(e.position)
    return tuple(out)


def _int_width(t: Any) -> int | None:
    return t.width.data if isinstance(t, IntegerType) else None


def _iterators(op: linalg.GenericOp | linalg.MatmulOp) -> list[str]:
    return [str(it.data) for it in op.get_iterator_types().data]


def _is_wide_mac_body(block: Block) -> bool:
    """yield addi(acc, muli(a, b)) on i32 (operands widened from i8 by the producers)."""
    last = block.last_op
    if not isinstance(last, linalg.YieldOp) or len(last.operands) != 1 or len(block.args) != 3:
        return False
    a, b, acc = block.args
    if any(_int_width(x.type) != 32 for x in (a, b, acc)):
        return False
    add = last.operands[0].owner
    if not isinstance(add, arith.AddiOp) or acc not in list(add.operands):
        return False
    ops = list(add.operands)
    mul = ops[1].owner if ops[0] is acc else ops[0].owner
    if not isinstance(mul, arith.MuliOp):
        return False
    return sorted(map(id, mul.operands)) == sorted(map(id, (a, b)))


def _contraction_kind(op: Operation) -> Contraction | None:
    """The contraction `op` computes with i8 operands sign-extended into an i32 accumulator, seen
    through widening generics and 2-D linalg.transpose of the operands, or None."""
    if not isinstance(op, (linalg.GenericOp, linalg.MatmulOp)):
        return None
    if len(op.inputs) != 2 or len(op.outputs) != 1:
        return None
    a_in, b_in = op.inputs
    if not is_mac_body(op.body.block):
        if not _is_wide_mac_body(op.body.block):
            return None
        a_src, b_src = views.widened_source(a_in), views.widened_source(b_in)
        if a_src is None or b_src is None:
            return None
        a_in, b_in = a_src, b_src
    maps = [_map_dims(m.data) for m in op.get_indexing_maps().data]
    if any(m is None for m in maps):
        return None
    ma, mb, mc = maps
    assert ma is not None and mb is not None and mc is not None
    iters = _iterators(op)
    out: Contraction | None = None
    if len(iters) == 3 and len(mc) == 2:
        i, j = mc
        red = [d for d in range(3) if iters[d] == "reduction"]
        if len(red) != 1 or iters[i] != "parallel" or iters[j] != "parallel":
            return None
        k = red[0]
        if ma not in ((i, k), (k, i)) or mb not in ((k, j), (j, k)):
            return None
        out = Contraction("matmul", a_in, b_in, ma == (k, i), mb == (j, k))
    elif len(iters) == 2 and len(mc) == 1:
        (i,) = mc
        red = [d for d in range(2) if iters[d] == "reduction"]
        if len(red) != 1 or iters[i] != "parallel":
            return None
        k = red[0]
        if ma not in ((i, k), (k, i)) or mb != (k,):
            return None
        out = Contraction("matvec", a_in, b_in, ma == (k, i))
    if out is None:
        return None
    # An operand that is a transposed buffer: read the buffer with the transpose flag instead.
    src = _transposed_source(out.a)
    if src is not None:
        out.a, out.a_t = src, not out.a_t
    if out.kind == "matmul":
        src = _transposed_source(out.b)
        if src is not None:
            out.b, out.b_t = src, not out.b_t
    return out


def _transposed_source(v: SSAValue) -> SSAValue | None:
    """x when v = linalg.transpose(x) with permutation [1, 0]."""
    op = v.owner
    if not isinstance(op, linalg.TransposeOp):
        return None
    if list(op.permutation.get_values()) != [1, 0]:
        return None
    return op.inputs[0]


def _body_semantics(block: Block, inputs: list[Any]) -> Any:
    """The body evaluated on numpy arrays (None if it uses something besides its inputs)."""
    from liftcomp.reference import eval_scalar_op

    env: dict[SSAValue, Any] = dict(zip(block.args, inputs, strict=False))
    for op in block.ops:
        if isinstance(op, linalg.YieldOp):
            return env.get(op.operands[0])
        for v in op.operands:
            if v not in env:
                owner = v.owner
                if isinstance(owner, arith.ConstantOp):
                    eval_scalar_op(owner, env)
                else:
                    return None
        try:
            eval_scalar_op(op, env)
        except LiftcompError:
            return None
    return None


def _resadd_mode(op: Operation) -> str | None:
    """How Gemmini's accumulator computes this element-wise add exactly, if it does:
    'i32' (i32 + i32 -> i32, wrapping), 'wide' (sext i8 + sext i8 -> i32), 'sat8' / 'sat8_relu'
    (i8 + i8 saturated to i8, optionally ReLU). i8 bodies are checked on all 65536 input pairs."""
    import numpy as np

    if not isinstance(op, linalg.GenericOp) or len(op.inputs) != 2 or len(op.outputs) != 1:
        return None
    if any(it != "parallel" for it in _iterators(op)):
        return None
    maps = [_map_dims(m.data) for m in op.get_indexing_maps().data]
    rank = len(maps[-1] or ())
    if any(m != tuple(range(rank)) for m in maps) or rank not in (1, 2):
        return None
    block = op.body.block
    if block.args[2].uses:
        return None
    wa, wb, wo = (_int_width(a.type) for a in block.args)
    if (wa, wb, wo) == (32, 32, 32):
        last = block.last_op
        add = last.operands[0].owner if isinstance(last, linalg.YieldOp) else None
        if isinstance(add, arith.AddiOp) and set(map(id, add.operands)) == {id(block.args[0]), id(block.args[1])}:
            return "i32"
        return None
    if (wa, wb) != (8, 8) or wo not in (8, 32):
        return None
    grid = np.arange(-128, 128, dtype=np.int64)
    a, b_ = np.meshgrid(grid, grid, indexing="ij")
    a, b_ = a.ravel(), b_.ravel()
    got = _body_semantics(block, [a, b_])
    if got is None:
        return None
    got = np.broadcast_to(np.asarray(got), a.shape)
    total = a + b_
    if wo == 32:
        return "wide" if np.array_equal(got, total) else None
    if np.array_equal(got, np.clip(total, -128, 127)):
        return "sat8"
    if np.array_equal(got, np.clip(np.maximum(total, 0), -128, 127)):
        return "sat8_relu"
    return None


def _bias_add(op: Operation) -> tuple[Operation, Contraction, SSAValue] | None:
    """(matmul, its kind, bias) when op = x + matmul(A, B) element-wise on i32, the matmul
    starting from zero and used only here, and x read from a buffer."""
    if not isinstance(op, linalg.GenericOp):
        return None
    for mine, other in ((0, 1), (1, 0)):
        mm = op.inputs[mine].owner
        bias = op.inputs[other]
        if not isinstance(mm, Operation) or len(mm.results) != 1 or len(list(mm.results[0].uses)) != 1:
            continue
        kind = _contraction_kind(mm)
        if kind is None or _fill_value(views.strip_slices(mm.outputs[0])) != 0:  # type: ignore[attr-defined]
            continue
        if views.memref_of(bias) is None:
            continue
        return mm, kind, bias
    return None


def _fill_value(v: SSAValue) -> int | None:
    """The integer a linalg.fill of a tensor.empty writes, else None."""
    op = v.owner
    if not isinstance(op, linalg.FillOp):
        return None
    if not isinstance(op.outputs[0].owner, tensor.EmptyOp):
        return None
    c = op.inputs[0].owner
    if isinstance(c, arith.ConstantOp):
        val = c.value
        from xdsl.dialects.builtin import IntegerAttr

        if isinstance(val, IntegerAttr):
            return val.value.data
    return None


# ---------------------------------------------------------------------------------- lowering --
class _FuncLowering:
    def __init__(self, fn: func.FuncOp, options: LowerOptions, report: LoweringReport):
        self.fn = fn
        self.opts = options
        self.cfg = options.config
        self.report = report
        self.name = fn.sym_name.data
        self.first_op = fn.body.block.first_op
        assert self.first_op is not None

    def run(self) -> None:
        block = self.fn.body.block
        for mat in [op for op in block.ops if isinstance(op, bufferization.MaterializeInDestinationOp)]:
            self._lower_materialize(mat)
        self._erase_dead_tensor_ops()
        leftovers = [op for op in block.walk() if isinstance(op, (linalg.GenericOp, linalg.MatmulOp, linalg.FillOp,
                                                                  linalg.TransposeOp, bufferization.ToTensorOp,
                                                                  tensor.PadOp, linalg.Conv2DNhwc_HwcfOp,
                                                                  linalg.Conv2DNchwFchwOp,
                                                                  bufferization.MaterializeInDestinationOp))]
        if leftovers:
            raise LiftcompError(
                f"the Gemmini lowering left tensor ops behind in @{self.name}: {leftovers[0].name}",
                op_location(leftovers[0]),
            )

    def _mat(self, b: IRBuilder, v: SSAValue, column: bool = False, mem: SSAValue | None = None,
             transposed: bool = False) -> Mat | None:
        """Tensor `v` as a matrix in its memref (or in `mem`, for results): sizes of the tensor,
        row stride of the buffer; a 1-D tensor as a column; `transposed`: `v` holds the matrix's
        transpose (the matrix's rows are v's columns)."""
        mem = mem if mem is not None else views.memref_of(v)
        if mem is None:
            return None
        t = mem.type
        assert isinstance(t, MemRefType)
        if not _is_identity_layout(t):
            return None
        rank = len(t.shape.data)
        if rank == 2 and transposed:
            return Mat(mem, views.tensor_dim(b, v, 1), views.tensor_dim(b, v, 0), b.dim(mem, 1), transposed=True)
        if rank == 2:
            return Mat(mem, views.tensor_dim(b, v, 0), views.tensor_dim(b, v, 1), b.dim(mem, 1))
        if rank == 1 and column:
            return Mat(mem, views.tensor_dim(b, v, 0), b.c(1), b.c(1))
        return None

    def _lower_materialize(self, mat: bufferization.MaterializeInDestinationOp) -> None:
        src = mat.source
        dest = mat.dest
        # A prefix insert_slice into the destination's own tensor writes just that region.
        while views.prefix_slice(src.owner) and isinstance(src.owner, tensor.InsertSliceOp) \
                and views.memref_of(src.owner.dest) is dest:
            src = src.owner.source
        op = src.owner
        assert self.first_op is not None
        b = IRBuilder(mat, self.first_op)
        if not isinstance(dest.type, MemRefType):
            raise LiftcompError("materialize_in_destination into a tensor is not supported", op_location(mat))
        reason = "not a contraction or element-wise add Gemmini runs exactly"
        conv_reason = self._try_conv(b, op, src, dest) if isinstance(op, Operation) else None
        if conv_reason == "":
            mat.detach()
            mat.erase()
            return
        if conv_reason is not None:
            raise LiftcompError(f"this convolution cannot run on Gemmini: {conv_reason}", op_location(op))
        if isinstance(op, Operation) and self._lower_bias_epilogue(b, op, src, dest):
            mat.detach()
            mat.erase()
            return
        if isinstance(op, Operation) and epi.identity_elementwise(op) and self._lower_epilogue(b, op, src, dest):
            mat.detach()
            mat.erase()
            return
        if isinstance(op, Operation):
            kind = _contraction_kind(op)
            mode = None if kind else _resadd_mode(op)
            fused = _bias_add(op) if mode == "i32" else None
            if fused is not None:
                # C = bias + A @ B: the matmul with the bias moved into the accumulator first.
                mm, mm_kind, bias = fused
                reason = self._try_contraction(b, mm, mm_kind, src, dest, init=bias)
            elif kind is not None:
                reason = self._try_contraction(b, op, kind, src, dest)
            elif mode is not None:
                reason = self._try_resadd(b, op, mode, src, dest)
            elif isinstance(op, linalg.GenericOp) and all(it == "parallel" for it in _iterators(op)):
                reason = "an element-wise op other than an add Gemmini's accumulator computes exactly"
            if not reason:
                mat.detach()
                mat.erase()
                return
        from liftcomp.lowering.host_fallback import lower_to_host_loops

        lower_to_host_loops(b, src, dest, views.memref_of)
        self.report.kernels.append(KernelRecord(self.name, "host", remark=f"kept on the host: {reason}",
                                                host_location=op_location(op if isinstance(op, Operation) else mat)))
        mat.detach()
        mat.erase()

    # ------------------------------------------------------------------------------ conv --
    def _try_conv(self, b: IRBuilder, op: Operation, result: SSAValue, dest: SSAValue) -> str | None:
        """A convolution (requantised to int8, or int32) into `dest`: '' when lowered, None when
        `op` is no convolution, else why Gemmini cannot run it."""
        from liftcomp.targets.gemmini import conv as cv

        req: epi.Requant | None = None
        conv_op: Operation = op
        bias: SSAValue | None = None
        biased = cv.match_bias_conv(op)
        if biased is not None:
            conv_op, bias_value, req, why = biased
            if req is None:
                return f"its epilogue is not Gemmini's requantisation ({why})"
            bias = views.memref_of(cv.strip_expand(bias_value))
            if bias is None or not _is_identity_layout(bias.type):  # type: ignore[arg-type]
                return "the conv's bias is not a plain buffer"
        elif epi.identity_elementwise(op):
            assert isinstance(op, linalg.GenericOp)
            producer = op.inputs[0].owner
            if not isinstance(producer, Operation) or cv.match_conv(producer)[0] is None:
                return None
            if len(list(producer.results[0].uses)) != 1:
                return "the conv's int32 result is used twice"
            req, why = epi.match_requant(op)
            if req is None:
                return f"its epilogue is not Gemmini's requantisation ({why})"
            conv_op = producer
        m, why = cv.match_conv(conv_op)
        if m is None:
            return why or None
        fill = _fill_value(views.strip_slices(conv_op.outputs[0]))  # type: ignore[attr-defined]
        if fill != 0:
            return "the conv's accumulator does not start at zero"
        x, w = views.memref_of(m.input), views.memref_of(m.filter)
        dt = dest.type
        if x is None or w is None or not isinstance(dt, MemRefType):
            return "conv operands are not plain buffers"
        if not all(_is_identity_layout(t) for t in (x.type, w.type, dt)):  # type: ignore[arg-type]
            return "conv operands are not row-major buffers"
        shape = m.shape
        sched = self.opts.conv_schedule_for(shape, self.name)
        notes: list[str] = []
        if sched.form == "loop_conv_ws" and req is None:
            sched = sched.with_(form="im2col", notes=(*sched.notes, "im2col: int32 output"))
            notes.append("loop_conv_ws writes int8 only: im2col + matmul for the int32 result")
        if sched.form == "loop_conv_ws" and shape.layout != "nhwc":
            sched = sched.with_(form="im2col", notes=(*sched.notes, "im2col: NCHW"))
            notes.append("loop_conv_ws reads NHWC: im2col + matmul for NCHW")
        refused = sched.check(shape, self.cfg)
        if refused:
            return refused
        mm_shape = MatmulShape(shape.n * shape.oh * shape.ow, shape.kh * shape.kw * shape.c, shape.f)
        if bias is not None and shape.layout == "nchw":
            return "a bias on an NCHW conv (its matmul's rows are output channels: not a bias Gemmini adds)"
        if sched.form == "loop_conv_ws":
            assert req is not None
            cv.emit_loop_conv_ws(b, x, w, dest, shape, sched, req, bias)
        elif shape.layout == "nchw":
            # out^T (F x N*OH*OW) = filter (F x C*KH*KW) @ im2col^T, then NFHW on the host.
            mm_shape = MatmulShape(shape.f, mm_shape.k, mm_shape.m)
            bt = cv.emit_im2col_nchw(b, x, shape)
            tmp = b.insert(memref.AllocOp.get(dt.element_type, shape=[mm_shape.m, mm_shape.n])).results[0]
            am = Mat(w, b.c(mm_shape.m), b.c(mm_shape.k), b.c(mm_shape.k))
            bm = Mat(bt, b.c(mm_shape.k), b.c(mm_shape.n), b.c(mm_shape.n))
            cm = Mat(tmp, b.c(mm_shape.m), b.c(mm_shape.n), b.c(mm_shape.n))
            ms = self.opts.schedule_for(mm_shape, self.name)
            ms.check(mm_shape, self.cfg)
            emit_matmul(b, am, bm, cm, None, ms, self.cfg, req)
            cv.emit_nfhw_copy(b, tmp, dest, shape)
        else:
            a = cv.emit_im2col(b, x, shape)
            am = Mat(a, b.c(mm_shape.m), b.c(mm_shape.k), b.c(mm_shape.k))
            bm = Mat(w, b.c(mm_shape.k), b.c(mm_shape.n), b.c(mm_shape.n))
            cm = Mat(dest, b.c(mm_shape.m), b.c(mm_shape.n), b.c(mm_shape.n))
            # A per-channel bias: D's rows all read the same F values (row stride 0).
            dm = None if bias is None else Mat(bias, b.c(mm_shape.m), b.c(mm_shape.n), b.c(0))
            ms = self.opts.schedule_for(mm_shape, self.name)
            ms.check(mm_shape, self.cfg)
            emit_matmul(b, am, bm, cm, dm, ms, self.cfg, req)
        self.report.kernels.append(KernelRecord(
            self.name, "conv", mm_shape, sched, remark="; ".join([f"conv {shape.describe()}: {sched.describe()}",
                                                                  *notes]),  # type: ignore[arg-type]
            epilogue=None if req is None else f"{'int32 bias per channel, ' if bias is not None else ''}{req.describe()}",
            conv_shape=shape))
        return ""

    # ------------------------------------------------------------------------------ epilogue --
    def _lower_epilogue(self, b: IRBuilder, op: Operation, result: SSAValue, dest: SSAValue) -> bool:
        """An element-wise i32 -> i8 epilogue: fused into the mvouts of the contraction that feeds
        it, or run as mvin + scaled mvout of a buffer; when Gemmini's mvout would compute something
        else, the contraction still runs on Gemmini (into a temporary) and the epilogue on the host.
        False when this is not such an epilogue (the caller goes on)."""
        assert isinstance(op, linalg.GenericOp)
        req, why = epi.match_requant(op)
        producer = op.inputs[0].owner
        fused: tuple[Operation, Contraction, SSAValue | None] | None = None
        if not isinstance(producer, Operation):
            producer = None
        elif len(producer.results) == 1 and len(list(producer.results[0].uses)) == 1:
            kind = _contraction_kind(producer)
            if kind is not None:
                fused = (producer, kind, None)
            else:
                bias = _bias_add(producer) if _resadd_mode(producer) == "i32" else None
                if bias is not None:
                    fused = (bias[0], bias[1], bias[2])
        if fused is not None and producer is not None:
            mm, kind, bias = fused
            if req is not None:
                return not self._try_contraction(b, mm, kind, result, dest, init=bias, epilogue=req)
            if why in ("not an i32 -> i8 epilogue", "the epilogue reads its output"):
                return False
            # Gemmini computes the contraction into an int32 temporary; the host does the epilogue.
            tmp = self._alloc_like(b, producer.results[0])
            if tmp is None or self._try_contraction(b, mm, kind, producer.results[0], tmp, init=bias):
                return False
            from liftcomp.lowering.host_fallback import lower_to_host_loops

            mm_result = producer.results[0]
            lower_to_host_loops(b, result, dest, lambda v: tmp if v is mm_result else views.memref_of(v))
            rec = self.report.kernels[-1]
            rec.remark = "; ".join(x for x in (rec.remark, f"epilogue kept on the host: {why}") if x)
            rec.epilogue_refused = why
            rec.host_location = op_location(op)
            return True
        if req is None or views.memref_of(op.inputs[0]) is None:
            return False
        return not self._try_scale(b, op, req, result, dest)

    def _lower_bias_epilogue(self, b: IRBuilder, op: Operation, result: SSAValue, dest: SSAValue) -> bool:
        """`requant(bias + A @ B)` written as one element-wise op of two inputs (the raising
        pass's form of a k-sum that starts from a bias): the contraction with the bias moved into
        the accumulator and the requantisation in its mvouts. False when it is not that (or
        Gemmini cannot run it: the caller goes on and the op may end on the host)."""
        req, _ = epi.match_bias_requant(op)
        if req is None:
            return False
        assert isinstance(op, linalg.GenericOp)
        for i in (0, 1):
            producer = op.inputs[i].owner
            if not isinstance(producer, Operation) or len(producer.results) != 1:
                continue
            if len(list(producer.results[0].uses)) != 1:
                continue
            kind = _contraction_kind(producer)
            if kind is None:
                continue
            bias = op.inputs[1 - i]
            return not self._try_contraction(b, producer, kind, result, dest, init=bias, epilogue=req)
        return False

    def _alloc_like(self, b: IRBuilder, v: SSAValue) -> SSAValue | None:
        """A fresh buffer of the (static or dynamic) shape and element type of tensor `v`."""
        t = v.type
        if not isinstance(t, TensorType):
            return None
        shape = list(t.get_shape())
        dyn = [views.tensor_dim(b, v, i) for i, d in enumerate(shape) if d < 0]
        return b.insert(memref.AllocOp.get(t.element_type, shape=shape, dynamic_sizes=dyn)).results[0]

    def _try_scale(self, b: IRBuilder, op: linalg.GenericOp, req: epi.Requant, result: SSAValue, dest: SSAValue) -> str:
        src = views.memref_of(op.inputs[0])
        assert src is not None
        dt = dest.type
        assert isinstance(dt, MemRefType)
        rank = len(dt.shape.data)
        if rank not in (1, 2) or not all(_is_identity_layout(m.type) for m in (src, dest)):  # type: ignore[arg-type]
            return "only 1-D and 2-D row-major buffers"
        sizes = [views.tensor_dim(b, result, i) for i in range(rank)]
        emit_scale(b, src, dest, sizes, req, self.cfg)
        n = 1
        for x in sizes:
            n *= max(_static(x), 0)
        self.report.kernels.append(KernelRecord(self.name, "scale", MatmulShape(n if n else -1, 1, 1),
                                                remark=f"scaled through the accumulator ({req.describe()})",
                                                epilogue=req.describe()))
        return ""

    # ------------------------------------------------------------------------------ matmul --
    def _try_contraction(self, b: IRBuilder, op: Operation, kind: Contraction, result: SSAValue, dest: SSAValue,
                         init: SSAValue | None = None, epilogue: epi.Requant | None = None) -> str:
        """Emit the Gemmini code; return '' on success or the reason it cannot."""
        assert isinstance(op, (linalg.GenericOp, linalg.MatmulOp))
        column = kind.kind == "matvec"
        notes: list[str] = []
        a_in, a_t = kind.a, kind.a_t
        if a_t and kind.b_t:
            # WS cannot transpose both operands: copy A^T into a row-major temporary on the host.
            a_rows = self._mat(b, a_in, transposed=True)
            tmp = self._alloc_matrix(b, a_in, transposed=True)
            if a_rows is None or tmp is None:
                return "operands are not plain row-major buffers"
            _emit_host_transpose(b, a_rows, tmp)
            a_in, a_t = tmp, False
            notes.append("WS cannot transpose A and B together: A^T is copied to a row-major buffer on the host")
        a = self._mat_of_memref(b, a_in) if views.is_memref(a_in) else self._mat(b, a_in, transposed=a_t)
        bm = self._mat(b, kind.b, column=column, transposed=kind.b_t)
        c = self._mat(b, result, column=column, mem=dest)
        if a is None or bm is None or c is None:
            return "operands are not plain row-major buffers"
        init = op.outputs[0] if init is None else init
        d: Mat | None = None
        fill = _fill_value(views.strip_slices(init))
        if fill is None:
            d = self._mat(b, init, column=column)
            if d is None:
                return "the accumulator's initial value is neither zero nor a buffer"
        elif fill != 0:
            return f"the accumulator starts at {fill}, not 0"
        shape = MatmulShape(*(_static(x) for x in (a.rows, a.cols, bm.cols)))
        # Unknown (dynamic) sizes: schedule as if they were large.
        hint = MatmulShape(*(x if x >= 0 else 1 << 16 for x in (shape.m, shape.k, shape.n)))
        sched = self.opts.schedule_for(hint, self.name)
        if (a.transposed or bm.transposed) and sched.form == "loop_ws":
            # The simulator and host header model loop_ws without transposes: explicit
            # instructions with loop_ws's own buffering.
            sched = sched.with_(form="explicit", double_buffer=True, notes=(*sched.notes, "explicit: transposed operand"))
            notes.append("loop_ws with a transposed operand is not modelled: explicit instructions instead")
        if bm.transposed and not a.transposed and sched.dataflow == "OS":
            # config_ex forbids B^T alone in OS (the menu refuses it; a fixed schedule falls back).
            sched = sched.with_(dataflow="WS", notes=(*sched.notes, "WS: OS forbids B^T alone"))
            notes.append("OS cannot transpose B alone: WS instead")
        if not sched.fuse_epilogue and epilogue is not None:
            return self._unfused_epilogue(b, op, kind, result, dest, init, epilogue, sched)
        sched.check(hint, self.cfg)
        emit_matmul(b, a, bm, c, d, sched, self.cfg, epilogue)
        if a.transposed:
            notes.append("A^T through the array's transpose flag")
        if bm.transposed:
            notes.append("B^T through the array's transpose flag")
        self.report.kernels.append(KernelRecord(
            self.name, kind.kind, shape, sched, remark="; ".join(notes),
            epilogue=None if epilogue is None else epilogue.describe(), a_transposed=kind.a_t,
            b_transposed=kind.b_t))
        return ""

    def _unfused_epilogue(self, b: IRBuilder, op: Operation, kind: Contraction, result: SSAValue, dest: SSAValue,
                          init: SSAValue | None, epilogue: epi.Requant, sched: MatmulSchedule) -> str:
        """The schedule keeps the epilogue off the mvouts: int32 product into a temporary, the
        epilogue on the host (what fuse_epilogue(on=false) asks for)."""
        epi_op = result.owner
        assert isinstance(epi_op, linalg.GenericOp)
        mm_result = epi_op.inputs[0]
        tmp = self._alloc_like(b, mm_result)
        if tmp is None:
            return "cannot allocate the int32 temporary"
        reason = self._try_contraction(b, op, kind, mm_result, tmp, init=init)
        if reason:
            return reason
        from liftcomp.lowering.host_fallback import lower_to_host_loops

        lower_to_host_loops(b, result, dest, lambda v: tmp if v is mm_result else views.memref_of(v))
        rec = self.report.kernels[-1]
        rec.epilogue = epilogue.describe()
        rec.remark = "; ".join(x for x in (rec.remark, "epilogue on the host (schedule: fuse_epilogue off)") if x)
        return ""

    def _mat_of_memref(self, b: IRBuilder, mem: SSAValue) -> Mat | None:
        """A 2-D row-major memref (a temporary) as a whole matrix."""
        t = mem.type
        assert isinstance(t, MemRefType)
        if len(t.shape.data) != 2:
            return None
        return Mat(mem, b.dim(mem, 0), b.dim(mem, 1), b.dim(mem, 1))

    def _alloc_matrix(self, b: IRBuilder, v: SSAValue, transposed: bool) -> SSAValue | None:
        """A row-major buffer for the matrix tensor `v` holds (its transpose when `transposed`)."""
        t = v.type
        if not isinstance(t, TensorType) or len(t.get_shape()) != 2:
            return None
        dims = [views.tensor_dim(b, v, 1), views.tensor_dim(b, v, 0)] if transposed else \
            [views.tensor_dim(b, v, 0), views.tensor_dim(b, v, 1)]
        shape = [g.const_int(x) if g.const_int(x) is not None else -1 for x in dims]
        dyn = [x for x, st in zip(dims, shape, strict=True) if st == -1]
        return b.insert(memref.AllocOp.get(t.element_type, shape=shape, dynamic_sizes=dyn)).results[0]  # type: ignore[arg-type]

    # ------------------------------------------------------------------------------ resadd --
    def _try_resadd(self, b: IRBuilder, op: Operation, mode: str, result: SSAValue, dest: SSAValue) -> str:
        assert isinstance(op, linalg.GenericOp)
        dt = dest.type
        assert isinstance(dt, MemRefType)
        rank = len(dt.shape.data)
        srcs = [views.memref_of(v) for v in op.inputs]
        mems = [m for m in srcs if m is not None]
        if len(mems) != 2:
            return "operands are not plain row-major buffers"
        if rank not in (1, 2) or not all(_is_identity_layout(m.type) for m in [*mems, dest]):  # type: ignore[arg-type]
            return "only 1-D and 2-D row-major buffers"
        sizes = [views.tensor_dim(b, result, i) for i in range(rank)]
        emit_resadd(b, mems[0], mems[1], dest, sizes, mode, self.cfg)
        n = 1
        for x in sizes:
            n *= max(_static(x), 0)
        self.report.kernels.append(KernelRecord(self.name, "resadd", MatmulShape(n if n else -1, 1, 1),
                                                remark=f"resadd through the accumulator ({mode})"))
        return ""

    def _erase_dead_tensor_ops(self) -> None:
        removable = (linalg.GenericOp, linalg.MatmulOp, linalg.FillOp, linalg.TransposeOp,
                     bufferization.ToTensorOp, tensor.EmptyOp, arith.ConstantOp, tensor.ExtractSliceOp,
                     tensor.InsertSliceOp, memref.DimOp, tensor.PadOp, tensor.ExpandShapeOp, linalg.Conv2DNhwc_HwcfOp,
                     linalg.Conv2DNchwFchwOp)
        changed = True
        while changed:
            changed = False
            for op in reversed(list(self.fn.body.block.ops)):
                if isinstance(op, removable) and all(not r.uses for r in op.results):
                    op.detach()
                    op.erase()
                    changed = True


def _emit_host_transpose(b: IRBuilder, src: Mat, dest: SSAValue) -> None:
    """dest[r, c] = matrix element (r, c) of `src` (stored transposed) for the whole matrix, on the host."""
    with b.for_(b.c(0), src.rows, b.c(1)) as r:
        with b.for_(b.c(0), src.cols, b.c(1)) as c:
            v = b.insert(memref.LoadOp.get(src.mem, [c, r])).results[0]
            b.insert(memref.StoreOp.get(v, dest, [r, c]))


def _static(v: SSAValue) -> int:
    c = g.const_int(v)
    return -1 if c is None else c


def _is_identity_layout(t: MemRefType) -> bool:
    from xdsl.dialects.builtin import NoneAttr

    return isinstance(t.layout, NoneAttr)


# ---------------------------------------------------------------------------------- codegen --
def emit_matmul(b: IRBuilder, a: Mat, bm: Mat, c: Mat, d: Mat | None, s: MatmulSchedule, cfg: GemminiConfig,
                epilogue: epi.Requant | None = None) -> None:
    """C = A @ B (+ D), int8 x int8 -> int32, written in full to C (an i32 buffer), or, with an
    epilogue, requantised by the mvouts (scale, ReLU, saturation) into C (an i8 buffer).
    A or B stored transposed use the array's transpose flags (WS: not both)."""
    dim = cfg.dim
    assert not (a.transposed and bm.transposed), "WS cannot transpose A and B together"
    assert s.form == "explicit" or not (a.transposed or bm.transposed), "loop_ws with transposes is not modelled"
    M, K, N = a.rows, a.cols, bm.cols
    assert s.dataflow == "WS" or (s.form == "explicit" and not (bm.transposed and not a.transposed)), \
        "OS runs explicit instructions and cannot transpose B alone"
    b.insert(g.ConfigExOp(s.dataflow, a_transpose=a.transposed, b_transpose=bm.transposed))
    if epilogue is None:
        b.insert(g.ConfigStOp(c.stride, "none", 1.0, elem_bits=32))
    else:
        b.insert(g.ConfigStOp(c.stride, "relu" if epilogue.relu else "none",
                              epilogue.scale if epilogue.scale_value is None else 1.0, elem_bits=8,
                              scale_value=epilogue.scale_value))
    full = epilogue is None
    if s.form == "explicit":
        b.insert(g.ConfigLdOp(a.stride, 0))
        b.insert(g.ConfigLdOp(bm.stride, 1))
        if d is not None:
            b.insert(g.ConfigLdOp(d.stride, 2, elem_bits=32))
    ti, tj, tk = s.tile_i, s.tile_j, s.tile_k
    n_tiles = {
        "i": b.ceildiv(M, b.c(ti * dim)),
        "j": b.ceildiv(N, b.c(tj * dim)),
        "k": b.ceildiv(K, b.c(tk * dim)),
    }
    nk0 = n_tiles["k"]
    # acc_resident off: between k-tiles a tile's partial sums leave the accumulator in full int32
    # (to C itself, or the int32 temporary of an unfused epilogue) and come back through mvin id 2.
    spill = not s.acc_resident and g.const_int(nk0) != 1
    switch_ld2 = False
    if spill:
        if not full or s.form != "explicit":
            raise LiftcompError("spilling partial sums (acc_resident off) needs the explicit form and an int32 "
                                "result (fuse_epilogue off)")
        if d is None:
            b.insert(g.ConfigLdOp(c.stride, 2, elem_bits=32))
        else:
            # One load id serves the bias and the spilled sums: switch its stride unless they agree.
            cs, ds = g.const_int(c.stride), g.const_int(d.stride)
            switch_ld2 = not (d.mem is c.mem or d.stride is c.stride or (cs is not None and cs == ds))
    ivs: dict[str, SSAValue] = {}
    ctx_stack = []
    hoisted: dict[str, SSAValue] = {}
    for letter in s.loop_order:
        cm = b.for_(b.c(0), n_tiles[letter], b.c(1))
        ivs[letter] = cm.__enter__()
        ctx_stack.append(cm)
        if spill and letter == "k":
            # Partial sums come back from DRAM: the previous k-tile's mvouts must have landed
            # (Gemmini orders its units by local addresses only).
            with b.if_(b.insert(arith.CmpiOp(ivs["k"], b.c(0), "ne")).results[0]):
                b.insert(g.FenceOp())
        if s.hoist_a and letter == "i":
            hoisted["a_start"] = _emit_hoisted_a(b, a, ivs["i"], s, cfg, M, K)
        if s.hoist_b and letter == "j":
            hoisted["b_start"] = _emit_hoisted_b(b, bm, ivs["j"], s, cfg, N, K)
    i0, j0, k0 = ivs["i"], ivs["j"], ivs["k"]
    row0 = b.mul(i0, b.c(ti * dim))
    col0 = b.mul(j0, b.c(tj * dim))
    kk0 = b.mul(k0, b.c(tk * dim))
    rows_left = b.min(b.sub(M, row0), b.c(ti * dim))
    cols_left = b.min(b.sub(N, col0), b.c(tj * dim))
    k_left = b.min(b.sub(K, kk0), b.c(tk * dim))
    tile = _Tile(
        i_blocks=b.ceildiv(rows_left, b.c(dim)),
        j_blocks=b.ceildiv(cols_left, b.c(dim)),
        k_blocks=b.ceildiv(k_left, b.c(dim)),
        rows_left=rows_left,
        cols_left=cols_left,
        k_left=k_left,
        a_off=a.offset(b, row0, kk0),
        b_off=bm.offset(b, kk0, col0),
        c_off=c.offset(b, row0, col0),
        d_off=None if d is None else d.offset(b, row0, col0),
    )
    if s.form == "explicit":
        tile.set_layout(b, s, cfg, i0, j0, k0, n_tiles, hoisted)

    def body(first: bool | None, last: bool | None) -> None:
        if spill and not first:
            if switch_ld2:
                b.insert(g.ConfigLdOp(c.stride, 2, elem_bits=32))
            _emit_acc_moves(b, tile, s, cfg, c, tile.c_off, out=False)
        elif spill and switch_ld2 and d is not None:
            b.insert(g.ConfigLdOp(d.stride, 2, elem_bits=32))
        if s.form == "loop_ws":
            _emit_loop_ws(b, tile, a, bm, c, d, first, last, dim, full, epilogue)
        else:
            emit_tile = _emit_explicit_tile_os if s.dataflow == "OS" else _emit_explicit_tile
            emit_tile(b, tile, a, bm, c, d, s, cfg, first, last, full)
        if spill and not last:
            _emit_acc_moves(b, tile, s, cfg, c, tile.c_off, out=True)

    if g.const_int(nk0) == 1:
        body(True, True)
    else:
        is_first = b.eq(k0, b.c(0))
        is_last = b.eq(k0, b.sub(nk0, b.c(1)))
        with b.if_(is_last) as otherwise:
            with b.if_(is_first) as otherwise2:
                body(True, True)
                otherwise2()
                body(False, True)
            otherwise()
            with b.if_(is_first) as otherwise3:
                body(True, False)
                otherwise3()
                body(False, False)
    for cm in reversed(ctx_stack):
        cm.__exit__(None, None, None)
    b.insert(g.FenceOp())


@dataclass
class _Tile:
    i_blocks: SSAValue
    j_blocks: SSAValue
    k_blocks: SSAValue
    rows_left: SSAValue
    cols_left: SSAValue
    k_left: SSAValue
    a_off: SSAValue  # element offsets of the tile's first elements of A, B, C, D
    b_off: SSAValue
    c_off: SSAValue
    d_off: SSAValue | None
    a_start: SSAValue | None = None
    b_start: SSAValue | None = None
    c_start: SSAValue | None = None
    a_hoisted: bool = False
    b_hoisted: bool = False

    def set_layout(self, b: IRBuilder, s: MatmulSchedule, cfg: GemminiConfig, i0: SSAValue, j0: SSAValue,
                   k0: SSAValue, n_tiles: dict[str, SSAValue], hoisted: dict[str, SSAValue]) -> None:
        dim = cfg.dim
        b_size = s.tile_k * s.tile_j * dim
        if not s.double_buffer:
            self.a_start = b.c(0)
            self.b_start = b.c(cfg.sp_rows - b_size)
            self.c_start = b.c(0)
        else:
            half_sp, half_acc = cfg.sp_rows // 2, cfg.acc_rows // 2
            # Linear tile counters in loop order: their parity picks the half.
            order = s.loop_order
            t = b.c(0)
            for letter in order:
                iv = {"i": i0, "j": j0, "k": k0}[letter]
                t = b.add(b.mul(t, n_tiles[letter]), iv)
            # The C tile keeps its half across its k-tiles, unless its partial sums are spilled
            # between them (acc_resident off): then every tile alternates.
            spill = not s.acc_resident and g.const_int(n_tiles["k"]) != 1
            ct = b.c(0)
            for letter in order if spill else order[:-1]:
                iv = {"i": i0, "j": j0, "k": k0}[letter]
                ct = b.add(b.mul(ct, n_tiles[letter]), iv)
            par = b.insert(arith.RemSIOp(t, b.c(2))).results[0]
            cpar = b.insert(arith.RemSIOp(ct, b.c(2))).results[0]
            base = b.mul(par, b.c(half_sp))
            self.a_start = base
            self.b_start = b.add(base, b.c(half_sp - b_size))
            self.c_start = b.mul(cpar, b.c(half_acc))
        if "a_start" in hoisted:
            self.a_start = hoisted["a_start"]
            self.a_hoisted = True
        if "b_start" in hoisted:
            self.b_start = hoisted["b_start"]
            self.b_hoisted = True


def _emit_loop_ws(b: IRBuilder, t: _Tile, a: Mat, bm: Mat, c: Mat, d: Mat | None,
                  first: bool | None, last: bool | None, dim: int, full: bool, epilogue: epi.Requant | None) -> None:
    pad = [b.sub(b.mul(blocks, b.c(dim)), left) for blocks, left in
           ((t.i_blocks, t.rows_left), (t.j_blocks, t.cols_left), (t.k_blocks, t.k_left))]
    sizes = (t.i_blocks, t.j_blocks, t.k_blocks, pad[0], pad[1], pad[2])
    d3 = (d.mem, t.d_off, d.stride) if (d is not None and first and t.d_off is not None) else None
    c3 = (c.mem, t.c_off, c.stride) if last else None
    act = "relu" if epilogue is not None and epilogue.relu else "none"
    b.insert(g.LoopWsOp(sizes, (a.mem, t.a_off, a.stride), (bm.mem, t.b_off, bm.stride), d3, c3,
                        ex_accumulate=not first, full_c=full, activation=act))


def _db_half(b: IRBuilder, iv: SSAValue, s: MatmulSchedule, cfg: GemminiConfig) -> SSAValue:
    """First row of the scratchpad half a hoisted operand uses (alternating with iv when double-buffered)."""
    if not s.double_buffer:
        return b.c(0)
    par = b.insert(arith.RemSIOp(iv, b.c(2))).results[0]
    return b.mul(par, b.c(cfg.sp_rows // 2))


def _emit_hoisted_a(b: IRBuilder, a: Mat, i0: SSAValue, s: MatmulSchedule, cfg: GemminiConfig,
                    M: SSAValue, K: SSAValue) -> SSAValue:
    """Load the whole A row-tile (all of K: hoist_a requires one k-tile) once per i-tile."""
    dim = cfg.dim
    row0 = b.mul(i0, b.c(s.tile_i * dim))
    rows_left = b.min(b.sub(M, row0), b.c(s.tile_i * dim))
    a_start = _db_half(b, i0, s, cfg)
    _emit_a_mvins(b, a, a.offset(b, row0, b.c(0)), a_start, rows_left, K, s, dim)
    return a_start


def _emit_hoisted_b(b: IRBuilder, bm: Mat, j0: SSAValue, s: MatmulSchedule, cfg: GemminiConfig,
                    N: SSAValue, K: SSAValue) -> SSAValue:
    """Load the whole B column-tile (all of K: hoist_b requires one k-tile) once per j-tile, at the
    top of its scratchpad half (where the tile's own B would go), below which the A tiles fit."""
    dim = cfg.dim
    col0 = b.mul(j0, b.c(s.tile_j * dim))
    cols_left = b.min(b.sub(N, col0), b.c(s.tile_j * dim))
    half = cfg.sp_rows // 2 if s.double_buffer else cfg.sp_rows
    b_start = b.add(_db_half(b, j0, s, cfg), b.c(half - s.tile_k * s.tile_j * dim))
    _emit_b_mvins(b, bm, bm.offset(b, b.c(0), col0), b_start, K, cols_left, s, dim)
    return b_start


@dataclass
class _Idx:
    """A loop index as the body of `_for_unrolled` sees it: `iv + offset`, where copy r of an
    unrolled iteration has offset r * step. Copies of one unrolled iteration (`shared` set) are
    all whole blocks (`full`) and share the values computed by the first copy, so each further
    copy costs one add per address instead of a multiply, an add and a min."""

    b: IRBuilder
    iv: SSAValue
    offset: int = 0
    full: bool = False
    shared: dict[Any, SSAValue] | None = None

    def once(self, key: Any, make: Callable[[], SSAValue]) -> SSAValue:
        """make(), computed once per unrolled iteration (every time when not unrolled)."""
        if self.shared is None:
            return make()
        v = self.shared.get(key)
        if v is None:
            v = make()
            self.shared[key] = v
        return v

    def lin(self, base: SSAValue, coeff: int | SSAValue) -> SSAValue:
        """base + (iv + offset) * coeff."""
        b = self.b
        cv = coeff if isinstance(coeff, SSAValue) else b.c(coeff)
        prod = self.once(("mul", id(cv)), lambda: b.mul(self.iv, cv))
        group = self.once(("lin", id(base), id(cv)), lambda: b.add(base, prod))
        if self.offset == 0:
            return group
        k = g.const_int(cv)
        return b.add(group, b.c(self.offset * k) if k is not None else b.mul(b.c(self.offset), cv))


def _divs(b: IRBuilder, x: SSAValue, y: int) -> SSAValue:
    """x / y (x >= 0), folded when x is a constant."""
    cx = g.const_int(x)
    if cx is not None:
        return b.c(cx // y)
    return b.insert(arith.DivSIOp(x, b.c(y))).results[0]


def _unroll_split(b: IRBuilder, lb: SSAValue, full_end: SSAValue, step: int, factor: int) -> SSAValue:
    """Where the unrolled part of a loop from `lb` ends: lb plus the most whole groups of
    `factor` iterations (of `step`) whose blocks all end by `full_end` (the count of whole
    DIM-blocks), so every copy in the unrolled part touches whole blocks."""
    span = step * factor
    trip = b.sub(full_end, lb)
    ct = g.const_int(trip)
    if ct is not None:
        trip = b.c(max(ct, 0))
    else:
        trip = b.insert(arith.MaxSIOp(trip, b.c(0))).results[0]
    return b.add(lb, b.mul(_divs(b, trip, span), b.c(span)))


def _for_unrolled(b: IRBuilder, lb: SSAValue, ub: SSAValue, step: int, factor: int,
                  body: Callable[[_Idx], None], split: SSAValue | None) -> None:
    """for iv in [lb, ub) by `step`: body(iv). With factor > 1 (and `split` from `_unroll_split`):
    a loop over [lb, split) by factor * step whose body holds `factor` copies of whole blocks,
    then a remainder loop over [split, ub) with the plain body."""
    if factor <= 1:
        with b.for_(lb, ub, b.c(step)) as iv:
            body(_Idx(b, iv))
        return
    assert split is not None
    if g.const_int(split) is None or g.const_int(split) != g.const_int(lb):
        with b.for_(lb, split, b.c(step * factor)) as iv:
            shared: dict[Any, SSAValue] = {}
            for r in range(factor):
                body(_Idx(b, iv, r * step, True, shared))
    if g.const_int(split) is None or g.const_int(split) != g.const_int(ub):
        with b.for_(split, ub, b.c(step)) as iv:
            body(_Idx(b, iv))


def _emit_mvins_along_rows(b: IRBuilder, mem: SSAValue, mv_id: int, off0: SSAValue, addr0: SSAValue,
                           outer: tuple[SSAValue, SSAValue, Callable[[], SSAValue], SSAValue],
                           inner: tuple[SSAValue, int, SSAValue], factor: int, dim: int) -> None:
    """A's (or A^T's) blocks: an outer loop over DIM-row blocks of the stored matrix (outer =
    (blocks, elements left, DRAM offset per block (made in the loop, as gemmini.h does), scratchpad
    rows per block)) and an inner loop along the stored rows, `step` blocks per mvin (inner =
    (blocks, step, elements left)); block x of a row block lies x*DIM further in DRAM and in the
    scratchpad. The inner loop is unrolled `factor` times."""
    D = b.c(dim)
    o_n, o_left, o_off, o_addr = outer
    i_n, step, i_left = inner
    split = _unroll_split(b, b.c(0), _divs(b, i_left, dim), step, factor) if factor > 1 else None
    with b.for_(b.c(0), o_n, b.c(1)) as o:
        rows = b.min(D, b.sub(o_left, b.mul(o, D)))
        row_off = b.add(off0, b.mul(o, o_off()))
        row_addr = b.add(addr0, b.mul(o, o_addr))

        def block(x: _Idx) -> None:
            if x.full:
                b.insert(g.MvinOp(mem, x.lin(row_off, D), x.lin(row_addr, D), rows, b.c(step * dim),
                                  space="spad", id=mv_id))
                return
            xd = b.mul(x.iv, D)
            cols = b.min(b.c(step * dim), b.sub(i_left, xd))
            b.insert(g.MvinOp(mem, b.add(row_off, xd), b.add(row_addr, xd), rows, cols, space="spad", id=mv_id))

        _for_unrolled(b, b.c(0), i_n, step, factor, block, split)


def _emit_mvins_down_columns(b: IRBuilder, mem: SSAValue, mv_id: int, off0: SSAValue, addr0: SSAValue,
                             outer: tuple[SSAValue, int, SSAValue], inner: tuple[SSAValue, SSAValue, SSAValue, SSAValue],
                             factor: int, dim: int) -> None:
    """B's (or B^T's) blocks: an outer loop along the stored rows, `step` blocks per mvin (outer =
    (blocks, step, elements left)), and an inner loop over DIM-row blocks (inner = (blocks,
    elements left, row stride in DRAM, scratchpad rows per block)). The inner loop is unrolled
    `factor` times."""
    D = b.c(dim)
    o_n, step, o_left = outer
    i_n, i_left, stride, i_addr = inner
    split = _unroll_split(b, b.c(0), _divs(b, i_left, dim), 1, factor) if factor > 1 else None
    with b.for_(b.c(0), o_n, b.c(step)) as o:
        od = b.mul(o, D)
        cols = b.min(b.c(step * dim), b.sub(o_left, od))

        def block(x: _Idx) -> None:
            if x.full:
                col_off = x.once("off", lambda: b.add(off0, od))
                col_addr = x.once("addr", lambda: b.add(addr0, od))
                block_off = x.once("stride", lambda: b.mul(D, stride))
                b.insert(g.MvinOp(mem, x.lin(col_off, block_off), x.lin(col_addr, i_addr), D, cols,
                                  space="spad", id=mv_id))
                return
            rows = b.min(D, b.sub(i_left, b.mul(x.iv, D)))
            off = b.add(b.add(off0, b.mul(b.mul(x.iv, D), stride)), od)
            addr = b.add(addr0, b.add(b.mul(x.iv, i_addr), od))
            b.insert(g.MvinOp(mem, off, addr, rows, cols, space="spad", id=mv_id))

        _for_unrolled(b, b.c(0), i_n, 1, factor, block, split)


def _emit_a_mvins(b: IRBuilder, a: Mat, a_off: SSAValue, a_start: SSAValue, rows_left: SSAValue,
                  k_left: SSAValue, s: MatmulSchedule, dim: int) -> None:
    """The A tile's (i, k) blocks from `a_off` (offset of the tile's first element): block (i, k) at
    a_start + (i*tile_k + k)*DIM, or, stored transposed, A^T's block (k, i) at
    a_start + (k*tile_i + i)*DIM (gemmini.h's layouts); each mvin moves up to a_block_len blocks
    along the stored rows."""
    i_blocks = b.ceildiv(rows_left, b.c(dim))
    k_blocks = b.ceildiv(k_left, b.c(dim))
    abl = s.a_block_len
    D = b.c(dim)
    factor = s.unroll_factor("mvin")
    if not a.transposed:
        _emit_mvins_along_rows(b, a.mem, 0, a_off, a_start,
                               (i_blocks, rows_left, lambda: b.mul(D, a.stride), b.c(s.tile_k * dim)),
                               (k_blocks, abl, k_left), factor, dim)
        return
    _emit_mvins_along_rows(b, a.mem, 0, a_off, a_start,
                           (k_blocks, k_left, lambda: b.mul(D, a.stride), b.c(s.tile_i * dim)),
                           (i_blocks, abl, rows_left), factor, dim)


def _emit_b_mvins(b: IRBuilder, bm: Mat, b_off: SSAValue, b_start: SSAValue, k_left: SSAValue,
                  cols_left: SSAValue, s: MatmulSchedule, dim: int,
                  blocks: tuple[SSAValue, SSAValue] | None = None) -> None:
    """The B tile's (k, j) blocks from `b_off`: block (k, j) at b_start + (k*tile_j + j)*DIM, or,
    stored transposed, B^T's block (j, k) at b_start + (j*tile_k + k)*DIM; mvins of up to
    b_block_len blocks along the stored rows."""
    k_blocks, j_blocks = blocks if blocks is not None else (b.ceildiv(k_left, b.c(dim)), b.ceildiv(cols_left, b.c(dim)))
    bbl = s.b_block_len
    factor = s.unroll_factor("mvin")
    if not bm.transposed:
        _emit_mvins_down_columns(b, bm.mem, 1, b_off, b_start, (j_blocks, bbl, cols_left),
                                 (k_blocks, k_left, bm.stride, b.c(s.tile_j * dim)), factor, dim)
        return
    _emit_mvins_down_columns(b, bm.mem, 1, b_off, b_start, (k_blocks, bbl, k_left),
                             (j_blocks, cols_left, bm.stride, b.c(s.tile_k * dim)), factor, dim)


def _emit_acc_moves(b: IRBuilder, t: _Tile, s: MatmulSchedule, cfg: GemminiConfig, m: Mat, m_off: SSAValue,
                    out: bool, full: bool = True) -> None:
    """The tile's accumulator blocks (i, j) and the DRAM matrix `m` from element offset `m_off`:
    mvin (id 2, int32) into the accumulator, or mvout out of it (`full`: the raw int32, else
    through config_st's scale / activation / saturation). The inner (j) loop is the schedule's
    "mvout" or "mvin" loop."""
    dim = cfg.dim
    D = b.c(dim)
    tj_rows = b.c(s.tile_j * dim)
    c_start = t.c_start
    assert c_start is not None
    factor = s.unroll_factor("mvout" if out else "mvin")
    split = _unroll_split(b, b.c(0), _divs(b, t.cols_left, dim), 1, factor) if factor > 1 else None

    def move(off: SSAValue, addr: SSAValue, rows: SSAValue, cols: SSAValue) -> None:
        if out:
            b.insert(g.MvoutOp(m.mem, off, addr, rows, cols, space="acc", full=full))
        else:
            b.insert(g.MvinOp(m.mem, off, addr, rows, cols, space="acc", id=2))

    with b.for_(b.c(0), t.i_blocks, b.c(1)) as i:
        rows = b.min(D, b.sub(t.rows_left, b.mul(i, D)))

        def block(j: _Idx) -> None:
            if j.full:
                row_off = j.once("off", lambda: b.add(m_off, b.mul(b.mul(i, D), m.stride)))
                row_addr = j.once("addr", lambda: b.add(c_start, b.mul(i, tj_rows)))
                move(j.lin(row_off, D), j.lin(row_addr, D), rows, D)
                return
            jd = b.mul(j.iv, D)
            cols = b.min(D, b.sub(t.cols_left, jd))
            off = b.add(b.add(m_off, b.mul(b.mul(i, D), m.stride)), jd)
            addr = b.add(c_start, b.add(b.mul(i, tj_rows), jd))
            move(off, addr, rows, cols)

        _for_unrolled(b, b.c(0), t.j_blocks, 1, factor, block, split)


def _emit_tile_loads(b: IRBuilder, t: _Tile, a: Mat, bm: Mat, d: Mat | None, s: MatmulSchedule, cfg: GemminiConfig,
                     first: bool | None) -> None:
    """A tile's loads, in gemmini.h's order for both dataflows: the bias D (first k-tile only) into
    the accumulator, then B and A (unless hoisted out of the tile loops) into the scratchpad."""
    assert t.a_start is not None and t.b_start is not None
    if d is not None and first:
        assert t.d_off is not None
        _emit_acc_moves(b, t, s, cfg, d, t.d_off, out=False)
    if not t.b_hoisted:
        _emit_b_mvins(b, bm, t.b_off, t.b_start, t.k_left, t.cols_left, s, cfg.dim, (t.k_blocks, t.j_blocks))
    if not t.a_hoisted:
        _emit_a_mvins(b, a, t.a_off, t.a_start, t.rows_left, t.k_left, s, cfg.dim)


def _emit_explicit_tile(b: IRBuilder, t: _Tile, a: Mat, bm: Mat, c: Mat, d: Mat | None, s: MatmulSchedule,
                        cfg: GemminiConfig, first: bool | None, last: bool | None, full: bool = True) -> None:
    """One tile as gemmini.h's sp_tiled_matmul_ws issues it: mvin D, B, A; compute; mvout C.
    Host loops the schedule unrolls run groups of whole blocks (see `_for_unrolled`)."""
    dim = cfg.dim
    assert t.a_start is not None and t.b_start is not None and t.c_start is not None
    tj_rows = b.c(s.tile_j * dim)
    D = b.c(dim)
    _emit_tile_loads(b, t, a, bm, d, s, cfg, first)
    # Compute: k, j, i; the weights B(k, j) are preloaded once and reused down the i blocks.
    rows_i0 = b.min(D, t.rows_left)
    # Scratchpad strides of the block grids (see _emit_a_mvins / _emit_b_mvins).
    a_k_step, a_i_step = (s.tile_i * dim, dim) if a.transposed else (dim, s.tile_k * dim)
    b_k_step, b_j_step = (dim, s.tile_k * dim) if bm.transposed else (s.tile_j * dim, dim)

    a_start, b_start, c_start = t.a_start, t.b_start, t.c_start
    ui, uj, uk = s.unroll_factor("i"), s.unroll_factor("j"), s.unroll_factor("k")
    # Where each unrolled loop's whole-block groups end (once per tile).
    split_i = _unroll_split(b, b.c(1), _divs(b, t.rows_left, dim), 1, ui) if ui > 1 else None
    split_j = _unroll_split(b, b.c(0), _divs(b, t.cols_left, dim), 1, uj) if uj > 1 else None
    split_k = _unroll_split(b, b.c(1), _divs(b, t.k_left, dim), 1, uk) if uk > 1 else None

    def compute_i(i: _Idx, c_j: SSAValue, a_k: SSAValue, rows_k: SSAValue, cols_j: SSAValue, accumulate: bool) -> None:
        if i.full:
            rows_i = D
            b.insert(g.PreloadOp(None, i.lin(c_j, tj_rows), rows_k, cols_j, rows_i, cols_j, c_accumulate=accumulate))
            b.insert(g.ComputeAccumulatedOp(i.lin(a_k, a_i_step), None, rows_i, rows_k, D, D))
            return
        rows_i = b.min(D, b.sub(t.rows_left, b.mul(i.iv, D)))
        b.insert(g.PreloadOp(None, b.add(c_j, b.mul(i.iv, tj_rows)), rows_k, cols_j, rows_i, cols_j,
                             c_accumulate=accumulate))
        b.insert(g.ComputeAccumulatedOp(b.add(a_k, b.mul(i.iv, b.c(a_i_step))), None, rows_i, rows_k, D, D))

    def compute_j(j: _Idx, k_val: SSAValue, kd: SSAValue, rows_k: SSAValue, a_k: SSAValue, accumulate: bool) -> None:
        if j.full:
            cols_j = D
            jd = j.lin(b.c(0), D)
        else:
            jd = b.mul(j.iv, D)
            cols_j = b.min(D, b.sub(t.cols_left, jd))
        c_j = b.add(c_start, jd)
        if bm.transposed:
            b_addr = b.add(b_start, b.add(b.mul(j.iv, b.c(b_j_step)) if not j.full else j.lin(b.c(0), b_j_step), kd))
        else:
            b_addr = b.add(b_start, b.add(j.once("k_row", lambda: b.mul(k_val, b.c(b_k_step))), jd))
        b.insert(g.PreloadOp(b_addr, c_j, rows_k, cols_j, rows_i0, cols_j, c_accumulate=accumulate))
        b.insert(g.ComputePreloadedOp(a_k, None, rows_i0, rows_k, D, D))
        _for_unrolled(b, b.c(1), t.i_blocks, 1, ui,
                      lambda i: compute_i(i, c_j, a_k, rows_k, cols_j, accumulate), split_i)

    def compute_k(k: _Idx, accumulate: bool) -> None:
        if k.full:
            kd = k.lin(b.c(0), D)
            rows_k = D
            a_k = b.add(a_start, kd) if a_k_step == dim else k.lin(a_start, a_k_step)
            k_val = k.iv if k.offset == 0 else b.add(k.iv, b.c(k.offset))
        else:
            kd = b.mul(k.iv, D)
            rows_k = b.min(D, b.sub(t.k_left, kd))
            a_k = b.add(a_start, kd if a_k_step == dim else b.mul(k.iv, b.c(a_k_step)))
            k_val = k.iv
        _for_unrolled(b, b.c(0), t.j_blocks, 1, uj,
                      lambda j: compute_j(j, k_val, kd, rows_k, a_k, accumulate), split_j)

    # The very first k-block of a product without bias overwrites the accumulator.
    first_overwrites = bool(first) and d is None
    with b.for_(b.c(0), b.c(1), b.c(1)) as k_first:
        compute_k(_Idx(b, k_first), accumulate=not first_overwrites)
    _for_unrolled(b, b.c(1), t.k_blocks, 1, uk, lambda k: compute_k(k, accumulate=True), split_k)
    if last:
        _emit_acc_moves(b, t, s, cfg, c, t.c_off, out=True, full=full)


def _emit_explicit_tile_os(b: IRBuilder, t: _Tile, a: Mat, bm: Mat, c: Mat, d: Mat | None, s: MatmulSchedule,
                           cfg: GemminiConfig, first: bool | None, last: bool | None, full: bool = True) -> None:
    """One tile in the output-stationary dataflow, after gemmini.h's sp_tiled_matmul_os: mvin D
    (into the accumulator), B, A; for each C block (i, j) and each k-block: preload(D = GARBAGE,
    C) then compute_preloaded(A(i, k), B(k, j)); mvout C. Each k-block starts from zero in the
    PEs and drains into the accumulator with the accumulate flag (the first one of a product
    without bias overwrites): one block's partial sums fit the array's output width
    (`os_refusal`), a longer run in the PEs could wrap. Scratchpad layouts as in the WS tile."""
    dim = cfg.dim
    assert t.a_start is not None and t.b_start is not None and t.c_start is not None
    tj_rows = b.c(s.tile_j * dim)
    D = b.c(dim)
    _emit_tile_loads(b, t, a, bm, d, s, cfg, first)
    # Scratchpad strides of the block grids (see _emit_a_mvins / _emit_b_mvins); OS never has B^T alone.
    a_k_step, a_i_step = (s.tile_i * dim, dim) if a.transposed else (dim, s.tile_k * dim)
    b_k_step, b_j_step = (dim, s.tile_k * dim) if bm.transposed else (s.tile_j * dim, dim)
    first_overwrites = bool(first) and d is None
    with b.for_(b.c(0), t.i_blocks, b.c(1)) as i:
        rows_i = b.min(D, b.sub(t.rows_left, b.mul(i, D)))
        a_i = b.add(t.a_start, b.mul(i, b.c(a_i_step)))
        with b.for_(b.c(0), t.j_blocks, b.c(1)) as j:
            jd = b.mul(j, D)
            cols_j = b.min(D, b.sub(t.cols_left, jd))
            c_ij = b.add(t.c_start, b.add(b.mul(i, tj_rows), jd))
            b_j = b.add(t.b_start, b.mul(j, b.c(b_j_step)))

            def block(k: SSAValue, accumulate: bool) -> None:
                rows_k = b.min(D, b.sub(t.k_left, b.mul(k, D)))
                a_addr = b.add(a_i, b.mul(k, b.c(a_k_step)))
                b_addr = b.add(b_j, b.mul(k, b.c(b_k_step)))
                b.insert(g.PreloadOp(None, c_ij, D, D, rows_i, cols_j, c_accumulate=accumulate))
                b.insert(g.ComputePreloadedOp(a_addr, b_addr, rows_i, rows_k, rows_k, cols_j))

            with b.for_(b.c(0), b.c(1), b.c(1)) as k_first:
                block(k_first, accumulate=not first_overwrites)
            with b.for_(b.c(1), t.k_blocks, b.c(1)) as k:
                block(k, accumulate=True)
    if last:
        _emit_acc_moves(b, t, s, cfg, c, t.c_off, out=True, full=full)


def emit_scale(b: IRBuilder, x: SSAValue, out: SSAValue, sizes: list[SSAValue], req: epi.Requant,
               cfg: GemminiConfig) -> None:
    """out = requant(x) element-wise over `sizes` (a prefix of each buffer): mvin the int32 block
    into the accumulator, mvout it through the accumulator scale / ReLU / saturation.
    1-D buffers run as rows of DIM elements plus one partial row."""
    dim = cfg.dim
    if len(sizes) == 2:
        rows, cols = sizes
        _scale_matrix(b, x, out, rows, cols, (b.dim(x, 1), b.dim(out, 1)), b.c(0), req, cfg)
    else:
        (n,) = sizes
        D = b.c(dim)
        full_rows = b.c(g.const_int(n) // dim) if g.const_int(n) is not None else b.insert(arith.DivSIOp(n, D)).results[0]  # type: ignore[operator]
        tail = b.sub(n, b.mul(full_rows, D))
        _scale_matrix(b, x, out, full_rows, D, (D, D), b.c(0), req, cfg)
        base = b.mul(full_rows, D)
        if g.const_int(tail) is not None:
            if g.const_int(tail):
                _scale_matrix(b, x, out, b.c(1), tail, (tail, tail), base, req, cfg)
        else:
            has_tail = b.insert(arith.CmpiOp(tail, b.c(0), "sgt")).results[0]
            with b.if_(has_tail):
                _scale_matrix(b, x, out, b.c(1), tail, (tail, tail), base, req, cfg)
    b.insert(g.FenceOp())


def _scale_matrix(b: IRBuilder, x: SSAValue, out: SSAValue, rows: SSAValue, cols: SSAValue,
                  strides: tuple[SSAValue, SSAValue], base: SSAValue, req: epi.Requant, cfg: GemminiConfig) -> None:
    if g.const_int(rows) == 0 or g.const_int(cols) == 0:
        return
    dim = cfg.dim
    D = b.c(dim)
    sx, so = strides
    b.insert(g.ConfigLdOp(sx, 0, elem_bits=32))
    b.insert(g.ConfigStOp(so, "relu" if req.relu else "none", req.scale if req.scale_value is None else 1.0,
                          elem_bits=8, scale_value=req.scale_value))
    col_blocks = b.ceildiv(cols, D)
    acc_blocks = b.c(cfg.acc_rows // dim)
    with b.for_(b.c(0), rows, D) as r:
        n_rows = b.min(D, b.sub(rows, r))
        rblock = b.insert(arith.DivSIOp(r, D)).results[0]
        with b.for_(b.c(0), cols, D) as col:
            n_cols = b.min(D, b.sub(cols, col))
            cb = b.insert(arith.DivSIOp(col, D)).results[0]
            # Cycle through the whole accumulator so consecutive blocks overlap.
            slot = b.insert(arith.RemSIOp(b.add(b.mul(rblock, col_blocks), cb), acc_blocks)).results[0]
            addr = b.mul(slot, D)
            b.insert(g.MvinOp(x, b.add(base, b.add(b.mul(r, sx), col)), addr, n_rows, n_cols, space="acc", id=0))
            b.insert(g.MvoutOp(out, b.add(base, b.add(b.mul(r, so), col)), addr, n_rows, n_cols, space="acc"))


def emit_resadd(b: IRBuilder, a: SSAValue, bm: SSAValue, c: SSAValue, sizes: list[SSAValue], mode: str,
                cfg: GemminiConfig) -> None:
    """C = A + B element-wise through the accumulator over `sizes` (a prefix of each buffer):
    mvin A (overwrite), mvin B (accumulate), mvout C (int32 in full, or int8 saturated / ReLU).
    1-D buffers run as rows of DIM elements plus one partial row."""
    dim = cfg.dim
    in_bits = 32 if mode == "i32" else 8
    out_bits = 8 if mode.startswith("sat8") else 32
    relu = mode == "sat8_relu"
    if len(sizes) == 2:
        rows, cols = sizes
        strides = (b.dim(a, 1), b.dim(bm, 1), b.dim(c, 1))
        _resadd_matrix(b, a, bm, c, rows, cols, strides, b.c(0), in_bits, out_bits, relu, cfg)
    else:
        (n,) = sizes
        D = b.c(dim)
        full_rows = b.c(g.const_int(n) // dim) if g.const_int(n) is not None else b.insert(arith.DivSIOp(n, D)).results[0]  # type: ignore[operator]
        tail = b.sub(n, b.mul(full_rows, D))
        _resadd_matrix(b, a, bm, c, full_rows, D, (D, D, D), b.c(0), in_bits, out_bits, relu, cfg)
        base = b.mul(full_rows, D)
        if g.const_int(tail) is not None:
            if g.const_int(tail):
                _resadd_matrix(b, a, bm, c, b.c(1), tail, (tail, tail, tail), base, in_bits, out_bits, relu, cfg)
        else:
            has_tail = b.insert(arith.CmpiOp(tail, b.c(0), "sgt")).results[0]
            with b.if_(has_tail):
                _resadd_matrix(b, a, bm, c, b.c(1), tail, (tail, tail, tail), base, in_bits, out_bits, relu, cfg)
    b.insert(g.FenceOp())


def _resadd_matrix(b: IRBuilder, a: SSAValue, bm: SSAValue, c: SSAValue, rows: SSAValue, cols: SSAValue,
                   strides: tuple[SSAValue, SSAValue, SSAValue], base: SSAValue, in_bits: int, out_bits: int,
                   relu: bool, cfg: GemminiConfig) -> None:
    if g.const_int(rows) == 0 or g.const_int(cols) == 0:
        return
    dim = cfg.dim
    D = b.c(dim)
    shrunk = in_bits == 8
    sa, sb, sc = strides
    b.insert(g.ConfigLdOp(sa, 0, elem_bits=in_bits, shrunk=shrunk))
    b.insert(g.ConfigLdOp(sb, 1, elem_bits=in_bits, shrunk=shrunk))
    b.insert(g.ConfigStOp(sc, "relu" if relu else "none", 1.0, elem_bits=out_bits))
    col_blocks = b.ceildiv(cols, D)
    acc_blocks = b.c(cfg.acc_rows // dim)
    with b.for_(b.c(0), rows, D) as r:
        n_rows = b.min(D, b.sub(rows, r))
        rblock = b.insert(arith.DivSIOp(r, D)).results[0]
        with b.for_(b.c(0), cols, D) as col:
            n_cols = b.min(D, b.sub(cols, col))
            cb = b.insert(arith.DivSIOp(col, D)).results[0]
            # Cycle through the whole accumulator so consecutive blocks overlap.
            slot = b.insert(arith.RemSIOp(b.add(b.mul(rblock, col_blocks), cb), acc_blocks)).results[0]
            addr = b.mul(slot, D)
            b.insert(g.MvinOp(a, b.add(base, b.add(b.mul(r, sa), col)), addr, n_rows, n_cols, space="acc", id=0))
            b.insert(g.MvinOp(bm, b.add(base, b.add(b.mul(r, sb), col)), addr, n_rows, n_cols, space="acc", id=1,
                              accumulate=True))
            b.insert(g.MvoutOp(c, b.add(base, b.add(b.mul(r, sc), col)), addr, n_rows, n_cols, space="acc",
                               full=out_bits == 32))
