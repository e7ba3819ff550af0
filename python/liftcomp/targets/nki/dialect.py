"""The `nki` dialect: NeuronCore tiles, DMA, engine instructions and NKI loops.

A kernel is a `func.func` carrying the `nki.kernel` attribute (its value names the chip: "trn2",
the default, or "trn1"). Its arguments are HBM tensors, 2-D memrefs without a memory space; the
kernel reads inputs and writes outputs through `nki.load` / `nki.store`. On-chip tiles are
memrefs in memory space "sbuf" or "psum" whose first dimension is the partition dimension
(<= 128) and whose second is the free dimension; `nki.alloc` makes one, `nki.view` a free-dim
slice of one. Instructions write their `dst` operand (destination passing, as NKI's ISA does
since Beta 2). Loops are `scf.for` from 0 to a constant trip count, step 1, with the attribute
`nki.loop` = affine (iterations independent, except += into PSUM) or sequential (the default);
the body's block argument is the index. Not an nki op with a region: MLIR 22's IRDL cannot
declare a terminator, so mlir-opt could not load such a loop through dialects/nki.irdl.mlir.

Verifiers check every NeuronCore limit against the kernel's chip (config.py) and name the op:
partition sizes, PSUM tile <= one 2 KiB bank, matmul tile limits (contraction <= 128 partitions,
stationary free <= 128, moving free <= 512, inputs in SBUF, output in PSUM), fp8 only where the
chip has it, and per kernel the SBUF bytes per partition and the PSUM banks of all allocations
(times their `bufs`, the multi-buffering depth) against the chip's capacity.
"""

from __future__ import annotations

from xdsl.dialects import func, scf
from xdsl.dialects.builtin import (
    BFloat16Type,
    Float8E4M3FNType,
    Float8E5M2Type,
    Float16Type,
    Float32Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    UnitAttr,
    f64,
    i64,
)
from xdsl.ir import Attribute, Block, Dialect, Operation, Region, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
    result_def,
    var_operand_def,
)
from xdsl.utils.exceptions import VerifyException

from liftcomp.targets.nki.config import CHIPS, DEFAULT_CHIP, NkiChip

KERNEL_ATTR = "nki.kernel"
BUFFERS = ("sbuf", "psum")
ENGINES = ("vector", "scalar", "gpsimd", "unknown")
ACTIVATIONS = ("copy", "exp", "log", "tanh", "sqrt", "rsqrt", "relu", "sigmoid", "gelu", "silu", "square",
               "abs", "sin", "cos", "erf", "reciprocal", "sign")
ALU_OPS = ("add", "subtract", "multiply", "divide", "maximum", "minimum", "power", "equal", "not_equal",
           "greater", "greater_equal", "less", "less_equal", "bitwise_and", "bitwise_or", "bitwise_xor",
           "logical_and", "logical_or")
REDUCE_OPS = ("add", "maximum", "minimum", "multiply")


