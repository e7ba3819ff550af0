"""`liftcomp lift`: raise loop nests in an MLIR file to verified tensor ops."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
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
    p.add_argument("input", help="MLIR file (any form mlir-opt-22 reads; '-' for stdin)")
    p.add_argument("-o", "--output", help="write the raised module here (default: stdout)")
    p.add_argument("--report", help="write a JSON report (one entry per function, with its loop nests when lifted nest by nest) here")
    p.add_argument("--require", choices=["bounded", "proved"], default="bounded", help="minimum verification level to accept a program (default: bounded)")
    p.add_argument("--float-model", default="ieee", metavar="MODEL",
                   help="float semantics of proofs and checks, like a C compiler's -ffast-math (docs/LIFTING.md): 'ieee' (default: "
                   "IEEE-754 as arith defines it: NaN, infinities, signed zeros, rounding, loop order); a comma-separated list of "
                   "fast-math flags, each a relaxation: 'nnan' (no NaN), 'ninf' (no infinities), 'nsz' (sign of zero insignificant); "
                   "or 'fast' (all flags with reassoc and contract: real-number arithmetic, algebra and reordered sums allowed; "
                   "'real' is the same). The source's own fastmath<...> flags add to it. E.g. np.maximum(x, 0) for "
                   "'x > 0 ? x : 0' is accepted under 'nnan' and not by default (x = NaN)")
    p.add_argument("--bound", type=int, default=4, help="size bound per dimension of the bounded check (default 4)")
    p.add_argument("--query-timeout-ms", type=int, default=5000, help="z3 timeout per query (default 5000)")
    p.add_argument("--kernel-timeout", type=float, default=30.0, help="seconds per function before giving up (default 30)")
    p.add_argument("--proposer", choices=["symbolic", "llm"], default="symbolic", help="who proposes tensor programs (default: symbolic; llm needs an endpoint)")
    p.add_argument("--strategy", choices=["symbolic-first", "llm-first", "llm-only"], default="symbolic-first", help="order of proposers when --proposer llm")
    p.add_argument("--llm-samples", type=int, default=4, help="programs asked for per LLM request (default 4)")
    p.add_argument("--llm-temperature", type=float, default=0.7, help="sampling temperature of LLM requests (default 0.7)")
    p.add_argument("--jit-check", action="store_true", help="also JIT the original and the raised functions with upstream MLIR (bufferize -> LLVM) at larger sizes and compare them (needs the 'mlir' extra)")
    p.add_argument("--jit-scale", type=int, default=8, help="how much larger than the differential test's sizes --jit-check runs (default 8)")
    p.add_argument("--generic", action="store_true", help="print the generic form")
    p.add_argument("-q", "--quiet", action="store_true", help="no table on stderr")
    try:
        from liftcomp.llm.options import add_llm_arguments

        add_llm_arguments(p)
    except ImportError:
        pass
    p.set_defaults(func=run_lift)


def run_lift(ns: argparse.Namespace) -> int:
    from liftcomp.frontends import read_mlir
    from liftcomp.interop.mlir_tool import print_generic, to_upstream_text
    from liftcomp.lift.liftcomp_raise import raise_module
    from liftcomp.lift.raising import RaiseOptions

    src = read_mlir(ns.input)
    module, name = src.module, src.name
    original = print_generic(module) if ns.jit_check else ""
    llm = None
    if ns.proposer == "llm":
        from liftcomp.lift.llm_proposer import proposer_from_args

        llm = proposer_from_args(ns)
    opts = RaiseOptions(
        proposer=ns.proposer, strategy=ns.strategy, require=ns.require, float_model=ns.float_model, bound=ns.bound,
        query_timeout_ms=ns.query_timeout_ms, kernel_timeout_s=ns.kernel_timeout, llm=llm,
    )
    module, reports = raise_module(module, opts, src.arg_names)
    out = print_generic(module) if ns.generic else to_upstream_text(module)
    if ns.jit_check:
        jit_check(original, print_generic(module), reports, ns.jit_scale, name, ns.float_model)
    # Write only after everything succeeded.
    if ns.report:
        Path(ns.report).write_text(json.dumps([r.to_json() for r in reports], indent=1) + "\n")
    if ns.output:
        Path(ns.output).write_text(out)
    else:
        sys.stdout.write(out)
    if not ns.quiet:
        print_table(reports)
    return 0


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


class _JitDiffers(LiftcompError):
    pass


def _jit_check_one(original: str, raised: str, r: Any, scale: int, source_name: str, float_model: str) -> None:
    import numpy as np

    from liftcomp.corpus.check import find_func
    from liftcomp.executor import ExecutionError, Interpreter, OutOfBounds
    from liftcomp.interop.mlir_tool import parse_xdsl
    from liftcomp.interop.upstream_jit import bindings_available, jit_compare
    from liftcomp.lift import floats
    from liftcomp.lift.analysis import Refusal, analyse
    from liftcomp.lift.verify import make_args

    if not bindings_available():
        raise LiftcompError("--jit-check needs the upstream MLIR Python bindings: pip install -e '.[mlir]'")
    module = parse_xdsl(original, source_name)
    if r.scope == "nests":
        # Sizing inputs needs one summary of the whole function, which a function lifted
        # nest by nest does not have (its refused nests may index by data, for example).
        print(f"jit-check @{r.name}: skipped (lifted nest by nest)", file=sys.stderr)
        return
    fn = find_func(module, r.name)
    try:
        summary = analyse(fn)
    except Refusal as e:
        raise LiftcompError(f"cannot size its inputs ({e.reason})") from None
    sizes = {a.name: 5 for a in summary.args if a.kind == "size"}
    dyn = {a.name: 7 for a in summary.args if a.kind == "buffer"}
    for _ in range(12):
        args = make_args(summary, fn, np.random.default_rng(0), sizes, dyn, "full")
        try:
            Interpreter(module).call(r.name, args)
            break
        except OutOfBounds as e:
            which = [a.name for a, x in zip(summary.args, args, strict=True) if x is e.array]
            if not which:
                raise LiftcompError("could not size its inputs") from None
            dyn[which[0]] *= 2
        except ExecutionError as e:
            raise LiftcompError(f"the reference executor cannot run it on sized inputs ({e})") from None
    big_sizes = {k: v * scale for k, v in sizes.items()}
    rank = {a.name: len(a.shape or ()) for a in summary.args if a.kind == "buffer"}
    big_dyn = {k: v * (scale * scale if rank[k] == 1 else scale) for k, v in dyn.items()}
    args = make_args(summary, fn, np.random.default_rng(1), big_sizes, big_dyn, "special", float_model)
    cmp = jit_compare(original, raised, r.name, args, exact=not floats.is_real(float_model))
    if cmp.mismatches:
        raise _JitDiffers(f"@{r.name}: --jit-check: the raised function differs from the original: {'; '.join(cmp.mismatches)}")
    speed = cmp.original.median_s / max(cmp.raised.median_s, 1e-12)
    print(f"jit-check @{r.name}: equal on native runs; original {cmp.original.median_s * 1e3:.3f} ms, "
          f"raised {cmp.raised.median_s * 1e3:.3f} ms ({speed:.2f}x)", file=sys.stderr)


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
