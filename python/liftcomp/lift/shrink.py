"""Small stand-ins for large static nests, so differential tests never interpret 512^3 loops.

Proofs are symbolic and cheap at any size; the differential test, however, runs the original in
the reference executor. For a nest with large static sizes we test a copy in which every large
index constant (static dims, loop bounds, affine constants >= THRESHOLD) is mapped to a small
value, order-preserving and consistently (512 -> 5 everywhere), together with the same mapping
applied to the index literals of the proposed program.
"""

from __future__ import annotations

import ast

from xdsl.dialects import func
from xdsl.dialects.builtin import (
    AffineMapAttr,
    FunctionType,
    IndexType,
    IntegerAttr,
    MemRefType,
    ModuleOp,
)
from xdsl.ir.affine import AffineBinaryOpExpr, AffineConstantExpr, AffineExpr, AffineMap

THRESHOLD = 100


def _large_values(fn: func.FuncOp) -> set[int]:
    vals: set[int] = set()
    for t in fn.function_type.inputs:
        if isinstance(t, MemRefType):
            vals |= {s for s in t.get_shape() if s >= THRESHOLD}
    for op in fn.walk():
        v = op.properties.get("value")
        if op.name == "arith.constant" and isinstance(v, IntegerAttr) and isinstance(op.results[0].type, IndexType) and v.value.data >= THRESHOLD:
            vals.add(v.value.data)
        for attr in op.properties.values():
            if isinstance(attr, AffineMapAttr):
                vals |= {c for c in _map_constants(attr.data) if c >= THRESHOLD}
    return vals


def _map_constants(m: AffineMap) -> set[int]:
    out: set[int] = set()

    def go(e: AffineExpr) -> None:
        if isinstance(e, AffineConstantExpr):
            out.add(e.value)
        elif isinstance(e, AffineBinaryOpExpr):
            go(e.lhs)
            go(e.rhs)

    for r in m.results:
        go(r)
    return out


def _remap_expr(e: AffineExpr, mapping: dict[int, int]) -> AffineExpr:
    if isinstance(e, AffineConstantExpr):
        return AffineConstantExpr(mapping.get(e.value, e.value))
    if isinstance(e, AffineBinaryOpExpr):
        return AffineBinaryOpExpr(e.kind, _remap_expr(e.lhs, mapping), _remap_expr(e.rhs, mapping))
    return e


def _remap_type(t: MemRefType, mapping: dict[int, int]) -> MemRefType:
    shape = [mapping.get(s, s) for s in t.get_shape()]
    return MemRefType(t.element_type, shape)


def needs_shrinking(fn: func.FuncOp) -> bool:
    return bool(_large_values(fn))


def shrink(module: ModuleOp, fn: func.FuncOp) -> tuple[ModuleOp, func.FuncOp, dict[int, int]]:
    """A copy of the module whose copy of fn has every large index constant mapped small."""
    large = sorted(_large_values(fn))
    mapping = {v: 5 + i for i, v in enumerate(large)}
    small_mod = module.clone()
    small_fn = next(op for op in small_mod.ops if isinstance(op, func.FuncOp) and op.sym_name == fn.sym_name)
    for op in small_fn.walk():
        v = op.properties.get("value")
        if op.name == "arith.constant" and isinstance(v, IntegerAttr) and isinstance(op.results[0].type, IndexType) and v.value.data in mapping:
            op.properties["value"] = IntegerAttr(mapping[v.value.data], IndexType())
        for key, attr in list(op.properties.items()):
            if isinstance(attr, AffineMapAttr):
                m = attr.data
                op.properties[key] = AffineMapAttr(AffineMap(m.num_dims, m.num_symbols, tuple(_remap_expr(r, mapping) for r in m.results)))
    block = small_fn.body.block
    new_inputs = []
    for arg in block.args:
        t = arg.type
        if isinstance(t, MemRefType):
            t = _remap_type(t, mapping)
            arg._type = t  # pyright: ignore[reportPrivateUsage] (retyping a clone in place)
        new_inputs.append(t)
    small_fn.properties["function_type"] = FunctionType.from_lists(new_inputs, list(small_fn.function_type.outputs))
    return small_mod, small_fn, mapping


def shrink_program(text: str, mapping: dict[int, int]) -> str:
    """Apply the same mapping to index literals of a program (slice bounds, reshape sizes)."""
    tree = ast.parse(text)

    class Remap(ast.NodeTransformer):
        def __init__(self) -> None:
            self.in_index = 0

        def visit_Subscript(self, node: ast.Subscript) -> ast.AST:  # noqa: N802
            node.value = self.visit(node.value)
            self.in_index += 1
            node.slice = self.visit(node.slice)
            self.in_index -= 1
            return node

        def visit_Call(self, node: ast.Call) -> ast.AST:  # noqa: N802
            node.func = self.visit(node.func)
            is_shape = isinstance(node.func, ast.Attribute) and node.func.attr == "reshape"
            self.in_index += is_shape
            node.args = [self.visit(a) for a in node.args]
            self.in_index -= is_shape
            node.keywords = [self.visit(k) for k in node.keywords]
            return node

        def visit_Constant(self, node: ast.Constant) -> ast.AST:  # noqa: N802
            if self.in_index and isinstance(node.value, int) and node.value in mapping:
                return ast.Constant(mapping[node.value])
            return node

    return ast.unparse(Remap().visit(tree))