def element_bytes(t: Attribute) -> int:
    if isinstance(t, (Float8E4M3FNType, Float8E5M2Type)):
        return 1
    if isinstance(t, (BFloat16Type, Float16Type)):
        return 2
    if isinstance(t, Float32Type):
        return 4
    if isinstance(t, IntegerType):
        return max(1, t.width.data // 8)
    raise VerifyException(f"unsupported NKI element type {t}")


def is_fp8(t: Attribute) -> bool:
    return isinstance(t, (Float8E4M3FNType, Float8E5M2Type))


def tile_type(shape: tuple[int, int], elem: Attribute, buffer: str) -> MemRefType:
    return MemRefType(elem, list(shape), memory_space=StringAttr(buffer))


def space_of(v: SSAValue) -> str | None:
    t = v.type
    if not isinstance(t, MemRefType):
        return None
    ms = t.memory_space
    return ms.data if isinstance(ms, StringAttr) else None


def shape_of(v: SSAValue) -> tuple[int, ...]:
    t = v.type
    assert isinstance(t, MemRefType)
    return tuple(t.get_shape())


def elem_of(v: SSAValue) -> Attribute:
    t = v.type
    assert isinstance(t, MemRefType)
    return t.element_type


def chip_of(op: Operation) -> NkiChip:
    """The chip of the kernel around `op` (its `nki.kernel` attribute; trn2 when absent)."""
    p: Operation | None = op
    while p is not None:
        if isinstance(p, func.FuncOp) or isinstance(p, ModuleOp):
            attr = p.attributes.get(KERNEL_ATTR)
            if isinstance(attr, StringAttr) and attr.data in CHIPS:
                return CHIPS[attr.data]
        p = p.parent_op()
    return DEFAULT_CHIP


def _fail(op: Operation, msg: str) -> None:
    raise VerifyException(f"'{op.name}': {msg}")


def _tile(op: Operation, what: str, v: SSAValue, spaces: tuple[str, ...] = BUFFERS) -> tuple[int, int]:
    """A 2-D on-chip tile operand; its (partitions, free) shape."""
    sp = space_of(v)
    if sp not in spaces:
        _fail(op, f"{what} must be a tile in {' or '.join(spaces)}, got {v.type}")
    shape = shape_of(v)
    if len(shape) != 2:
        _fail(op, f"{what} must be a 2-D tile [partitions, free], got shape {list(shape)}")
    chip = chip_of(op)
    if not 1 <= shape[0] <= chip.partitions:
        _fail(op, f"{what} has {shape[0]} partitions; {chip.name} has {chip.partitions}")
    return shape[0], shape[1]


def _prop_str(op: IRDLOperation, name: str, allowed: tuple[str, ...]) -> str:
    attr = op.properties.get(name)
    if not isinstance(attr, StringAttr) or attr.data not in allowed:
        _fail(op, f"{name} must be one of {', '.join(allowed)}, got {attr}")
    return attr.data  # type: ignore[union-attr]


def _same_elements(op: Operation, a: tuple[int, int], b: tuple[int, int], what: str) -> None:
    if a != b:
        _fail(op, f"{what}: shapes {list(a)} and {list(b)} differ")


@irdl_op_definition
class AllocOp(IRDLOperation):
    """An on-chip tile (nl.ndarray in sbuf/psum); `bufs` copies rotate when it sits in a loop."""

    name = "nki.alloc"
    result = result_def(MemRefType)
    buffer = prop_def(StringAttr)
    bufs = prop_def(IntegerAttr, default_value=IntegerAttr(1, i64))
    tile_name = prop_def(StringAttr, prop_name="name")
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, shape: tuple[int, int], elem: Attribute, buffer: str, name: str, bufs: int = 1):
        super().__init__(result_types=[tile_type(shape, elem, buffer)],
                         properties={"buffer": StringAttr(buffer), "bufs": IntegerAttr(bufs, i64),
                                     "name": StringAttr(name)})

    def bytes_per_partition(self) -> int:
        shape = shape_of(self.result)
        n = 1
        for d in shape[1:]:
            n *= d
        return n * element_bytes(elem_of(self.result))

    def verify_(self) -> None:
        buffer = _prop_str(self, "buffer", BUFFERS)
        if space_of(self.result) != buffer:
            _fail(self, f"result memory space must be \"{buffer}\"")
        _tile(self, "the tile", self.result)
        chip = chip_of(self)
        if self.bufs.value.data < 1:
            _fail(self, f"bufs must be >= 1, got {self.bufs.value.data}")
        if buffer == "psum" and self.bytes_per_partition() > chip.psum_bank_bytes:
            _fail(self, f"PSUM tile '{self.tile_name.data}' needs {self.bytes_per_partition()} bytes per partition; "
                  f"one PSUM bank holds {chip.psum_bank_bytes} ({chip.psum_bank_bytes // 4} fp32)")
        _check_capacity(self, chip)


