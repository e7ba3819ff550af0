"""The `liftcomp-raise` pass: replace verified loop nests with tensor ops (linalg/tensor)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xdsl.context import Context
from xdsl.dialects import affine, func, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.lift import floats
from liftcomp.lift.nests import inline, top_level_nests
from liftcomp.lift.raising import (
    FunctionReport,
    Lifted,
    NestLift,
    RaiseOptions,
    raise_function,
    summarise_nests,
)
from liftcomp.llm.config import CACHE_MODES
from liftcomp.pass_support import LiftcompPass, emit_remark, parse_location, replace_module_body


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
class LiftcompRaisePass(LiftcompPass):
    """Raise loop nests (scf/affine + memref + arith/math) to linalg/tensor ops, each proven equal
    to its nest (z3) and differentially tested; nests that cannot be lifted stay untouched.

    Options mirror `liftcomp lift` (docs/LLM.md for the llm-* ones). `strict=true` makes a loop
    nest that stays an error at its location (the module is then left as it was); `remarks=true`
    emits one remark per function, at the refused loop for a function left unchanged.
    """

    name = "liftcomp-raise"

    proposer: str = "symbolic"
    require: str = "bounded"
    float_model: str = "ieee"  # ieee | fast | fast-math flags joined by '+' (nnan+nsz): docs/LIFTING.md
    bound: int = 4
    query_timeout_ms: int = 5000
    kernel_timeout_s: float = 30.0
    report: str = ""
    remarks: bool = False
    strict: bool = False
    # proposer=llm: strategy, and the LLM settings over the environment and config file
    # (the flags of `liftcomp lift`; unset ones leave the environment's and the file's).
    strategy: str = "symbolic-first"
    llm_samples: int = 4
    llm_temperature: float = 0.7
    llm_model: str = ""
    llm_config: str = ""
    llm_cache: str = ""
    llm_cache_dir: str = ""
    llm_timeout: float | None = None
    llm_max_calls: int | None = None
    llm_max_tokens: int | None = None
    llm_max_seconds: float | None = None

    def __post_init__(self) -> None:
        self.check_choice("proposer", self.proposer, ("symbolic", "llm"))
        self.check_choice("require", self.require, ("bounded", "proved"))
        try:
            floats.parse(self.float_model)
        except floats.FloatModelError:
            raise self.option_error(f"option 'float-model' must be ieee, fast, or fast-math flags joined by '+' "
                                    f"({'+'.join(floats.FLAGS)}), got '{self.float_model}'") from None
        self.check_choice("strategy", self.strategy, ("symbolic-first", "llm-first", "llm-only"))
        self.check_at_least("bound", self.bound, 1)
        self.check_at_least("query-timeout-ms", self.query_timeout_ms, 1)
        if self.kernel_timeout_s <= 0:
            raise self.option_error(f"option 'kernel-timeout-s' must be > 0, got {self.kernel_timeout_s:g}")
        self.check_at_least("llm-samples", self.llm_samples, 1)
        if not 0 <= self.llm_temperature <= 2:
            raise self.option_error(f"option 'llm-temperature' must be between 0 and 2, got {self.llm_temperature:g}")
        if self.llm_cache:
            self.check_choice("llm-cache", self.llm_cache, CACHE_MODES)
        if self.llm_timeout is not None and self.llm_timeout <= 0:
            raise self.option_error(f"option 'llm-timeout' must be > 0, got {self.llm_timeout:g}")
        self.check_at_least("llm-max-calls", self.llm_max_calls, 0)
        self.check_at_least("llm-max-tokens", self.llm_max_tokens, 0)
        self.check_at_least("llm-max-seconds", self.llm_max_seconds, 0)
        if self.llm_config and not Path(self.llm_config).expanduser().is_file():
            raise self.option_error(f"option 'llm-config': no such file: {self.llm_config}")
        if self.report and not Path(self.report).expanduser().resolve().parent.is_dir():
            raise self.option_error(f"option 'report': no such directory for {self.report}")

    def llm_proposer(self) -> Any:
        """The LLM proposer these options configure (config file < environment < options)."""
        from liftcomp.lift.llm_proposer import proposer_for_config
        from liftcomp.llm.config import load_config

        config = load_config(
            config_file=self.llm_config or None,
            models=self.llm_model or None,
            cache_mode=self.llm_cache or None,
            cache_dir=Path(self.llm_cache_dir) if self.llm_cache_dir else None,
            timeout_s=self.llm_timeout,
            max_calls=self.llm_max_calls,
            max_tokens=self.llm_max_tokens,
            max_seconds=self.llm_max_seconds,
        )
        return proposer_for_config(config, self.llm_samples, self.llm_temperature)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        opts = RaiseOptions(
            proposer=self.proposer, strategy=self.strategy, require=self.require, float_model=self.float_model, bound=self.bound,
            query_timeout_ms=self.query_timeout_ms, kernel_timeout_s=self.kernel_timeout_s,
            llm=self.llm_proposer() if self.proposer == "llm" else None,
        )
        # Raise a copy: with strict=true a refusal must leave the module exactly as it was.
        work = op.clone()
        functions = {f.sym_name.data: f for f in op.ops if isinstance(f, func.FuncOp)}
        _, reports = raise_module(work, opts, _mlir_arg_names(work))
        if self.remarks:
            for r in reports:
                emit_remark(_remark_text(r), _where(r, functions.get(r.name)))
        if self.strict:
            refused = [r for r in reports if r.status != "lifted" and _loops(functions.get(r.name))]
            if refused:
                r = refused[0]
                raise LiftcompError(
                    f"liftcomp-raise: @{r.name}: loop nest not lifted (strict=true): {r.reason}",
                    _where(r, functions.get(r.name)),
                )
        if self.report:
            Path(self.report).write_text(json.dumps([r.to_json() for r in reports], indent=1) + "\n")
        replace_module_body(op, work)


def _mlir_arg_names(module: ModuleOp) -> dict[str, list[str]]:
    """Argument names for reports and prompts when the module came from mlir-opt (the plugin,
    or its generic form): mlir-opt numbers block arguments across the module (%arg4, %arg5),
    so name them %arg0, %arg1, ... per function, as mlir-opt prints each function. Names the
    user wrote (text parsed by xDSL directly) are kept."""
    out: dict[str, list[str]] = {}
    for f in module.ops:
        if not isinstance(f, func.FuncOp) or not f.body.blocks:
            continue
        hints = [a.name_hint for a in f.body.block.args]
        if all(h is None or re.fullmatch(r"arg\d+", h) for h in hints):
            out[f.sym_name.data] = [f"arg{i}" for i in range(len(hints))]
    return out


def _loops(fn: func.FuncOp | None) -> list[Operation]:
    if fn is None:
        return []
    return [o for o in fn.walk() if isinstance(o, scf.ForOp | scf.WhileOp | affine.ForOp | affine.ParallelOp | scf.ParallelOp)]


def _where(r: FunctionReport, fn: func.FuncOp | None) -> str | None:
    """Where a function's outcome is reported: the refused op the analysis named, else the
    function's first loop, else the function."""
    if r.location and parse_location(r.location) is not None:
        return r.location
    if fn is None:
        return r.location
    loops = _loops(fn)
    return op_location(loops[0] if r.status != "lifted" and loops else fn)


def _remark_text(r: FunctionReport) -> str:
    if r.status == "lifted":
        by = f", proposed by {r.proposer}" if r.proposer else ""
        return f"liftcomp-raise: @{r.name}: lifted ({r.proof}{by}): {r.program}"
    if r.status == "partial":  # some loop nests lifted, the others kept (raising.summarise_nests)
        return f"liftcomp-raise: @{r.name}: partially lifted ({r.proof}): {r.reason}"
    return f"liftcomp-raise: @{r.name}: left unchanged: {r.reason}"
