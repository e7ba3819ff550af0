"""Raising driver: analyse -> propose -> verify, per function (or per maximal loop nest when the
whole function cannot be lifted), with a report entry each."""

from __future__ import annotations

import dataclasses
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import z3
from xdsl.dialects import func
from xdsl.dialects.builtin import AffineMapAttr, IndexType, IntegerAttr, MemRefType, ModuleOp
from xdsl.ir import BlockArgument, Operation, SSAValue
from xdsl.ir.affine import AffineConstantExpr

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.frontends.mlir import arg_names_from_source  # noqa: F401 (re-exported for callers)
from liftcomp.lift import budget, floats
from liftcomp.lift import tensorspec as TS
from liftcomp.lift import terms as T
from liftcomp.lift.analysis import Refusal, Summary, analyse, shown_names
from liftcomp.lift.budget import SafetyTimeout
from liftcomp.lift.confirm import confirm, from_model
from liftcomp.lift.nests import Outlined, outline, outline_body, splits_into_nests, top_level_nests
from liftcomp.lift.proposer import Feedback, Problem, Proposer, SymbolicProposer
from liftcomp.lift.terms import Poly
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
    query_timeout_ms: int = 60000  # per z3 query, a wall-clock safety net only (lift/budget.py)
    kernel_timeout_s: float = 120.0  # a wall-clock safety net only: counted budgets decide (lift/budget.py)
    trials: int = 5  # one input set per kind of the differential test (verify.tested)
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
    # user's fast-math flags, or fast; then the source ops' own flags, which the proof used per
    # op); None where nothing was lifted or no float is involved.
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
    """The float model of a function's proof: the user's (`fast` too where every float op of the
    function carries all five flags). Other flags of the source's ops apply to those ops only,
    from their terms (terms.Op.flags, docs/LIFTING.md "Float semantics")."""
    return floats.join(opts.float_model, floats.source_flags(fn))


def check_model_of(fn: func.FuncOp, summary: Summary, opts: RaiseOptions) -> str:
    """The float model of a function's concrete checks (differential test, confirmations): the
    proof's, plus every flag some op carries (floats.check_flags: a weaker check where ops are
    flagged; the proof and the bounded check stay per op)."""
    return floats.join(float_model_of(fn, opts), floats.check_flags(fn, _reorderable(summary)))


def _reorderable(summary: Summary) -> bool:
    """Whether the loop nest has a sum or product the proof may reorder (its ops' reassoc): a
    fold with a reassoc combiner or a reassoc op on another of the same op."""
    terms = [r.value for r in summary.records] + list(summary.results)
    for t in terms:
        for x in T.walk(t):
            if isinstance(x, T.Fold) and "reassoc" in x.flags:
                return True
            if isinstance(x, T.Op) and "reassoc" in x.flags and any(isinstance(a, T.Op) and a.op == x.op and "reassoc" in a.flags for a in x.args):
                return True
    return False


def check_candidate(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, opts: RaiseOptions, deadline: float) -> tuple[Verdict, TS.Program | None]:
    """The verdict on one candidate program: the same whatever was checked before it in the
    process (its z3 queries run in a context of their own)."""
    with budget.own_z3_context():
        return _check_candidate(module, fn, summary, text, opts, deadline)


