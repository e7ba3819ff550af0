"""Zero wrong programs accepted: mutants of every accepted program (swapped operands, off-by-one
slices, wrong constants, signed/unsigned swaps, dropped terms) are either rejected with a reason
(a counterexample where the difference is observable) or are truly equivalent, which an
independent, larger differential test then confirms."""

from __future__ import annotations

import ast
import copy
import time

import pytest
from lift_helpers import corpus, parsed
from liftcomp.lift import tensorspec as TS
from liftcomp.lift.raising import RaiseOptions, check_candidate, lift_function
from liftcomp.lift.verify import decls_of
from liftcomp.lift.verify import tested as differential_test

SWAP_DTYPES = {"uint8": "int8", "int8": "uint8", "uint16": "int16", "int16": "uint16", "uint32": "int32", "int32": "uint32",
               "float32": "float64", "float64": "float32", "int64": "uint64", "uint64": "int64"}


FUNC_SWAPS = {"sum": "max", "max": "min", "min": "max", "prod": "sum", "maximum": "minimum", "minimum": "maximum",
              "dot": "multiply", "exp": "log", "sqrt": "exp", "where": "where"}


def mutants(text: str, limit: int = 16) -> list[str]:
    """Mutants of a TensorSpec program, by site: operands swapped, terms dropped, slice bounds
    moved by one (start, stop) or strided, constants changed (+1, -1, x2), signed/unsigned and
    float widths swapped, comparisons flipped, reductions and functions swapped, reads negated
    or shifted by one."""
    tree = ast.parse(text)
    nodes = list(ast.walk(tree))
    names = sorted({n.id for n in nodes if isinstance(n, ast.Name) and n.id != "np"})
    sites: list[tuple[str, int]] = []
    for i, node in enumerate(nodes):
        if isinstance(node, ast.BinOp):
            sites += [("swap", i), ("drop", i)]
        if isinstance(node, ast.Slice):
            sites += [("start+1", i), ("stop-1", i), ("step2", i)]
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            sites += [("const+1", i), ("const-1", i), ("const*2", i)]
        if isinstance(node, ast.Attribute) and node.attr in SWAP_DTYPES:
            sites.append(("dtype", i))
        if isinstance(node, ast.Attribute) and node.attr in FUNC_SWAPS:
            sites.append(("func", i))
        if isinstance(node, ast.Compare):
            sites.append(("cmp", i))
        if isinstance(node, ast.Subscript | ast.Name) and isinstance(node.ctx, ast.Load) and getattr(node, "id", "") != "np":
            sites += [("neg", i), ("plus1", i), ("times2", i)]
        if isinstance(node, ast.Name) and node.id != "np":
            sites += [(f"rename:{other}", i) for other in names if other != node.id]
    out: list[str] = []
    for kind, i in sites:
        t = copy.deepcopy(tree)
        node = list(ast.walk(t))[i]
        if kind == "swap" and isinstance(node, ast.BinOp):
            node.left, node.right = node.right, node.left
        elif kind == "drop" and isinstance(node, ast.BinOp):
            parent = _parent(t, node)
            if parent is None:
                continue
            _replace(parent, node, node.left)
        elif kind == "start+1" and isinstance(node, ast.Slice):
            node.lower = ast.BinOp(node.lower or ast.Constant(0), ast.Add(), ast.Constant(1))
        elif kind == "stop-1" and isinstance(node, ast.Slice) and node.upper is not None:
            node.upper = ast.BinOp(node.upper, ast.Sub(), ast.Constant(1))
        elif kind.startswith("rename:") and isinstance(node, ast.Name):
            node.id = kind.split(":", 1)[1]
        elif kind == "step2" and isinstance(node, ast.Slice):
            node.step = ast.Constant(2)
        elif kind.startswith("const") and isinstance(node, ast.Constant):
            node.value = {"const+1": node.value + 1, "const-1": node.value - 1, "const*2": node.value * 2}[kind]
        elif kind == "dtype" and isinstance(node, ast.Attribute):
            node.attr = SWAP_DTYPES[node.attr]
        elif kind == "func" and isinstance(node, ast.Attribute):
            node.attr = FUNC_SWAPS[node.attr]
        elif kind == "cmp" and isinstance(node, ast.Compare):
            flip = {ast.Lt: ast.LtE(), ast.LtE: ast.Lt(), ast.Gt: ast.GtE(), ast.GtE: ast.Gt(), ast.Eq: ast.NotEq(), ast.NotEq: ast.Eq()}
            node.ops = [flip[type(node.ops[0])]]
        elif kind in ("neg", "plus1", "times2") and isinstance(node, ast.Subscript | ast.Name):
            parent = _parent(t, node)
            if parent is None or isinstance(parent, ast.Subscript | ast.Attribute | ast.Slice) or (isinstance(parent, ast.Assign) and node in parent.targets):
                continue
            if kind == "neg":
                new: ast.expr = ast.UnaryOp(ast.USub(), node)
            elif kind == "plus1":
                new = ast.BinOp(node, ast.Add(), ast.Constant(1))
            else:
                new = ast.BinOp(node, ast.Mult(), ast.Constant(2))
            _replace(parent, node, new)
        m = ast.unparse(t)
        if m != ast.unparse(tree) and m not in out:
            out.append(m)
        if len(out) >= limit:
            break
    return out


