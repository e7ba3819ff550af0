"""Raising driver: analyse -> propose -> verify, per function (or per maximal loop nest when the
whole function cannot be lifted), with a report entry each."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import z3
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Operation

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.frontends.mlir import arg_names_from_source  # noqa: F401 (re-exported for callers)
from liftcomp.lift import floats
from liftcomp.lift import tensorspec as TS
from liftcomp.lift import terms as T
from liftcomp.lift.analysis import Refusal, Summary, analyse
from liftcomp.lift.confirm import confirm, from_model
from liftcomp.lift.nests import Outlined, outline, splits_into_nests, top_level_nests
from liftcomp.lift.proposer import Feedback, Problem, Proposer, SymbolicProposer
from liftcomp.lift.verify import (
    LEVELS,
    Counterexample,
    Refutation,
    Verdict,
    bounded,
    decls_of,
    prove,
)
from liftcomp.llm.errors import CacheMiss


@dataclass
class RaiseOptions:
    proposer: str = "symbolic"  # symbolic | llm
    strategy: str = "symbolic-first"  # symbolic-first | llm-first | llm-only
    require: str = "bounded"  # bounded | proved: minimum accepted level (`tested` always runs too)
    # ieee (default) | fast | a comma-separated list of fast-math flags (lift/floats.py); the
    # source's own fastmath flags add to it
    float_model: str = "ieee"
    bound: int = 4
    query_timeout_ms: int = 5000
    kernel_timeout_s: float = 30.0
    trials: int = 4
    max_rounds: int = 3
    llm: Any = None  # an LLM proposer (liftcomp.lift.llm_proposer) when configured

    def __post_init__(self) -> None:
        if self.require not in LEVELS:
            raise LiftcompError(f"--require must be one of {', '.join(LEVELS)}, not '{self.require}'")
        try:
            floats.parse(self.float_model)
        except floats.FloatModelError as e:
            raise LiftcompError(f"--float-model: {e}") from None
        if self.strategy not in ("symbolic-first", "llm-first", "llm-only"):
            raise LiftcompError(f"unknown strategy '{self.strategy}'")


@dataclass
class NestReport:
    """The outcome for one maximal loop nest of a function lifted nest by nest."""

    nest: int  # 1-based position among the function's top-level loop nests
    location: str  # where the nest is
    status: str  # lifted | unchanged
    proof: str | None
    program: str | None
    proposer: str | None
    seconds: float
    llm_calls: int
    reason: str | None
    reason_location: str | None = None  # the op a refusal names
    floats: str | None = None  # the float semantics the proof assumed (floats.describe)

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["seconds"] = round(self.seconds, 3)
        return d


@dataclass
class FunctionReport:
    name: str
    # lifted: every loop nest replaced (the whole function, or each nest) | partial: some nests
    # replaced, others refused | unchanged
    status: str
    proof: str | None  # the weakest level among the replaced parts
    program: str | None
    proposer: str | None
    seconds: float
    llm_calls: int
    reason: str | None
    location: str | None = None
    candidates: list[dict[str, Any]] = field(default_factory=list)
    # function: one program for the whole body (or a refusal of it) | nests: lifted nest by nest,
    # with one entry per maximal loop nest in `nests`
    scope: str = "function"
    nests: list[NestReport] = field(default_factory=list)
    # The float semantics the accepted program was checked under (floats.describe: ieee, the
    # fast-math flags used, or fast); None where nothing was lifted or no float is involved.
    floats: str | None = None

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("candidates")
        d["seconds"] = round(self.seconds, 3)
        d["nests"] = [n.to_json() for n in self.nests]
        return d


@dataclass
class Lifted:
    fn: func.FuncOp
    summary: Summary
    program: TS.Program
    decls: list[TS.ArgDecl]


def float_model_of(fn: func.FuncOp, opts: RaiseOptions) -> str:
    """The float model of a function's checks: the user's, plus the fast-math flags that every
    float op of the function carries (a flag on only some ops is not used: the proof then
    assumes less than the source allows, never more)."""
    return floats.join(opts.float_model, floats.source_flags(fn))


def check_candidate(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, opts: RaiseOptions, deadline: float) -> tuple[Verdict, TS.Program | None]:
    decls = decls_of(summary)
    fm = float_model_of(fn, opts)
    try:
        prog = TS.parse_program(text, decls)
    except TS.SpecError as e:
        return Verdict(None, f"not valid TensorSpec: {e.message}"), None
    # Cheapest decisive check first: a failing differential test gives a concrete counterexample.
    t = _differential(module, fn, summary, text, opts, fm)
    if t.level is None:
        return t, prog
    p = prove(summary, prog, fm, opts.query_timeout_ms)
    if p.level == "proved":
        return p, prog
    # A refutation is decided before any weaker check can accept the program.
    note = ""
    ref = p.refutation
    if ref is not None:
        found = confirm(module, fn, summary, prog, ref, fm)
        if isinstance(found, Counterexample):
            return Verdict(None, f"the prover refutes it ({p.reason}), confirmed on concrete inputs", found), prog
        if not ref.inexact:
            # Exact encoding: the model is a counterexample in the documented semantics.
            symbolic = Counterexample(_model_inputs(ref), "symbolic values", "z3 model", str(ref.model)[:300])
            return Verdict(None, f"the prover refutes it with an exact encoding ({p.reason}); no concrete counterexample: {found}", symbolic), prog
        note = f"; the prover's refutation is not trusted ({', '.join(ref.inexact)}) and not confirmed: {found}"
    if time.monotonic() > deadline:
        return Verdict("tested", f"not proved ({p.reason}{note}); no time left for the bounded check"), prog
    b = bounded(summary, prog, opts.bound, fm, deadline_s=max(1.0, deadline - time.monotonic()))
    if b.level == "bounded":
        return Verdict("bounded", f"not proved: {p.reason}{note}"), prog
    cx = b.counterexample
    model = b.details.get("model")
    if cx is not None and model is not None:
        found = from_model(module, fn, summary, prog, model, b.details["sizes"], fm)
        if isinstance(found, Counterexample):
            return Verdict(None, f"not proved ({p.reason}); bounded: {b.reason}, confirmed on concrete inputs", found), prog
        if b.details.get("exact"):
            # No uninterpreted function: the model is a difference in the documented semantics
            # (e.g. maxnumf(-0.0, +0.0), which IEEE leaves to the implementation).
            return Verdict(None, f"not proved ({p.reason}); bounded: {b.reason} with an exact encoding (no concrete run shows it: {found})", cx), prog
        return Verdict("tested", f"not proved ({p.reason}{note}); bounded: {b.reason} (symbolic only: {found})", cx), prog
    if cx is not None and cx.sizes:
        # A concrete finding of the bounded check (the program is undefined where the original
        # is defined: an empty np.max / np.argmax range).
        return Verdict(None, f"not proved ({p.reason}{note}); bounded: {b.reason}", cx), prog
    return Verdict("tested", f"not proved ({p.reason}{note}); bounded: {b.reason}", cx), prog


def _has_floats(summary: Summary) -> bool:
    terms = [r.value for r in summary.records] + list(summary.results)
    return any(a.etype is not None and a.etype.kind == "f" for a in summary.args) or any(
        x.type.kind == "f" for t in terms for x in T.walk(t))


def _model_inputs(ref: Refutation) -> dict[str, Any]:
    """The sizes and index values of a refutation's model (its element values stay in the model)."""
    out: dict[str, Any] = {}
    for d in ref.model.decls():
        v: Any = ref.model[d]
        if d.arity() == 0 and z3.is_int_value(v):
            out[str(d.name())] = v.as_long()
    return out