def _check_capacity(op: AllocOp, chip: NkiChip) -> None:
    """All allocations of the kernel (times bufs) within SBUF bytes and PSUM banks per partition."""
    fn = op.parent_op()
    while fn is not None and not isinstance(fn, func.FuncOp):
        fn = fn.parent_op()
    if fn is None:
        return
    sbuf = 0
    banks = 0
    for a in fn.walk():
        if not isinstance(a, AllocOp):
            continue
        n = a.bytes_per_partition() * a.bufs.value.data
        if a.buffer.data == "sbuf":
            sbuf += n
        else:
            banks += a.bufs.value.data * -(-a.bytes_per_partition() // chip.psum_bank_bytes)
    if sbuf > chip.sbuf_bytes_per_partition:
        _fail(op, f"the kernel's SBUF tiles need {sbuf} bytes per partition; {chip.name} has "
              f"{chip.sbuf_bytes_per_partition}")
    if banks > chip.psum_banks:
        _fail(op, f"the kernel's PSUM tiles need {banks} banks; {chip.name} has {chip.psum_banks}")


@irdl_op_definition
class ViewOp(IRDLOperation):
    """tile[0:P, offset:offset+F]: a free-dimension slice of a tile (no copy)."""

    name = "nki.view"
    source = operand_def(MemRefType)
    offset = operand_def(IndexType)
    result = result_def(MemRefType)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, source: SSAValue, offset: SSAValue, free: int, partitions: int | None = None):
        p = shape_of(source)[0] if partitions is None else partitions
        sp = space_of(source) or "sbuf"
        super().__init__(operands=[source, offset], result_types=[tile_type((p, free), elem_of(source), sp)])

    def verify_(self) -> None:
        sp, sf = _tile(self, "source", self.source)
        rp, rf = _tile(self, "result", self.result)
        if space_of(self.result) != space_of(self.source) or elem_of(self.result) != elem_of(self.source):
            _fail(self, "a view keeps the memory space and element type of its source")
        if rp > sp or rf > sf:
            _fail(self, f"view [{rp}, {rf}] larger than its source [{sp}, {sf}]")
        off = const_index(self.offset)
        if off is not None and off + rf > sf:
            _fail(self, f"view [{off}:{off + rf}] outside the source's free size {sf}")


def const_index(v: SSAValue) -> int | None:
    from xdsl.dialects.arith import ConstantOp

    owner = v.owner
    if isinstance(owner, ConstantOp) and isinstance(owner.value, IntegerAttr):
        return owner.value.value.data
    return None


def _hbm(op: Operation, what: str, v: SSAValue) -> tuple[int, int]:
    t = v.type
    if not isinstance(t, MemRefType) or space_of(v) is not None or len(t.get_shape()) != 2:
        _fail(op, f"{what} must be a 2-D HBM tensor (memref without memory space), got {t}")
    return shape_of(v)  # type: ignore[return-value]


def _check_window(op: Operation, hbm: tuple[int, int], offsets: tuple[SSAValue, ...], rows: int, cols: int) -> None:
    for axis, (o, n) in enumerate(zip(offsets, (rows, cols), strict=True)):
        c = const_index(o)
        if c is not None and (c < 0 or c + n > hbm[axis]):
            _fail(op, f"HBM window [{c}:{c + n}] on axis {axis} outside the tensor's size {hbm[axis]}")


