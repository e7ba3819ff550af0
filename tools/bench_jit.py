#!/usr/bin/env python3
"""Native speed of raised vs original code for corpus kernels, with the upstream MLIR JIT.

    .venv/bin/python tools/bench_jit.py [--repeats 7] [--kernel NAME ...]

Needs the optional extra `mlir` (pip install -e '.[mlir]'). For each kernel: raise it with
liftcomp-raise (in Python, default options), then compile the original module and the raised one
with the same upstream pipeline (bufferize -> linalg to loops -> LLVM, ExecutionEngine -O3; see
liftcomp.interop.jit_worker) and run both on the same inputs at the sizes below (inputs from the
corpus's own generator). Outputs must agree (integers exactly, floats to 1e-4 relative); times are
the median and the minimum of --repeats calls after a warm-up call (on a shared machine the
minimum is the steadier figure: interference only ever adds time).
"""

from __future__ import annotations

import argparse
import platform
import sys

import numpy as np
from liftcomp.corpus import load_corpus
from liftcomp.corpus.check import find_func, make_inputs
from liftcomp.interop.mlir_tool import parse_mlir, print_generic
from liftcomp.interop.upstream_jit import jit_compare
from liftcomp.lift.liftcomp_raise import raise_module

# kernel -> sizes (the corpus's size variables), chosen to make each run take milliseconds
KERNELS: dict[str, dict[str, int]] = {
    "gemv": {"m": 2048, "n": 2048},
    "gemm_nn_f32": {"m": 256, "k": 256, "n": 256},
    "gemm_i8_i32_acc_dyn": {"m": 256, "k": 256, "n": 256},
    "matvec_i8_i32": {"m": 2048, "n": 2048},
    "row_sums_f32": {"m": 2048, "n": 2048},
    "dot": {"n": 1 << 22},
    "vadd": {"n": 1 << 22},
    "overlay_blend_8": {"n": 1 << 22},
    "transpose_copy_f32": {"m": 2048, "n": 2048},
    "softmax_part1": {"n": 1 << 22},
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--kernel", action="append", help="only this kernel (repeatable)")
    ns = parser.parse_args()

    specs = {k.name: k for k in load_corpus()}
    print(f"machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}")
    print(f"{'kernel':22} {'sizes':22} {'original ms':>12} {'raised ms':>10} {'speedup':>8} "
          f"{'orig min':>9} {'raised min':>10} {'speedup':>8}  outputs")
    failures = 0
    for name in ns.kernel or list(KERNELS):
        spec = specs[name]
        sizes = KERNELS.get(name, spec.sizes)
        text = spec.mlir_text
        original = parse_mlir(text, name)
        raised, reports = raise_module(parse_mlir(text, name))
        report = next(r for r in reports if r.name == name)
        size_text = " ".join(f"{k}={v}" for k, v in sizes.items())
        if report.status != "lifted":
            print(f"{name:22} {size_text:22} {'-':>12} {'-':>10} {'-':>8}  not lifted: {report.reason}")
            continue
        args = make_inputs(spec, find_func(original, name), sizes, np.random.default_rng(0))
        cmp = jit_compare(print_generic(original), print_generic(raised), name, args, repeats=ns.repeats)
        failures += not cmp.equal
        verdict = "equal" if cmp.equal else "DIFFER: " + "; ".join(cmp.mismatches)
        best_o, best_r = min(cmp.original.seconds), min(cmp.raised.seconds)
        print(f"{name:22} {size_text:22} {cmp.original.median_s * 1e3:12.2f} {cmp.raised.median_s * 1e3:10.2f} "
              f"{cmp.speedup:8.2f} {best_o * 1e3:9.2f} {best_r * 1e3:10.2f} {best_o / best_r:8.2f}  {verdict}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