def _check_candidate(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, opts: RaiseOptions, deadline: float) -> tuple[Verdict, TS.Program | None]:
    decls = decls_of(summary)
    fm = float_model_of(fn, opts)
    cm = check_model_of(fn, summary, opts)
    try:
        prog = TS.parse_program(text, decls)
    except TS.SpecError as e:
        return Verdict(None, f"not valid TensorSpec: {e.message}"), None
    # Cheapest decisive check first: a failing differential test gives a concrete counterexample.
    exact = floats.join(fm, floats.check_flags(fn, False))
    reordered: Verdict | None = None  # the bit-for-bit differential's failure, where a reorder may explain it
    try:
        t = _differential(module, fn, summary, text, opts, exact)
        if t.level is None and cm != exact:
            # Bit for bit it differs; a sum the loop's reassoc lets the program reorder would
            # agree within the `fast` tolerance, and only a proof may then accept it.
            reordered = t
            t = _differential(module, fn, summary, text, opts, cm)
    except MemoryError:
        # A proposal (an LLM's, typically) that allocates more than the machine has: rejected,
        # and the next proposer (the built-in one under llm-first) gets its turn.
        return Verdict(None, "evaluating the program ran out of memory (an intermediate array too large)"), None
    if t.level is None:
        return t, prog
    # Each z3 query's timeout ends no later than --kernel-timeout's end (budget.solver).
    p = prove(summary, prog, fm, opts.query_timeout_ms)
    if p.level == "proved":
        return p, prog
    if reordered is not None:
        return Verdict(None, f"{reordered.reason} (bit for bit; not proved a reordering the loop's reassoc allows: {p.reason})",
                       reordered.counterexample), prog
    # A refutation is decided before any weaker check can accept the program.
    note = ""
    ref = p.refutation
    if ref is not None:
        found = confirm(module, fn, summary, prog, dataclasses.replace(ref, encoding=ref.encoding or fm), cm)
        if isinstance(found, Counterexample):
            return Verdict(None, f"the prover refutes it ({p.reason}), confirmed on concrete inputs", found), prog
        if not ref.inexact:
            # Exact encoding: the model is a counterexample in the documented semantics.
            symbolic = Counterexample(_model_inputs(ref), "symbolic values", "z3 model", str(ref.model)[:300])
            return Verdict(None, f"the prover refutes it with an exact encoding ({p.reason}); no concrete counterexample: {found}", symbolic), prog
        note = f"; the prover's refutation is not trusted ({', '.join(ref.inexact)}) and not confirmed: {found}"
    _safety(deadline, opts)
    b = bounded(summary, prog, opts.bound, fm)
    if b.level == "bounded":
        return Verdict("bounded", f"not proved: {p.reason}{note}"), prog
    cx = b.counterexample
    model = b.details.get("model")
    if cx is not None and model is not None:
        found = from_model(module, fn, summary, prog, model, b.details["sizes"], cm, fm)
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


def _check_untrusted(module: ModuleOp, fn: func.FuncOp, summary: Summary, text: str, opts: RaiseOptions,
                     phase: budget.WallDeadline) -> tuple[Verdict, TS.Program | None]:
    """check_candidate for an LLM's reply: within a slice of the time left (a quarter of the LLM's
    share, which SafetyTimeout ends), and refused before numpy runs it where its arrays or work at
    the test sizes are too large (tensorspec.work_limit)."""
    now = time.monotonic()
    if phase.expired():
        return Verdict(None, "not checked: the LLM's share of --kernel-timeout was used up"), None
    slice_ = budget.WallDeadline(min(phase.at, now + 0.25 * (phase.at - now) + 0.5), phase)
    try:
        with budget.wall_deadline(slice_), TS.work_limit():
            return check_candidate(module, fn, summary, text, opts, slice_.at)
    except SafetyTimeout:
        if phase.parent is not None and phase.parent.expired():
            raise  # the function's own limit
        return Verdict(None, f"checking it took longer than its {slice_.at - now:.1f} s share of --kernel-timeout"), None


def _has_floats(summary: Summary) -> bool:
    terms = [r.value for r in summary.records] + list(summary.results)
    return any(a.etype is not None and a.etype.kind == "f" for a in summary.args) or any(
        x.type.kind == "f" for t in terms for x in T.walk(t))


def _safety(deadline: float, opts: RaiseOptions) -> None:
    """The wall-clock limit is a safety net only (counted budgets decide, lift/budget.py)."""
    if time.monotonic() > deadline:
        raise SafetyTimeout(f"the {opts.kernel_timeout_s:g} s safety limit per function (--kernel-timeout) was reached")


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


Facts = list[tuple[Poly, Poly]]  # (i, n): 0 <= i < n holds for every input considered (Summary.in_bounds)


def lift_function(module: ModuleOp, fn: func.FuncOp, opts: RaiseOptions, arg_names: list[str] | None = None,
                  facts: Facts | None = None) -> tuple[FunctionReport, Lifted | None]:
    """Lift `fn` as one program. `facts` are preconditions of the caller (the iteration range of a
    kept loop whose body `fn` is), assumed like the original's in-bounds loads."""
    start = time.monotonic()
    try:
        # Within the caller's limit for the whole function (nest by nest, kept loops) if any.
        outer = budget.current_wall_deadline()
        at = start + opts.kernel_timeout_s if outer is None else min(outer.at, start + opts.kernel_timeout_s)
        with budget.wall_deadline(budget.WallDeadline(at, outer)), budget.own_z3_context():
            report, lifted = _lift_function(module, fn, opts, arg_names, start, facts or [])
    except SafetyTimeout as e:
        # Reported as what it is: the outcome was not decided by the counted budgets.
        return FunctionReport(fn.sym_name.data, "unchanged", None, None, None, time.monotonic() - start, 0, f"timeout: {e.message}"), None
    except RecursionError:
        # Terms are trees walked recursively: a chain of thousands of dependent ops is too deep.
        reason = "expressions nested too deeply to analyse (a chain of about a thousand dependent ops or more)"
        return FunctionReport(fn.sym_name.data, "unchanged", None, None, None, time.monotonic() - start, 0, reason, op_location(fn)), None
    if report.reason and not fn.is_declaration:
        report.reason = shown_names(fn, arg_names, report.reason)  # 'in', not TensorSpec's 'in_'
    return report, lifted


