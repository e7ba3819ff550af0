"""`liftcomp lift`: raise loop nests in an MLIR file to verified tensor ops."""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from liftcomp.diagnostics import LiftcompError

# --jit-check's default wall-clock limit for all functions of a file.
JIT_TIMEOUT_S = 300.0


def add_subcommands(sub: Any) -> None:
    p = sub.add_parser(
        "lift",
        help="raise loop nests to linalg/tensor ops, each proven equal to its nest",
        description="Raise every function's loop nests (func + scf/affine + memref + arith/math) to "
        "linalg/tensor ops. A tensor program is accepted only when z3 proves it equal to the loop nest "
        "(for all sizes: 'proved') or for every size up to --bound ('bounded'), and a differential test "
        "against the reference executor agrees. A function that cannot be lifted as a whole is lifted "
        "nest by nest (each maximal loop nest on its own): status 'partial' when some nests stay. What "
        "cannot be lifted is left unchanged, with the reason in the report.",
    )
    p.add_argument("input", help="MLIR file (any form mlir-opt-22 reads; '-' for stdin), or C/C++ (.c .cc .cpp .cxx) or Python (.py) loop kernels (docs/FRONTENDS.md)")
    p.add_argument("-o", "--output", help="write the raised module here (default: stdout)")
    p.add_argument("--report", help="write a JSON report (schema and tool versions, the options, one entry per function, with its loop nests when lifted nest by nest) here")
    from liftcomp.lift.liftcomp_raise import LiftcompRaisePass
    from liftcomp.pass_support import add_pass_arguments

    # The options of the liftcomp-raise pass, with the same names, defaults and checks.
    add_pass_arguments(p, LiftcompRaisePass, CLI_FLAGS)
    p.add_argument("--jit-check", action="store_true", help="also compile each lifted function's original and raised forms with upstream MLIR (mlir-opt-22: bufferize -> LLVM), "
                   "run them with mlir-runner-22 on larger inputs on which the reference executor runs the original without undefined behaviour, and compare them "
                   "under the function's own float model (--float-model joined with its fastmath flags): bit for bit with special values (NaN, infinities, "
                   "signed zeros, ...) under ieee; NaN / infinite outputs of the original are poison under nnan / ninf; within a relative 1e-4 on ordinary "
                   "values under fast. Timed too where the 'mlir' extra's bindings are installed. A difference is an error (-o not written); a check that "
                   "cannot run is reported 'not run' and -o is written")
    p.add_argument("--jit-scale", type=int, default=8, help="how much larger than the differential test's sizes --jit-check runs (default 8, at least 1; "
                   "less where the reference executor, which first runs the original on the inputs to rule out undefined behaviour, would take too long)")
    p.add_argument("--jit-timeout", type=float, default=JIT_TIMEOUT_S, metavar="SECONDS",
                   help=f"wall-clock limit of --jit-check for the whole file (default {JIT_TIMEOUT_S:g}); a function not checked in time is reported 'not run'")
    p.add_argument("--generic", action="store_true", help="print the generic form")
    p.add_argument("-q", "--quiet", action="store_true", help="no table or progress on stderr")
    p.set_defaults(func=run_lift)


# Flags spelled differently from the pass option (kernel-timeout-s).
CLI_FLAGS = {"kernel_timeout_s": "kernel-timeout"}


