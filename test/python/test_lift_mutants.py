"""Zero wrong programs accepted (issue 3): every lifted corpus kernel's accepted program is
mutated (lift_mutation.py: swapped operands, off-by-one slices, wrong constants, signed/unsigned
swaps, dropped terms, flipped comparisons, swapped functions, perturbed reads, renamed arguments,
float widths) and each mutant is judged:

- ill-typed: it is not valid TensorSpec (parse, names, types, shapes); it does not count;
- fails at run time: valid, but numpy cannot run it on some inputs (a slice past the end of a
  buffer, a max or argmax over a range that is empty at some sizes); the verifier must reject
  it, and it does not count either;
- counterexample: rejected WITH a counterexample (inputs, what the loop nest gives, what the
  program gives);
- symbolic counterexample: rejected with a z3 model (the bounded check's, or an exact-encoding
  refutation's: sizes and the input values) that no concrete run confirms, the reason saying why (the original is undefined where the
  model differs, e.g. fptoui of a negative value, or only uninterpreted functions differ there):
  counted, reported apart; every other counterexample has concrete inputs, expected and got;
- equivalent: the verifier PROVES it equal to the loop nest, so it is not a wrong program; an
  independent differential test at larger sizes with other seeds must agree.

Anything else fails the test: accepted but wrong or unproved, rejected without a counterexample,
or undecided (a timeout is retried with a larger budget and never counts as a rejection). Each
kernel needs at least WANTED well-typed mutants, with every category that has a well-typed mutant
represented."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pytest
from lift_helpers import corpus, parsed
from lift_mutation import CATEGORIES, Mutant, mutant_streams, mutants, spread
from liftcomp.executor import Interpreter
from liftcomp.lift import tensorspec as TS
from liftcomp.lift.analysis import Summary
from liftcomp.lift.raising import RaiseOptions, check_candidate, lift_function
from liftcomp.lift.terms import Poly
from liftcomp.lift.verify import Counterexample, decls_of
from liftcomp.lift.verify import tested as differential_test
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

WANTED = 10  # well-typed mutants per kernel
# Counted budgets (lift/budget.py) decide, so the outcomes do not depend on machine load; the
# wall-clock limits keep their safety defaults (reaching one raises SafetyTimeout).
FAST = RaiseOptions(bound=2)
PATIENT = RaiseOptions(bound=3)  # for what FAST leaves open
NOT_COUNTED = ("ill-typed", "fails at run time")
GOOD = ("counterexample", "symbolic counterexample", "equivalent")
SIGNEDNESS_SENSITIVE = ("lighten_blend_8", "u8_sat_add", "div_rem_i32", "shifts_i32")

NAMES = sorted(n for n in corpus() if corpus()[n].form)

# Mutants the verifier neither rejects with a counterexample nor proves, each with why:
# (kernel, mutant kind) -> (statuses it may end in, strict, reason). The test fails for anything
# not listed and, for a strict entry, if it stops happening (then delete it). A non-strict one
# depends on a time budget and may resolve on a quiet machine.
_UNDECIDED = ("undecided",)
_UNPROVED = ("accepted unproved", "undecided")  # 'undecided' when the bounded check runs out of time
_CLAMP = ("a clamp bound doubled (127 -> 254) before the float -> int8 cast: wrong only where the accumulated sum "
          "passes the clamp, which the small stand-in of this large static nest never reaches; the bounded check is "
          "too large and the proof 'unknown' (rint is uninterpreted)")
_TO_U8 = ("np.uint8 instead of np.int8 for the final float -> int cast: they differ only on negative values, where "
          "the unsigned cast is undefined (arith.fptoui gives poison; numpy wraps, so no input tells them apart)")
KNOWN_GAPS: dict[tuple[str, str], tuple[tuple[str, ...], bool, str]] = {
    ("softmax_part1", "const 1-1"): (_UNPROVED, True, "np.max(x[0:size], initial=x[0]) for np.max(x[1:size], initial=x[0]) "
                                     "is equivalent (max is idempotent), but folds over different ranges are not "
                                     "proved equal; accepted at 'bounded'"),
    ("matmul_requant_i8", "const 127.0x2"): (_UNDECIDED, True, _CLAMP),
    ("matmul_requant_sym127", "const 127.0x2"): (_UNDECIDED, True, _CLAMP),
    ("matmul_requant_round_away", "const 127.0x2"): (_UNDECIDED, True, _CLAMP),
    ("matmul_requant_i8", "np.int8->np.uint8"): (_UNDECIDED, True, _TO_U8),
    ("matmul_requant_relu_i8", "np.int8->np.uint8"): (_UNDECIDED, True, _TO_U8),
    ("matmul_requant_sym127", "np.int8->np.uint8"): (_UNDECIDED, True, _TO_U8),
    ("matmul_requant_round_away", "np.int8->np.uint8"): (_UNDECIDED, True, _TO_U8),
    ("requant_i32_i8", "np.int8->np.uint8"): (_UNDECIDED, False, _TO_U8),
    ("conv_pad1_s1_i8", "np.int8->np.uint8"): (_UNDECIDED, False, _TO_U8),
    ("conv_pad1_s2_i8", "np.int8->np.uint8"): (_UNDECIDED, False, _TO_U8),
    ("requant_i32_i8", "np.minimum->np.fmin"): (_UNDECIDED, False, "np.fmin for np.minimum before the float -> int8 cast: "
                                                   "different only on NaN, where the cast (fptosi) is undefined"),
    # (rmsnorm_part2's np.uint32(size) for np.int32(size), different only for size >= 2**31, is
    # refuted with the float arithmetic uninterpreted and the int -> float conversions exact, then
    # confirmed by evaluating one element at that size: smt.Prover.equal, Encoder.abstract.)
}


@dataclass(frozen=True)
class Outcome:
    mutant: Mutant
    status: str  # NOT_COUNTED, GOOD, or a problem: accepted wrong | accepted unproved | rejected without counterexample | undecided
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.status}: {self.mutant}\n    {self.detail}"


@dataclass(frozen=True)
class Judged:
    program: str
    generated: int  # distinct mutants made (the valid ones were judged)
    outcomes: list[Outcome]  # in selection order
    applicable: set[str]  # categories with at least one valid (parsed) mutant


@cache
def _lifted(name: str) -> tuple[ModuleOp, func.FuncOp, Summary, list[TS.ArgDecl], str]:
    """The kernel, its loop-nest summary, what programs may name, and its accepted program."""
    m, fn, names = parsed(name)
    report, lifted = lift_function(m, fn, RaiseOptions(), names)
    if lifted is None or report.program is None:
        pytest.skip(f"not lifted: {report.reason}")
    return m, fn, lifted.summary, decls_of(lifted.summary), report.program


@cache
def judge(name: str, text: str, category: str, kind: str) -> Outcome:
    """Judge one mutant of kernel `name` (cached: the signedness test reuses the kernel test's)."""
    m, fn, summary, decls, _ = _lifted(name)
    mu = Mutant(category, kind, 0, text)
    try:
        TS.parse_program(text, decls)
    except TS.SpecError as e:
        return Outcome(mu, "ill-typed", e.message)
    detail = ""
    for opts in (FAST, PATIENT):
        verdict, prog = check_candidate(m, fn, summary, text, opts, time.monotonic() + opts.kernel_timeout_s)
        cx = verdict.counterexample
        accepted = verdict.level in ("proved", "bounded")
        if verdict.level is None and verdict.reason.startswith("program failed on concrete inputs"):
            return Outcome(mu, "fails at run time", verdict.reason)  # (with the inputs numpy fails on)
        if not accepted and "np.max/np.min over an empty range at sizes" in verdict.reason:
            # Undefined at those sizes (numpy raises on an empty max/argmax): a run-time failure.
            return Outcome(mu, "fails at run time", verdict.reason)
        if not accepted and cx is not None:
            if _concrete(cx):
                return Outcome(mu, "counterexample", cx.describe())
            if cx.where == "symbolic values" and cx.got and ("symbolic only" in verdict.reason or "no concrete counterexample" in verdict.reason):
                return Outcome(mu, "symbolic counterexample", f"{verdict.reason}: {cx.got}")
            return Outcome(mu, "rejected without counterexample", f"{verdict.reason}; incomplete counterexample {cx}")
        if not accepted and "np.max/np.min over an empty range at sizes" in verdict.reason:
            # Undefined at those sizes (numpy raises on an empty max/argmax): a run-time failure.
            return Outcome(mu, "fails at run time", verdict.reason)
        if verdict.level is None:
            if verdict.reason.startswith("program failed on concrete inputs"):
                return Outcome(mu, "fails at run time", verdict.reason)
            return Outcome(mu, "rejected without counterexample", verdict.reason)
        if accepted:
            assert prog is not None
            strong = differential_test(m, fn, summary, prog, trials=6, scale=11, seed=1234)
            if strong.level != "tested":
                cx_text = strong.counterexample.describe() if strong.counterexample else ""
                return Outcome(mu, "accepted wrong", f"accepted at '{verdict.level}' but {strong.reason} {cx_text}")
            if verdict.level == "proved":
                return Outcome(mu, "equivalent", "proved equal")
        # Reached only 'tested' (a proof or bounded check out of budget) or 'bounded': try harder.
        detail = f"{verdict.level}: {verdict.reason}"
    return Outcome(mu, "accepted unproved" if detail.startswith("bounded") else "undecided", detail)


def _concrete(cx: Counterexample) -> bool:
    """A counterexample the proposer can use: input values, and both sides' values."""
    # The bounded check's counterexamples are symbolic: sizes as inputs, a z3 model as "got".
    return cx.where != "symbolic values" and bool(cx.inputs) and cx.expected is not None and cx.got is not None


@cache
def judged(name: str) -> Judged:
    """Judge mutants of the kernel's program, round-robin over the categories, until WANTED count
    (valid and runnable) and every category is represented by a counted one or has no more."""
    _, _, _, decls, program = _lifted(name)
    streams = mutant_streams(program, decls)
    outcomes: list[Outcome] = []
    covered: set[str] = set()
    applicable: set[str] = set()
    active = list(streams)
    while active:
        for c in list(active):
            counted = sum(o.status not in NOT_COUNTED for o in outcomes)
            mu = None if counted >= WANTED and c in covered else next(streams[c], None)
            if mu is None:
                active.remove(c)
                continue
            if not _parses(mu.text, decls):
                outcomes.append(Outcome(mu, "ill-typed"))
                continue
            applicable.add(c)
            o = judge(name, mu.text, mu.category, mu.kind)
            outcomes.append(Outcome(mu, o.status, o.detail))
            if o.status not in NOT_COUNTED:
                covered.add(c)
    return Judged(program, len(outcomes), outcomes, applicable)


def _parses(text: str, decls: list[TS.ArgDecl]) -> bool:
    try:
        TS.parse_program(text, decls)
    except TS.SpecError:
        return False
    return True


STATS: dict[str, Judged] = {}


@pytest.fixture(scope="module", autouse=True)
def _memoised_reference_runs() -> Iterator[None]:
    """Every mutant of a kernel is tested on the same seeded inputs, so the reference executor
    would run the original function on them again for each mutant (seconds for the larger static
    nests). Runs are deterministic: replay a finished run (results and final buffers) instead.
    Runs that raise are not remembered."""
    runs: dict[tuple[Any, ...], tuple[list[Any], list[Any]]] = {}
    call = Interpreter.call

    def memo_call(self: Interpreter, name: str, args: Sequence[Any]) -> list[Any]:
        key = (str(self.module), name, self.max_steps, tuple(_arg_key(a) for a in args))
        if key not in runs:
            results = call(self, name, args)
            runs[key] = ([a.copy() if isinstance(a, np.ndarray) else None for a in args], list(results))
        finals, results = runs[key]
        for a, final in zip(args, finals, strict=True):
            if isinstance(a, np.ndarray):
                a[...] = final
        return list(results)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Interpreter, "call", memo_call)
        yield