def _parent(tree: ast.AST, child: ast.AST) -> ast.AST | None:
    for n in ast.walk(tree):
        for _field, v in ast.iter_fields(n):
            if v is child or (isinstance(v, list) and child in v):
                return n
    return None


def _replace(parent: ast.AST, old: ast.AST, new: ast.AST) -> None:
    for f, v in ast.iter_fields(parent):
        if v is old:
            setattr(parent, f, new)
        elif isinstance(v, list) and old in v:
            v[v.index(old)] = new


NAMES = sorted(n for n in corpus() if corpus()[n].form)


@pytest.mark.parametrize("name", NAMES)
def test_mutants_rejected_or_equivalent(name: str) -> None:
    m, fn, names = parsed(name)
    report, lifted = lift_function(m, fn, RaiseOptions(), names)
    if lifted is None:
        pytest.skip(f"not lifted: {report.reason}")
    ms = mutants(report.program)
    assert len(ms) >= 10, ms
    opts = RaiseOptions(kernel_timeout_s=5.0, query_timeout_ms=2000, bound=2)
    for text in ms:
        verdict, prog = check_candidate(m, fn, lifted.summary, text, opts, time.monotonic() + 5.0)
        if verdict.level is None or verdict.level == "tested":
            assert verdict.reason, text
            continue
        # Accepted: it must really be equivalent; an independent differential test with other
        # seeds and larger sizes must agree.
        assert prog is not None
        strong = differential_test(m, fn, lifted.summary, prog, trials=6, scale=11, seed=1234)
        assert strong.level == "tested", f"accepted a wrong mutant:\n{text}\n{strong.reason}"


def test_mutant_generator_makes_enough() -> None:
    text = "out[0:n] = np.where(base[0:n] > active[0:n], active[0:n], (base[0:n] + np.uint8(1)).astype(np.uint8))"
    assert len(mutants(text)) >= 10


def test_wrong_program_gets_counterexample() -> None:
    m, fn, names = parsed("darken_blend_8")
    report, lifted = lift_function(m, fn, RaiseOptions(), names)
    assert lifted is not None
    bad = "out[0:n] = np.where(base[0:n] >= active[0:n], base[0:n], active[0:n])"
    verdict, _ = check_candidate(m, fn, lifted.summary, bad, RaiseOptions(), time.monotonic() + 10)
    assert verdict.level is None and verdict.counterexample is not None
    assert "loop nest gives" in verdict.counterexample.describe()
    TS.parse_program(report.program, decls_of(lifted.summary))