def _differential(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, opts: RaiseOptions, float_model: str) -> Verdict:
    """The differential test, on small instances when the nest has large static sizes."""
    from liftcomp.lift.shrink import differential

    return differential(module, fn, summary, text, opts.trials, float_model)


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
    if _has_floats(summary):
        report.floats = floats.describe(float_model_of(fn, opts))
    return report, Lifted(fn, summary, prog, decls_of(summary))


# ---------------------------------------------------------------- nest by nest


@dataclass
class NestLift:
    """An accepted nest: its outlined function and the lifted program for it."""

    outlined: Outlined
    lifted: Lifted


def raise_function(module: ModuleOp, fn: func.FuncOp, opts: RaiseOptions, arg_names: list[str] | None = None) -> tuple[FunctionReport, Lifted | list[NestLift] | None]:
    """Lift a function as a whole, else each of its maximal loop nests on its own.

    The whole function comes first: one program then covers init loops and the accumulation
    that follows them (as in every kernel lifted so far). When that fails and the body splits
    into several nests (or one nest next to straight-line code with effects), every nest is
    outlined (lift/nests.py) and lifted alone; refused nests stay as they are.
    """
    report, lifted = lift_function(module, fn, opts, arg_names)
    if lifted is not None or fn.is_declaration or not splits_into_nests(fn):
        return report, lifted
    nest_reports: list[NestReport] = []
    lifts: list[NestLift] = []
    for k, nest in enumerate(top_level_nests(fn), 1):
        nr, nl = lift_nest(fn, nest, k, opts, arg_names)
        nest_reports.append(nr)
        if nl is not None:
            lifts.append(nl)
    report.scope = "nests"
    report.nests = nest_reports
    report.seconds += sum(n.seconds for n in nest_reports)
    report.llm_calls += sum(n.llm_calls for n in nest_reports)
    summarise_nests(report)
    return report, (lifts or None)


