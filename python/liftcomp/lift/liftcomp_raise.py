"""The `liftcomp-raise` pass: replace verified loop nests with tensor ops (linalg/tensor)."""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from xdsl.context import Context
from xdsl.dialects import affine, func, scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation, SSAValue

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.frontends.names import arg_names_in_file
from liftcomp.lift import floats
from liftcomp.lift.budget import WallDeadline, wall_deadline
from liftcomp.lift.nests import inline, inline_body, top_level_nests
from liftcomp.lift.raising import (
    FunctionReport,
    KeptLoop,
    Lifted,
    NestLift,
    RaiseOptions,
    raise_function,
    summarise_nests,
)
from liftcomp.llm.config import CACHE_MODES
from liftcomp.pass_support import (
    LiftcompPass,
    dashed,
    emit_remark,
    option,
    parse_location,
    replace_module_body,
)
from liftcomp.progress import step as progress_step


def raise_module(module: ModuleOp, options: RaiseOptions | None = None, arg_names: dict[str, list[str]] | None = None) -> tuple[ModuleOp, list[FunctionReport]]:
    """Lift every function of `module` in place; returns the module and one report per function.

    A function is lifted as a whole, else nest by nest (raising.raise_function). Functions are
    rewritten only after all of them were analysed and verified, so a failure (an exception)
    leaves the module untouched.
    """
    opts = options or RaiseOptions()
    reports: list[FunctionReport] = []
    accepted: list[tuple[FunctionReport, func.FuncOp, Lifted | list[NestLift | KeptLoop]]] = []
    for op in list(module.ops):
        if not isinstance(op, func.FuncOp):
            continue
        # --kernel-timeout bounds the function, whichever ways (whole, nest by nest) it is tried.
        with wall_deadline(WallDeadline(time.monotonic() + opts.kernel_timeout_s)):
            report, lifted = raise_function(module, op, opts, (arg_names or {}).get(op.sym_name.data))
        reports.append(report)
        progress_step(f"@{report.name}")
        if lifted is not None:
            accepted.append((report, op, lifted))
    emitted: list[tuple[FunctionReport, Lifted, func.FuncOp]] = []
    for report, fn, lifted in accepted:
        if isinstance(lifted, list):
            _replace_nests(module, report, fn, lifted, opts.float_model)
            continue
        # Emit into a copy so that a lowering failure leaves the original function intact.
        copy = lifted.fn.clone()
        try:
            _emit(copy, lifted, opts.float_model)
        except Exception as e:  # a lowering gap must not lose the user's function
            report.status, report.proof, report.reason = "unchanged", None, f"lowering to linalg failed: {_message(e)}"
            continue
        emitted.append((report, lifted, copy))
    rejected = _upstream_rejects([copy for _, _, copy in emitted])
    for report, lifted, copy in emitted:
        if id(copy) in rejected:
            report.status, report.proof, report.reason = "unchanged", None, f"lowering to linalg failed: {rejected[id(copy)]}"
            continue
        module.body.block.insert_op_before(copy, lifted.fn)
        module.body.block.detach_op(lifted.fn)
    return module, reports


def _upstream_rejects(fns: list[func.FuncOp]) -> dict[int, str]:
    """Which emitted functions mlir-opt-22 rejects (by id), with why: one mlir-opt run for all of
    them (a module of many small functions costs one process), then one per function only when
    that run fails."""
    if not fns:
        return {}
    try:
        if len(fns) > 1:
            _check_upstream(*fns)
            return {}
    except LiftcompError:
        pass
    rejected: dict[int, str] = {}
    for fn in fns:
        try:
            _check_upstream(fn)
        except Exception as e:
            rejected[id(fn)] = _message(e)
    return rejected


def _message(e: Exception) -> str:
    return e.message if isinstance(e, LiftcompError) else f"{type(e).__name__}: {e}"


def _replace_nests(module: ModuleOp, report: FunctionReport, fn: func.FuncOp, lifts: list[NestLift | KeptLoop],
                   float_model: str) -> None:
    """Replace each accepted nest of `fn` by its raised form, in place; everything else stays.

    Each nest is emitted as its outlined function (checked by mlir-opt-22 alone), then inlined
    into a copy of `fn`, which replaces `fn` once mlir-opt-22 accepts it in the module."""
    copy = _raised_copy(report, fn, lifts, float_model)
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