@irdl_op_definition
class LoadOp(IRDLOperation):
    """DMA HBM -> SBUF (nisa.dma_copy): dst = src[r:r+R, c:c+C]. With `transpose`, the window is
    src[r:r+F, c:c+P] and lands transposed (nisa.dma_transpose); with `broadcast`, one HBM row
    src[r, c:c+F] is copied to every partition."""

    name = "nki.load"
    dst = operand_def(MemRefType)
    src = operand_def(MemRefType)
    offsets = var_operand_def(IndexType)
    transpose = opt_prop_def(UnitAttr)
    broadcast = opt_prop_def(UnitAttr)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, src: SSAValue, offsets: list[SSAValue], *, transpose: bool = False,
                 broadcast: bool = False):
        props: dict[str, Attribute] = {}
        if transpose:
            props["transpose"] = UnitAttr()
        if broadcast:
            props["broadcast"] = UnitAttr()
        super().__init__(operands=[dst, src, offsets], properties=props)

    def window(self) -> tuple[int, int]:
        p, f = shape_of(self.dst)
        if self.transpose is not None:
            return f, p
        if self.broadcast is not None:
            return 1, f
        return p, f

    def verify_(self) -> None:
        _tile(self, "dst", self.dst, ("sbuf",))
        hbm = _hbm(self, "src", self.src)
        if len(self.offsets) != 2:
            _fail(self, f"needs 2 offsets (row, column), got {len(self.offsets)}")
        if self.transpose is not None and self.broadcast is not None:
            _fail(self, "transpose and broadcast exclude each other")
        if elem_of(self.dst) != elem_of(self.src):
            _fail(self, f"DMA does not convert: {elem_of(self.src)} -> {elem_of(self.dst)}")
        rows, cols = self.window()
        _check_window(self, hbm, tuple(self.offsets), rows, cols)


@irdl_op_definition
class StoreOp(IRDLOperation):
    """DMA SBUF -> HBM (nisa.dma_copy): dst[r:r+P, c:c+F] = src."""

    name = "nki.store"
    dst = operand_def(MemRefType)
    offsets = var_operand_def(IndexType)
    src = operand_def(MemRefType)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, offsets: list[SSAValue], src: SSAValue):
        super().__init__(operands=[dst, offsets, src])

    def verify_(self) -> None:
        p, f = _tile(self, "src", self.src, ("sbuf",))
        hbm = _hbm(self, "dst", self.dst)
        if len(self.offsets) != 2:
            _fail(self, f"needs 2 offsets (row, column), got {len(self.offsets)}")
        if elem_of(self.dst) != elem_of(self.src):
            _fail(self, f"DMA does not convert: {elem_of(self.src)} -> {elem_of(self.dst)}")
        _check_window(self, hbm, tuple(self.offsets), p, f)


@irdl_op_definition
class MatmulOp(IRDLOperation):
    """TensorE: dst[M, N] (+)= stationary[K, M]^T @ moving[K, N] (nisa.nc_matmul), fp32 in PSUM."""

    name = "nki.matmul"
    dst = operand_def(MemRefType)
    stationary = operand_def(MemRefType)
    moving = operand_def(MemRefType)
    accumulate = opt_prop_def(UnitAttr)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, stationary: SSAValue, moving: SSAValue, accumulate: bool = True):
        super().__init__(operands=[dst, stationary, moving],
                         properties={"accumulate": UnitAttr()} if accumulate else {})

    def verify_(self) -> None:
        chip = chip_of(self)
        k, m = _tile(self, "stationary", self.stationary, ("sbuf",))
        k2, n = _tile(self, "moving", self.moving, ("sbuf",))
        dm, dn = _tile(self, "dst", self.dst, ("psum",))
        if k != k2:
            _fail(self, f"contraction (partition) sizes differ: stationary {k}, moving {k2}")
        if m > chip.gemm_stationary_fmax:
            _fail(self, f"stationary free size {m} > {chip.gemm_stationary_fmax}")
        if n > chip.gemm_moving_fmax:
            _fail(self, f"moving free size {n} > {chip.gemm_moving_fmax}")
        if (dm, dn) != (m, n):
            _fail(self, f"dst must be [{m}, {n}], got [{dm}, {dn}]")
        if not isinstance(elem_of(self.dst), Float32Type):
            _fail(self, "matmul accumulates in fp32: dst must be an f32 PSUM tile")
        for what, v in (("stationary", self.stationary), ("moving", self.moving)):
            if is_fp8(elem_of(v)) and not chip.has_fp8:
                _fail(self, f"{what} is fp8, which {chip.name}'s TensorE does not run")
        if elem_of(self.stationary) != elem_of(self.moving):
            _fail(self, "stationary and moving must have the same element type")