def lift_nest(fn: func.FuncOp, nest: Operation, index: int, opts: RaiseOptions, arg_names: list[str] | None = None) -> tuple[NestReport, NestLift | None]:
    start = time.monotonic()
    location = op_location(nest)
    try:
        out = outline(fn, nest, index, arg_names)
    except Refusal as e:
        return NestReport(index, location, "unchanged", None, None, None, time.monotonic() - start, 0, e.reason, e.location), None
    rep, lifted = lift_function(out.module, out.fn, opts, out.arg_names)
    nr = NestReport(index, location, rep.status, rep.proof, rep.program, rep.proposer, time.monotonic() - start, rep.llm_calls, rep.reason, rep.location,
                    rep.floats)
    if lifted is None:
        return nr, None
    # The analysis assumes size symbols are >= 0 and known before the loops run; a value loaded
    # or computed by an earlier loop is neither (the whole-function analysis refuses it too).
    sizes = [a.name for i, a in enumerate(lifted.summary.args) if i in out.derived and a.kind == "size"]
    if sizes:
        nr.status, nr.proof, nr.program = "unchanged", None, None
        nr.reason = f"data-dependent index or bound: '{sizes[0]}' is computed before the nest (loaded, or by an earlier loop)"
        return nr, None
    return nr, NestLift(out, lifted)


def summarise_nests(report: FunctionReport) -> None:
    """The function-level fields of a report lifted nest by nest, from its nests."""
    done = [n for n in report.nests if n.status == "lifted"]
    refused = [n for n in report.nests if n.status != "lifted"]
    if not done:
        report.status, report.proof, report.program = "unchanged", None, None
        report.reason = f"no loop nest lifted: {_nest_reason(refused[0])}" if refused else "no loop nest"
        report.location = (refused[0].reason_location or refused[0].location) if refused else None
        return
    report.status = "partial" if refused else "lifted"
    report.proof = min((n.proof for n in done if n.proof), key=LEVELS.index, default=None)
    report.program = "\n".join(f"# nest {n.nest} at {n.location}\n{n.program}" for n in done)
    report.proposer = ",".join(dict.fromkeys(n.proposer for n in done if n.proposer)) or None
    report.floats = "; ".join(dict.fromkeys(n.floats for n in done if n.floats)) or None
    if refused:
        report.reason = f"{len(refused)} of {len(report.nests)} loop nests not lifted: {_nest_reason(refused[0])}"
        report.location = refused[0].reason_location or refused[0].location
    else:
        report.reason, report.location = None, None


def _nest_reason(n: NestReport) -> str:
    return f"nest {n.nest} at {n.location}: {n.reason}"