def run_lift(ns: argparse.Namespace) -> int:
    from liftcomp.diagnostics import UsageError
    from liftcomp.frontends import read_source
    from liftcomp.interop.mlir_tool import print_generic, to_upstream_text
    from liftcomp.lift.liftcomp_raise import LiftcompRaisePass, report_text
    from liftcomp.output import check_writable, write_outputs
    from liftcomp.pass_support import pass_from_args

    the_pass: LiftcompRaisePass = pass_from_args(LiftcompRaisePass, ns, CLI_FLAGS)
    if ns.jit_scale < 1:
        raise UsageError(f"argument --jit-scale: must be >= 1, got {ns.jit_scale}")
    if not ns.jit_timeout > 0:
        raise UsageError(f"argument --jit-timeout: must be > 0, got {ns.jit_timeout:g}")
    # Unwritable outputs fail before any work.
    if ns.output:
        check_writable(ns.output, "raised module")
    if ns.report:
        check_writable(ns.report, "report")
    src = read_source(ns.input)
    module, name = src.module, src.name
    original = print_generic(module) if ns.jit_check else ""
    work = module.clone()
    with lift_progress(work, enabled=not ns.quiet):
        reports = the_pass.raise_module(module, work, src.arg_names)
    module = work
    out = print_generic(module) if ns.generic else to_upstream_text(module)
    if ns.jit_check:
        outcomes = jit_check(original, print_generic(module), reports, ns.jit_scale, name, the_pass.float_model, ns.jit_timeout)
        for o in outcomes:
            print(f"jit-check @{o.name}: {o.verdict}: {o.message}" if o.verdict != "equal" else f"jit-check @{o.name}: equal on {o.message}", file=sys.stderr)
        differ = [o for o in outcomes if o.verdict == "differs"]
        if differ:
            raise LiftcompError("; ".join(f"@{o.name}: --jit-check: {o.message}" for o in differ))
    # Write only after everything succeeded, all files or none.
    files: dict[str, str] = {}
    if ns.report:
        files[ns.report] = report_text(reports, the_pass, name)
    if ns.output:
        files[ns.output] = out
    write_outputs(files)
    if not ns.output:
        sys.stdout.write(out)
    if not ns.quiet:
        print_table(reports)
    return 0


def lift_progress(module: Any, enabled: bool) -> Any:
    """A progress bar over the module's functions (raise_module steps it after each)."""
    from xdsl.dialects import func

    from liftcomp.progress import progress

    return progress(sum(isinstance(op, func.FuncOp) for op in module.ops), "lifting", enabled)


@dataclass
class JitOutcome:
    """What --jit-check found for one function: `equal`, `differs` or `not run` (with why)."""

    name: str
    verdict: str
    message: str


def jit_check(original: str, raised: str, reports: list[Any], scale: int, source_name: str, float_model: str = "ieee",
              timeout_s: float = JIT_TIMEOUT_S) -> list[JitOutcome]:
    """Run each lifted function's original and raised forms natively on the same large inputs
    (the whole function: nest structure does not matter to a native run) and compare them under
    the function's own float model, as its raising checked it (raising.check_model_of: the
    user's --float-model joined with the source's fastmath flags). A check that cannot run, or
    not within `timeout_s` seconds of wall-clock time for all functions, is `not run`: it never
    costs the lifted output. Inputs: sized_args."""
    from liftcomp.interop.runner_check import without_crash_dump
    from liftcomp.lift.budget import SafetyTimeout

    deadline = time.monotonic() + timeout_s
    out: list[JitOutcome] = []
    for r in reports:
        if r.status not in ("lifted", "partial"):
            continue
        if time.monotonic() >= deadline:
            out.append(JitOutcome(r.name, "not run", f"the --jit-timeout of {timeout_s:g} s ran out before it"))
            continue
        try:
            out.append(_jit_check_one(original, raised, r.name, scale, source_name, float_model, deadline))
        except SafetyTimeout:
            out.append(JitOutcome(r.name, "not run", f"the --jit-timeout of {timeout_s:g} s ran out while sizing its inputs"))
        except LiftcompError as e:
            out.append(JitOutcome(r.name, "not run", without_crash_dump(e.message)))
        except Exception as e:  # noqa: BLE001 (a failing check never costs the lifted output)
            out.append(JitOutcome(r.name, "not run", f"the check itself failed ({type(e).__name__}: {without_crash_dump(str(e))})"))
    return out


def check_model(fn: Any, float_model: str) -> str:
    """The float model --jit-check compares `fn` under: the one its raising's concrete checks
    use (raising.check_model_of), also for a function lifted nest by nest (no one summary: then
    a reassoc op anywhere counts as a sum the proof may have reordered)."""
    from liftcomp.lift import floats
    from liftcomp.lift.analysis import Refusal, analyse
    from liftcomp.lift.raising import RaiseOptions, check_model_of, float_model_of

    opts = RaiseOptions(float_model=float_model)
    try:
        return check_model_of(fn, analyse(fn), opts)
    except Refusal:
        reassoc = any("reassoc" in (floats.op_flags(op) or ()) for op in fn.walk())
        return floats.join(float_model_of(fn, opts), floats.check_flags(fn, reassoc))