def _lift_function(module: ModuleOp, fn: func.FuncOp, opts: RaiseOptions, arg_names: list[str] | None, start: float,
                   facts: Facts) -> tuple[FunctionReport, Lifted | None]:
    wall = budget.current_wall_deadline()
    assert wall is not None  # set by lift_function
    name = fn.sym_name.data

    def unchanged(reason: str, location: str | None = None, proposer: str | None = None, calls: int = 0) -> tuple[FunctionReport, None]:
        return FunctionReport(name, "unchanged", None, None, proposer, time.monotonic() - start, calls, reason, location), None

    if fn.is_declaration:
        return unchanged("declaration without a body")
    try:
        summary = analyse(fn, arg_names)
    except Refusal as e:
        return unchanged(e.reason, e.location)
    wall.check("the analysis")
    summary.in_bounds.extend(_facts_for(facts, [a.name for a in summary.args]))
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
        # An LLM's candidates get at most half of what is left when a proposer follows them, each
        # at most a quarter: a reply that is slow to check leaves time to the built-in proposer.
        untrusted = prop is opts.llm
        share = 0.5 if untrusted and prop is not proposers[-1] else 1.0
        phase = budget.WallDeadline(time.monotonic() + share * max(0.0, wall.at - time.monotonic()), wall)
        for _round in range(opts.max_rounds):
            _safety(wall.at, opts)
            if untrusted and phase.expired():
                reasons.append(f"{prop.name}: its share of --kernel-timeout for checking candidates was used up")
                break
            asked = time.monotonic()
            try:
                cands = prop.propose(problem, feedback)
            except (CacheMiss, SafetyTimeout):
                raise  # a replayed build must fail, not quietly differ from the recorded one
            except LiftcompError as e:
                reasons.append(f"{prop.name}: {e.message}")
                break
            finally:
                # The kernel timeout is for analysis and verification; a model's time is bounded
                # by the LLM budget (max_seconds), so a slow answer does not starve its checks.
                # The built-in proposer's time counts.
                if untrusted:
                    phase.extend(time.monotonic() - asked)
            if not cands:
                why = getattr(prop, "why_not", None)
                if not feedback.failures:
                    reasons.append(f"{prop.name}: {why(problem) if why else 'no candidates'}")
                break
            for text in cands:
                if untrusted:
                    verdict, prog = _check_untrusted(module, fn, summary, text, opts, phase)
                else:
                    verdict, prog = check_candidate(module, fn, summary, text, opts, wall.at)
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
        report.floats = floats.describe(float_model_of(fn, opts), floats.flagged_ops(fn))
    return report, Lifted(fn, summary, prog, decls_of(summary))


# ---------------------------------------------------------------- nest by nest


@dataclass
class NestLift:
    """An accepted nest: its outlined function and the lifted program for it."""

    outlined: Outlined
    lifted: Lifted


