"""Upstream linalg named ops that xDSL 0.74 lacks or defines too narrowly, as MLIR 22 prints them.

Raised IR uses upstream's named ops wherever one exists (docs/LIFTING.md, "Named ops"). xDSL 0.74
has no linalg.batch_matmul / matvec / vecmat / dot / conv_1d / conv_2d / map / elementwise, its
linalg.matmul builds an i32 x i32 body (no mixed precision, no `cast`) and prints without its
indexing_maps, and its linalg.reduce / linalg.broadcast are not structured ops. The ops here:

- are structured ops (`LinalgStructuredOperation`): `get_indexing_maps()` and
  `get_iterator_types()` are what upstream's `linalg-generalize-named-ops` gives, so
  `generalize()` turns any of them into the `linalg.generic` upstream would (a test checks this
  against mlir-opt-22);
- carry their region as built by the emitter (mixed precision bodies: i8 x i8 -> i32 is
  `extsi, extsi, muli, addi`), printed and parsed in the generic form, the form text crosses to
  mlir-opt-22 in; xDSL prints them generically (its custom forms drop properties);
- are installed into xDSL's linalg dialect by `xdsl_compat.apply()` (replacing xDSL's
  linalg.matmul / reduce / broadcast; `isinstance(op, linalg.MatmulOp)` still holds).
"""

from __future__ import annotations

from abc import ABC
from collections.abc import Sequence
from enum import auto
from typing import ClassVar, Self

from xdsl.dialects import arith
from xdsl.dialects.builtin import (
    AffineMapAttr,
    AnyFloat,
    ArrayAttr,
    DenseArrayBase,
    DenseIntOrFPElementsAttr,
    IntegerType,
    ShapedType,
    TensorType,
    i64,
)
from xdsl.dialects.linalg import ops as xlinalg
from xdsl.dialects.linalg.abstract_ops import (
    ConvOperation,
    LinalgStructuredOperation,
    NamedOperation,
)
from xdsl.dialects.linalg.attrs import IteratorTypeAttr
from xdsl.dialects.utils import EnumAttribute
from xdsl.ir import Attribute, Block, Operation, Region, SSAValue
from xdsl.ir.affine import AffineExpr, AffineMap
from xdsl.irdl import (
    AttrSizedOperandSegments,
    IRDLOperation,
    SameVariadicOperandSize,
    irdl_attr_definition,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    prop_def,
    region_def,
    var_operand_def,
    var_result_def,
)
from xdsl.parser import AttrParser, Parser
from xdsl.printer import Printer
from xdsl.rewriter import Rewriter
from xdsl.utils.exceptions import VerifyException
from xdsl.utils.str_enum import StrEnum

from liftcomp.ir import float_order

# ---------------------------------------------------------------- attributes


class TypeFn(StrEnum):
    CAST_SIGNED = auto()
    CAST_UNSIGNED = auto()


@irdl_attr_definition
class TypeFnAttr(EnumAttribute[TypeFn]):
    """`#linalg.type_fn<cast_unsigned>`: how a contraction extends narrower operands."""

    name = "linalg.type_fn"

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> TypeFn:
        with parser.in_angle_brackets():
            return super().parse_parameter(parser)

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            super().print_parameter(printer)


class ElementwiseKind(StrEnum):
    EXP = auto()
    LOG = auto()
    ABS = auto()
    CEIL = auto()
    FLOOR = auto()
    NEGF = auto()
    RECIPROCAL = auto()
    ROUND = auto()
    SQRT = auto()
    RSQRT = auto()
    SQUARE = auto()
    TANH = auto()
    ERF = auto()
    ADD = auto()
    SUB = auto()
    MUL = auto()
    DIV = auto()
    DIV_UNSIGNED = auto()
    MAX_SIGNED = auto()
    MIN_SIGNED = auto()
    MAX_UNSIGNED = auto()
    MIN_UNSIGNED = auto()
    POWF = auto()
    SELECT = auto()