def _arg_key(a: Any) -> tuple[Any, ...]:
    if isinstance(a, np.ndarray):
        return (a.dtype.str, a.shape, a.tobytes())
    return (type(a).__name__, repr(a))


@pytest.fixture(scope="module", autouse=True)
def _report(request: pytest.FixtureRequest) -> Iterator[None]:
    """After the module: how many mutants of each kind and outcome, equivalents listed."""
    yield
    if not STATS:
        return
    tr = request.config.pluginmanager.get_plugin("terminalreporter")
    status = Counter(o.status for j in STATS.values() for o in j.outcomes)
    by_cat = Counter((o.mutant.category, o.status) for j in STATS.values() for o in j.outcomes if o.status not in NOT_COUNTED)
    lines = [f"mutants of {len(STATS)} lifted kernels: {sum(j.generated for j in STATS.values())} generated, "
             + ", ".join(f"{k}: {v}" for k, v in sorted(status.items()))]
    for c in CATEGORIES:
        kernels = sum(any(o.mutant.category == c and o.status not in NOT_COUNTED for o in j.outcomes) for j in STATS.values())
        lines.append(f"  {c:7} in {kernels:3} kernels; " + ", ".join(f"{s}: {n}" for (cat, s), n in sorted(by_cat.items()) if cat == c))
    lines.append("equivalent (proved equal, so not wrong programs):")
    lines += [f"  {k}: {o.mutant.kind}: {o.mutant.text.replace(chr(10), '; ')}"[:200] for k, j in sorted(STATS.items()) for o in j.outcomes if o.status == "equivalent"]
    capman = request.config.pluginmanager.get_plugin("capturemanager")
    if tr is None or capman is None:
        return
    with capman.global_and_fixture_disabled():  # module teardown output is captured otherwise
        tr.write_line("")
        for line in lines:
            tr.write_line(line)