def raise_function(module: ModuleOp, fn: func.FuncOp, opts: RaiseOptions, arg_names: list[str] | None = None,
                   facts: Facts | None = None) -> tuple[FunctionReport, Lifted | list[NestLift | KeptLoop] | None]:
    """Lift a function as a whole, else each of its maximal loop nests on its own.

    The whole function comes first: one program then covers init loops and the accumulation
    that follows them (as in every kernel lifted so far). When that fails and the body splits
    into several nests (or one nest next to straight-line code with effects), every nest is
    outlined (lift/nests.py) and lifted alone; refused nests stay as they are.
    """
    report, lifted = lift_function(module, fn, opts, arg_names, facts)
    if lifted is not None or fn.is_declaration:
        return report, lifted
    wall = budget.current_wall_deadline()
    if (report.reason or "").startswith("timeout:") or (wall is not None and wall.expired()):
        return report, lifted  # --kernel-timeout bounds the retries nest by nest too
    nests = top_level_nests(fn)
    if not splits_into_nests(fn):
        # One nest refused as a whole: its outer loop may stay a loop around a raised body.
        if len(nests) != 1:
            return report, lifted
        kr, kept = lift_kept_loop(fn, nests[0], 1, opts, arg_names, facts)
        if kept is None:
            return report, lifted
        report.scope, report.nests = "nests", [kr]
        report.seconds += kr.seconds
        summarise_nests(report)
        return report, [kept]
    nest_reports: list[NestReport] = []
    lifts: list[NestLift | KeptLoop] = []
    for k, nest in enumerate(nests, 1):
        nr, nl = lift_nest(fn, nest, k, opts, arg_names, facts)
        if nl is None and not (wall is not None and wall.expired()):
            kr, kept = lift_kept_loop(fn, nest, k, opts, arg_names, facts)
            if kept is not None:
                nr, nl = kr, kept
        nest_reports.append(nr)
        if nl is not None:
            lifts.append(nl)
    report.scope = "nests"
    report.nests = nest_reports
    report.seconds += sum(n.seconds for n in nest_reports)
    report.llm_calls += sum(n.llm_calls for n in nest_reports)
    summarise_nests(report)
    return report, (lifts or None)


def lift_nest(fn: func.FuncOp, nest: Operation, index: int, opts: RaiseOptions, arg_names: list[str] | None = None,
              facts: Facts | None = None) -> tuple[NestReport, NestLift | None]:
    start = time.monotonic()
    location = op_location(nest)
    try:
        out = outline(fn, nest, index, arg_names)
    except Refusal as e:
        return NestReport(index, location, "unchanged", None, None, None, time.monotonic() - start, 0, e.reason, e.location), None
    rep, lifted = lift_function(out.module, out.fn, opts, out.arg_names, facts)
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


@dataclass
class KeptLoop:
    """A top-level loop kept as a loop around its raised body (a time loop; the rows of a
    triangular nest): the body outlined with the induction variable as an argument, so its
    proof holds for every iteration and for every contents of the buffers at its start."""

    outlined: Outlined
    report: FunctionReport  # the body's own (lifted as a whole, or nest by nest)
    lifted: Lifted | list[NestLift | KeptLoop]


def lift_kept_loop(fn: func.FuncOp, loop: Operation, index: int, opts: RaiseOptions, arg_names: list[str] | None = None,
                   facts: Facts | None = None) -> tuple[NestReport, KeptLoop | None]:
    """Keep `loop` and lift its body (which must contain a loop: a body of scalar code stays)."""
    start = time.monotonic()
    location = op_location(loop)

    def refused(reason: str, where: str | None = None) -> tuple[NestReport, None]:
        return NestReport(index, location, "unchanged", None, None, None, time.monotonic() - start, 0, reason, where), None

    body = loop.regions[0].block
    if not any(op.name in ("scf.for", "affine.for") for op in body.ops):
        return refused("the loop body has no loop nest to raise")
    if not _nonnegative_lower_bound(loop):
        return refused("the loop's lower bound may be negative (its body is proved for iterations >= 0)")
    try:
        out = outline_body(fn, loop, index, arg_names)
    except Refusal as e:
        return refused(e.reason, e.location)
    iv = out.arg_names[len(out.actuals) - len(out.derived) - 1]
    # The body runs only for lb <= iv < ub: a precondition of its proof and of its tests.
    inner = list(facts or [])
    rng = _iteration_range(loop, out.arg_names[: len(out.actuals) - len(out.derived) - 1], out.actuals)
    if rng is not None:
        inner.append((Poly.var(iv) - rng[0], rng[1] - rng[0]))
    rep, lifted = raise_function(out.module, out.fn, opts, out.arg_names, inner)
    if lifted is None or rep.status != "lifted":
        return refused(f"its body: {rep.reason}", rep.location)
    args = out.fn.body.block.args
    derived_sizes = [out.arg_names[i] for i in out.derived if any(u.operation.name.startswith("arith.index_cast") for u in args[i].uses)]
    if derived_sizes:
        return refused(f"data-dependent index or bound: '{derived_sizes[0]}' is computed before the nest (loaded, or by an earlier loop)")
    program = f"# loop kept at {location}; its body, for every iteration {iv}:\n{rep.program}"
    nr = NestReport(index, location, "lifted", rep.proof, program, rep.proposer, time.monotonic() - start, rep.llm_calls, None,
                    floats=rep.floats)
    return nr, KeptLoop(out, rep, lifted)