@irdl_attr_definition
class ElementwiseKindAttr(EnumAttribute[ElementwiseKind]):
    """`#linalg.elementwise_kind<add>`."""

    name = "linalg.elementwise_kind"

    @classmethod
    def parse_parameter(cls, parser: AttrParser) -> ElementwiseKind:
        with parser.in_angle_brackets():
            return super().parse_parameter(parser)

    def print_parameter(self, printer: Printer) -> None:
        with printer.in_angle_brackets():
            super().print_parameter(printer)


# ---------------------------------------------------------------- helpers

_PARALLEL = IteratorTypeAttr.parallel()
_REDUCTION = IteratorTypeAttr.reduction()


def _d(i: int) -> AffineExpr:
    return AffineExpr.dimension(i)


def _maps(num_dims: int, *results: Sequence[AffineExpr]) -> ArrayAttr[AffineMapAttr]:
    return ArrayAttr([AffineMapAttr(AffineMap(num_dims, 0, tuple(r))) for r in results])


def _rank(v: SSAValue) -> int:
    t = v.type
    return len(t.get_shape()) if isinstance(t, ShapedType) else 0


# ---------------------------------------------------------------- contractions


def contraction_body(input_types: Sequence[Attribute], out_type: Attribute, unsigned: bool) -> Region:
    """The body upstream builds for a contraction: each input converted to the accumulator's type
    (cast_signed / cast_unsigned), multiplied, added to the accumulator."""
    block = Block(arg_types=[*input_types, out_type])
    float_out = isinstance(out_type, AnyFloat)
    vals: list[SSAValue] = []
    for arg in block.args[:-1]:
        t = arg.type
        if t == out_type:
            vals.append(arg)
            continue
        if isinstance(t, AnyFloat) and float_out:
            conv: Operation = arith.ExtFOp(arg, out_type) if t.bitwidth < out_type.bitwidth else arith.TruncFOp(arg, out_type)  # type: ignore[union-attr]
        elif isinstance(t, IntegerType) and float_out:
            conv = arith.UIToFPOp(arg, out_type) if unsigned else arith.SIToFPOp(arg, out_type)
        elif isinstance(t, IntegerType) and isinstance(out_type, IntegerType) and t.width.data < out_type.width.data:
            conv = arith.ExtUIOp(arg, out_type) if unsigned else arith.ExtSIOp(arg, out_type)
        else:
            raise VerifyException(f"no conversion from {t} to {out_type} in a contraction's custom form")
        block.add_op(conv)
        vals.append(conv.results[0])
    mul = arith.MulfOp(vals[0], vals[1]) if float_out else arith.MuliOp(vals[0], vals[1])
    add = arith.AddfOp(block.args[-1], mul.result) if float_out else arith.AddiOp(block.args[-1], mul.result)
    block.add_ops([mul, add, xlinalg.YieldOp(add.result)])
    return Region(block)


def _parse_operands(parser: Parser, pos: int) -> list[SSAValue]:
    """`(%a, %b : ta, tb)`."""
    parser.parse_punctuation("(")
    names = parser.parse_comma_separated_list(Parser.Delimiter.NONE, parser.parse_unresolved_operand)
    parser.parse_punctuation(":")
    types = parser.parse_comma_separated_list(Parser.Delimiter.NONE, parser.parse_type)
    parser.parse_punctuation(")")
    return list(parser.resolve_operands(names, types, pos))