def _raised_copy(report: FunctionReport, fn: func.FuncOp, lifts: list[NestLift | KeptLoop], float_model: str) -> func.FuncOp:
    """A copy of `fn` with each accepted nest replaced (a kept loop gets its raised body); a nest
    whose lowering fails stays as it was, and its report entry says why."""
    mapper: dict[SSAValue, SSAValue] = {}
    copy = fn.clone(value_mapper=mapper)
    nests = top_level_nests(copy)
    by_nest = {n.nest: n for n in report.nests}
    # Last nest first: a later nest may use an earlier one's results, which are rewired when the
    # earlier nest is replaced (its uses then include the inlined code of the later one).
    for nl in sorted(lifts, key=lambda x: -x.outlined.index):
        entry = by_nest[nl.outlined.index]
        actuals = [mapper.get(v, v) for v in nl.outlined.actuals]
        if isinstance(nl, KeptLoop):
            body = _raised_body(nl, float_model)
            if isinstance(body, str):
                entry.status, entry.proof, entry.program, entry.reason = "unchanged", None, None, body
                continue
            inline_body(nests[nl.outlined.index - 1], body, actuals)
            continue
        emitted = nl.lifted.fn.clone()
        try:
            _emit(emitted, nl.lifted, float_model)
            _check_upstream(emitted)
        except Exception as e:  # a lowering gap leaves that nest as it was
            entry.status, entry.proof, entry.program = "unchanged", None, None
            entry.reason = f"lowering to linalg failed: {_message(e)}"
            continue
        inline(nests[nl.outlined.index - 1], emitted, actuals, nl.outlined.results)
    summarise_nests(report)
    return copy


def _raised_body(kept: KeptLoop, float_model: str) -> func.FuncOp | str:
    """The outlined body of a kept loop with its nests raised, or why it could not be emitted."""
    lifted = kept.lifted
    if isinstance(lifted, list):
        body = _raised_copy(kept.report, kept.outlined.fn, lifted, float_model)
        if kept.report.status != "lifted":
            return f"its body could not be emitted: {kept.report.reason}"
        return body
    emitted = lifted.fn.clone()
    try:
        _emit(emitted, lifted, float_model)
        _check_upstream(emitted)
    except Exception as e:
        return f"lowering to linalg failed: {_message(e)}"
    return emitted


def _emit(fn: func.FuncOp, lifted: Lifted, float_model: str) -> None:
    """Emit the lifted program into fn, its float reductions marked with the order their proof
    allows (ir/float_order.py: what the targets may do with them)."""
    from liftcomp.ir import float_order
    from liftcomp.lift.to_linalg import emit_program

    emit_program(fn, lifted.program, lifted.decls)
    float_order.stamp(fn, order_flags(lifted, float_model))


def order_flags(lifted: Lifted, float_model: str) -> frozenset[str]:
    """reassoc / contract as the proof of `lifted` had them (and the model's nnan / ninf / nsz): the user's model (with `fast` where
    every float op of the source carries it), else what the source's own ops allow: `reassoc`
    where every float accumulation (a fold of addf / mulf) and every chain of them (an add of an
    add) carries it, `contract` where those and every multiply inside an accumulation do."""
    from liftcomp.ir.float_order import ORDER_FLAGS, VALUE_FLAGS
    from liftcomp.lift import terms as T

    model = floats.parse(floats.join(float_model, floats.source_flags(lifted.fn)))
    s = lifted.summary
    nodes = [x for t in [r.value for r in s.records] + list(s.results) for x in T.walk(t)]
    folds = [x for x in nodes if isinstance(x, T.Fold) and x.op in ("addf", "mulf") and x.type.kind == "f"]
    chains = [x for x in nodes if isinstance(x, T.Op) and x.op in ("addf", "mulf")
              and any(isinstance(a, T.Op) and a.op == x.op for a in x.args)]
    products = [x for f in folds for x in T.walk(f.body) if isinstance(x, T.Op) and x.op == "mulf"]
    sums = [x.flags for x in folds + chains]
    own: frozenset[str] = frozenset()
    if sums and all("reassoc" in f for f in sums):
        own |= {"reassoc"}
    if folds and all("contract" in x.flags for x in folds + chains + products):
        own |= {"contract"}
    # nnan / ninf / nsz only from the whole-function model: a flag on some of the source's ops
    # says nothing of the values the raised ops see.
    return ((model | own) & ORDER_FLAGS) | (model & VALUE_FLAGS)


