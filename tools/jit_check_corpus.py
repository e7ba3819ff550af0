#!/usr/bin/env python3
"""`liftcomp lift FILE --jit-check` over every corpus kernel (test/corpus/**/*.mlir), in process:
one line per lifted function (equal / differs / not run, with why) and a summary.

    tools/jit_check_corpus.py [--scale 8] [--timeout 300] [--float-model ieee] [FILE ...]

Exit status 1 where some function differs. The figures go to docs/PERFORMANCE.md ("--jit-check
over the corpus").
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("files", nargs="*", help="MLIR files (default: every test/corpus/**/*.mlir)")
    ap.add_argument("--scale", type=int, default=8, help="--jit-scale (default 8)")
    ap.add_argument("--timeout", type=float, default=300.0, help="--jit-timeout per file, seconds (default 300)")
    ap.add_argument("--float-model", default="ieee", help="--float-model (default ieee)")
    ns = ap.parse_args()

    from liftcomp.frontends import read_source
    from liftcomp.interop.mlir_tool import print_generic
    from liftcomp.lift.cli import jit_check
    from liftcomp.lift.liftcomp_raise import LiftcompRaisePass

    files = [Path(f) for f in ns.files] or sorted((ROOT / "test" / "corpus").rglob("*.mlir"))
    counts: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    start = time.monotonic()
    for path in files:
        rel = path.resolve().relative_to(ROOT).as_posix() if path.resolve().is_relative_to(ROOT) else str(path)
        t0 = time.monotonic()
        src = read_source(str(path))
        the_pass = LiftcompRaisePass(float_model=ns.float_model)
        work = src.module.clone()
        reports = the_pass.raise_module(src.module, work, src.arg_names)
        outcomes = jit_check(print_generic(src.module), print_generic(work), reports, ns.scale, src.name, ns.float_model, ns.timeout)
        checked = {o.name for o in outcomes}
        for r in reports:
            if r.name not in checked:
                counts["not lifted"] += 1
                print(f"{rel}:@{r.name}: not lifted ({r.status})", flush=True)
        for o in outcomes:
            counts[o.verdict] += 1
            if o.verdict == "not run":
                reasons[_reason_kind(o.message)] += 1
            print(f"{rel}:@{o.name}: {o.verdict}: {o.message} [{time.monotonic() - t0:.1f} s]", flush=True)
    total = time.monotonic() - start
    print(f"\n{len(files)} files, {sum(counts.values())} functions in {total:.0f} s: " + ", ".join(f"{counts[k]} {k}" for k in ("equal", "differs", "not run", "not lifted")))
    for why, n in reasons.most_common():
        print(f"  not run: {n} x {why}")
    return 1 if counts["differs"] else 0


def _reason_kind(message: str) -> str:
    """A not-run message without its particulars (names, numbers), for the summary."""
    return message.split(" (")[0][:120]


if __name__ == "__main__":
    sys.exit(main())