class _ContractionSyntax(IRDLOperation):
    """Upstream's custom form of a contraction, `[indexing_maps = [...]] [{cast = ...}]
    ins(a, b : ta, tb) outs(c : tc) -> tc`; the body is rebuilt from the types when parsed."""

    DEFAULT_MAPS: ClassVar[ArrayAttr[AffineMapAttr] | None] = None

    @classmethod
    def parse(cls, parser: Parser) -> Self:
        props: dict[str, Attribute] = {}
        if parser.parse_optional_keyword("indexing_maps"):
            parser.parse_punctuation("=")
            props["indexing_maps"] = parser.parse_attribute()
        props.update(parser.parse_optional_attr_dict())
        pos = parser.pos
        parser.parse_keyword("ins")
        ins = _parse_operands(parser, pos)
        pos = parser.pos
        parser.parse_keyword("outs")
        outs = _parse_operands(parser, pos)
        results: list[Attribute] = []
        if parser.parse_optional_punctuation("->"):
            results = [parser.parse_type()]
        out_elem = outs[0].type.get_element_type() if isinstance(outs[0].type, ShapedType) else outs[0].type  # type: ignore[attr-defined]
        in_elems = [v.type.get_element_type() if isinstance(v.type, ShapedType) else v.type for v in ins]  # type: ignore[attr-defined]
        unsigned = isinstance(props.get("cast"), TypeFnAttr) and props["cast"].data == TypeFn.CAST_UNSIGNED  # type: ignore[union-attr]
        body = contraction_body(in_elems, out_elem, unsigned)
        if cls.DEFAULT_MAPS is not None:
            props.setdefault("indexing_maps", cls.DEFAULT_MAPS)
        op = cls.__new__(cls)
        IRDLOperation.__init__(op, operands=[ins, outs], result_types=[results], regions=[body], properties=props)
        return op

    def print(self, printer: Printer) -> None:
        maps = self.properties.get("indexing_maps")
        if maps is not None and maps != self.DEFAULT_MAPS:
            printer.print_string(" indexing_maps = ")
            printer.print_attribute(maps)
        cast = self.properties.get("cast")
        if cast is not None:
            printer.print_string(" {cast = ")
            printer.print_attribute(cast)
            printer.print_string("}")
        ins, outs = self.operands[:-1], self.operands[-1:]
        printer.print_string(" ins(")
        printer.print_list(ins, printer.print_ssa_value)
        printer.print_string(" : ")
        printer.print_list([v.type for v in ins], printer.print_attribute)
        printer.print_string(") outs(")
        printer.print_list(outs, printer.print_ssa_value)
        printer.print_string(" : ")
        printer.print_list([v.type for v in outs], printer.print_attribute)
        printer.print_string(")")
        if self.results:
            printer.print_string(" -> ")
            printer.print_list([r.type for r in self.results], printer.print_attribute)



class _Structured(LinalgStructuredOperation, ABC):
    """ins(...) outs(...) with the maps and loops fixed by the op (OpDSL ops)."""

    irdl_options = (AttrSizedOperandSegments(as_property=True),)
    ITERATORS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue], body: Region,
                 result_types: Sequence[Attribute], properties: dict[str, Attribute] | None = None):
        super().__init__(operands=[inputs, outputs], result_types=[result_types], regions=[body],
                         properties=properties or {})

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        return ArrayAttr([_PARALLEL if it == "p" else _REDUCTION for it in self.ITERATORS])


class _Contraction(_ContractionSyntax, _Structured, ABC):
    """ins(A, B) outs(C) with a multiply-accumulate body."""


@irdl_op_definition
class MatvecOp(_Contraction):
    """linalg.matvec: y(i) += A(i, k) * x(k)."""

    name = "linalg.matvec"
    ITERATORS: ClassVar[tuple[str, ...]] = ("p", "r")

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        return _maps(2, (_d(0), _d(1)), (_d(1),), (_d(0),))


@irdl_op_definition
class VecmatOp(_Contraction):
    """linalg.vecmat: y(j) += x(k) * A(k, j)."""

    name = "linalg.vecmat"
    ITERATORS: ClassVar[tuple[str, ...]] = ("p", "r")

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        return _maps(2, (_d(1),), (_d(1), _d(0)), (_d(0),))


@irdl_op_definition
class DotOp(_Contraction):
    """linalg.dot: s() += x(k) * y(k)."""

    name = "linalg.dot"
    ITERATORS: ClassVar[tuple[str, ...]] = ("r",)

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        return _maps(1, (_d(0),), (_d(0),), ())


@irdl_op_definition
class Conv1DOp(_Contraction):
    """linalg.conv_1d: out(i) += in(i + k) * filter(k)."""

    name = "linalg.conv_1d"
    ITERATORS: ClassVar[tuple[str, ...]] = ("p", "r")

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        return _maps(2, (_d(0) + _d(1),), (_d(1),), (_d(0),))


