"""Every corpus kernel the built-in proposer lifts, lowered by to_linalg, bufferized and lowered
back to loops by mlir-opt-22, computes what the kernel's numpy reference computes (the
reference executor runs the loops on the corpus's own inputs, edge values included); and every
one, and every lifted function of the lit tests' inputs, compiled by upstream's ordinary
pipeline down to LLVM (mlir-opt-22) and run by mlir-runner-22, gives the original's outputs bit
for bit."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np
import pytest
from lift_helpers import corpus, lifted, parsed
from liftcomp.corpus.check import check_kernel, make_inputs
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop import runner_check
from liftcomp.interop.mlir_tool import parse_mlir, run_pipeline
from liftcomp.lift.cli import check_model, model_floats, size_inputs
from liftcomp.lift.liftcomp_raise import raise_module
from liftcomp.lift.raising import FunctionReport, RaiseOptions
from liftcomp.lift.to_linalg import emit_program
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

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


# The lit tests' inputs that lift (every function of every test/**/*.mlir outside the corpus and
# the Python tests' inputs), except the files here, each with why. A function whose inputs the reference
# executor cannot size fails the test (it is reported as not run).
LIT_EXCLUDED: dict[str, str] = {
    "end-to-end/search-plugin.mlir": "its @gemm, a 32x16x32 static i8 GEMM whose lifting takes ~10 s of suite time (the differential "
                                          "test on the static nest); the same loop nest at 8x16x12 is tools/liftcomp-opt.mlir:gemm",
}
CONTROL = """
func.func @control(%x: memref<?xf32>, %out: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant ZERO : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %r = arith.addf %v, %zero : f32
    memref.store %r, %out[%i] : memref<?xf32>
  }
  return
}
"""


def lit_cases() -> list[runner_check.Case]:
    """The lifted functions of the lit tests' inputs, on sized inputs with special values."""
    cases: list[runner_check.Case] = []
    root = Path(__file__).resolve().parents[1]
    for path in sorted(root.rglob("*.mlir")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith(("corpus/", "python/")) or rel in LIT_EXCLUDED:
            continue
        for k, chunk in enumerate(path.read_text().split("// -----")):
            if "func.func" not in chunk:
                continue  # nothing to lift
            try:
                module = parse_mlir(chunk, rel)
            except LiftcompError:
                continue  # an input that is invalid on purpose, or not a loop program
            raised, reports = raise_module(module.clone(), RaiseOptions())
            for r in reports:
                name = f"{rel}{f'#{k}' if k else ''}:{r.name}"
                if r.status not in ("lifted", "partial"):
                    continue
                # Compared as --jit-check compares: the whole function (nest by nest too), under
                # its own float model, on inputs the reference executor runs the original on.
                model = check_model(next(op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == r.name), "ieee")
                try:
                    args = size_inputs(module, r.name, 2, model).args
                except LiftcompError as e:
                    cases.append(runner_check.Case(name, module, raised, r.name, []))  # reported as not run
                    print(f"{name}: cannot size its inputs: {e.message}")
                    continue
                cases.append(runner_check.Case(name, module, raised, r.name, args, model))
    return cases


@pytest.mark.skipif(not runner_check.available(), reason="mlir-opt-22 / mlir-runner-22 not installed")
def test_every_lifted_kernel_runs_under_mlir_runner_like_the_original() -> None:
    """Upstream's ordinary pipeline end to end (mlir-opt-22: one-shot-bufferize, linalg to loops,
    lower-affine, LLVM; then mlir-runner-22): every lifted corpus kernel on the corpus's inputs
    (dynamic sizes where its memrefs have them) and every lifted function of the lit tests'
    inputs (on sized inputs) gives the original's outputs under the function's own float model,
    as --jit-check compares: IEEE functions on special values (NaN, infinities, signed zeros,
    denormals, the largest and cancelling values) bit for bit (NaN == NaN, -0.0 != +0.0), `fast`
    ones (fastmath<fast> sources) on ordinary values within a tolerance. A kernel that converts
    floats to integers keeps ordinary values (a NaN or an overflow there is poison). One module,
    one compilation, one process; a control kernel whose 'raised' side adds +0.0 must be found
    different (x = -0.0)."""
    cases: list[runner_check.Case] = []
    special = 0
    for name in NAMES:
        _, raised = raised_module(name)
        if raised is None:
            continue
        original, fn, _ = parsed(name)
        model = check_model(fn, "ieee")
        args = make_inputs(corpus()[name], fn, corpus()[name].sizes, np.random.default_rng(0))
        if not any(op.name in ("arith.fptosi", "arith.fptoui") for op in fn.walk()):
            args = model_floats(args, model)
            special += any(np.isnan(x).any() for x in args if isinstance(x, np.ndarray) and x.dtype.kind == "f")
        cases.append(runner_check.Case(name, original, raised, name, args, model))
    lit = lit_cases()
    control = parse_mlir(CONTROL.replace("ZERO", "-0.0"))
    x = np.array([-0.0, 0.0, np.nan, -np.inf, 1.0], np.float32)
    cases.append(runner_check.Case("control", control, parse_mlir(CONTROL.replace("ZERO", "0.0")), "control", [x, np.zeros(5, np.float32), 5]))
    got = runner_check.compare([*cases, *lit])
    assert got.pop("control") is not None, "the comparison does not see -0.0 vs +0.0"
    bad = {k: v for k, v in got.items() if v is not None}
    assert len(cases) - 1 >= 150 and len(lit) >= 8 and special >= 50, (len(cases), special, [c.name for c in lit])
    assert not bad, bad