def _jit_check_one(original: str, raised: str, name: str, scale: int, source_name: str, float_model: str, deadline: float) -> JitOutcome:
    from liftcomp.corpus.check import find_func
    from liftcomp.interop import runner_check
    from liftcomp.interop.mlir_tool import parse_xdsl
    from liftcomp.interop.runner_check import without_crash_dump
    from liftcomp.interop.upstream_jit import bindings_available, jit_run

    if not runner_check.available() and not bindings_available():
        raise LiftcompError("--jit-check needs mlir-runner-22 (tools/setup.sh) or the upstream MLIR Python bindings: pip install -e '.[mlir]'")
    module = parse_xdsl(original, source_name)
    model = check_model(find_func(module, name), float_model)
    sized = size_inputs(module, name, scale, model, deadline)
    how = f"native runs at {sized.describe()}"
    if runner_check.available():
        # Upstream's own tools: mlir-opt-22's ordinary pipeline, then mlir-runner-22.
        case = runner_check.Case(name, module, parse_xdsl(raised, source_name), name, sized.args, model)
        got = runner_check.compare([case], timeout_s=max(1.0, deadline - time.monotonic()))[name]
        if got is not None and got.startswith("not run"):
            raise LiftcompError(got.removeprefix("not run: "))
        if got is not None:
            return JitOutcome(name, "differs", f"the raised function differs from the original under mlir-runner-22 ({how}): {got}")
        how = f"native runs (mlir-runner-22) at {sized.describe()}"
        if not bindings_available():
            return JitOutcome(name, "equal", how)
    try:  # timed by the bindings' ExecutionEngine
        left = max(1.0, deadline - time.monotonic())
        runs = [jit_run(text, name, sized.args, timeout_s=left) for text in (original, raised)]
    except LiftcompError as e:
        if not how.startswith("native runs ("):
            raise
        return JitOutcome(name, "equal", f"{how}; not timed: {without_crash_dump(e.message)}")
    bad = [f"argument {i}" for i, (a, b) in enumerate(zip(runs[0].outputs, runs[1].outputs, strict=True))
           if isinstance(a, np.ndarray) and not runner_check.same_under(a, b, model).all()]
    bad += [f"result {i} ({a} vs {b})" for i, (a, b) in enumerate(zip(runs[0].results, runs[1].results, strict=True))
            if not runner_check.same_under(a, b, model).all()]
    if bad:
        return JitOutcome(name, "differs", f"the raised function differs from the original on {how} (the bindings' JIT): {', '.join(bad)}")
    speed = runs[0].median_s / max(runs[1].median_s, 1e-12)
    return JitOutcome(name, "equal", f"{how}; original {runs[0].median_s * 1e3:.3f} ms, raised {runs[1].median_s * 1e3:.3f} ms ({speed:.2f}x)")


# The reference executor's step budget for one check of sized inputs (about 5 s): larger scales
# than this allows are not used.
SIZE_STEPS = 2_000_000
# Per buffer, at most this many elements (inputs travel as text in the generated module).
MAX_ELEMENTS = 1 << 20
# Integer ops whose result is undefined (x86: SIGFPE) for INT_MIN / -1, which "edge" values hold.
_SIGNED_DIVISIONS = ("arith.divsi", "arith.remsi", "arith.floordivsi", "arith.ceildivsi")


@dataclass
class SizedInputs:
    args: list[Any]
    scale: int  # the scale reached (at most the one asked for)
    floats: str  # "special" (NaN, infinities, ... as the model admits) | "full" (ordinary values)
    ints: str  # "edge" | "full" | "small" (verify._random_array's modes)
    static: bool = False  # no size to scale
    kinds: frozenset[str] = frozenset()  # numpy dtype kinds of the data (not size) arguments

    def describe(self) -> str:
        kinds = self.kinds
        what = [{"special": "special float values", "full": "ordinary float values"}[self.floats]] if "f" in kinds else []
        if kinds & set("iu"):
            what.append({"edge": "edge integers", "full": "random integers", "small": "small integers (1..7)"}[self.ints])
        where = "its static sizes" if self.static else f"scale {self.scale}"
        return f"{where} ({', '.join(what)})" if what else where


