#!/usr/bin/env python3
"""The C versions of the corpus kernels, one row each: lifted program, the two cross-proofs
(C program vs MLIR loops, MLIR program vs C loops), executor and gcc agreement, seconds.

    .venv/bin/python tools/c_corpus_check.py [--seeds N] [KERNEL ...]

The same checks as test/python/test_c_corpus.py (liftcomp.testing.c_corpus), with a table and
more random inputs; exits 1 when any kernel has a problem.
"""

from __future__ import annotations

import argparse
import sys
import time

from liftcomp.testing.c_corpus import c_kernels, lift_and_prove, run_executor, run_gcc


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("kernels", nargs="*", help="only these kernels (default: all)")
    ap.add_argument("--seeds", type=int, default=4, help="random input sets per kernel (default 4)")
    ns = ap.parse_args()
    kernels = [k for k in c_kernels() if not ns.kernels or k.name in ns.kernels]
    seconds: dict[str, float] = {}
    for k in kernels:
        t = time.monotonic()
        lift_and_prove(k)
        if not k.problems:
            run_executor(k, seeds=range(ns.seeds))
        seconds[k.name] = time.monotonic() - t
    run_gcc(kernels)
    for k in kernels:
        status = "ok" if not k.problems else "PROBLEM"
        print(f"{k.spec.suite:12} {k.path.name:26} {status:8} {len(k.proofs)} proofs, {k.gcc_compared:3} gcc outputs, "
              f"{seconds[k.name]:5.2f} s")
        for p in k.problems:
            print(f"    {p}")
    bad = sum(1 for k in kernels if k.problems)
    print(f"{len(kernels) - bad} of {len(kernels)} C kernels equal to their MLIR versions "
          f"across {len({k.spec.suite for k in kernels})} suites")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
