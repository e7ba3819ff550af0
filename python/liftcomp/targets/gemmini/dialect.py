"""The `gemmini` dialect: one op per RoCC instruction of Gemmini, plus the loop_ws FSM.

Operands that change from one loop iteration to the next (DRAM offsets, local addresses, rows,
cols, strides) are `index` SSA values, so schedules are ordinary scf loops around these ops.
What is fixed per instruction (which memory a local address names, accumulate/full flags, the
mvin variant, dataflow, activation, scales) is a property.

Conventions (mirroring gemmini.h, see docs/GEMMINI.md):
- A DRAM operand is a memref plus an element offset into its row-major storage; the row stride
  (in elements) comes from the last `config_ld` of the same `id` (mvin) or `config_st` (mvout).
- A local address is a row number in `space` ("spad": scratchpad rows of DIM int8, "acc":
  accumulator rows of DIM int32). An absent optional address is Gemmini's GARBAGE_ADDR: as a
  source it reads a zero matrix (or, for preload's B in WS, leaves the weights alone), as a
  destination it writes nothing.
- mvin/mvout move `rows` x `cols` elements; cols wider than DIM go to consecutive DIM-row
  blocks (block b of an mvin at `addr` lands at `addr + b*DIM`).
- preload/compute sizes are those of the operands as the array sees them: A is a_rows x a_cols
  (I x K), B is b_rows x b_cols (K x J), C is c_rows x c_cols (I x J); the rest is zero.

Verifiers check the limits that are visible statically (constant operands), against the
hardware configuration in the nearest `gemmini.config` attribute (default: DEFAULT_CONFIG): rows
and cols <= DIM or the block limits (max_block_len blocks of int8 per mvin/mvout row,
max_block_len_acc for int32 rows), local addresses (plain row numbers: no GARBAGE_ADDR, no flag
bits, within the memory), loop_ws tiles within half the scratchpad and accumulator (a dynamic
size counts as one block), dataflow/transposition rules (config_ex; loop_ws after a WS config_ex
without transposes), element types. The simulator checks the same limits at run time on the
actual values against the configuration it runs with (sim/machine.py).
"""

from __future__ import annotations

from functools import cache
from typing import ClassVar

from xdsl.dialects.builtin import (
    DictionaryAttr,
    Float32Type,
    FloatAttr,
    IndexType,
    IntegerAttr,
    IntegerType,
    MemRefType,
    StringAttr,
    UnitAttr,
    i64,
)
from xdsl.ir import Attribute, Dialect, Operation, SSAValue
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_operand_def,
    opt_prop_def,
    prop_def,
)
from xdsl.utils.exceptions import VerifyException

from liftcomp.ir.builder import const_int as const_int
from liftcomp.targets.gemmini.config import (
    ADDR_FLAG_BITS,
    DEFAULT_CONFIG,
    GARBAGE_ADDR,
    HARDWARE_FIELDS,
    GemminiConfig,
)

SPACES = ("spad", "acc")
DATAFLOWS = ("WS", "OS")
ACTIVATIONS = ("none", "relu")


CONFIG_ATTR = "gemmini.config"
"""Attribute (on the module or a function) holding the hardware fields of the GemminiConfig the IR
was lowered for (config.HARDWARE_FIELDS, as i64); absent = the default configuration."""


def config_attr(cfg: GemminiConfig) -> DictionaryAttr | None:
    """The `gemmini.config` attribute describing `cfg`'s hardware, or None for the default hardware."""
    hw = cfg.hardware()
    if hw == DEFAULT_CONFIG.hardware():
        return None
    return DictionaryAttr({k: IntegerAttr(v, i64) for k, v in hw.items()})


def attach_config(op: Operation, cfg: GemminiConfig) -> None:
    """Record on `op` (a module) which hardware its gemmini ops are meant for."""
    attr = config_attr(cfg)
    if attr is None:
        op.attributes.pop(CONFIG_ATTR, None)
    else:
        op.attributes[CONFIG_ATTR] = attr


@cache
def _config_from_attr(attr: Attribute) -> GemminiConfig:
    if not isinstance(attr, DictionaryAttr):
        raise VerifyException(f"{CONFIG_ATTR} must be a dictionary of integers, got {attr}")
    fields: dict[str, int] = {}
    for key, val in attr.data.items():
        if key not in HARDWARE_FIELDS:
            raise VerifyException(f"{CONFIG_ATTR}: unknown field '{key}' (known: {', '.join(HARDWARE_FIELDS)})")
        if not isinstance(val, IntegerAttr) or val.value.data < 1:
            raise VerifyException(f"{CONFIG_ATTR}: {key} must be a positive integer, got {val}")
        fields[key] = val.value.data
    return DEFAULT_CONFIG.with_(**fields)


def hardware_config(op: Operation) -> GemminiConfig:
    """The configuration whose limits apply to `op`: the nearest `gemmini.config` on `op` or an
    enclosing op, else DEFAULT_CONFIG."""
    cur: Operation | None = op
    while cur is not None:
        attr = cur.attributes.get(CONFIG_ATTR)
        if attr is not None:
            return _config_from_attr(attr)
        cur = cur.parent_op()
    return DEFAULT_CONFIG