class _NoFit(Exception):
    """These sizes / values do not give an input the original runs on (the message says why)."""


class _Static(_NoFit):
    """A size indexes a static buffer out of its bounds: the sizes must shrink."""


class _TooBig(_NoFit):
    """The reference executor's step budget ran out."""


def sized_args(module: Any, name: str, scale: int, float_model: str = "ieee", deadline: float | None = None) -> list[Any]:
    """size_inputs(...).args."""
    return size_inputs(module, name, scale, float_model, deadline).args


def size_inputs(module: Any, name: str, scale: int, float_model: str = "ieee", deadline: float | None = None) -> SizedInputs:
    """Inputs for @name on which the reference executor runs the ORIGINAL without undefined
    behaviour: every access in bounds, no division by zero, no shift past the width, no float to
    int conversion that overflows (each candidate is run, so this holds for these very inputs).
    Floats as `float_model` admits them: special values (NaN, infinities, signed zeros,
    denormals, the largest values and cancelling ones) unless the model is `fast` (ordinary
    values); under ninf no value near the largest finite one (it overflows to infinity, poison).
    Integers: edge values, else random ones, else small ones (1..7: divisors, shift amounts).

    Sizes: every size argument 5 and every dynamic dim 7 (a buffer the original overruns grows,
    sizes that overrun a static buffer shrink), then all of them together times 2, 4, ... up to
    `scale` (buffers again growing where the original overruns them: flattened indexing needs
    quadratic extents) as long as the reference executor checks them within SIZE_STEPS steps.
    LiftcompError where no input was found; SafetyTimeout past `deadline` (time.monotonic())."""
    from liftcomp.corpus.check import find_func
    from liftcomp.lift import floats
    from liftcomp.lift.verify import dtype_for

    fn = find_func(module, name)
    summary = _arg_summary(fn)
    sizes = {a.name: 5 for a in summary.args if a.kind == "size"}
    dyn = {a.name: 7 for a in summary.args if a.kind == "buffer"}
    float_modes = ["full"] if floats.is_real(float_model) else ["special", "full"]
    signed_div = any(op.name in _SIGNED_DIVISIONS for op in fn.walk())
    int_modes = ["full", "small"] if signed_div else ["edge", "full", "small"]
    fit = _Fitter(module, fn, summary, float_model, deadline)
    kinds = frozenset(dtype_for(a.etype, a.unsigned_hint).np.kind for a in summary.args if a.kind != "size" and a.etype is not None)
    why = "no input set was tried"
    for fmode in float_modes:
        for imode in int_modes:
            try:
                args, base_sizes, base_dyn = fit.base(sizes, dyn, fmode, imode)
            except _TooBig as e:
                raise LiftcompError(f"cannot size its inputs: at its smallest sizes {e}") from None
            except _NoFit as e:
                why = str(e)
                continue
            if not base_sizes and not any(d < 0 for a in summary.args if a.kind == "buffer" for d in a.type.get_shape()):
                return SizedInputs(args, 1, fmode, imode, static=True, kinds=kinds)
            best = SizedInputs(args, 1, fmode, imode, kinds=kinds)
            s = 1
            while s < scale and fit.steps * (min(2 * s, scale) / s) ** fit.degree <= SIZE_STEPS:
                try:
                    args = fit.scaled(base_sizes, base_dyn, min(2 * s, scale), s, fmode, imode)
                except _NoFit:
                    break  # the largest scale that ran
                s = min(2 * s, scale)
                best = SizedInputs(args, s, fmode, imode, kinds=kinds)
            return best
    raise LiftcompError(f"cannot size its inputs: {why}")