@irdl_op_definition
class TransposeOp(IRDLOperation):
    """TensorE transpose (nisa.nc_transpose): dst[F, P] = src[P, F]^T, into PSUM."""

    name = "nki.transpose"
    dst = operand_def(MemRefType)
    src = operand_def(MemRefType)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, src: SSAValue):
        super().__init__(operands=[dst, src])

    def verify_(self) -> None:
        chip = chip_of(self)
        p, f = _tile(self, "src", self.src, ("sbuf",))
        dp, df = _tile(self, "dst", self.dst, ("psum",))
        if (dp, df) != (f, p):
            _fail(self, f"dst must be [{f}, {p}], got [{dp}, {df}]")
        if f > chip.gemm_stationary_fmax:
            _fail(self, f"TensorE transposes at most {chip.gemm_stationary_fmax} free elements, got {f}")


class _ElementwiseOp(IRDLOperation):
    def _check_dst_like(self, dst: SSAValue, src: SSAValue) -> tuple[int, int]:
        d = _tile(self, "dst", dst)
        s = _tile(self, "source", src)
        _same_elements(self, d, s, "dst and source")
        return d


@irdl_op_definition
class ActivationOp(_ElementwiseOp):
    """ScalarE: dst = op(src * scale + bias) (nisa.activation); scale and bias are [P, 1] tiles
    or immediates; with reduce_res, also reduce_res[P, 1] = sum over the free dim of dst."""

    name = "nki.activation"
    dst = operand_def(MemRefType)
    src = operand_def(MemRefType)
    bias = opt_operand_def(MemRefType)
    scale = opt_operand_def(MemRefType)
    reduce_res = opt_operand_def(MemRefType)
    op = prop_def(StringAttr)
    scale_imm = prop_def(FloatAttr, default_value=FloatAttr(1.0, f64))
    bias_imm = prop_def(FloatAttr, default_value=FloatAttr(0.0, f64))
    irdl_options = (AttrSizedOperandSegments(as_property=True), ParsePropInAttrDict())

    def __init__(self, dst: SSAValue, src: SSAValue, op: str, *, bias: SSAValue | None = None,
                 scale: SSAValue | None = None, scale_imm: float = 1.0, bias_imm: float = 0.0,
                 reduce_res: SSAValue | None = None):
        super().__init__(operands=[dst, src, bias, scale, reduce_res],
                         properties={"op": StringAttr(op), "scale_imm": FloatAttr(scale_imm, f64),
                                     "bias_imm": FloatAttr(bias_imm, f64)})

    def verify_(self) -> None:
        _prop_str(self, "op", ACTIVATIONS)
        p, _ = self._check_dst_like(self.dst, self.src)
        for what, v in (("bias", self.bias), ("scale", self.scale), ("reduce_res", self.reduce_res)):
            if v is not None and _tile(self, what, v) != (p, 1):
                _fail(self, f"{what} must be a [{p}, 1] tile")
        if self.bias is not None and self.bias_imm.value.data != 0.0:
            _fail(self, "bias is a tile or an immediate, not both")
        if self.scale is not None and self.scale_imm.value.data != 1.0:
            _fail(self, "scale is a tile or an immediate, not both")


@irdl_op_definition
class TensorTensorOp(_ElementwiseOp):
    """VectorE/GpSimd: dst = a <op> b elementwise (nisa.tensor_tensor); not both inputs in PSUM."""

    name = "nki.tensor_tensor"
    dst = operand_def(MemRefType)
    a = operand_def(MemRefType)
    b = operand_def(MemRefType)
    op = prop_def(StringAttr)
    engine = prop_def(StringAttr, default_value=StringAttr("vector"))
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, a: SSAValue, b: SSAValue, op: str, engine: str = "vector"):
        super().__init__(operands=[dst, a, b], properties={"op": StringAttr(op), "engine": StringAttr(engine)})

    def verify_(self) -> None:
        _prop_str(self, "op", ALU_OPS)
        engine = _prop_str(self, "engine", ("vector", "gpsimd"))
        d = self._check_dst_like(self.dst, self.a)
        _same_elements(self, d, _tile(self, "b", self.b), "dst and b")
        if space_of(self.a) == "psum" and space_of(self.b) == "psum":
            _fail(self, "the two inputs cannot both be in PSUM")
        if engine == "gpsimd" and "psum" in (space_of(self.a), space_of(self.b), space_of(self.dst)):
            _fail(self, "GpSimd cannot access PSUM")