def _check_range(op: Operation, what: str, value: SSAValue | None, lo: int, hi: int, why: str = "") -> None:
    v = const_int(value)
    if v is not None and not lo <= v <= hi:
        raise VerifyException(f"'{op.name}': {what} = {v} is outside [{lo}, {hi}]{f' ({why})' if why else ''}")


def _check_addr(op: Operation, what: str, addr: SSAValue | None, space: str, span_rows: int, cfg: GemminiConfig,
                optional: bool = True) -> None:
    """A constant local address must be a plain row number (no GARBAGE_ADDR, no flag bits) that
    leaves room for `span_rows` rows in its memory."""
    a = const_int(addr)
    if a is None:
        return
    if a == GARBAGE_ADDR:
        fix = "leave the optional address out instead" if optional else "this operand cannot be GARBAGE"
        raise VerifyException(f"'{op.name}': {what} {a:#x} is GARBAGE_ADDR: {fix}")
    if a >= 1 << ADDR_FLAG_BITS:
        raise VerifyException(
            f"'{op.name}': {what} {a:#x} has Gemmini's flag bits 29-31 set (accumulator, accumulate, "
            f"full): give the row number and say the flags with properties (space, accumulate, full)"
        )
    cap = cfg.sp_rows if space == "spad" else cfg.acc_rows
    if a < 0 or a + span_rows > cap:
        raise VerifyException(
            f"'{op.name}': {what} {space} rows [{a}, {a + span_rows}) exceed the {space} ({cap} rows)"
        )


def _known_or(value: SSAValue | None, default: int) -> int:
    v = const_int(value)
    return default if v is None else v


def _space(op: Operation, prop: StringAttr) -> str:
    if prop.data not in SPACES:
        raise VerifyException(f"'{op.name}': space must be one of {SPACES}, got '{prop.data}'")
    return prop.data


def _element_width(op: Operation, memref: SSAValue) -> int:
    t = memref.type
    if not isinstance(t, MemRefType) or not isinstance(t.element_type, IntegerType):
        raise VerifyException(f"'{op.name}': DRAM operand must be a memref of integers, got {t}")
    return t.element_type.width.data


def _f32(value: float) -> FloatAttr:
    return FloatAttr(value, Float32Type())