def _arg_summary(fn: Any) -> Any:
    """The function's summary (analysis.analyse), or where it refuses the function (one lifted
    nest by nest) a summary with only its arguments (kinds, element types), as far as the
    analysis read them before refusing."""
    from liftcomp.lift.analysis import Analyzer, Refusal, Summary

    an = Analyzer(fn)
    try:
        return an.run()
    except Refusal as e:
        if len(an.args) != len(fn.function_type.inputs):
            raise LiftcompError(f"cannot size its inputs ({e.reason})") from None
        return Summary(fn.sym_name.data, an.args, [], [], an.size_symbols)


class _Fitter:
    """Candidate inputs, each run by the reference executor on the original."""

    def __init__(self, module: Any, fn: Any, summary: Any, float_model: str, deadline: float | None) -> None:
        from xdsl.dialects.builtin import MemRefType

        self.module, self.fn, self.summary, self.float_model, self.deadline = module, fn, summary, float_model, deadline
        self.static = {a.name for a, t in zip(summary.args, fn.function_type.inputs, strict=True)
                       if a.kind == "buffer" and isinstance(t, MemRefType) and all(d >= 0 for d in t.get_shape())}
        self.steps = 1  # the executor's steps on the last inputs that ran ...
        self.degree = 3.0  # ... and how they grew with the scale (steps ~ scale ** degree)

    def base(self, sizes: dict[str, int], dyn: dict[str, int], fmode: str, imode: str) -> tuple[list[Any], dict[str, int], dict[str, int]]:
        sizes = dict(sizes)
        while True:
            try:
                args, grown = self.fit(sizes, dyn, fmode, imode, 3 * SIZE_STEPS)
                return args, sizes, grown
            except _Static as e:
                if not sizes or all(v <= 1 for v in sizes.values()):
                    raise _NoFit(f"{e} at every size") from None
                sizes = {k: max(1, v // 2) for k, v in sizes.items()}

    def scaled(self, sizes: dict[str, int], dyn: dict[str, int], s: int, prev: int, fmode: str, imode: str) -> list[Any]:
        """Every size and dynamic extent times s (buffers growing where the original overruns
        them); prev: the scale that ran before, for the executor's growth."""
        import math

        before = self.steps
        args, _ = self.fit({k: v * s for k, v in sizes.items()}, {k: v * s for k, v in dyn.items()}, fmode, imode, SIZE_STEPS)
        self.degree = max(1.0, math.log(max(self.steps, 2) / max(before, 1)) / math.log(s / prev))
        return args

    def fit(self, sizes: dict[str, int], dyn: dict[str, int], fmode: str, imode: str, steps: int) -> tuple[list[Any], dict[str, int]]:
        from liftcomp.executor import ExecutionError, Interpreter, OutOfBounds
        from liftcomp.lift.budget import WallDeadline
        from liftcomp.lift.verify import _violates_in_bounds  # pyright: ignore[reportPrivateUsage]

        dyn = dict(dyn)
        name = self.fn.sym_name.data
        for _ in range(16):
            if _violates_in_bounds(self.summary, sizes, dyn):
                raise _Static("the sizes break a precondition of the function (an access outside loops)")
            args = self.make(sizes, dyn, fmode, imode)
            if any(isinstance(x, np.ndarray) and x.size > MAX_ELEMENTS for x in args):
                raise _NoFit(f"a buffer would need more than {MAX_ELEMENTS} elements")
            copies = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
            it = Interpreter(self.module, max_steps=steps)
            if self.deadline is not None:
                it.wall = WallDeadline(self.deadline)
            try:
                it.call(name, copies)
            except OutOfBounds as e:
                which = [a.name for a, x in zip(self.summary.args, copies, strict=True) if x is e.array]
                if not which:
                    raise _NoFit(f"the original accesses a buffer of its own out of bounds ({e.message})") from None
                if which[0] in self.static:
                    raise _Static(f"the original reads its static buffer '{which[0]}' out of bounds") from None
                dyn[which[0]] *= 2
                continue
            except ExecutionError as e:
                if e.message.startswith("step limit"):
                    raise _TooBig(f"the reference executor needs more than {steps} steps") from None
                raise _NoFit(f"the original's behaviour is undefined on them ({e.message})") from None
            self.steps = it.steps
            return args, dyn
        raise _NoFit("its accesses never fit the buffers")

    def make(self, sizes: dict[str, int], dyn: dict[str, int], fmode: str, imode: str) -> list[Any]:
        """Floats from `fmode`, integers from `imode` (verify.make_args), deterministic."""
        from liftcomp.lift import floats
        from liftcomp.lift.verify import make_args

        fl = make_args(self.summary, self.fn, np.random.default_rng(1), sizes, dyn, fmode, self.float_model)
        same = (fmode, imode) in (("special", "edge"), ("full", "full"))
        ints = fl if same else make_args(self.summary, self.fn, np.random.default_rng(1), sizes, dyn, imode, self.float_model)
        out: list[Any] = []
        for a, x, y in zip(self.summary.args, fl, ints, strict=True):
            is_float = np.asarray(x).dtype.kind == "f"
            out.append(x if a.kind == "size" or is_float else y)
        if fmode == "special" and floats.has(self.float_model, "ninf"):
            out = [_finite_range(x) for x in out]
        return out


def model_floats(args: list[Any], float_model: str, seed: int = 0) -> list[Any]:
    """`args` (inputs known to be valid, e.g. the corpus's) with their float arrays and scalars
    drawn as --jit-check draws them under `float_model`: special values (verify.make_args'
    "special" mode: NaN, infinities, signed zeros, denormals, the largest and cancelling values,
    every pair of the dangerous ones meeting at some index of any two arrays) unless the model
    is `fast` (then `args` unchanged: ordinary values); under ninf none near the largest finite
    value. Integers and sizes unchanged."""
    from liftcomp.lift import floats
    from liftcomp.lift.verify import _cover_special_pairs, _random_array  # pyright: ignore[reportPrivateUsage]

    if floats.is_real(float_model):
        return list(args)
    rng = np.random.default_rng(seed)
    out: list[Any] = []
    for x in args:
        a = np.asarray(x)
        if a.dtype.kind != "f":
            out.append(x)
            continue
        v = _random_array(rng, a.shape, a.dtype, "special", float_model)
        out.append(v if isinstance(x, np.ndarray) else v[()])
    _cover_special_pairs([x for x in out if isinstance(x, np.ndarray) and x.dtype.kind == "f" and x.size > 1], floats.parse(float_model), rng)
    if floats.has(float_model, "ninf"):
        out = [_finite_range(x) for x in out]
    return out


def _finite_range(x: Any) -> Any:
    """Float values whose magnitude is near the largest finite one made ordinary (under ninf an
    overflow to infinity is poison, which the comparison cannot see through)."""
    a = np.asarray(x)
    if a.dtype.kind != "f":
        return x
    big = np.abs(a) > np.sqrt(np.finfo(a.dtype).max)
    out = np.where(big, np.where(np.signbit(a), -1.5, 1.5), a).astype(a.dtype)
    return out if isinstance(x, np.ndarray) else out[()]


def print_table(reports: list[Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title="liftcomp lift")
    for col in ("function", "status", "proof", "proposer", "seconds", "program / reason"):
        table.add_column(col)
    for r in reports:
        if r.scope == "nests":
            # One row for the function, then one per maximal loop nest (lifted or why not).
            done = sum(n.status == "lifted" for n in r.nests)
            table.add_row(r.name, r.status, r.proof or "-", r.proposer or "-", f"{r.seconds:.2f}", f"{done} of {len(r.nests)} loop nests lifted")
            for n in r.nests:
                detail = n.program if n.status == "lifted" else ((f"{n.reason_location}: " if n.reason_location else "") + (n.reason or ""))
                table.add_row(f"  nest {n.nest} at {n.location}", n.status, n.proof or "-", n.proposer or "-", f"{n.seconds:.2f}", detail)
            continue
        detail = r.program if r.status == "lifted" else ((f"{r.location}: " if r.location else "") + (r.reason or ""))
        table.add_row(r.name, r.status, r.proof or "-", r.proposer or "-", f"{r.seconds:.2f}", detail)
    Console(stderr=True, width=160).print(table)