@irdl_op_definition
class TensorScalarOp(_ElementwiseOp):
    """dst = (src <op0> operand0) <op1> operand1 (nisa.tensor_scalar); each operand a [P, 1] tile
    or an immediate; reverseN swaps the operands of opN."""

    name = "nki.tensor_scalar"
    dst = operand_def(MemRefType)
    src = operand_def(MemRefType)
    operand0 = opt_operand_def(MemRefType)
    operand1 = opt_operand_def(MemRefType)
    op0 = prop_def(StringAttr)
    imm0 = opt_prop_def(FloatAttr)
    reverse0 = opt_prop_def(UnitAttr)
    op1 = opt_prop_def(StringAttr)
    imm1 = opt_prop_def(FloatAttr)
    reverse1 = opt_prop_def(UnitAttr)
    engine = prop_def(StringAttr, default_value=StringAttr("vector"))
    irdl_options = (AttrSizedOperandSegments(as_property=True), ParsePropInAttrDict())

    def __init__(self, dst: SSAValue, src: SSAValue, op0: str, operand0: SSAValue | float, *, reverse0: bool = False,
                 op1: str | None = None, operand1: SSAValue | float | None = None, reverse1: bool = False,
                 engine: str = "vector"):
        props: dict[str, Attribute] = {"op0": StringAttr(op0), "engine": StringAttr(engine)}
        t0 = operand0 if isinstance(operand0, SSAValue) else None
        if t0 is None:
            props["imm0"] = FloatAttr(float(operand0), f64)  # type: ignore[arg-type]
        if reverse0:
            props["reverse0"] = UnitAttr()
        t1 = operand1 if isinstance(operand1, SSAValue) else None
        if op1 is not None:
            props["op1"] = StringAttr(op1)
            if t1 is None:
                props["imm1"] = FloatAttr(float(operand1), f64)  # type: ignore[arg-type]
            if reverse1:
                props["reverse1"] = UnitAttr()
        super().__init__(operands=[dst, src, t0, t1], properties=props)

    def verify_(self) -> None:
        _prop_str(self, "op0", ALU_OPS)
        engine = _prop_str(self, "engine", ("vector", "scalar", "gpsimd"))
        p, _ = self._check_dst_like(self.dst, self.src)
        if (self.operand0 is None) == (self.imm0 is None):
            _fail(self, "operand0 is a [P, 1] tile or an immediate (exactly one)")
        if self.op1 is not None:
            _prop_str(self, "op1", ALU_OPS)
            if (self.operand1 is None) == (self.imm1 is None):
                _fail(self, "operand1 is a [P, 1] tile or an immediate (exactly one)")
        elif self.operand1 is not None or self.imm1 is not None:
            _fail(self, "operand1 without op1")
        for what, v in (("operand0", self.operand0), ("operand1", self.operand1)):
            if v is not None and _tile(self, what, v) != (p, 1):
                _fail(self, f"{what} must be a [{p}, 1] tile")
        if engine == "gpsimd" and "psum" in (space_of(self.src), space_of(self.dst)):
            _fail(self, "GpSimd cannot access PSUM")