@irdl_op_definition
class Conv2DOp(_Contraction):
    """linalg.conv_2d: out(i, j) += in(i + a, j + b) * filter(a, b)."""

    name = "linalg.conv_2d"
    ITERATORS: ClassVar[tuple[str, ...]] = ("p", "p", "r", "r")

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        return _maps(4, (_d(0) + _d(2), _d(1) + _d(3)), (_d(2), _d(3)), (_d(0), _d(1)))


class _Pooling(_Structured, ABC):
    """ins(x: N x H x W x C, window: KH x KW) outs(N x OH x OW x C), strides and dilations: the
    window operand only gives the window's shape (its elements are not read)."""

    strides = prop_def(DenseIntOrFPElementsAttr)
    dilations = prop_def(DenseIntOrFPElementsAttr)
    ITERATORS: ClassVar[tuple[str, ...]] = ("p", "p", "p", "p", "r", "r")

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        sh, sw = (int(v) for v in self.strides.get_values() if isinstance(v, int))
        dh, dw = (int(v) for v in self.dilations.get_values() if isinstance(v, int))
        d = [_d(i) for i in range(6)]
        return _maps(6, (d[0], d[1] * sh + d[4] * dh, d[2] * sw + d[5] * dw, d[3]), (d[4], d[5]), (d[0], d[1], d[2], d[3]))


@irdl_op_definition
class PoolingNhwcSumOp(_Pooling):
    """linalg.pooling_nhwc_sum: out(n, i, j, c) += x(n, i*sh + a*dh, j*sw + b*dw, c)."""

    name = "linalg.pooling_nhwc_sum"


@irdl_op_definition
class PoolingNhwcMaxOp(_Pooling):
    """linalg.pooling_nhwc_max: out(n, i, j, c) = max(out, x(n, i*sh + a*dh, j*sw + b*dw, c))."""

    name = "linalg.pooling_nhwc_max"


def conv_2d(cls: type[ConvOperation], inputs: Sequence[SSAValue], outputs: Sequence[SSAValue], body: Region,
            result_types: Sequence[Attribute], properties: dict[str, Attribute]) -> Operation:
    """xDSL's own linalg.conv_2d_nhwc_hwcf / conv_2d_nchw_fchw (its maps follow `strides` and
    `dilations`) with the body upstream builds, `out + cast(x) * cast(w)` (xDSL's constructor
    writes the addition the other way round)."""
    op = cls.__new__(cls)
    NamedOperation.__init__(op, inputs, outputs, result_types, properties=properties, hidden_region=body)
    return op


def pooling_props(strides: tuple[int, int], dilations: tuple[int, int]) -> dict[str, Attribute]:
    t = TensorType(i64, [2])
    return {"strides": DenseIntOrFPElementsAttr.from_list(t, list(strides)),
            "dilations": DenseIntOrFPElementsAttr.from_list(t, list(dilations))}


MATMUL_MAPS = _maps(3, (_d(0), _d(2)), (_d(2), _d(1)), (_d(0), _d(1)))
BATCH_MATMUL_MAPS = _maps(4, (_d(0), _d(1), _d(3)), (_d(0), _d(3), _d(2)), (_d(0), _d(1), _d(2)))


@irdl_op_definition
class MatmulOp(_ContractionSyntax, LinalgStructuredOperation):
    """linalg.matmul as MLIR 22 has it: C(i, j) += A(i, k) * B(k, j), `indexing_maps` may
    transpose A/B, `cast` = cast_unsigned zero-extends narrower operands; the body is built by
    the emitter. (It replaces xDSL's linalg.matmul, whose custom printer drops the maps.)"""

    name = "linalg.matmul"
    DEFAULT_MAPS: ClassVar[ArrayAttr[AffineMapAttr] | None] = MATMUL_MAPS

    indexing_maps = prop_def(ArrayAttr[AffineMapAttr], default_value=MATMUL_MAPS)
    cast = opt_prop_def(TypeFnAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue], body: Region,
                 result_types: Sequence[Attribute], properties: dict[str, Attribute] | None = None):
        super().__init__(operands=[inputs, outputs], result_types=[result_types], regions=[body],
                         properties={"indexing_maps": MATMUL_MAPS, **(properties or {})})

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        return self.indexing_maps

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        return ArrayAttr([_PARALLEL, _PARALLEL, _REDUCTION])



