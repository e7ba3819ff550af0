"""The `liftcomp-raise` pass: replace verified loop nests with tensor ops (linalg/tensor)."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import SSAValue
from xdsl.passes import ModulePass

from liftcomp.diagnostics import LiftcompError
from liftcomp.lift.nests import inline, top_level_nests
from liftcomp.lift.raising import (
    FunctionReport,
    Lifted,
    NestLift,
    RaiseOptions,
    raise_function,
    summarise_nests,
)


def raise_module(module: ModuleOp, options: RaiseOptions | None = None, arg_names: dict[str, list[str]] | None = None) -> tuple[ModuleOp, list[FunctionReport]]:
    """Lift every function of `module` in place; returns the module and one report per function.

    A function is lifted as a whole, else nest by nest (raising.raise_function). Functions are
    rewritten only after all of them were analysed and verified, so a failure (an exception)
    leaves the module untouched.
    """
    from liftcomp.lift.to_linalg import emit_program

    opts = options or RaiseOptions()
    reports: list[FunctionReport] = []
    accepted: list[tuple[FunctionReport, func.FuncOp, Lifted | list[NestLift]]] = []
    for op in list(module.ops):
        if not isinstance(op, func.FuncOp):
            continue
        report, lifted = raise_function(module, op, opts, (arg_names or {}).get(op.sym_name.data))
        reports.append(report)
        if lifted is not None:
            accepted.append((report, op, lifted))
    for report, fn, lifted in accepted:
        if isinstance(lifted, list):
            _replace_nests(module, report, fn, lifted)
            continue
        # Emit into a copy so that a lowering failure leaves the original function intact.
        copy = lifted.fn.clone()
        try:
            emit_program(copy, lifted.program, lifted.decls)
            _check_upstream(copy)
        except Exception as e:  # a lowering gap must not lose the user's function
            report.status, report.proof, report.reason = "unchanged", None, f"lowering to linalg failed: {_message(e)}"
            continue
        module.body.block.insert_op_before(copy, lifted.fn)
        module.body.block.detach_op(lifted.fn)
    return module, reports


def _message(e: Exception) -> str:
    return e.message if isinstance(e, LiftcompError) else f"{type(e).__name__}: {e}"


def _replace_nests(module: ModuleOp, report: FunctionReport, fn: func.FuncOp, lifts: list[NestLift]) -> None:
    """Replace each accepted nest of `fn` by its raised form, in place; everything else stays.

    Each nest is emitted as its outlined function (checked by mlir-opt-22 alone), then inlined
    into a copy of `fn`, which replaces `fn` once mlir-opt-22 accepts it in the module."""
    from liftcomp.lift.to_linalg import emit_program

    mapper: dict[SSAValue, SSAValue] = {}
    copy = fn.clone(value_mapper=mapper)
    nests = top_level_nests(copy)
    by_nest = {n.nest: n for n in report.nests}
    # Last nest first: a later nest may use an earlier one's results, which are rewired when the
    # earlier nest is replaced (its uses then include the inlined code of the later one).
    for nl in sorted(lifts, key=lambda x: -x.outlined.index):
        emitted = nl.lifted.fn.clone()
        try:
            emit_program(emitted, nl.lifted.program, nl.lifted.decls)
            _check_upstream(emitted)
        except Exception as e:  # a lowering gap leaves that nest as it was
            entry = by_nest[nl.outlined.index]
            entry.status, entry.proof, entry.program = "unchanged", None, None
            entry.reason = f"lowering to linalg failed: {_message(e)}"
            continue
        inline(nests[nl.outlined.index - 1], emitted, [mapper.get(v, v) for v in nl.outlined.actuals], nl.outlined.results)
    summarise_nests(report)
    if report.status == "unchanged":
        return
    try:
        _check_module_with(module, fn, copy)
    except Exception as e:
        for entry in report.nests:
            if entry.status == "lifted":
                entry.status, entry.proof, entry.program = "unchanged", None, None
                entry.reason = f"the function with raised nests was rejected: {_message(e)}"
        summarise_nests(report)
        return
    module.body.block.insert_op_before(copy, fn)
    module.body.block.detach_op(fn)


def _check_module_with(module: ModuleOp, fn: func.FuncOp, new: func.FuncOp) -> None:
    """mlir-opt-22 must accept the module with `new` in place of `fn` (it may call others)."""
    from liftcomp.interop.mlir_tool import print_generic, run_mlir_opt_text

    ops = [new.clone() if op is fn else op.clone() for op in module.ops]
    run_mlir_opt_text(print_generic(ModuleOp(ops)), ["--mlir-print-op-generic"])


def _check_upstream(fn: func.FuncOp) -> None:
    """mlir-opt-22 must accept the emitted function (lifted functions call nothing, so it verifies alone)."""
    from liftcomp.interop.mlir_tool import print_generic, run_mlir_opt_text

    run_mlir_opt_text(print_generic(ModuleOp([fn.clone()])), ["--mlir-print-op-generic"])


@dataclass(frozen=True)
class LiftcompRaisePass(ModulePass):
    """Raise loop nests (scf/affine + memref + arith/math) to linalg/tensor ops, each proven equal
    to its nest (z3) and differentially tested; nests that cannot be lifted stay untouched."""

    name = "liftcomp-raise"

    proposer: str = "symbolic"
    require: str = "bounded"
    float_model: str = "real"
    bound: int = 4
    query_timeout_ms: int = 5000
    kernel_timeout_s: float = 30.0
    report: str = ""
    remarks: bool = False
    # proposer=llm: strategy, and the LLM settings over the environment and config file.
    strategy: str = "symbolic-first"
    llm_model: str = ""
    llm_cache: str = ""
    llm_cache_dir: str = ""

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.proposer not in ("symbolic", "llm"):
            raise LiftcompError(f"liftcomp-raise: unknown proposer '{self.proposer}' (symbolic | llm)")
        llm = None
        if self.proposer == "llm":
            from liftcomp.lift.llm_proposer import proposer_from_environment

            llm = proposer_from_environment(models=self.llm_model, cache_mode=self.llm_cache, cache_dir=self.llm_cache_dir)
        opts = RaiseOptions(
            proposer=self.proposer, strategy=self.strategy, require=self.require, float_model=self.float_model, bound=self.bound,
            query_timeout_ms=self.query_timeout_ms, kernel_timeout_s=self.kernel_timeout_s, llm=llm,
        )
        _, reports = raise_module(op, opts)
        if self.remarks:
            for r in reports:
                what = f"{r.status} ({r.proof})" if r.status in ("lifted", "partial") else f"unchanged: {r.reason}"
                print(f"remark: liftcomp-raise: @{r.name}: {what}", file=sys.stderr)
        if self.report:
            Path(self.report).write_text(json.dumps([r.to_json() for r in reports], indent=1) + "\n")
