"""Every corpus kernel the built-in proposer lifts, lowered by to_linalg, bufferized and lowered
back to loops by mlir-opt-22, computes what the kernel's numpy reference computes (the
reference executor runs the loops on the corpus's own inputs, edge values included)."""

from __future__ import annotations

import pytest
from lift_helpers import corpus, parsed
from lift_helpers import lifted as lift_once
from liftcomp.corpus.check import check_kernel
from liftcomp.interop.mlir_tool import run_pipeline
from liftcomp.lift.liftcomp_raise import raise_module
from liftcomp.lift.raising import RaiseOptions
from liftcomp.lift.to_linalg import emit_program
from xdsl.dialects import func

PIPELINE = (
    "builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, "
    "func.func(convert-linalg-to-loops), cse, canonicalize)"
)
NAMES = sorted(n for n, k in corpus().items() if k.form)


@pytest.mark.parametrize("name", NAMES)
def test_lifted_kernel_lowers_and_runs(name: str) -> None:
    module, _, arg_names = parsed(name)
    report, lifted = lift_once(name)
    copy = module.clone()
    if lifted is None:
        # Lifted nest by nest or around a kept loop (the driver's way: raise_module), or not at all.
        copy, (report,) = raise_module(copy, RaiseOptions(), {name: arg_names or []})
        if report.status != "lifted":
            pytest.skip(f"not lifted: {report.reason}")
    else:
        target = next(op for op in copy.ops if isinstance(op, func.FuncOp) and op.sym_name.data == name)
        emit_program(target, lifted.program, lifted.decls)
    copy.verify()
    loops = run_pipeline(copy, PIPELINE)
    assert not any(op.name.split(".")[0] in ("linalg", "tensor", "bufferization") for op in loops.walk())
    result = check_kernel(corpus()[name], loops)
    assert result.ok, f"{result.detail}\n{report.program}"
