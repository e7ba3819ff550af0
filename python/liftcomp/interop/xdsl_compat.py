"""Make xDSL 0.74 read what MLIR 22 prints.

LLVM 22 gave `arith.trunci` an `overflowFlags` property; xDSL 0.74's TruncIOp rejects it, so
`mlir-opt-22 --mlir-print-op-generic | xdsl-opt` fails on any kernel that truncates. We swap in
a TruncIOp that accepts the property (and keeps it when printing) in xDSL's arith dialect.
Applied once, when the liftcomp universe is loaded (xdsl-opt, liftcomp, tests).

It also installs the linalg named ops of `linalg_ops` (batch_matmul, matvec, vecmat, dot,
conv_1d/2d, map, elementwise; matmul with `cast`, structured reduce and broadcast) into xDSL's
linalg dialect.
"""

from __future__ import annotations

from xdsl.dialects import arith, linalg
from xdsl.dialects.builtin import IndexType, IntegerType
from xdsl.ir import Operation
from xdsl.irdl import (
    IRDLOperation,
    ParsePropInAttrDict,
    irdl_op_definition,
    operand_def,
    opt_prop_def,
    result_def,
    traits_def,
)
from xdsl.traits import Pure
from xdsl.utils.exceptions import VerifyException

from liftcomp.interop import linalg_ops

_PATCHED = False


@irdl_op_definition
class TruncIOp(IRDLOperation):
    """arith.trunci with MLIR 22's optional overflow flags (otherwise as xDSL's own)."""

    name = "arith.trunci"

    input = operand_def(IntegerType)
    result = result_def(IntegerType)
    overflowFlags = opt_prop_def(arith.IntegerOverflowAttr)  # noqa: N815 (upstream name)

    assembly_format = "$input attr-dict `:` type($input) `to` type($result)"
    traits = traits_def(Pure())
    irdl_options = (ParsePropInAttrDict(),)

    def verify_(self) -> None:
        assert isinstance(self.input.type, IntegerType)
        assert isinstance(self.result.type, IntegerType)
        if not self.result.type.width.data < self.input.type.width.data:
            raise VerifyException("Destination bit-width must be smaller than the input bit-width")


@irdl_op_definition
class IndexCastUIOp(IRDLOperation):
    """arith.index_castui (zero-extending casts between integers and index), missing in xDSL
    0.74: the C frontend casts unsigned sizes with it."""

    name = "arith.index_castui"

    input = operand_def()
    result = result_def()

    assembly_format = "$input attr-dict `:` type($input) `to` type($result)"
    traits = traits_def(Pure())

    def verify_(self) -> None:
        kinds = (isinstance(self.input.type, IndexType), isinstance(self.result.type, IndexType))
        others = [t for t in (self.input.type, self.result.type) if not isinstance(t, IndexType)]
        if sum(kinds) != 1 or not all(isinstance(t, IntegerType) for t in others):
            raise VerifyException("arith.index_castui casts between an integer type and index")


def apply() -> None:
    global _PATCHED
    if _PATCHED:
        return
    ops: list[type[Operation]] = arith.Arith._operations  # pyright: ignore[reportPrivateUsage]
    arith.Arith._operations = [TruncIOp if op is arith.TruncIOp else op for op in ops]  # pyright: ignore[reportPrivateUsage]
    if not any(op.name == "arith.index_castui" for op in ops):
        arith.Arith._operations.append(IndexCastUIOp)  # pyright: ignore[reportPrivateUsage]
    dialect = linalg.Linalg
    own: list[type[Operation]] = dialect._operations  # pyright: ignore[reportPrivateUsage]
    dialect._operations = [linalg_ops.REPLACED.get(op, op) for op in own] + list(linalg_ops.NEW_OPS)  # pyright: ignore[reportPrivateUsage]
    dialect._attributes = [*dialect._attributes, *linalg_ops.ATTRIBUTES]  # pyright: ignore[reportPrivateUsage]
    _PATCHED = True
