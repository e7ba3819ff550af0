"""IRDL text for an xDSL dialect, so that mlir-opt-22 reads our dialects (`--irdl-file=`).

The xDSL definitions are the one source of truth; tools/gen_irdl.py writes dialects/*.irdl.mlir
from them and a test fails when those files are stale. Unlike xDSL's own `dialect_to_irdl`
(which keeps names and arity only, and turns types into attributes), this keeps what IRDL can
check: types vs attributes, operand/result variadicity, required properties (as attributes:
mlir-opt's IRDL operations have no properties, so IR crosses with properties printed as
attributes), regions, and base-type / equality / any-of constraints on builtin and own types.

What IRDL cannot express is left to xDSL: custom verifiers, optional or defaulted properties
(IRDL attributes are all required; undeclared attributes are accepted), constraints on
parameters, and non-parametrized (`Data`) attributes, which IRDL has no syntax for.
"""

from __future__ import annotations

from io import StringIO

from xdsl.dialects import builtin
from xdsl.ir import Attribute, Dialect, ParametrizedAttribute, TypeAttribute
from xdsl.irdl import (
    AllOf,
    AnyOf,
    AttrConstraint,
    BaseAttr,
    EqAttrConstraint,
    IRDLOperation,
    MessageConstraint,
    OptionalDef,
    ParamAttrConstraint,
    RangeConstraint,
    RangeLengthConstraint,
    RangeOf,
    SingleOf,
    VariadicDef,
)
from xdsl.printer import Printer

# xDSL builtin class -> the name MLIR gives it (irdl.base checks `getAbstractAttribute().getName()`).
_BUILTIN_BASES: dict[type[Attribute], str] = {
    builtin.IntegerType: "!builtin.integer",
    builtin.IndexType: "!builtin.index",
    builtin.Float16Type: "!builtin.f16",
    builtin.BFloat16Type: "!builtin.bf16",
    builtin.Float32Type: "!builtin.f32",
    builtin.Float64Type: "!builtin.f64",
    builtin.MemRefType: "!builtin.memref",
    builtin.TensorType: "!builtin.tensor",
    builtin.VectorType: "!builtin.vector",
    builtin.FunctionType: "!builtin.function",
    builtin.NoneType: "!builtin.none",
    builtin.IntegerAttr: "#builtin.integer",
    builtin.FloatAttr: "#builtin.float",
    builtin.StringAttr: "#builtin.string",
    builtin.UnitAttr: "#builtin.unit",
    builtin.ArrayAttr: "#builtin.array",
    builtin.DictionaryAttr: "#builtin.dictionary",
    builtin.DenseArrayBase: "#builtin.dense_array",
    builtin.SymbolRefAttr: "#builtin.symbol_ref",
    builtin.AffineMapAttr: "#builtin.affine_map",
    builtin.DenseIntOrFPElementsAttr: "#builtin.dense_int_or_fp_elements",
}


def _attr_text(attr: Attribute) -> str:
    out = StringIO()
    Printer(stream=out).print_attribute(attr)
    return out.getvalue()


def _short_name(dialect: Dialect, full_name: str) -> str:
    prefix = dialect.name + "."
    if not full_name.startswith(prefix):
        raise ValueError(f"'{full_name}' is not in dialect '{dialect.name}'")
    return full_name[len(prefix) :]


def _python_name(name: str) -> str:
    # xDSL spells `in`, `from`, ... as `in_`, `from_`; IRDL names are the IR's names.
    return name[:-1] if name.endswith("_") else name


