"""The `cuda` dialect: kernels at the level of tiles, warp roles and tensor-core instructions.

A function of target IR keeps its tensor-level glue (to_tensor, slices, fills, materialize) and
launches a kernel by calling `@<kernel>.launch` (`func.call`, value semantics: buffers as tensors,
then scalars, in; the output tensor out; the callee is a private declaration). Each kernel is a
module-level `cuda.kernel` symbol: its launch plan (grid, block, cluster, dynamic shared memory,
registers per thread) and its `spec` (kind, element types, epilogue and schedule: see spec.py) as
attributes. Its tile program is the private function `@<kernel>.body` (and an elementwise or
reduction kernel's scalar computation the function `@<kernel>.map`), so that every op is free of
regions and mlir-opt-22 reads the dialect from its IRDL export (IRDL cannot declare terminators):

    "cuda.kernel"() {sym_name = "mm", kind = "gemm", arch = "sm_90a", block = [384, 1, 1], ...}
    func.func private @mm.body() {
      "cuda.warp_role"() {role = "producer", warpgroups = 1, max_regs = 40}   // the ops up to the next role
      "cuda.k_loop"() {stages = 4, k_tile = 64}                               // the ops up to k_loop_end
      "cuda.tma_load"() {operand = 0, box = [128, 64], multicast = 1}
      "cuda.tma_load"() {operand = 1, box = [64, 256], multicast = 2}
      "cuda.k_loop_end"()
      "cuda.warp_role"() {role = "consumer", warpgroups = 2, max_regs = 232}
      "cuda.k_loop"() {stages = 4, k_tile = 64}
      "cuda.wgmma"() {shape = [64, 256, 16], ...}
      "cuda.k_loop_end"()
      "cuda.epilogue"() {op = "bias", operand = 2}
      "cuda.epilogue"() {op = "relu"}
      "cuda.epilogue"() {op = "convert"}
      "cuda.store_tile"() {operand = 3, via = "tma"}
      func.return
    }

Row kernels use `cuda.row_load`, `cuda.block_reduce` (scope "block", or "grid" when a row is split
over blocks), `cuda.row_math` and `cuda.store_tile`. The tile-level interpreter (interp.py) runs
these bodies on numpy.

Verifiers check the hardware limits of the target architecture (config.py) and name the op:
shared memory per block, threads per block, registers per thread and per SM, wgmma shapes and
operand layouts, TMA box limits, cluster size, pipeline stages.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    ArrayAttr,
    DictionaryAttr,
    FloatAttr,
    IntegerAttr,
    StringAttr,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation
from xdsl.irdl import (
    IRDLOperation,
    attr_def,
    irdl_op_definition,
    opt_attr_def,
    traits_def,
)
from xdsl.traits import SymbolOpInterface
from xdsl.utils.exceptions import VerifyException

from liftcomp.targets.cuda.config import ARCH_LIMITS, ArchLimits


def _ints(a: Attribute) -> list[int]:
    assert isinstance(a, ArrayAttr)
    return [x.value.data for x in a.data]  # type: ignore[union-attr]


def ints_attr(xs: Sequence[int]) -> ArrayAttr[IntegerAttr[Any]]:
    return ArrayAttr([IntegerAttr(int(x), i64) for x in xs])


def _str(op: Operation, name: str) -> str:
    a = op.attributes.get(name)
    return a.data if isinstance(a, StringAttr) else ""


def _int(op: Operation, name: str, default: int = 0) -> int:
    a = op.attributes.get(name)
    return a.value.data if isinstance(a, IntegerAttr) else default


def _kernel_of(op: Operation) -> KernelOp | None:
    """The kernel whose body function (`@<kernel>.body`) holds `op`, if it is in a module."""
    fn = op.parent_op()
    if not isinstance(fn, func.FuncOp) or not fn.sym_name.data.endswith(".body"):
        return None
    module = fn.parent_op()
    if module is None:
        return None
    name = fn.sym_name.data.removesuffix(".body")
    for o in module.regions[0].block.ops:
        if isinstance(o, KernelOp) and o.sym_name.data == name:
            return o
    return None


def launch_declaration(name: str, arg_types: Sequence[Attribute], result_type: Attribute) -> func.FuncOp:
    """`func.func private @<kernel>.launch(buffers..., scalars...) -> output`: what host code calls."""
    return func.FuncOp.external(f"{name}.launch", list(arg_types), [result_type])


def _limits(op: Operation) -> ArchLimits:
    k = op if isinstance(op, KernelOp) else _kernel_of(op)
    arch = _str(k, "arch") if k is not None else "sm_90a"
    return ARCH_LIMITS.get(arch, ARCH_LIMITS["sm_90a"])


class _Fail:
    @staticmethod
    def raise_(op: Operation, msg: str) -> None:
        raise VerifyException(f"'{op.name}': {msg}")


@irdl_op_definition
class KernelOp(IRDLOperation):
    name = "cuda.kernel"
    sym_name = attr_def(StringAttr)
    kind = attr_def(StringAttr)
    arch = attr_def(StringAttr)
    grid = attr_def(ArrayAttr)  # 0 = depends on the problem size (computed at launch)
    block = attr_def(ArrayAttr)
    cluster = attr_def(ArrayAttr)
    smem_bytes = attr_def(IntegerAttr)
    regs = attr_def(IntegerAttr)
    spec = attr_def(DictionaryAttr)
    traits = traits_def(SymbolOpInterface())

    def verify_(self) -> None:
        lim = _limits(self)
        arch = self.arch.data
        if arch not in ARCH_LIMITS:
            _Fail.raise_(self, f"unknown arch '{arch}' (known: {', '.join(ARCH_LIMITS)})")
        block = _ints(self.block)
        threads = block[0] * block[1] * block[2]
        if threads > lim.max_threads_per_block or threads % 32:
            _Fail.raise_(self, f"@{self.sym_name.data}: {threads} threads per block (a multiple of 32, at most "
                         f"{lim.max_threads_per_block} on {arch})")
        smem = self.smem_bytes.value.data
        if smem > lim.max_smem_per_block:
            _Fail.raise_(self, f"@{self.sym_name.data}: {smem} bytes of shared memory per block exceed {arch}'s "
                         f"{lim.max_smem_per_block}")
        regs = self.regs.value.data
        if regs > lim.max_regs_per_thread or regs * threads > lim.regs_per_sm:
            _Fail.raise_(self, f"@{self.sym_name.data}: {regs} registers per thread x {threads} threads exceed the "
                         f"limits ({lim.max_regs_per_thread} per thread, {lim.regs_per_sm} per SM)")
        cl = _ints(self.cluster)
        if cl[0] * cl[1] * cl[2] > lim.max_cluster:
            _Fail.raise_(self, f"@{self.sym_name.data}: cluster of {cl[0] * cl[1] * cl[2]} blocks (at most "
                         f"{lim.max_cluster} on {arch})")


@irdl_op_definition
class WarpRoleOp(IRDLOperation):
    """Warpgroups of one role: "producer" (issues the copies) or "consumer" (tensor cores, epilogue)."""

    name = "cuda.warp_role"
    role = attr_def(StringAttr)
    warpgroups = attr_def(IntegerAttr)
    max_regs = attr_def(IntegerAttr)  # setmaxnreg

    def verify_(self) -> None:
        if self.role.data not in ("producer", "consumer"):
            _Fail.raise_(self, f"role must be producer or consumer, not '{self.role.data}'")
        r = self.max_regs.value.data
        if not 24 <= r <= 256 or r % 8:
            _Fail.raise_(self, f"max_regs {r}: setmaxnreg takes a multiple of 8 in [24, 256]")


@irdl_op_definition
class KLoopOp(IRDLOperation):
    """The pipelined K loop: `stages` shared-memory buffers in flight, `k_tile` elements per step."""

    name = "cuda.k_loop"
    stages = attr_def(IntegerAttr)
    k_tile = attr_def(IntegerAttr)

    def verify_(self) -> None:
        s = self.stages.value.data
        if s < 1 or s > 16:
            _Fail.raise_(self, f"stages {s} outside [1, 16]")


@irdl_op_definition
class KLoopEndOp(IRDLOperation):
    """Ends the K loop's body (the ops since the last cuda.k_loop)."""

    name = "cuda.k_loop_end"