@pytest.mark.parametrize("name", NAMES)
def test_mutants_rejected_with_counterexample_or_proved_equivalent(name: str) -> None:
    j = judged(name)
    STATS[name] = j
    counted = [o for o in j.outcomes if o.status not in NOT_COUNTED]
    problems = [o for o in counted if o.status not in GOOD and o.status not in KNOWN_GAPS.get((name, o.mutant.kind), ((),))[0]]
    assert not problems, f"{name}: {j.program}\n" + "\n".join(map(str, problems))
    strict = {kind for (k, kind), (_, is_strict, _) in KNOWN_GAPS.items() if k == name and is_strict}
    gone = strict - {o.mutant.kind for o in counted if o.status not in GOOD}
    assert not gone, f"{name}: known gaps {sorted(gone)} no longer occur: remove them from KNOWN_GAPS"
    assert len(counted) >= WANTED, f"{name}: only {len(counted)} well-typed mutants of {j.program}"
    missing = j.applicable - {o.mutant.category for o in counted}
    runtime_only = {o.mutant.category for o in j.outcomes if o.status == "fails at run time"}
    # A category may be missing only if all its valid mutants fail at run time (and were rejected).
    assert missing <= runtime_only, f"{name}: categories {sorted(missing)} not represented"
    for o in j.outcomes:
        if o.status == "fails at run time":
            assert "failed on concrete inputs" in o.detail or "empty range at sizes" in o.detail