@irdl_op_definition
class BatchMatmulOp(_ContractionSyntax, LinalgStructuredOperation):
    """linalg.batch_matmul: C(b, i, j) += A(b, i, k) * B(b, k, j) (maps may transpose A/B)."""

    name = "linalg.batch_matmul"
    DEFAULT_MAPS: ClassVar[ArrayAttr[AffineMapAttr] | None] = BATCH_MATMUL_MAPS

    indexing_maps = prop_def(ArrayAttr[AffineMapAttr], default_value=BATCH_MATMUL_MAPS)
    cast = opt_prop_def(TypeFnAttr)
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue], body: Region,
                 result_types: Sequence[Attribute], properties: dict[str, Attribute] | None = None):
        super().__init__(operands=[inputs, outputs], result_types=[result_types], regions=[body],
                         properties={"indexing_maps": BATCH_MATMUL_MAPS, **(properties or {})})

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        return self.indexing_maps

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        return ArrayAttr([_PARALLEL, _PARALLEL, _PARALLEL, _REDUCTION])


# ---------------------------------------------------------------- element-wise, reduce, broadcast


@irdl_op_definition
class ElementwiseOp(LinalgStructuredOperation):
    """linalg.elementwise kind=#linalg.elementwise_kind<K>: one arith/math op per element; the
    maps may broadcast operands (projected permutations), the output's is the identity."""

    name = "linalg.elementwise"

    kind = prop_def(ElementwiseKindAttr)
    indexing_maps = prop_def(ArrayAttr[AffineMapAttr])
    irdl_options = (AttrSizedOperandSegments(as_property=True),)

    def __init__(self, kind: ElementwiseKind, inputs: Sequence[SSAValue], outputs: Sequence[SSAValue], body: Region,
                 maps: Sequence[AffineMapAttr], result_types: Sequence[Attribute]):
        super().__init__(operands=[inputs, outputs], result_types=[result_types], regions=[body],
                         properties={"kind": ElementwiseKindAttr(kind), "indexing_maps": ArrayAttr(maps)})

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        return self.indexing_maps

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        return ArrayAttr([_PARALLEL] * _rank(self.outputs[0]))


class _OwnBody(IRDLOperation, ABC):
    """A structured op whose operands are not linalg's ins/outs segments (map, reduce, broadcast)."""

    body = region_def("single_block")

    @property
    def inputs(self) -> Sequence[SSAValue]:
        raise NotImplementedError

    @property
    def outputs(self) -> Sequence[SSAValue]:
        raise NotImplementedError


@irdl_op_definition
class MapOp(_OwnBody):
    """linalg.map ins(...) outs(init): any element-wise body over operands of one shape (the
    body also gets the init's element, as in MLIR 22; values from above may be used)."""

    name = "linalg.map"

    mapped = var_operand_def(ShapedType)
    init = operand_def(ShapedType)
    res = var_result_def()

    def __init__(self, inputs: Sequence[SSAValue], init: SSAValue, body: Region, result_types: Sequence[Attribute]):
        super().__init__(operands=[inputs, init], result_types=[result_types], regions=[body])

    @property
    def inputs(self) -> Sequence[SSAValue]:
        return tuple(self.mapped)

    @property
    def outputs(self) -> Sequence[SSAValue]:
        return (self.init,)

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        rank = _rank(self.init)
        ident = tuple(_d(i) for i in range(rank))
        return _maps(rank, *([ident] * (len(self.mapped) + 1)))

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        return ArrayAttr([_PARALLEL] * _rank(self.init))