class _DmaOp(IRDLOperation):
    """Common shape of mvin and mvout."""

    dram = operand_def(MemRefType)
    offset = operand_def(IndexType)
    addr = operand_def(IndexType)
    rows = operand_def(IndexType)
    cols = operand_def(IndexType)
    space = prop_def(StringAttr)

    def _verify_common(self, elem_bits: tuple[int, ...], max_blocks: int, why: str) -> str:
        """Element type, rows <= DIM, cols within `max_blocks` DIM-wide blocks, address range."""
        space = self.space.data
        width = _element_width(self, self.dram)
        if width not in elem_bits:
            raise VerifyException(
                f"'{self.name}': {space} transfers need a memref of i{' or i'.join(map(str, elem_bits))}, got i{width}"
            )
        cfg = hardware_config(self)
        dim = cfg.dim
        _check_range(self, "rows", self.rows, 1, dim, "DIM")
        _check_range(self, "cols", self.cols, 1, max_blocks * dim, why)
        # Block b of the transfer is at addr + b*DIM: the last block ends `rows` rows later.
        blocks = -(-_known_or(self.cols, 1) // dim)
        _check_addr(self, "address", self.addr, space, (blocks - 1) * dim + _known_or(self.rows, 1), cfg,
                    optional=False)
        return space


@irdl_op_definition
class MvinOp(_DmaOp):
    """DRAM -> scratchpad or accumulator. `id` 0/1/2 = mvin/mvin2/mvin3 (each its own config_ld).
    `zeros`: DRAM address 0, which Gemmini's ZeroWriter turns into zero rows without any DRAM
    traffic (the memref operand then only gives the element type; the offset is ignored)."""

    name = "gemmini.mvin"
    id = prop_def(IntegerAttr, default_value=IntegerAttr(0, i64))
    accumulate = opt_prop_def(UnitAttr)
    zeros = opt_prop_def(UnitAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$dram `[` $offset `]` `to` $addr `rows` $rows `cols` $cols attr-dict `:` type($dram)"

    def __init__(
        self,
        dram: SSAValue,
        offset: SSAValue,
        addr: SSAValue,
        rows: SSAValue,
        cols: SSAValue,
        *,
        space: str = "spad",
        id: int = 0,
        accumulate: bool = False,
    ):
        props: dict[str, Attribute] = {"space": StringAttr(space), "id": IntegerAttr(id, i64)}
        if accumulate:
            props["accumulate"] = UnitAttr()
        super().__init__(operands=[dram, offset, addr, rows, cols], properties=props)

    def verify_(self) -> None:
        space = _space(self, self.space)
        cfg = hardware_config(self)
        if space == "spad":
            self._verify_common((8,), cfg.max_block_len, f"max_block_len {cfg.max_block_len} blocks of DIM")
        else:
            self._verify_common((8, 32), cfg.max_block_len_acc,
                                f"max_block_len_acc {cfg.max_block_len_acc} block(s) of DIM into the accumulator")
        if self.id.value.data not in (0, 1, 2):
            raise VerifyException(f"'{self.name}': id must be 0, 1 or 2, got {self.id.value.data}")
        if self.accumulate is not None and space != "acc":
            raise VerifyException(f"'{self.name}': accumulate needs an accumulator address")


@irdl_op_definition
class MvoutOp(_DmaOp):
    """Scratchpad or accumulator -> DRAM. From the accumulator: int8 after scale/activation/
    saturation (config_st), or the raw int32 row when `full` is set."""

    name = "gemmini.mvout"
    full = opt_prop_def(UnitAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$addr `to` $dram `[` $offset `]` `rows` $rows `cols` $cols attr-dict `:` type($dram)"

    def __init__(
        self,
        dram: SSAValue,
        offset: SSAValue,
        addr: SSAValue,
        rows: SSAValue,
        cols: SSAValue,
        *,
        space: str = "acc",
        full: bool = False,
    ):
        props: dict[str, Attribute] = {"space": StringAttr(space)}
        if full:
            props["full"] = UnitAttr()
        super().__init__(operands=[dram, offset, addr, rows, cols], properties=props)

    def verify_(self) -> None:
        space = _space(self, self.space)
        if self.full is not None and space != "acc":
            raise VerifyException(f"'{self.name}': full (int32) reads need an accumulator address")
        cfg = hardware_config(self)
        # StoreController: up to dma_maxbytes of int8 per row (max_block_len blocks); full int32
        # rows one block at a time ("Block-mvouts are not permitted when moving out full
        # accumulator data").
        if self.full is not None:
            self._verify_common((32,), cfg.max_block_len_acc,
                                f"full rows: max_block_len_acc {cfg.max_block_len_acc} block(s) of DIM")
        else:
            self._verify_common((8,), cfg.max_block_len, f"max_block_len {cfg.max_block_len} blocks of DIM")


@irdl_op_definition
class ConfigExOp(IRDLOperation):
    """Execute-unit configuration: dataflow, operand transposition and, for OS, `sys_shift`:
    the rounding right shift applied to results as they leave the array (absent: 0; the WS
    dataflow ignores it, as the PEs do). `a_stride` (absent: 1): scratchpad rows between the rows
    of A a WS compute streams (gemmini.h's A_stride; tiled_conv sets the conv's stride)."""

    name = "gemmini.config_ex"
    dataflow = prop_def(StringAttr, default_value=StringAttr("WS"))
    a_transpose = opt_prop_def(UnitAttr)
    b_transpose = opt_prop_def(UnitAttr)
    sys_shift = opt_prop_def(IntegerAttr)
    a_stride = opt_prop_def(IntegerAttr)

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "attr-dict"

    def __init__(self, dataflow: str = "WS", a_transpose: bool = False, b_transpose: bool = False,
                 sys_shift: int = 0, a_stride: int = 1):
        props: dict[str, Attribute] = {"dataflow": StringAttr(dataflow)}
        if a_transpose:
            props["a_transpose"] = UnitAttr()
        if b_transpose:
            props["b_transpose"] = UnitAttr()
        if sys_shift:
            props["sys_shift"] = IntegerAttr(sys_shift, i64)
        if a_stride != 1:
            props["a_stride"] = IntegerAttr(a_stride, i64)
        super().__init__(properties=props)

    @property
    def shift(self) -> int:
        return 0 if self.sys_shift is None else self.sys_shift.value.data

    @property
    def a_rows_stride(self) -> int:
        return 1 if self.a_stride is None else self.a_stride.value.data

    def verify_(self) -> None:
        df = self.dataflow.data
        if df not in DATAFLOWS:
            raise VerifyException(f"'{self.name}': dataflow must be WS or OS, got '{df}'")
        a_t, b_t = self.a_transpose is not None, self.b_transpose is not None
        if df == "OS" and b_t and not a_t:
            raise VerifyException(f"'{self.name}': OS dataflow cannot transpose B alone")
        if df == "WS" and a_t and b_t:
            raise VerifyException(f"'{self.name}': WS dataflow cannot transpose both A and B")
        # The PEs' shift amount is log2(accType width) = 5 bits wide (PE.scala's PEControl).
        if not 0 <= self.shift < 32:
            raise VerifyException(f"'{self.name}': sys_shift = {self.shift} is outside [0, 31]")
        # ExecuteController's a_addr_stride register is 16 bits wide.
        if not 1 <= self.a_rows_stride < 1 << 16:
            raise VerifyException(f"'{self.name}': a_stride = {self.a_rows_stride} is outside [1, 65535]")
        if self.a_rows_stride != 1 and (df != "WS" or a_t):
            raise VerifyException(f"'{self.name}': an A stride is modelled for WS without transposing A only")


@irdl_op_definition
class ConfigLdOp(IRDLOperation):
    """Load configuration of mvin variant `id`: DRAM row stride (elements) and mvin scale."""

    name = "gemmini.config_ld"
    stride = operand_def(IndexType)
    id = prop_def(IntegerAttr, default_value=IntegerAttr(0, i64))
    scale = prop_def(FloatAttr, default_value=_f32(1.0))
    elem_bits = prop_def(IntegerAttr, default_value=IntegerAttr(8, i64))
    """Width of the DRAM elements the mvins of this id read (8, or 32 for accumulator data)."""
    shrunk = opt_prop_def(UnitAttr)
    """The mvins of this id move int8 data into the accumulator (gemmini.h's `shrunk`)."""

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$stride attr-dict"

    def __init__(self, stride: SSAValue, id: int = 0, scale: float = 1.0, elem_bits: int = 8, shrunk: bool = False):
        props: dict[str, Attribute] = {"id": IntegerAttr(id, i64), "scale": _f32(scale), "elem_bits": IntegerAttr(elem_bits, i64)}
        if shrunk:
            props["shrunk"] = UnitAttr()
        super().__init__(operands=[stride], properties=props)

    def verify_(self) -> None:
        if self.id.value.data not in (0, 1, 2):
            raise VerifyException(f"'{self.name}': id must be 0, 1 or 2, got {self.id.value.data}")
        _check_range(self, "stride", self.stride, 0, 2**40)
        if not isinstance(self.scale.type, Float32Type):
            raise VerifyException(f"'{self.name}': scale must be f32")
        if self.elem_bits.value.data not in (8, 32):
            raise VerifyException(f"'{self.name}': elem_bits must be 8 or 32")
        if self.shrunk is not None and self.elem_bits.value.data != 8:
            raise VerifyException(f"'{self.name}': shrunk needs elem_bits = 8")


@irdl_op_definition
class ConfigStOp(IRDLOperation):
    """Store configuration: DRAM row stride (elements), accumulator scale and activation.

    The scale is the `scale` property, or the optional f32 operand `scale_value` when it is only
    known at run time (gemmini_extended_config_st takes a float register); then `scale` must stay
    1.0, so exactly one of them says what the mvouts multiply by."""

    name = "gemmini.config_st"
    stride = operand_def(IndexType)
    scale_value = opt_operand_def(Float32Type)
    activation = prop_def(StringAttr, default_value=StringAttr("none"))
    scale = prop_def(FloatAttr, default_value=_f32(1.0))
    elem_bits = prop_def(IntegerAttr, default_value=IntegerAttr(8, i64))
    """Width of the DRAM elements the following mvouts write (8, or 32 for full rows)."""

    irdl_options = (ParsePropInAttrDict(),)
    assembly_format = "$stride (`scale` $scale_value^)? attr-dict"

    def __init__(self, stride: SSAValue, activation: str = "none", scale: float = 1.0, elem_bits: int = 8,
                 scale_value: SSAValue | None = None):
        super().__init__(
            operands=[stride, [scale_value] if scale_value is not None else []],
            properties={
                "activation": StringAttr(activation),
                "scale": _f32(scale),
                "elem_bits": IntegerAttr(elem_bits, i64),
            },
        )

    def verify_(self) -> None:
        if self.activation.data not in ACTIVATIONS:
            raise VerifyException(f"'{self.name}': activation must be one of {ACTIVATIONS}")
        if self.elem_bits.value.data not in (8, 32):
            raise VerifyException(f"'{self.name}': elem_bits must be 8 or 32")
        _check_range(self, "stride", self.stride, 0, 2**40)
        if not isinstance(self.scale.type, Float32Type):
            raise VerifyException(f"'{self.name}': scale must be f32")
        if self.scale_value is not None and self.scale.value.data != 1.0:
            raise VerifyException(f"'{self.name}': give the scale as a property or as an operand, not both")


@irdl_op_definition
class PreloadOp(IRDLOperation):
    """Preload B (WS: weights into the array) or D (OS: int8 scratchpad rows that seed the PEs'
    accumulators) and name where the next compute's C goes.

    Without `b_addr` (GARBAGE) the weights of the array are kept for compute_accumulated (WS), or
    the PEs start from zero (OS). Without `c_addr` the results are dropped (OS: they stay in the
    PEs for compute_accumulated)."""

    name = "gemmini.preload"
    b_addr = opt_operand_def(IndexType)
    c_addr = opt_operand_def(IndexType)
    b_rows = operand_def(IndexType)
    b_cols = operand_def(IndexType)
    c_rows = operand_def(IndexType)
    c_cols = operand_def(IndexType)
    c_space = prop_def(StringAttr, default_value=StringAttr("acc"))
    c_accumulate = opt_prop_def(UnitAttr)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(
        self,
        b_addr: SSAValue | None,
        c_addr: SSAValue | None,
        b_rows: SSAValue,
        b_cols: SSAValue,
        c_rows: SSAValue,
        c_cols: SSAValue,
        *,
        c_space: str = "acc",
        c_accumulate: bool = False,
    ):
        props: dict[str, Attribute] = {"c_space": StringAttr(c_space)}
        if c_accumulate:
            props["c_accumulate"] = UnitAttr()
        super().__init__(
            operands=[
                [b_addr] if b_addr is not None else [],
                [c_addr] if c_addr is not None else [],
                b_rows,
                b_cols,
                c_rows,
                c_cols,
            ],
            properties=props,
        )

    def verify_(self) -> None:
        cfg = hardware_config(self)
        dim = cfg.dim
        c_space = _space(self, self.c_space)
        for what, v in (("b_rows", self.b_rows), ("b_cols", self.b_cols), ("c_rows", self.c_rows), ("c_cols", self.c_cols)):
            _check_range(self, what, v, 1, dim, "DIM")
        # B spans b_rows rows (b_cols when config_ex transposes B, unknown here): the smaller.
        b_span = min(_known_or(self.b_rows, 1), _known_or(self.b_cols, 1))
        _check_addr(self, "B address", self.b_addr, "spad", b_span, cfg)
        _check_addr(self, "C address", self.c_addr, c_space, _known_or(self.c_rows, 1), cfg)
        if self.c_accumulate is not None and c_space != "acc":
            raise VerifyException(f"'{self.name}': c_accumulate needs an accumulator address")


class _ComputeOp(IRDLOperation):
    a_addr = opt_operand_def(IndexType)
    bd_addr = opt_operand_def(IndexType)
    a_rows = operand_def(IndexType)
    a_cols = operand_def(IndexType)
    bd_rows = operand_def(IndexType)
    bd_cols = operand_def(IndexType)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(
        self,
        a_addr: SSAValue | None,
        bd_addr: SSAValue | None,
        a_rows: SSAValue,
        a_cols: SSAValue,
        bd_rows: SSAValue,
        bd_cols: SSAValue,
    ):
        super().__init__(
            operands=[
                [a_addr] if a_addr is not None else [],
                [bd_addr] if bd_addr is not None else [],
                a_rows,
                a_cols,
                bd_rows,
                bd_cols,
            ]
        )

    def verify_(self) -> None:
        cfg = hardware_config(self)
        dim = cfg.dim
        for what, v in (("a_rows", self.a_rows), ("a_cols", self.a_cols), ("bd_rows", self.bd_rows), ("bd_cols", self.bd_cols)):
            _check_range(self, what, v, 1, dim, "DIM")
        # An operand spans its rows, or its cols when config_ex transposes it (unknown here).
        for what, addr, rows, cols in (("A address", self.a_addr, self.a_rows, self.a_cols),
                                       ("BD address", self.bd_addr, self.bd_rows, self.bd_cols)):
            _check_addr(self, what, addr, "spad", min(_known_or(rows, 1), _known_or(cols, 1)), cfg)


@irdl_op_definition
class ComputePreloadedOp(_ComputeOp):
    """Stream A through the array using the weights of the last preload (WS; `bd_addr` is the
    bias D, GARBAGE = zero), or stream A and B (`bd_addr`) into PEs seeded with the preloaded D (OS)."""

    name = "gemmini.compute_preloaded"


@irdl_op_definition
class ComputeAccumulatedOp(_ComputeOp):
    """Stream A through the array reusing the weights already there (WS), or stream A and B and
    keep accumulating on the partial sums in the PEs (OS)."""

    name = "gemmini.compute_accumulated"


@irdl_op_definition
class LoopWsOp(IRDLOperation):
    """The loop_ws hardware FSM: C = A @ B (+ D) over i_blocks x j_blocks x k_blocks DIM-blocks.

    Mirrors gemmini.h's `gemmini_loop_ws`: pad_* are the elements missing from the last block of
    each dimension; without `c` the partial sums stay in the accumulator for the next loop_ws
    (which must set `ex_accumulate`); without `d` and `ex_accumulate` the first k-block
    overwrites the accumulator. Each loop uses one half of the scratchpad and accumulator
    (the FSM double-buffers), so i_blocks*k_blocks + k_blocks*j_blocks blocks must fit in half the
    scratchpad and i_blocks*j_blocks blocks in half the accumulator."""

    name = "gemmini.loop_ws"
    i_blocks = operand_def(IndexType)
    j_blocks = operand_def(IndexType)
    k_blocks = operand_def(IndexType)
    pad_i = operand_def(IndexType)
    pad_j = operand_def(IndexType)
    pad_k = operand_def(IndexType)
    a = operand_def(MemRefType)
    a_offset = operand_def(IndexType)
    a_stride = operand_def(IndexType)
    b = operand_def(MemRefType)
    b_offset = operand_def(IndexType)
    b_stride = operand_def(IndexType)
    d = opt_operand_def(MemRefType)
    d_offset = opt_operand_def(IndexType)
    d_stride = opt_operand_def(IndexType)
    c = opt_operand_def(MemRefType)
    c_offset = opt_operand_def(IndexType)
    c_stride = opt_operand_def(IndexType)
    ex_accumulate = opt_prop_def(UnitAttr)
    full_c = opt_prop_def(UnitAttr)
    activation = prop_def(StringAttr, default_value=StringAttr("none"))
    """gemmini_loop_ws's `act` argument; it must repeat the last config_st's activation (the FSM's
    mvouts, like the simulator's and the host header's, apply the config_st state)."""
    a_transpose = opt_prop_def(UnitAttr)
    b_transpose = opt_prop_def(UnitAttr)

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    SIZE_FIELDS: ClassVar[tuple[str, ...]] = ("i_blocks", "j_blocks", "k_blocks", "pad_i", "pad_j", "pad_k")

    def __init__(
        self,
        sizes: tuple[SSAValue, SSAValue, SSAValue, SSAValue, SSAValue, SSAValue],
        a: tuple[SSAValue, SSAValue, SSAValue],
        b: tuple[SSAValue, SSAValue, SSAValue],
        d: tuple[SSAValue, SSAValue, SSAValue] | None,
        c: tuple[SSAValue, SSAValue, SSAValue] | None,
        *,
        ex_accumulate: bool = False,
        full_c: bool = False,
        activation: str = "none",
    ):
        props: dict[str, Attribute] = {"activation": StringAttr(activation)}
        if ex_accumulate:
            props["ex_accumulate"] = UnitAttr()
        if full_c:
            props["full_c"] = UnitAttr()
        d_ops = [[x] for x in d] if d is not None else [[], [], []]
        c_ops = [[x] for x in c] if c is not None else [[], [], []]
        super().__init__(operands=[*sizes, *a, *b, *d_ops, *c_ops], properties=props)

    def verify_(self) -> None:
        cfg = hardware_config(self)
        dim = cfg.dim
        if (self.d is None) != (self.d_offset is None) or (self.d is None) != (self.d_stride is None):
            raise VerifyException(f"'{self.name}': d, d_offset and d_stride go together")
        if (self.c is None) != (self.c_offset is None) or (self.c is None) != (self.c_stride is None):
            raise VerifyException(f"'{self.name}': c, c_offset and c_stride go together")
        if self.a_transpose is not None or self.b_transpose is not None:
            raise VerifyException(f"'{self.name}': transposed operands are not supported yet")
        if self.activation.data not in ACTIVATIONS:
            raise VerifyException(f"'{self.name}': activation must be one of {ACTIVATIONS}")
        if self.activation.data != "none" and self.full_c is not None:
            raise VerifyException(f"'{self.name}': an activation needs int8 output (not full_c)")
        for what in ("a", "b"):
            w = _element_width(self, getattr(self, what))
            if w != 8:
                raise VerifyException(f"'{self.name}': {what} must be a memref of i8, got i{w}")
        if self.d is not None and _element_width(self, self.d) != 32:
            raise VerifyException(f"'{self.name}': d must be a memref of i32")
        if self.c is not None:
            want = 32 if self.full_c is not None else 8
            if _element_width(self, self.c) != want:
                raise VerifyException(f"'{self.name}': c must be a memref of i{want}")
        i, j, k = (const_int(v) for v in (self.i_blocks, self.j_blocks, self.k_blocks))
        for what, v in (("i_blocks", i), ("j_blocks", j), ("k_blocks", k)):
            if v is not None and v < 1:
                raise VerifyException(f"'{self.name}': {what} = {v} must be >= 1")
        for what, v in (("pad_i", self.pad_i), ("pad_j", self.pad_j), ("pad_k", self.pad_k)):
            _check_range(self, what, v, 0, dim - 1, "fewer than DIM elements missing from the last block")
        # The FSM double-buffers: one loop owns half of each memory. Unknown sizes count as 1
        # block, so a constant size alone can already be too large.
        ii, jj, kk = (1 if v is None else v for v in (i, j, k))
        exact = None not in (i, j, k)
        at_least = "" if exact else "at least "
        sp_rows = (ii * kk + kk * jj) * dim
        if sp_rows > cfg.sp_rows // 2:
            raise VerifyException(
                f"'{self.name}': A and B tiles ({ii}x{kk} + {kk}x{jj} blocks = {at_least}{sp_rows} rows) exceed "
                f"half the scratchpad ({cfg.sp_rows // 2} rows)"
            )
        acc_rows = ii * jj * dim
        if acc_rows > cfg.acc_rows // 2:
            raise VerifyException(
                f"'{self.name}': C tile ({ii}x{jj} blocks = {at_least}{acc_rows} rows) exceeds half the "
                f"accumulator ({cfg.acc_rows // 2} rows)"
            )
        self._verify_dataflow()

    def _verify_dataflow(self) -> None:
        """The FSM issues weight-stationary preload/compute pairs without transposition (Gemmini's
        LoopMatmul.scala), so the config_ex in force must say WS without transposes. Checked
        against the nearest config_ex before the loop in the same function, if any."""
        ex = _config_ex_before(self)
        if ex is None:
            return
        if ex.dataflow.data != "WS":
            raise VerifyException(
                f"'{self.name}': the FSM issues weight-stationary sequences, but the config_ex before it "
                f"sets dataflow {ex.dataflow.data}"
            )
        if ex.a_transpose is not None or ex.b_transpose is not None:
            raise VerifyException(
                f"'{self.name}': the config_ex before it transposes an operand; loop_ws is modelled without "
                f"transposes"
            )


CONV_SIZE_FIELDS = (
    "batch_size", "in_row_dim", "in_col_dim", "in_channels", "out_channels", "out_row_dim", "out_col_dim",
    "stride", "padding", "kernel_dim", "batches", "porows", "pocols", "pochs", "krows", "kcols", "kchs",
    "lpad", "rpad", "upad", "dpad", "in_stride", "weight_stride", "out_stride",
)
"""loop_conv_ws's index operands, in gemmini.h's order (`gemmini_loop_conv_ws` without pooling,
dilation, transposes, downsampling or depthwise: those are off, as the emitted C passes them)."""


def conv_tile_rows(dim: int, batches: int, porows: int, pocols: int, pochs: int, krows: int, kcols: int,
                   kchs: int, stride: int = 1) -> tuple[int, int, int]:
    """(input rows, weight rows, accumulator rows) one loop_conv_ws tile holds, as gemmini.h's
    tiled_conv_total_spad_rows counts them (no pooling): the input with its padding, one
    scratchpad row per pixel and DIM channels; the weights, one row per (krow, kcol, kch) and DIM
    output channels; the outputs, one accumulator row per pixel and DIM channels."""
    irows = porows * stride + krows - 1
    icols = pocols * stride + kcols - 1
    in_banks = -(-kchs // dim)
    out_banks = -(-pochs // dim)
    return in_banks * batches * irows * icols, out_banks * kcols * krows * kchs, out_banks * batches * porows * pocols


@irdl_op_definition
class LoopConvWsOp(IRDLOperation):
    """The loop_conv_ws hardware FSM (Gemmini's LoopConv.scala; gemmini.h's `gemmini_loop_conv_ws`):
    one tile of an NHWC x HWCF convolution, int8 x int8 -> int32 in the accumulator, requantised to
    int8 by its mvouts (the config_st in force: scale, activation).

    The tile is `batches` images x `porows` x `pocols` output pixels x `pochs` output channels,
    summed over `krows` x `kcols` kernel positions x `kchs` input channels; `lpad`/`rpad`/`upad`/
    `dpad` are the zero columns/rows of the tile's input window outside the image. DRAM operands are
    memrefs plus element offsets, as gemmini.h's pointers: `input` at the tile's first pixel inside
    the image, element (b, r, c, ch) at ((b*in_row_dim + r)*in_col_dim + c)*in_stride + ch;
    `weights` at (krow, kcol, kch, och) = ((krow*kernel_dim + kcol)*in_channels + kch)*weight_stride
    + och; `output` at ((b*out_row_dim + r)*out_col_dim + c)*out_stride + och; `bias` (int32, one
    row of pochs, repeated for every pixel) at och. With `no_bias` (and no `bias`: gemmini.h then
    passes a dummy pointer) the sums start from zero rows; with neither, the partial sums already in
    the accumulator are accumulated onto (a later kernel/channel tile). Without `output` the sums
    stay in the accumulator for the next loop.

    Each loop owns half of the scratchpad (input rows from its start, weight rows at its end) and
    half of the accumulator; the accumulator half advances after a loop that stores its output.
    The FSM's computes read input rows `stride` apart through the array's A stride, so the
    config_ex in force must set `a_stride` = `stride` (as gemmini.h's tiled_conv does)."""

    name = "gemmini.loop_conv_ws"
    batch_size = operand_def(IndexType)
    in_row_dim = operand_def(IndexType)
    in_col_dim = operand_def(IndexType)
    in_channels = operand_def(IndexType)
    out_channels = operand_def(IndexType)
    out_row_dim = operand_def(IndexType)
    out_col_dim = operand_def(IndexType)
    stride = operand_def(IndexType)
    padding = operand_def(IndexType)
    kernel_dim = operand_def(IndexType)
    batches = operand_def(IndexType)
    porows = operand_def(IndexType)
    pocols = operand_def(IndexType)
    pochs = operand_def(IndexType)
    krows = operand_def(IndexType)
    kcols = operand_def(IndexType)
    kchs = operand_def(IndexType)
    lpad = operand_def(IndexType)
    rpad = operand_def(IndexType)
    upad = operand_def(IndexType)
    dpad = operand_def(IndexType)
    in_stride = operand_def(IndexType)
    weight_stride = operand_def(IndexType)
    out_stride = operand_def(IndexType)
    input = operand_def(MemRefType)
    input_offset = operand_def(IndexType)
    weights = operand_def(MemRefType)
    weights_offset = operand_def(IndexType)
    bias = opt_operand_def(MemRefType)
    bias_offset = opt_operand_def(IndexType)
    output = opt_operand_def(MemRefType)
    output_offset = opt_operand_def(IndexType)
    no_bias = opt_prop_def(UnitAttr)
    activation = prop_def(StringAttr, default_value=StringAttr("none"))
    """gemmini_loop_conv_ws's `act`; it must repeat the last config_st's activation."""

    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(
        self,
        sizes: dict[str, SSAValue],
        input: tuple[SSAValue, SSAValue],
        weights: tuple[SSAValue, SSAValue],
        bias: tuple[SSAValue, SSAValue] | None,
        output: tuple[SSAValue, SSAValue] | None,
        *,
        no_bias: bool = False,
        activation: str = "none",
    ):
        missing = [f for f in CONV_SIZE_FIELDS if f not in sizes]
        if missing:
            raise ValueError(f"loop_conv_ws needs {missing}")
        props: dict[str, Attribute] = {"activation": StringAttr(activation)}
        if no_bias:
            props["no_bias"] = UnitAttr()
        bias_ops = [[x] for x in bias] if bias is not None else [[], []]
        out_ops = [[x] for x in output] if output is not None else [[], []]
        super().__init__(operands=[*(sizes[f] for f in CONV_SIZE_FIELDS), *input, *weights, *bias_ops, *out_ops],
                         properties=props)

    def verify_(self) -> None:
        cfg = hardware_config(self)
        if (self.bias is None) != (self.bias_offset is None):
            raise VerifyException(f"'{self.name}': bias and bias_offset go together")
        if (self.output is None) != (self.output_offset is None):
            raise VerifyException(f"'{self.name}': output and output_offset go together")
        if self.no_bias is not None and self.bias is not None:
            raise VerifyException(f"'{self.name}': no_bias (start from zero) and a bias operand exclude each other")
        if self.activation.data not in ACTIVATIONS:
            raise VerifyException(f"'{self.name}': activation must be one of {ACTIVATIONS}")
        for what, want in (("input", 8), ("weights", 8), ("bias", 32), ("output", 8)):
            mem = getattr(self, what)
            if mem is not None and _element_width(self, mem) != want:
                raise VerifyException(f"'{self.name}': {what} must be a memref of i{want}")
        _check_range(self, "stride", self.stride, 1, 255)
        for what in ("batch_size", "in_row_dim", "in_col_dim", "in_channels", "out_channels", "out_row_dim",
                     "out_col_dim", "kernel_dim", "batches", "porows", "pocols", "pochs", "krows", "kcols", "kchs"):
            _check_range(self, what, getattr(self, what), 1, 2**16 - 1)
        for what in ("lpad", "rpad", "upad", "dpad", "padding"):
            _check_range(self, what, getattr(self, what), 0, 255)
        sizes = {f: _known_or(getattr(self, f), 1) for f in ("batches", "porows", "pocols", "pochs", "krows",
                                                             "kcols", "kchs")}
        a_rows, b_rows, c_rows = conv_tile_rows(cfg.dim, **sizes, stride=_known_or(self.stride, 1))
        exact = all(const_int(getattr(self, f)) is not None for f in sizes)
        at_least = "" if exact else "at least "
        if a_rows + b_rows > cfg.sp_rows // 2:
            raise VerifyException(
                f"'{self.name}': input and weight tiles ({at_least}{a_rows} + {b_rows} rows) exceed half the "
                f"scratchpad ({cfg.sp_rows // 2} rows)")
        if c_rows > cfg.acc_rows // 2:
            raise VerifyException(
                f"'{self.name}': output tile ({at_least}{c_rows} rows) exceeds half the accumulator "
                f"({cfg.acc_rows // 2} rows)")
        ex = _config_ex_before(self)
        if ex is not None and (ex.dataflow.data != "WS" or ex.a_transpose is not None or ex.b_transpose is not None):
            raise VerifyException(f"'{self.name}': the FSM issues weight-stationary sequences without transposes, but "
                                  f"the config_ex before it sets {ex.dataflow.data}"
                                  f"{' with a transpose' if ex.dataflow.data == 'WS' else ''}")
        stride = const_int(self.stride)
        if ex is not None and stride is not None and ex.a_rows_stride != stride:
            raise VerifyException(f"'{self.name}': stride {stride} needs the config_ex before it to set a_stride = "
                                  f"{stride} (it sets {ex.a_rows_stride})")


def _config_ex_before(op: Operation) -> ConfigExOp | None:
    """The nearest config_ex that precedes `op` in its block or an enclosing block of its function."""
    cur: Operation | None = op
    while cur is not None and cur.name != "func.func":
        prev = cur.prev_op
        while prev is not None:
            if isinstance(prev, ConfigExOp):
                return prev
            prev = prev.prev_op
        cur = cur.parent_op()
    return None


@irdl_op_definition
class FlushOp(IRDLOperation):
    """Flush the TLB / drain pending state (gemmini_flush)."""

    name = "gemmini.flush"
    assembly_format = "attr-dict"

    def __init__(self) -> None:
        super().__init__()


@irdl_op_definition
class FenceOp(IRDLOperation):
    """Host waits until every issued Gemmini instruction has completed (gemmini_fence)."""

    name = "gemmini.fence"
    assembly_format = "attr-dict"

    def __init__(self) -> None:
        super().__init__()


Gemmini = Dialect(
    "gemmini",
    [
        ConfigExOp,
        ConfigLdOp,
        ConfigStOp,
        MvinOp,
        MvoutOp,
        PreloadOp,
        ComputePreloadedOp,
        ComputeAccumulatedOp,
        LoopWsOp,
        LoopConvWsOp,
        FlushOp,
        FenceOp,
    ],
    [],
)