@irdl_op_definition
class TensorReduceOp(IRDLOperation):
    """VectorE: dst[P, 1] = reduce(op, src[P, F]) over the free dimension (nisa.tensor_reduce)."""

    name = "nki.tensor_reduce"
    dst = operand_def(MemRefType)
    src = operand_def(MemRefType)
    op = prop_def(StringAttr)
    negate = opt_prop_def(UnitAttr)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, src: SSAValue, op: str, negate: bool = False):
        super().__init__(operands=[dst, src], properties={"op": StringAttr(op), **({"negate": UnitAttr()} if negate else {})})

    def verify_(self) -> None:
        _prop_str(self, "op", REDUCE_OPS)
        p, _ = _tile(self, "src", self.src)
        if _tile(self, "dst", self.dst) != (p, 1):
            _fail(self, f"dst must be a [{p}, 1] tile")


@irdl_op_definition
class TensorCopyOp(_ElementwiseOp):
    """dst = src with dtype conversion (nisa.tensor_copy), e.g. PSUM -> SBUF."""

    name = "nki.tensor_copy"
    dst = operand_def(MemRefType)
    src = operand_def(MemRefType)
    engine = prop_def(StringAttr, default_value=StringAttr("vector"))
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, src: SSAValue, engine: str = "vector"):
        super().__init__(operands=[dst, src], properties={"engine": StringAttr(engine)})

    def verify_(self) -> None:
        engine = _prop_str(self, "engine", ("vector", "scalar", "gpsimd"))
        self._check_dst_like(self.dst, self.src)
        if engine == "gpsimd" and "psum" in (space_of(self.src), space_of(self.dst)):
            _fail(self, "GpSimd cannot access PSUM")
        if engine == "scalar" and chip_of(self).name == "trn1":
            _fail(self, "tensor_copy does not run on ScalarE of NeuronCore-v2 (use activation copy)")


@irdl_op_definition
class MemsetOp(IRDLOperation):
    """dst = value everywhere (nisa.memset)."""

    name = "nki.memset"
    dst = operand_def(MemRefType)
    value = prop_def(FloatAttr)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, value: float):
        super().__init__(operands=[dst], properties={"value": FloatAttr(value, f64)})

    def verify_(self) -> None:
        _tile(self, "dst", self.dst)


@irdl_op_definition
class IotaOp(IRDLOperation):
    """GpSimd: dst[p, f] = base + p * channel_multiplier + f * step (nisa.iota)."""

    name = "nki.iota"
    dst = operand_def(MemRefType)
    base = prop_def(IntegerAttr, default_value=IntegerAttr(0, i64))
    step = prop_def(IntegerAttr, default_value=IntegerAttr(1, i64))
    channel_multiplier = prop_def(IntegerAttr, default_value=IntegerAttr(0, i64))
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, base: int = 0, step: int = 1, channel_multiplier: int = 0):
        super().__init__(operands=[dst], properties={"base": IntegerAttr(base, i64), "step": IntegerAttr(step, i64),
                                                     "channel_multiplier": IntegerAttr(channel_multiplier, i64)})

    def verify_(self) -> None:
        _tile(self, "dst", self.dst, ("sbuf",))


@irdl_op_definition
class SelectOp(IRDLOperation):
    """VectorE: dst = pred != 0 ? on_true : on_false, elementwise."""

    name = "nki.select"
    dst = operand_def(MemRefType)
    pred = operand_def(MemRefType)
    on_true = operand_def(MemRefType)
    on_false = operand_def(MemRefType)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, dst: SSAValue, pred: SSAValue, on_true: SSAValue, on_false: SSAValue):
        super().__init__(operands=[dst, pred, on_true, on_false])

    def verify_(self) -> None:
        d = _tile(self, "dst", self.dst)
        for what, v in (("pred", self.pred), ("on_true", self.on_true), ("on_false", self.on_false)):
            _same_elements(self, d, _tile(self, what, v), f"dst and {what}")


LOOP_ATTR = "nki.loop"
LOOP_KINDS = ("affine", "sequential")


def kernel_loop(lb: SSAValue, ub: SSAValue, step: SSAValue, kind: str) -> scf.ForOp:
    """for i in nl.affine_range(trip) / nl.sequential_range(trip): an scf.for from 0 to the
    constant trip count, step 1, its kind in the `nki.loop` attribute. The caller fills the body
    and ends it with scf.yield (`end_loop_body`)."""
    op = scf.ForOp(lb, ub, step, [], Region(Block(arg_types=[IndexType()])))
    op.attributes[LOOP_ATTR] = StringAttr(kind)
    return op