@irdl_op_definition
class TmaLoadOp(IRDLOperation):
    """A bulk tensor copy of a `box` of buffer `operand` into shared memory, completing on an mbarrier."""

    name = "cuda.tma_load"
    operand = attr_def(IntegerAttr)
    box = attr_def(ArrayAttr)
    elem_bytes = attr_def(IntegerAttr)
    multicast = attr_def(IntegerAttr)

    def verify_(self) -> None:
        box = _ints(self.box)
        eb = self.elem_bytes.value.data
        lim = _limits(self)
        if not lim.tma:
            _Fail.raise_(self, f"TMA is not available on {_str(_kernel_of(self) or self, 'arch')}")
        if any(b < 1 or b > 256 for b in box):
            _Fail.raise_(self, f"box {box}: each TMA box dimension must be in [1, 256]")
        if box[-1] * eb % 16:
            _Fail.raise_(self, f"box {box}: the inner dimension must span a multiple of 16 bytes")


@irdl_op_definition
class CpAsyncOp(IRDLOperation):
    """sm_80 asynchronous copies (cp.async, `bytes` per thread access) of a box of a buffer."""

    name = "cuda.cp_async"
    operand = attr_def(IntegerAttr)
    box = attr_def(ArrayAttr)
    bytes = attr_def(IntegerAttr)

    def verify_(self) -> None:
        if self.bytes.value.data not in (4, 8, 16):
            _Fail.raise_(self, f"cp.async moves 4, 8 or 16 bytes, not {self.bytes.value.data}")