def _facts_for(facts: Facts, names: list[str]) -> Facts:
    """The facts that speak only of these arguments (and their shapes)."""
    known = set(names)

    def ok(p: Poly) -> bool:
        return all(v in known or v.split(".shape[")[0] in known for v in p.vars())

    return [(i, n) for i, n in facts if ok(i) and ok(n)]


def _iteration_range(loop: Operation, names: list[str], actuals: list[SSAValue]) -> tuple[Poly, Poly] | None:
    """The kept loop's bounds as polynomials of the outlined body's arguments (`names` of the
    function arguments among `actuals`), when they are constants, index arguments, static or
    dynamic dims of buffer arguments, and + - * of those; else None (no precondition)."""
    env = {v: n for v, n in zip(actuals, names, strict=False)}
    if loop.name == "affine.for":
        seg = loop.properties.get("operandSegmentSizes")
        lbm, ubm = loop.properties.get("lowerBoundMap"), loop.properties.get("upperBoundMap")
        if seg is None or not isinstance(lbm, AffineMapAttr) or not isinstance(ubm, AffineMapAttr):
            return None
        sizes = list(seg.get_values())  # type: ignore[attr-defined]
        lbo, ubo = list(loop.operands[: sizes[0]]), list(loop.operands[sizes[0] : sizes[0] + sizes[1]])
        lb, ub = _affine_poly(lbm, lbo, env), _affine_poly(ubm, ubo, env)
    else:
        lb, ub = _index_poly(loop.operands[0], env), _index_poly(loop.operands[1], env)
    return (lb, ub) if lb is not None and ub is not None else None


def _affine_poly(m: AffineMapAttr, operands: list[SSAValue], env: dict[SSAValue, str]) -> Poly | None:
    from liftcomp.lift.analysis import _affine_eval  # pyright: ignore[reportPrivateUsage]

    if len(m.data.results) != 1:
        return None
    vals = [_index_poly(o, env) for o in operands]
    if any(v is None for v in vals):
        return None
    nd = m.data.num_dims
    try:
        return _affine_eval(m.data.results[0], vals[:nd], vals[nd:], None)  # type: ignore[arg-type]
    except Refusal:
        return None


def _index_poly(v: SSAValue, env: dict[SSAValue, str]) -> Poly | None:
    if v in env:
        return Poly.var(env[v])
    owner = v.owner
    if not isinstance(owner, Operation):
        return None
    if owner.name == "arith.constant":
        c = owner.properties.get("value")
        return Poly.const(c.value.data) if isinstance(c, IntegerAttr) else None
    if owner.name in ("arith.addi", "arith.subi", "arith.muli"):
        a, b = (_index_poly(o, env) for o in owner.operands)
        if a is None or b is None:
            return None
        return a + b if owner.name == "arith.addi" else a - b if owner.name == "arith.subi" else a * b
    if owner.name == "memref.dim":
        buf, k = owner.operands[0], _index_poly(owner.operands[1], env)
        t = buf.type
        if buf not in env or k is None or not k.is_const or not isinstance(t, MemRefType):
            return None
        dim = t.get_shape()[k.const_value]
        return Poly.const(dim) if dim >= 0 else Poly.var(f"{env[buf]}.shape[{k.const_value}]")
    return None


def _nonnegative_lower_bound(loop: Operation) -> bool:
    """The loop's lower bound is a constant >= 0 or an index argument of the function (sizes are
    assumed >= 0, as everywhere in the analysis)."""
    if loop.name == "affine.for":
        m = loop.properties.get("lowerBoundMap")
        if not isinstance(m, AffineMapAttr) or len(m.data.results) != 1:
            return False
        e = m.data.results[0]
        return isinstance(e, AffineConstantExpr) and e.value >= 0
    lb = loop.operands[0]
    owner = lb.owner
    if isinstance(owner, Operation) and owner.name == "arith.constant":
        v = owner.properties.get("value")
        return isinstance(v, IntegerAttr) and v.value.data >= 0
    return isinstance(lb, BlockArgument) and isinstance(lb.type, IndexType) and lb.block.parent_op() is loop.parent_op()


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