def end_loop_body(op: scf.ForOp) -> None:
    op.body.block.add_op(scf.YieldOp())


def loop_trip(op: scf.ForOp) -> int:
    """The trip count of a kernel loop (fails unless it runs from 0 to a constant >= 1, step 1)."""
    lb, ub, step = const_index(op.lb), const_index(op.ub), const_index(op.step)
    if lb != 0 or step != 1 or ub is None or ub < 1 or op.iter_args:
        _fail(op, "a kernel loop runs from 0 to a constant trip count >= 1, step 1, without iter_args")
    return ub  # type: ignore[return-value]


def loop_kind(op: scf.ForOp) -> str:
    """affine or sequential (the `nki.loop` attribute); sequential, always valid, when absent."""
    attr = op.attributes.get(LOOP_ATTR)
    if attr is None:
        return "sequential"
    if not isinstance(attr, StringAttr) or attr.data not in LOOP_KINDS:
        _fail(op, f"{LOOP_ATTR} must be one of {', '.join(LOOP_KINDS)}, got {attr}")
    return attr.data  # type: ignore[union-attr]


def verify_kernel_loops(kernel: Operation) -> None:
    """The loop checks scf.for's own verifier does not make (VerifyException naming the loop)."""
    for op in kernel.walk():
        if isinstance(op, scf.ForOp):
            loop_trip(op)
            loop_kind(op)


def _ops() -> list[type[IRDLOperation]]:
    return [AllocOp, ViewOp, LoadOp, StoreOp, MatmulOp, TransposeOp, ActivationOp, TensorTensorOp, TensorScalarOp,
            TensorReduceOp, TensorCopyOp, MemsetOp, IotaOp, SelectOp, HbmViewOp]




@irdl_op_definition
class HbmViewOp(IRDLOperation):
    """Host side: a host buffer (or scalar) seen as the row-major 2-D HBM tensor [rows, cols] a
    kernel argument takes (a scalar is a [1, 1] tensor; a buffer its first rows * cols elements,
    no copy). The host wrapper calls the kernel (func.call) on such views; the kernel's outputs
    (its `nki.outputs` argument positions) land in the viewed host buffers. Not one launch op
    with the views as a property: IRDL binds one type to all the values of a variadic operand,
    so mlir-opt could not load a launch of differently typed arguments."""

    name = "nki.hbm_view"
    source = operand_def()
    result = result_def(MemRefType)
    rows = prop_def(IntegerAttr)
    cols = prop_def(IntegerAttr)
    irdl_options = (ParsePropInAttrDict(),)

    def __init__(self, source: SSAValue, rows: int, cols: int, elem: Attribute):
        super().__init__(operands=[source], result_types=[MemRefType(elem, [rows, cols])],
                         properties={"rows": IntegerAttr(rows, i64), "cols": IntegerAttr(cols, i64)})

    def shape(self) -> tuple[int, int]:
        return self.rows.value.data, self.cols.value.data

    def verify_(self) -> None:
        r, c = self.shape()
        if shape_of(self.result) != (r, c) or space_of(self.result) is not None:
            _fail(self, f"the result must be a [{r}, {c}] HBM tensor, got {self.result.type}")
        t = self.source.type
        if isinstance(t, MemRefType):
            n = 1
            for d in t.get_shape():
                n *= d
            if all(d >= 0 for d in t.get_shape()) and n != r * c:
                _fail(self, f"a {t} cannot be viewed as [{r}, {c}]")
        elif (r, c) != (1, 1):
            _fail(self, f"a scalar argument is a [1, 1] tensor, not [{r}, {c}]")


OUTPUTS_ATTR = "nki.outputs"


NKI = Dialect("nki", _ops(), [])  # type: ignore
