"""`liftcomp lift`: raise loop nests in an MLIR file to verified tensor ops."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from liftcomp.diagnostics import LiftcompError


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
    p.add_argument("--jit-check", action="store_true", help="also compile the original and the raised functions with upstream MLIR (mlir-opt-22: bufferize -> LLVM), run them with "
                   "mlir-runner-22 at larger sizes with special float values and compare them bit for bit; timed too where the 'mlir' "
                   "extra's bindings are installed. A difference is an error (-o not written); a check that cannot run is reported")
    p.add_argument("--jit-scale", type=int, default=8, help="how much larger than the differential test's sizes --jit-check runs (default 8, at least 1)")
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
        jit_check(original, print_generic(module), reports, ns.jit_scale, name, the_pass.float_model)
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


def jit_check(original: str, raised: str, reports: list[Any], scale: int, source_name: str, float_model: str = "ieee") -> None:
    """Run original and raised functions natively on the same large inputs; a difference is an
    error (floats bit for bit, unless the float model is `fast`). A check that cannot run (inputs
    that cannot be sized, a failing JIT) is reported on stderr and does not fail the command.

    Input sizes: the sizes at which the original's accesses fit in the reference executor
    (small), scaled up by `scale` (dims of 1-D buffers by scale^2, for flattened indexing)."""
    for r in reports:
        if r.status not in ("lifted", "partial"):
            continue
        try:
            _jit_check_one(original, raised, r, scale, source_name, float_model)
        except _JitDiffers:
            raise
        except LiftcompError as e:
            print(f"jit-check @{r.name}: not run: {e.message}", file=sys.stderr)
        except Exception as e:  # noqa: BLE001 (a failing check never costs the lifted output)
            print(f"jit-check @{r.name}: not run: the check itself failed ({type(e).__name__}: {e})", file=sys.stderr)


class _JitDiffers(LiftcompError):
    pass


def _jit_check_one(original: str, raised: str, r: Any, scale: int, source_name: str, float_model: str) -> None:
    from liftcomp.interop import runner_check
    from liftcomp.interop.mlir_tool import parse_xdsl
    from liftcomp.interop.upstream_jit import bindings_available, jit_compare
    from liftcomp.lift import floats

    module = parse_xdsl(original, source_name)
    try:
        args = sized_args(module, r.name, scale, float_model)
    except LiftcompError as e:
        if r.scope != "nests":
            raise
        # Sizing inputs needs one summary of the whole function, which a function lifted nest by
        # nest may not have (its refused nests may index by data, for example).
        print(f"jit-check @{r.name}: skipped (lifted nest by nest: {e.message})", file=sys.stderr)
        return
    exact = not floats.is_real(float_model)
    if not runner_check.available() and not bindings_available():
        raise LiftcompError("--jit-check needs mlir-runner-22 (tools/setup.sh) or the upstream MLIR Python bindings: pip install -e '.[mlir]'")
    how = "native runs"
    if runner_check.available():
        # Upstream's own tools: mlir-opt-22's ordinary pipeline, then mlir-runner-22.
        got = runner_check.compare([runner_check.Case(r.name, module, parse_xdsl(raised, source_name), r.name, args)], exact)[r.name]
        if got is not None and got.startswith("not run"):
            raise LiftcompError(got.removeprefix("not run: "))
        if got is not None:
            raise _JitDiffers(f"@{r.name}: --jit-check: the raised function differs from the original under mlir-runner-22: {got}")
        how = "native runs (mlir-runner-22)"
        if not bindings_available():
            print(f"jit-check @{r.name}: equal on {how}", file=sys.stderr)
            return
    try:
        cmp = jit_compare(original, raised, r.name, args, exact=exact)  # timed by the bindings' ExecutionEngine
    except LiftcompError as e:
        if how == "native runs":
            raise
        print(f"jit-check @{r.name}: equal on {how}; not timed: {e.message}", file=sys.stderr)
        return
    if cmp.mismatches:
        raise _JitDiffers(f"@{r.name}: --jit-check: the raised function differs from the original: {'; '.join(cmp.mismatches)}")
    speed = cmp.original.median_s / max(cmp.raised.median_s, 1e-12)
    print(f"jit-check @{r.name}: equal on {how}; original {cmp.original.median_s * 1e3:.3f} ms, "
          f"raised {cmp.raised.median_s * 1e3:.3f} ms ({speed:.2f}x)", file=sys.stderr)


def sized_args(module: Any, name: str, scale: int, float_model: str = "ieee") -> list[Any]:
    """Inputs for @name, large and with special values: the sizes at which the original's
    accesses fit in the reference executor (small), scaled up by `scale` (dims of 1-D buffers by
    scale^2, for flattened indexing). LiftcompError where they cannot be sized."""
    import numpy as np
    from xdsl.dialects.builtin import MemRefType

    from liftcomp.corpus.check import find_func
    from liftcomp.executor import ExecutionError, Interpreter, OutOfBounds
    from liftcomp.lift.analysis import Refusal, analyse
    from liftcomp.lift.verify import make_args

    fn = find_func(module, name)
    try:
        summary = analyse(fn)
    except Refusal as e:
        raise LiftcompError(f"cannot size its inputs ({e.reason})") from None
    sizes = {a.name: 5 for a in summary.args if a.kind == "size"}
    dyn = {a.name: 7 for a in summary.args if a.kind == "buffer"}
    static = {a.name for a, t in zip(summary.args, fn.function_type.inputs, strict=True)
              if a.kind == "buffer" and isinstance(t, MemRefType) and all(d >= 0 for d in t.get_shape())}

    def fits(args: list[Any]) -> bool:
        copies = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        try:
            Interpreter(module).call(name, copies)
        except OutOfBounds as e:
            which = [a.name for a, x in zip(summary.args, copies, strict=True) if x is e.array]
            if not which:
                raise LiftcompError("could not size its inputs") from None
            if which[0] in static:  # a size indexes a static buffer: smaller sizes
                if not sizes or all(v <= 1 for v in sizes.values()):
                    raise LiftcompError(f"could not size its inputs ('{which[0]}' is static)") from None
                sizes.update({k: max(1, v // 2) for k, v in sizes.items()})
            else:
                dyn[which[0]] *= 2
            return False
        except ExecutionError as e:
            raise LiftcompError(f"the reference executor cannot run it on sized inputs ({e})") from None
        return True

    for _ in range(12):
        if fits(make_args(summary, fn, np.random.default_rng(0), sizes, dyn, "full")):
            break
    else:
        raise LiftcompError("could not size its inputs")
    big_sizes = {k: v * scale for k, v in sizes.items()}
    rank = {a.name: len(a.shape or ()) for a in summary.args if a.kind == "buffer"}
    big_dyn = {k: v * (scale * scale if rank[k] == 1 else scale) for k, v in dyn.items()}
    big = make_args(summary, fn, np.random.default_rng(1), big_sizes, big_dyn, "special", float_model)
    if static and sizes and not fits(big):  # static buffers do not grow with the sizes
        return make_args(summary, fn, np.random.default_rng(1), sizes, dyn, "special", float_model)
    return big


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