@irdl_op_definition
class ReduceOp(_OwnBody):
    """linalg.reduce ins(x) outs(init) dimensions = [...]: body (x element, accumulator); the
    element types may differ (the body converts). Over one dimension it lowers to an in-order
    loop per output element: a float sum keeps the loop's sequential order."""

    name = "linalg.reduce"

    reduced = var_operand_def(ShapedType)
    inits = var_operand_def(ShapedType)
    res = var_result_def()
    dimensions = prop_def(DenseArrayBase.constr(i64))
    irdl_options = (SameVariadicOperandSize(),)

    def __init__(self, inputs: Sequence[SSAValue], inits: Sequence[SSAValue], dimensions: Sequence[int], body: Region,
                 result_types: Sequence[Attribute]):
        super().__init__(operands=[inputs, inits], result_types=[result_types], regions=[body],
                         properties={"dimensions": DenseArrayBase.from_list(i64, list(dimensions))})

    @property
    def inputs(self) -> Sequence[SSAValue]:
        return tuple(self.reduced)

    @property
    def outputs(self) -> Sequence[SSAValue]:
        return tuple(self.inits)

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        rank = _rank(self.reduced[0])
        dims = set(self.dimensions.get_values())
        ident = tuple(_d(i) for i in range(rank))
        kept = tuple(_d(i) for i in range(rank) if i not in dims)
        return _maps(rank, *([ident] * len(self.reduced) + [kept] * len(self.inits)))

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        dims = set(self.dimensions.get_values())
        return ArrayAttr([_REDUCTION if i in dims else _PARALLEL for i in range(_rank(self.reduced[0]))])


@irdl_op_definition
class BroadcastOp(_OwnBody):
    """linalg.broadcast ins(x) outs(init) dimensions = [...]: the listed init dims are added."""

    name = "linalg.broadcast"

    input = operand_def(ShapedType)
    init = operand_def(ShapedType)
    res = var_result_def()
    dimensions = prop_def(DenseArrayBase.constr(i64))

    def __init__(self, source: SSAValue, init: SSAValue, dimensions: Sequence[int], body: Region, result_types: Sequence[Attribute]):
        super().__init__(operands=[source, init], result_types=[result_types], regions=[body],
                         properties={"dimensions": DenseArrayBase.from_list(i64, list(dimensions))})

    @property
    def inputs(self) -> Sequence[SSAValue]:
        return (self.input,)

    @property
    def outputs(self) -> Sequence[SSAValue]:
        return (self.init,)

    def get_indexing_maps(self) -> ArrayAttr[AffineMapAttr]:
        rank = _rank(self.init)
        dims = set(self.dimensions.get_values())
        kept = tuple(_d(i) for i in range(rank) if i not in dims)
        return _maps(rank, kept, tuple(_d(i) for i in range(rank)))

    def get_iterator_types(self) -> ArrayAttr[IteratorTypeAttr]:
        return ArrayAttr([_PARALLEL] * _rank(self.init))


NEW_OPS: tuple[type[Operation], ...] = (
    MatvecOp, VecmatOp, DotOp, Conv1DOp, Conv2DOp, PoolingNhwcSumOp, PoolingNhwcMaxOp, BatchMatmulOp, ElementwiseOp, MapOp,
)
REPLACED: dict[type[Operation], type[Operation]] = {
    xlinalg.MatmulOp: MatmulOp, xlinalg.ReduceOp: ReduceOp, xlinalg.BroadcastOp: BroadcastOp,
}
ATTRIBUTES = (TypeFnAttr, ElementwiseKindAttr)
# The structured named ops defined here (xDSL's own FillOp / TransposeOp are left alone).
STRUCTURED = (_Structured, MatmulOp, BatchMatmulOp, ElementwiseOp, MapOp, ReduceOp, BroadcastOp)


def generalize(root: Operation, keep: tuple[type[Operation], ...] = ()) -> None:
    """Replace every named op of this module under `root` (except `keep`) by the linalg.generic
    upstream's linalg-generalize-named-ops gives: same operands, maps, iterators and body."""
    for op in list(root.walk()):
        if not isinstance(op, STRUCTURED) or isinstance(op, keep):
            continue
        generic = xlinalg.GenericOp(
            list(op.inputs), list(op.outputs), op.body.clone(), op.get_indexing_maps(), op.get_iterator_types(),
            [r.type for r in op.results],
        )
        float_order.copy_record(op, generic)  # what the proof allows stays with the op
        Rewriter.replace_op(op, generic)
