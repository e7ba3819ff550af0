"""Every corpus kernel the built-in proposer lifts, lowered by to_linalg, bufferized and lowered
back to loops by mlir-opt-22, computes what the kernel's numpy reference computes (the
reference executor runs the loops on the corpus's own inputs, edge values included); and every
one, compiled by upstream's ordinary pipeline down to LLVM, gives the original's outputs bit for
bit when run natively."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pytest
from lift_helpers import corpus, lifted, parsed
from liftcomp.corpus.check import check_kernel, make_inputs
from liftcomp.interop.mlir_tool import print_generic, run_pipeline
from liftcomp.interop.upstream_jit import bindings_available, jit_run_many
from liftcomp.lift.liftcomp_raise import raise_module
from liftcomp.lift.raising import FunctionReport, RaiseOptions
from liftcomp.lift.to_linalg import emit_program
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr

PIPELINE = (
    "builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, "
    "func.func(convert-linalg-to-loops), cse, canonicalize)"
)
NAMES = sorted(n for n, k in corpus().items() if k.form)


@cache
def raised_module(name: str) -> tuple[FunctionReport, ModuleOp | None]:
    """The kernel's module with its lifted program emitted (None: not lifted)."""
    module, _, arg_names = parsed(name)
    report, done = lifted(name)
    copy = module.clone()
    if done is None:
        # Lifted nest by nest or around a kept loop (the driver's way: raise_module), or not at all.
        copy, (report,) = raise_module(copy, RaiseOptions(), {name: arg_names or []})
        return report, copy if report.status == "lifted" else None
    target = next(op for op in copy.ops if isinstance(op, func.FuncOp) and op.sym_name.data == name)
    emit_program(target, done.program, done.decls)
    copy.verify()
    return report, copy


@pytest.mark.parametrize("name", NAMES)
def test_lifted_kernel_lowers_and_runs(name: str) -> None:
    report, raised = raised_module(name)
    if raised is None:
        pytest.skip(f"not lifted: {report.reason}")
    loops = run_pipeline(raised.clone(), PIPELINE)
    assert not any(op.name.split(".")[0] in ("linalg", "tensor", "bufferization") for op in loops.walk())
    result = check_kernel(corpus()[name], loops)
    assert result.ok, f"{result.detail}\n{report.program}"


@pytest.mark.skipif(not bindings_available(), reason="optional extra 'mlir' not installed")
def test_every_lifted_kernel_runs_natively_like_the_original() -> None:
    """Upstream's ordinary pipeline end to end (one-shot-bufferize, linalg to loops, lower-affine,
    LLVM; the ExecutionEngine that mlir-runner-22 uses, in one child process per batch): every
    lifted kernel gives the original's outputs bit for bit on the corpus's inputs, with dynamic
    sizes. The originals and the raised functions share one module per batch, compiled once (the
    kernels that free their own buffers in a second batch, without buffer-deallocation-pipeline)."""
    batches: dict[bool, tuple[ModuleOp, list[tuple[str, list[Any]]]]] = {True: (ModuleOp([]), []), False: (ModuleOp([]), [])}
    for name in NAMES:
        _, raised = raised_module(name)
        if raised is None:
            continue
        original, fn, _ = parsed(name)
        pair = (original.clone(), raised.clone())
        frees = any(op.name == "memref.dealloc" for mod in pair for op in mod.walk())
        merged, calls = batches[not frees]
        args = make_inputs(corpus()[name], fn, corpus()[name].sizes, np.random.default_rng(0))
        for tag, mod in zip(("original", "raised"), pair, strict=True):
            for op in list(mod.ops):
                op.detach()
                if isinstance(op, func.FuncOp) and op.sym_name.data == name:
                    op.sym_name = StringAttr(f"{name}__{tag}")
                merged.body.block.add_op(op)
            calls.append((f"{name}__{tag}", [a.copy() if isinstance(a, np.ndarray) else a for a in args]))
    bad: list[str] = []
    compared = 0
    for deallocate, (merged, calls) in batches.items():
        if not calls:
            continue
        runs = jit_run_many(print_generic(merged), calls, deallocate=deallocate)
        for k in range(0, len(calls), 2):
            name = calls[k][0].removesuffix("__original")
            orig, ras = runs[k], runs[k + 1]
            compared += 1
            if isinstance(orig, str) or isinstance(ras, str):
                bad.append(f"{name}: {orig if isinstance(orig, str) else ras}")
                continue
            for i, (a, b) in enumerate([*zip(orig.outputs, ras.outputs, strict=True), *zip(orig.results, ras.results, strict=True)]):
                x, y = np.asarray(a), np.asarray(b)
                same = (x == y) | (np.isnan(x) & np.isnan(y)) if x.dtype.kind == "f" else x == y
                if x.dtype.kind == "f":
                    same &= np.signbit(x) == np.signbit(y)
                if not np.all(same):
                    bad.append(f"{name}: output {i} differs")
    assert compared >= 150, compared
    assert not bad, bad