@pytest.mark.parametrize("name", SIGNEDNESS_SENSITIVE)
def test_signedness_swaps_reach_signedness_sensitive_kernels(name: str) -> None:
    """Each of these kernels computes something that depends on signedness (unsigned compare,
    divui vs divsi, shrui vs shrsi); its signed/unsigned mutants must be well-typed, and at
    least one must be rejected with a counterexample (the rest proved equivalent). For shifts_i32
    the differential test cannot tell them apart (shifts by >= 32 are undefined in the original,
    so it falls back to small values, all positive, where arithmetic and logical shifts agree):
    the prover's refutation is, made concrete (integers only: an exact encoding)."""
    _, _, _, decls, program = _lifted(name)
    sign = [mu for mu in mutants(program, decls) if mu.category == "sign"]
    outs = [judge(name, mu.text, mu.category, mu.kind) for mu in sign]
    caught = [o for o in outs if o.status in ("counterexample", "symbolic counterexample")]
    assert caught, f"{name}: no signedness mutant was caught among {len(sign)}"
    bad = [o for o in outs if o.status not in (*GOOD, *NOT_COUNTED)]
    assert not bad, "\n".join(map(str, bad))
    assert any(o.mutant.category == "sign" for o in judged(name).outcomes if o.status not in NOT_COUNTED)