@irdl_op_definition
class WgmmaOp(IRDLOperation):
    """Warpgroup MMA: D[m x n] += A[m x k] B[k x n], A and B from shared memory."""

    name = "cuda.wgmma"
    shape = attr_def(ArrayAttr)
    a_type = attr_def(StringAttr)
    acc_type = attr_def(StringAttr)
    a_major = attr_def(StringAttr)  # "k" or "mn"
    b_major = attr_def(StringAttr)

    def verify_(self) -> None:
        m, n, k = _ints(self.shape)
        t = self.a_type.data
        kk = {"bf16": 16, "f16": 16, "i8": 32, "tf32": 8}.get(t)
        if kk is None:
            _Fail.raise_(self, f"wgmma does not take {t} operands")
        if m != 64 or k != kk or n % 8 or not 8 <= n <= 256:
            _Fail.raise_(self, f"shape {[m, n, k]} is not a wgmma shape for {t} (m64 nN k{kk}, N a multiple of 8 up to 256)")
        if t in ("i8", "tf32") and (self.a_major.data != "k" or self.b_major.data != "k"):
            _Fail.raise_(self, f"{t} wgmma needs K-major A and B")
        if _kernel_of(self) is not None and _str(_kernel_of(self), "arch") != "sm_90a":  # type: ignore[arg-type]
            _Fail.raise_(self, "wgmma needs sm_90a")


@irdl_op_definition
class MmaSyncOp(IRDLOperation):
    """Warp-level MMA (mma.sync / WMMA fragments), the sm_80 path."""

    name = "cuda.mma_sync"
    shape = attr_def(ArrayAttr)
    a_type = attr_def(StringAttr)
    acc_type = attr_def(StringAttr)

    def verify_(self) -> None:
        shape = _ints(self.shape)
        if shape != [16, 16, 16]:
            _Fail.raise_(self, f"shape {shape}: the portable path uses 16x16x16 fragments")


@irdl_op_definition
class FmaLoopOp(IRDLOperation):
    """Exact f32 multiply-accumulate on the FMA units (no tensor cores)."""

    name = "cuda.fma"