class _Body:
    """The lines of one irdl.operation / irdl.type body.

    Every use gets its own constraint value: in IRDL, one value used twice means "the same
    attribute in both places", which xDSL's definitions do not say.
    """

    def __init__(self, dialect: Dialect, indent: str):
        self.dialect = dialect
        self.indent = indent
        self.lines: list[str] = []

    def value(self, op_text: str) -> str:
        name = f"%v{len(self.lines)}"
        self.lines.append(f"{self.indent}{name} = {op_text}")
        return name

    def _base(self, cls: type[Attribute]) -> str:
        for base_cls, name in _BUILTIN_BASES.items():
            if issubclass(cls, base_cls):
                return self.value(f'irdl.base "{name}"')
        if cls in self.dialect.attributes and issubclass(cls, ParametrizedAttribute):
            own = _short_name(self.dialect, cls.name)
            return self.value(f"irdl.base @{self.dialect.name}::@{own}")
        return self.value("irdl.any")

    def attr(self, constr: AttrConstraint) -> str:
        match constr:
            case BaseAttr(attr=cls):
                return self._base(cls)
            case ParamAttrConstraint(base_attr=cls):
                return self._base(cls)
            case EqAttrConstraint(attr=attr):
                return self.value(f"irdl.is {_attr_text(attr)}")
            case MessageConstraint(constr=inner):
                return self.attr(inner)
            case AnyOf(attr_constrs=options):
                return self.value(f"irdl.any_of({', '.join(self.attr(c) for c in options)})")
            case AllOf(attr_constrs=parts):
                return self.value(f"irdl.all_of({', '.join(self.attr(c) for c in parts)})")
            case _:
                return self.value("irdl.any")

    def range(self, constr: RangeConstraint) -> str:
        match constr:
            case RangeOf(constr=inner) | SingleOf(constr=inner):
                return self.attr(inner)
            case RangeLengthConstraint(constraint=inner):
                return self.range(inner)
            case _:
                return self.value("irdl.any")


def _variadicity(definition: object) -> str:
    if isinstance(definition, OptionalDef):
        return "optional "
    if isinstance(definition, VariadicDef):
        return "variadic "
    return ""


def _operation(dialect: Dialect, op: type[IRDLOperation]) -> list[str]:
    op_def = op.get_irdl_definition()
    body = _Body(dialect, "    ")
    declarations: list[str] = []
    if op_def.operands:
        items = [f"{_python_name(n)}: {_variadicity(d)}{body.range(d.constr)}" for n, d in op_def.operands]
        declarations.append(f"irdl.operands({', '.join(items)})")
    if op_def.results:
        items = [f"{_python_name(n)}: {_variadicity(d)}{body.range(d.constr)}" for n, d in op_def.results]
        declarations.append(f"irdl.results({', '.join(items)})")
    required = {
        name: d
        for name, d in {**op_def.properties, **op_def.attributes}.items()
        if not isinstance(d, OptionalDef) and d.default_value is None and name != "operandSegmentSizes"
    }
    if required:
        items = [f'"{name}" = {body.attr(d.constr)}' for name, d in sorted(required.items())]
        declarations.append(f"irdl.attributes {{{', '.join(items)}}}")
    if op_def.regions:
        items = [f"{_python_name(n)}: {body.value('irdl.region')}" for n, _ in op_def.regions]
        declarations.append(f"irdl.regions({', '.join(items)})")
    return [
        f"  irdl.operation @{_short_name(dialect, op_def.name)} {{",
        *body.lines,
        *(f"    {d}" for d in declarations),
        "  }",
    ]


def _attribute(dialect: Dialect, attr: type[ParametrizedAttribute]) -> list[str]:
    attr_def = attr.get_irdl_definition()
    body = _Body(dialect, "    ")
    params = [f"{_python_name(n)}: {body.attr(p.constr)}" for n, p in attr_def.parameters]
    kind = "type" if issubclass(attr, TypeAttribute) else "attribute"
    return [
        f"  irdl.{kind} @{_short_name(dialect, attr_def.name)} {{",
        *body.lines,
        *([f"    irdl.parameters({', '.join(params)})"] if params else []),
        "  }",
    ]


def dialect_to_irdl_text(dialect: Dialect, source: str) -> str:
    """The IRDL module for `dialect`; `source` names where it was generated from."""
    lines = [
        f"// IRDL for the '{dialect.name}' dialect, generated from {source} by tools/gen_irdl.py.",
        "// Do not edit: run tools/gen_irdl.py (a test fails when this file is stale).",
        "// Load with mlir-opt-22 --irdl-file=<this file>; IR must carry properties as attributes.",
    ]
    skipped = [a.name for a in dialect.attributes if not issubclass(a, ParametrizedAttribute)]
    if skipped:
        lines.append(f"// Not expressible in IRDL (left to xDSL): {', '.join(sorted(skipped))}.")
    lines.append(f"irdl.dialect @{dialect.name} {{")
    for attr in sorted(dialect.attributes, key=lambda a: a.name):
        if issubclass(attr, ParametrizedAttribute):
            lines += _attribute(dialect, attr)
    for op in sorted(dialect.operations, key=lambda o: o.name):
        if not issubclass(op, IRDLOperation):
            raise ValueError(f"{op.name} is not an IRDLOperation; cannot export it to IRDL")
        lines += _operation(dialect, op)
    lines.append("}")
    return "\n".join(lines) + "\n"