def _check_module_with(module: ModuleOp, fn: func.FuncOp, new: func.FuncOp) -> None:
    """mlir-opt-22 must accept the module with `new` in place of `fn` (it may call others)."""
    from liftcomp.interop.mlir_tool import print_generic, run_mlir_opt_text

    ops = [new.clone() if op is fn else op.clone() for op in module.ops]
    run_mlir_opt_text(print_generic(ModuleOp(ops)), ["--mlir-print-op-generic"])


def _check_upstream(*fns: func.FuncOp) -> None:
    """mlir-opt-22 must accept the emitted functions (lifted functions call nothing, so they verify alone)."""
    from liftcomp.interop.mlir_tool import print_generic, run_mlir_opt_text

    run_mlir_opt_text(print_generic(ModuleOp([fn.clone() for fn in fns])), ["--mlir-print-op-generic"])


@dataclass(frozen=True)
class LiftcompRaisePass(LiftcompPass):
    """Raise loop nests (scf/affine + memref + arith/math) to linalg/tensor ops, each proven equal
    to its nest (z3) and differentially tested; nests that cannot be lifted stay untouched.

    Options mirror `liftcomp lift` (docs/LLM.md for the llm-* ones). `strict=true` makes a loop
    nest that stays an error at its location (the module is then left as it was); `remarks=true`
    emits one remark per function, at the refused loop for a function left unchanged.
    """

    name = "liftcomp-raise"

    # Every option is also a flag of `liftcomp lift` (pass_support.add_pass_arguments), with the
    # same checks. The llm-* ones override the environment and the config file (docs/LLM.md).
    proposer: str = option("symbolic", "who proposes tensor programs (llm needs an endpoint)", choices=("symbolic", "llm"))
    require: str = option("bounded", "minimum verification level to accept a program", choices=("bounded", "proved"))
    float_model: str = option(
        "ieee", "float semantics of proofs and checks, like a C compiler's -ffast-math (docs/LIFTING.md): 'ieee' (IEEE-754 as "
        "arith defines it: NaN, infinities, signed zeros, rounding, loop order); fast-math flags joined by ',' or '+' (quoted "
        "in a pass pipeline: float-model=\"nnan+nsz\"), each a "
        "relaxation: 'nnan' (no NaN), 'ninf' (no infinities), 'nsz' (sign of zero insignificant); or 'fast' (all of them with "
        "reassoc and contract: real-number arithmetic, algebra and reordered sums; 'real' is the same). The source's own "
        "fastmath<...> flags add to it. E.g. np.maximum(x, 0) for 'x > 0 ? x : 0' is accepted under 'nnan', not by default (x = NaN)")
    bound: int = option(4, "size bound per dimension of the bounded check", at_least=1)
    query_timeout_ms: int = option(60000, "wall-clock safety limit per z3 query, milliseconds; counted solver budgets (rlimit) decide, "
                                   "so results do not depend on machine load; a query that reaches this limit is reported as a timeout", at_least=1)
    kernel_timeout_s: float = option(120.0, "wall-clock safety limit per function in seconds (analysis, proposals, checks); "
                                     "reaching it is reported as a timeout", above=0)
    report: str = option("", "write a JSON report (one entry per function) to this file", cli=False)
    remarks: bool = option(False, "one remark per function with its outcome, at its location", cli=False)
    strict: bool = option(False, "a loop nest that stays is an error at its location (nothing is written)")
    strategy: str = option("symbolic-first", "order of proposers when proposer=llm",
                           choices=("symbolic-first", "llm-first", "llm-only"))
    llm_samples: int = option(4, "programs asked for per LLM request", at_least=1)
    llm_temperature: float = option(0.7, "sampling temperature of LLM requests", at_least=0, at_most=2)
    llm_model: str = option("", "model name(s), comma-separated; several share the requests round-robin")
    llm_config: str = option("", "TOML config file ([llm] table)")
    llm_cache: str = option("", "response cache: use (default), record, replay (never contacts the network), off",
                            choices=("", *CACHE_MODES))
    llm_cache_dir: str = option("", "cache directory")
    llm_timeout: float | None = option(None, "wall-clock seconds per LLM request (also a server that trickles)", above=0)
    llm_max_calls: int | None = option(None, "budget: HTTP requests", at_least=0)
    llm_max_tokens: int | None = option(None, "budget: tokens", at_least=0)
    llm_max_seconds: float | None = option(None, "budget: seconds spent waiting on LLMs", at_least=0)

    def __post_init__(self) -> None:
        super().__post_init__()
        try:
            if not self.float_model.strip() or ":" in self.float_model:  # "small:" is the prover's own hint
                raise floats.FloatModelError(self.float_model)
            floats.parse(self.float_model)
        except floats.FloatModelError:
            complaint = f"must be ieee, fast, or fast-math flags joined by '+' ({'+'.join(floats.FLAGS)}), got '{self.float_model}'"
            raise self.option_error(f"option 'float-model' {complaint}", "float_model", complaint) from None
        if self.llm_config and not Path(self.llm_config).expanduser().is_file():
            raise self.option_error(f"option 'llm-config': no such file: {self.llm_config}", "llm_config", f"no such file: {self.llm_config}")
        if self.report and not Path(self.report).expanduser().resolve().parent.is_dir():
            raise self.option_error(f"option 'report': no such directory for {self.report}")

    def raise_options(self) -> RaiseOptions:
        return RaiseOptions(
            proposer=self.proposer, strategy=self.strategy, require=self.require, float_model=self.float_model, bound=self.bound,
            query_timeout_ms=self.query_timeout_ms, kernel_timeout_s=self.kernel_timeout_s,
            llm=self.llm_proposer() if self.proposer == "llm" else None,
        )

    def options_json(self) -> dict[str, Any]:
        """The options as a report records them (dashed names, every value)."""
        return {dashed(f.name): getattr(self, f.name) for f in fields(self) if f.init and f.name not in ("name", "report", "remarks")}

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
        # Raise a copy: with strict=true a refusal must leave the module exactly as it was.
        work = op.clone()
        reports = self.raise_module(op, work, _mlir_arg_names(work))
        if self.report:
            from liftcomp.output import write_outputs

            write_outputs({self.report: report_text(reports, self)}, "report")
        replace_module_body(op, work)

    def raise_module(self, original: ModuleOp, work: ModuleOp, arg_names: dict[str, list[str]]) -> list[FunctionReport]:
        """Raise `work` (a copy of `original`) in place; remarks and strict=true as the options say.
        A loop nest left with strict=true raises LiftcompError at its location."""
        functions = {f.sym_name.data: f for f in original.ops if isinstance(f, func.FuncOp)}
        _, reports = raise_module(work, self.raise_options(), arg_names)
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
        return reports