def test_selection_spreads_over_the_program() -> None:
    """The first mutants are not all at the program's start: each category's sites are taken
    ends first, then middles; every category with a site comes within the first round."""
    _, _, _, decls, program = _lifted("overlay_blend_8")
    first = []
    for mu in mutants(program, decls):
        first.append(mu)
        if len(first) == 3 * len(CATEGORIES):
            break
    offsets = [mu.offset for mu in first]
    assert min(offsets) < len(program) // 3 and max(offsets) > 2 * len(program) // 3, offsets
    cats = [mu.category for mu in first]
    present = set(mutant_streams(program, decls))
    assert set(cats[: len(present)]) == present


def test_spread_order() -> None:
    assert spread(0) == [] and spread(1) == [0] and spread(2) == [0, 1]
    order = spread(9)
    assert sorted(order) == list(range(9))
    assert order[:3] == [0, 8, 4]
    assert set(order[3:5]) == {2, 6}


def test_mutants_of_a_blend_cover_the_categories() -> None:
    decls = [TS.ArgDecl("base", TS.DType("u8"), (Poly.var("n"),)), TS.ArgDecl("active", TS.DType("u8"), (Poly.var("n"),)),
             TS.ArgDecl("out", TS.DType("u8"), (Poly.var("n"),), output=True), TS.ArgDecl("n", TS.DType("i64"), None, is_size=True)]
    text = "out[0:n] = np.where(base[0:n] > active[0:n], active[0:n], (base[0:n] + np.uint8(1)).astype(np.uint8))"
    ms = list(mutants(text, decls))
    valid = [mu for mu in ms if _parses(mu.text, decls)]
    assert {"swap", "slice", "const", "sign", "drop", "cmp", "read", "rename"} <= {mu.category for mu in valid}
    assert "out[0:n] = np.where(base[0:n].astype(np.int8) > active[0:n]" in "".join(mu.text for mu in valid)
    assert len({mu.text for mu in ms}) == len(ms) and text not in {mu.text for mu in ms}


def test_wrong_program_gets_counterexample() -> None:
    m, fn, names = parsed("darken_blend_8")
    report, lifted = lift_function(m, fn, RaiseOptions(), names)
    assert lifted is not None
    bad = "out[0:n] = np.where(base[0:n] >= active[0:n], base[0:n], active[0:n])"
    verdict, _ = check_candidate(m, fn, lifted.summary, bad, RaiseOptions(), time.monotonic() + 10)
    assert verdict.level is None and verdict.counterexample is not None
    assert "loop nest gives" in verdict.counterexample.describe()
    TS.parse_program(report.program or "", decls_of(lifted.summary))
