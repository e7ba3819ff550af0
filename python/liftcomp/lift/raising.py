"""Raising driver: analyse -> propose -> verify, per function, with a report entry each."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.frontends.mlir import arg_names_from_source  # noqa: F401 (re-exported for callers)
from liftcomp.lift import tensorspec as TS
from liftcomp.lift.analysis import Refusal, Summary, analyse
from liftcomp.lift.proposer import Feedback, Problem, Proposer, SymbolicProposer
from liftcomp.lift.verify import LEVELS, Verdict, bounded, decls_of, prove, tested
from liftcomp.llm.errors import CacheMiss


@dataclass
class RaiseOptions:
    proposer: str = "symbolic"  # symbolic | llm
    strategy: str = "symbolic-first"  # symbolic-first | llm-first | llm-only
    require: str = "bounded"  # bounded | proved: minimum accepted level (`tested` always runs too)
    float_model: str = "real"  # real | ieee
    bound: int = 4
    query_timeout_ms: int = 5000
    kernel_timeout_s: float = 30.0
    trials: int = 4
    max_rounds: int = 3
    llm: Any = None  # an LLM proposer (liftcomp.lift.llm_proposer) when configured

    def __post_init__(self) -> None:
        if self.require not in LEVELS:
            raise LiftcompError(f"--require must be one of {', '.join(LEVELS)}, not '{self.require}'")
        if self.float_model not in ("real", "ieee"):
            raise LiftcompError(f"float model must be 'real' or 'ieee', not '{self.float_model}'")
        if self.strategy not in ("symbolic-first", "llm-first", "llm-only"):
            raise LiftcompError(f"unknown strategy '{self.strategy}'")


@dataclass
class FunctionReport:
    name: str
    status: str  # lifted | unchanged
    proof: str | None
    program: str | None
    proposer: str | None
    seconds: float
    llm_calls: int
    reason: str | None
    location: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("candidates")
        d["seconds"] = round(self.seconds, 3)
        return d


@dataclass
class Lifted:
    fn: func.FuncOp
    summary: Summary
    program: TS.Program
    decls: list[TS.ArgDecl]


def check_candidate(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, opts: RaiseOptions, deadline: float) -> tuple[Verdict, TS.Program | None]:
    decls = decls_of(summary)
    try:
        prog = TS.parse_program(text, decls)
    except TS.SpecError as e:
        return Verdict(None, f"not valid TensorSpec: {e.message}"), None
    # Cheapest decisive check first: a failing differential test gives a concrete counterexample.
    t = _differential(module, fn, summary, text, opts)
    if t.level is None:
        return t, prog
    p = prove(summary, prog, opts.float_model, opts.query_timeout_ms)
    if p.level == "proved":
        return p, prog
    if time.monotonic() > deadline:
        return Verdict("tested", f"not proved ({p.reason}); no time left for the bounded check"), prog
    b = bounded(summary, prog, opts.bound, opts.float_model, deadline_s=max(1.0, deadline - time.monotonic()))
    if b.level == "bounded":
        return Verdict("bounded", f"not proved: {p.reason}"), prog
    return Verdict("tested", f"not proved ({p.reason}); bounded: {b.reason}", b.counterexample), prog


def _differential(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, opts: RaiseOptions) -> Verdict:
    """The differential test, on a small stand-in when the nest has large static sizes."""
    from liftcomp.lift.shrink import needs_shrinking, shrink, shrink_program

    if not needs_shrinking(fn):
        prog = TS.parse_program(text, decls_of(summary))
        return tested(module, fn, summary, prog, trials=opts.trials)
    small_mod, small_fn, mapping = shrink(module, fn)
    try:
        small_summary = analyse(small_fn, [a.name for a in summary.args])
        small_prog = TS.parse_program(shrink_program(text, mapping), decls_of(small_summary))
    except (Refusal, TS.SpecError) as e:
        return Verdict(None, f"could not build a small stand-in for the differential test: {e}")
    v = tested(small_mod, small_fn, small_summary, small_prog, trials=opts.trials)
    v.details["shrunk"] = {str(k): s for k, s in mapping.items()}
    return v


def lift_function(module: ModuleOp, fn: func.FuncOp, opts: RaiseOptions, arg_names: list[str] | None = None) -> tuple[FunctionReport, Lifted | None]:
    start = time.monotonic()
    deadline = start + opts.kernel_timeout_s
    name = fn.sym_name.data

    def unchanged(reason: str, location: str | None = None, proposer: str | None = None, calls: int = 0) -> tuple[FunctionReport, None]:
        return FunctionReport(name, "unchanged", None, None, proposer, time.monotonic() - start, calls, reason, location), None

    if fn.is_declaration:
        return unchanged("declaration without a body")
    try:
        summary = analyse(fn, arg_names)
    except Refusal as e:
        return unchanged(e.reason, e.location)
    if not summary.records and not summary.results:
        return unchanged("the function has no effect to lift")
    problem = Problem(name, summary, fn, decls_of(summary))
    proposers: list[Proposer] = []
    symbolic = SymbolicProposer()
    if opts.llm is not None and opts.strategy == "llm-first":
        proposers = [opts.llm, symbolic]
    elif opts.llm is not None and opts.strategy == "llm-only":
        proposers = [opts.llm]
    elif opts.llm is not None:
        proposers = [symbolic, opts.llm]
    else:
        proposers = [symbolic]
    feedback = Feedback()
    reasons: list[str] = []
    best: tuple[Verdict, TS.Program, str, str] | None = None
    # An LLM proposer lives for the whole module: count this function's requests only.
    calls_before = sum(getattr(p, "calls", 0) for p in proposers)
    for prop in proposers:
        for _round in range(opts.max_rounds):
            if time.monotonic() > deadline:
                break
            asked = time.monotonic()
            try:
                cands = prop.propose(problem, feedback)
            except CacheMiss:
                raise  # a replayed build must fail, not quietly differ from the recorded one
            except LiftcompError as e:
                reasons.append(f"{prop.name}: {e.message}")
                break
            finally:
                # The kernel timeout is for analysis and verification; a model's time is bounded
                # by the LLM budget (max_seconds), so a slow answer does not starve its checks.
                deadline += time.monotonic() - asked
            if not cands:
                why = getattr(prop, "why_not", None)
                if not feedback.failures:
                    reasons.append(f"{prop.name}: {why(problem) if why else 'no candidates'}")
                break
            for text in cands:
                verdict, prog = check_candidate(module, fn, summary, text, opts, deadline)
                if verdict.level is not None and prog is not None and LEVELS.index(verdict.level) >= LEVELS.index(opts.require):
                    if best is None or LEVELS.index(verdict.level) > LEVELS.index(best[0].level or "tested"):
                        best = (verdict, prog, text, prop.name)
                    if verdict.level == "proved":
                        break
                else:
                    why = verdict.reason
                    if verdict.counterexample is not None:
                        why += f"; {verdict.counterexample.describe()}"
                    elif verdict.level is not None:
                        why = f"reached only '{verdict.level}' ({why}); --require {opts.require}"
                    feedback.failures.append((text, why))
                    if verdict.counterexample is not None:
                        feedback.counterexamples.append(verdict.counterexample)
                    reasons.append(f"{prop.name}: {why}")
            if best is not None:
                break
        if best is not None:
            break
    calls = sum(getattr(p, "calls", 0) for p in proposers) - calls_before
    if best is None:
        return unchanged(reasons[-1] if reasons else "no candidate", None, proposers[0].name if proposers else None, calls)
    verdict, prog, text, pname = best
    report = FunctionReport(name, "lifted", verdict.level, text, pname, time.monotonic() - start, calls, None)
    return report, Lifted(fn, summary, prog, decls_of(summary))