@irdl_op_definition
class OrderedSumOp(IRDLOperation):
    """One thread per output element combines its terms in the loop's order from the accumulator's
    initial value, each step rounded to `acc_type` (__fmul_rn / __fadd_rn: never fused): the order
    an IEEE proof fixed (ir/float_order.py). No tensor cores, split-K or tree reduction."""

    name = "cuda.ordered_sum"
    combine = attr_def(StringAttr)  # sum; selmax / selmin: `b > a ? b : a` (a select on ogt / olt)
    acc_type = attr_def(StringAttr)

    def verify_(self) -> None:
        if self.combine.data not in ("sum", "selmax", "selmin"):
            _Fail.raise_(self, f"unknown combiner '{self.combine.data}'")
        if self.acc_type.data not in ("f32", "bf16", "f16"):
            _Fail.raise_(self, f"an ordered float sum in {self.acc_type.data} (f32, bf16 or f16)")


@irdl_op_definition
class EpilogueOp(IRDLOperation):
    """One epilogue step applied to the accumulator tile in registers (in order)."""

    name = "cuda.epilogue"
    op = attr_def(StringAttr)
    operand = opt_attr_def(IntegerAttr)

    def verify_(self) -> None:
        if self.op.data not in ("scale", "bias", "relu", "residual", "convert"):
            _Fail.raise_(self, f"unknown epilogue op '{self.op.data}'")
        if self.op.data in ("bias", "residual") and self.operand is None:
            _Fail.raise_(self, f"{self.op.data} needs an operand")


@irdl_op_definition
class StoreTileOp(IRDLOperation):
    name = "cuda.store_tile"
    operand = attr_def(IntegerAttr)
    via = attr_def(StringAttr)  # "tma" or "st.global"
    out_type = attr_def(StringAttr)


@irdl_op_definition
class RowLoadOp(IRDLOperation):
    """Each thread loads `items` vectors of `vec` elements of its block's row into registers."""

    name = "cuda.row_load"
    operand = attr_def(IntegerAttr)
    vec = attr_def(IntegerAttr)
    items = attr_def(IntegerAttr)

    def verify_(self) -> None:
        if self.items.value.data * self.vec.value.data > 128:
            _Fail.raise_(self, f"{self.items.value.data} x {self.vec.value.data} elements per thread would spill "
                         "registers (at most 128)")


@irdl_op_definition
class BlockReduceOp(IRDLOperation):
    name = "cuda.block_reduce"
    # scalar.COMBINERS (sum; max / min: IEEE maximum / minimum; maxnum / minnum; selmax / selmin:
    # a select fold) or argmax
    combine = attr_def(StringAttr)
    scope = attr_def(StringAttr)  # block or grid

    def verify_(self) -> None:
        if self.combine.data not in ("sum", "max", "min", "maxnum", "minnum", "selmax", "selmin", "argmax"):
            _Fail.raise_(self, f"unknown combiner '{self.combine.data}'")
        if self.scope.data not in ("block", "grid"):
            _Fail.raise_(self, f"scope must be block or grid, not '{self.scope.data}'")


@irdl_op_definition
class RowMathOp(IRDLOperation):
    """The row kernel's arithmetic between reductions (softmax / rmsnorm / layernorm)."""

    name = "cuda.row_math"
    op = attr_def(StringAttr)
    eps = opt_attr_def(FloatAttr)


@irdl_op_definition
class TransposeTileOp(IRDLOperation):
    """A tile x tile block through padded shared memory."""

    name = "cuda.transpose_tile"
    tile = attr_def(IntegerAttr)


Cuda = Dialect("cuda", [KernelOp, WarpRoleOp, KLoopOp, KLoopEndOp, TmaLoadOp, CpAsyncOp, WgmmaOp, MmaSyncOp,
                        FmaLoopOp, OrderedSumOp, EpilogueOp, StoreTileOp, RowLoadOp, BlockReduceOp, RowMathOp, TransposeTileOp])


def body_function(name: str, ops: Sequence[Operation]) -> func.FuncOp:
    """`func.func private @<name>.body()` holding a kernel's tile program."""
    fn = func.FuncOp(f"{name}.body", ((), ()), visibility="private")
    for o in ops:
        fn.body.block.add_op(o)
    fn.body.block.add_op(func.ReturnOp())
    return fn