REPORT_SCHEMA = 2  # 2: {schema, tool, options, input, functions}; 1 was the bare list of functions


def report_text(reports: list[FunctionReport], options: LiftcompRaisePass, input_name: str | None = None) -> str:
    """The JSON report of a run: schema and tool versions, the options, one entry per function.
    Paths (the input, locations) are relative to the working directory when they are under it."""
    from liftcomp import __version__

    data = {
        "schema": REPORT_SCHEMA,
        "tool": f"liftcomp {__version__}",
        "options": options.options_json(),
        "input": _relative(input_name) if input_name else None,
        "functions": [_relative_locations(r.to_json()) for r in reports],
    }
    return json.dumps(data, indent=1) + "\n"


def _relative(path: str) -> str:
    try:
        p = Path(path)
        return str(p.resolve().relative_to(Path.cwd().resolve())) if p.is_absolute() else path
    except ValueError:
        return path


def _relative_locations(entry: dict[str, Any]) -> dict[str, Any]:
    for key in ("location", "reason_location"):
        if isinstance(entry.get(key), str):
            entry[key] = _relative_location(entry[key])
    entry["nests"] = [_relative_locations(n) for n in entry.get("nests", [])]
    return entry


def _relative_location(location: str) -> str:
    flc = parse_location(location)
    if flc is None:
        return location
    return _relative(flc[0]) + location[len(flc[0]):]


def _mlir_arg_names(module: ModuleOp) -> dict[str, list[str]]:
    """Argument names for reports and prompts when the module came from mlir-opt (the plugin,
    or its generic form), which drops them: the names in the source file the function's
    location points to, else %arg0, %arg1, ... per function, as mlir-opt prints each function
    (it numbers block arguments across the module). Names the user wrote (text parsed by xDSL
    directly) are kept."""
    out: dict[str, list[str]] = {}
    for f in module.ops:
        if not isinstance(f, func.FuncOp) or not f.body.blocks:
            continue
        hints = [a.name_hint for a in f.body.blocks[0].args]
        if not all(h is None or re.fullmatch(r"arg\d+", h) for h in hints):
            continue
        filename = getattr(f.location, "filename", None)
        source = arg_names_in_file(filename.data, f.sym_name.data) if filename is not None else None
        out[f.sym_name.data] = source if source is not None and len(source) == len(hints) else [f"arg{i}" for i in range(len(hints))]
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
