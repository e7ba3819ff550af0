#!/usr/bin/env python3
"""NKI target benchmark (cost model, no hardware): model vs published figures, and the search.

    .venv/bin/python tools/bench_nki.py            # validation table + the guide's matmul search
    .venv/bin/python tools/bench_nki.py --quick    # validation table only
    .venv/bin/python tools/bench_nki.py --corpus   # compile --search beam on test/corpus/nki only

Prints, for the published reference points (NKI optimization guide, matmul tutorial, ISA docs),
the model's figure beside the published one; then the NKI optimization guide's 4096x8192 @
8192x8192 bf16 matmul from the tutorial's naive tiling to the beam search's schedule (TensorE
utilization in the model, search time), and the row-wise kernels' fraction of HBM bandwidth.
"""

from __future__ import annotations

import argparse
import sys
import time

from liftcomp.targets.nki.config import TRN2
from liftcomp.targets.nki.cost_model import estimate
from liftcomp.targets.nki.matmul import (
    MatmulProblem,
    MatmulSchedule,
    build_matmul_kernel,
    naive_schedule,
)
from liftcomp.targets.nki.menu import beam_search
from xdsl.dialects.builtin import ModuleOp, bf16, f32


def _model(p: MatmulProblem, s: MatmulSchedule):  # type: ignore[no-untyped-def]
    fn = build_matmul_kernel("k", p, s, TRN2)
    ModuleOp([fn]).verify()
    return estimate(fn, TRN2)


def validation() -> None:
    guide32 = MatmulProblem(4096, 8192, 8192, f32, f32, f32, a_layout="km")
    naive = naive_schedule(guide32, TRN2)
    rows = []
    r = _model(guide32, naive)
    rows.append(("guide, naive tiled (fp32 driver), TensorE active", 0.8728, r.pe_utilization))
    r = _model(guide32, naive.with_(block_k=64, bufs=1))
    rows.append(("guide, loads hoisted (fp32), TensorE active", 0.9985, r.pe_utilization))
    t16 = MatmulProblem(4096, 8192, 8192, bf16, bf16, bf16, a_layout="km")
    r = _model(t16, naive_schedule(t16, TRN2))
    rows.append(("tutorial, naive tiling, FLOP per HBM byte", 102.4, r.flop_per_byte))
    r = _model(t16, MatmulSchedule(block_m=16, block_n=2, block_k=8, order=("n", "m", "k"), bufs=1, psum_acc=False))
    rows.append(("tutorial, blocks M=2048 N=1024 K=1024, FLOP per HBM byte", 683.0, r.flop_per_byte))
    one = MatmulProblem(128, 512, 128, bf16, bf16, bf16, a_layout="km")
    r = _model(one, naive_schedule(one, TRN2))
    rows.append(("ISA: nc_matmul [128,128]x[128,512] bf16, TensorE cycles", 512.0, r.busy_ns["pe"] * TRN2.pe_ghz))
    # Dependent tiny ScalarE instructions: model issue interval (MIN_II + access + semaphore).
    rows.append(("perf guide: dependent tiny ScalarE instructions, cycles apart (NC-v2)", 264.0,
                 float(TRN2.min_ii + TRN2.access_overhead + TRN2.dep_overhead)))
    print(f"{'reference point':72s} {'published':>10s} {'model':>10s} {'error':>8s}")
    for name, pub, mod in rows:
        print(f"{name:72s} {pub:10.4g} {mod:10.4g} {100 * (mod - pub) / pub:+7.1f}%")


def search() -> None:
    p = MatmulProblem(4096, 8192, 8192, bf16, bf16, bf16, a_layout="km")
    t0 = time.monotonic()
    res = beam_search(p, naive_schedule(p, TRN2), TRN2, beam=2, budget=150, time_limit_s=1800)
    assert res.start.report is not None and res.best.report is not None
    print(f"guide matmul bf16 4096x8192 @ 8192x8192 on trn2: naive {res.start.report.pe_utilization:.1%} TensorE "
          f"({res.start.time_ns / 1e6:.2f} ms) -> searched {res.best.report.pe_utilization:.1%} "
          f"({res.best.time_ns / 1e6:.2f} ms), {res.start.time_ns / res.best.time_ns:.2f}x; "
          f"steps {[str(s) for s in res.best.steps]}; {res.evaluated} schedules ({res.refused} refused), "
          f"{time.monotonic() - t0:.0f} s")


def corpus() -> None:
    """`liftcomp compile K --target nki --search beam` on each test/corpus/nki kernel: the library
    schedule vs the searched one (model ns; every candidate run on the numpy NKI implementation),
    wall time; for matmuls also the model-only beam search above on the same problem."""
    import tempfile
    from pathlib import Path

    from liftcomp.lift.raising import RaiseOptions
    from liftcomp.targets.cli import compile_file

    # TensorE reorders a matmul's sum: the f32 matmuls (no fastmath flags) are compiled under
    # --float-model fast, which allows it (IEEE-proved ones stay on the host; docs/NKI.md).
    fast = RaiseOptions(float_model="fast")
    root = Path(__file__).resolve().parents[1] / "test" / "corpus" / "nki"
    for src in sorted(root.glob("*.mlir")):
        with tempfile.TemporaryDirectory() as tmp:
            t0 = time.monotonic()
            rep = compile_file(src, Path(tmp) / "out", "nki", search={"search": "beam", "show_progress": False},
                               raise_options=fast if src.name.startswith("matmul") else None)
            wall = time.monotonic() - t0
        for k in rep["kernels"]:
            steps = [f"{s['rewrite']}({', '.join(f'{a}={b}' for a, b in s['params'].items())})" for s in k["steps"]]
            line = (f"{src.name:24s} library {k['baseline_ns'] / 1000:8.3f} us -> searched {k['cost'] / 1000:8.3f} us "
                    f"({k['baseline_ns'] / k['cost']:.2f}x) correct={k['correct']} {wall:5.1f} s wall; steps {steps}")
            print(line)
    # the same menu search, model only, on the corpus matmul (32x128x64, bias + relu)
    p = MatmulProblem(32, 128, 64, f32, f32, f32, bias=True, activation="relu")
    res = beam_search(p, naive_schedule(p, TRN2), TRN2, beam=2, budget=60)
    print(f"matmul_bias_relu, model-only beam search: {res.start.time_ns / 1000:.3f} us -> {res.best.time_ns / 1000:.3f} us, "
          f"steps {[str(s) for s in res.best.steps]}")
    # a matmul with something to find: the generic driver (budget 40) vs the model-only search
    m, n, k = 64, 2048, 1024
    loops = MATMUL_LOOPS.format(m=m, n=n, k=k)
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "mm.mlir"
        src.write_text(loops)
        t0 = time.monotonic()
        (kr,) = compile_file(src, Path(tmp) / "out", "nki", search={"search": "beam", "budget": 40,
                                                                     "show_progress": False}, raise_options=fast)["kernels"]
        wall = time.monotonic() - t0
    p = MatmulProblem(m, n, k, f32, f32, f32)
    res = beam_search(p, naive_schedule(p, TRN2), TRN2, beam=2, budget=40)
    print(f"f32 {m}x{n}x{k} matmul, budget 40: compile --search beam {kr['baseline_ns'] / 1000:.1f} -> "
          f"{kr['cost'] / 1000:.1f} us, steps {[s['rewrite'] for s in kr['steps']]}, {wall:.0f} s wall; "
          f"model-only beam search {res.start.time_ns / 1000:.1f} -> {res.best.time_ns / 1000:.1f} us, "
          f"steps {[str(s) for s in res.best.steps]}")


MATMUL_LOOPS = """func.func @mm(%a: memref<{m}x{k}xf32>, %b: memref<{k}x{n}xf32>, %y: memref<{m}x{n}xf32>) {{
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to {m} {{
    affine.for %j = 0 to {n} {{
      %s = affine.for %kk = 0 to {k} iter_args(%acc = %zero) -> (f32) {{
        %av = affine.load %a[%i, %kk] : memref<{m}x{k}xf32>
        %bv = affine.load %b[%kk, %j] : memref<{k}x{n}xf32>
        %p = arith.mulf %av, %bv : f32
        %t = arith.addf %acc, %p : f32
        affine.yield %t : f32
      }}
      affine.store %s, %y[%i, %j] : memref<{m}x{n}xf32>
    }}
  }}
  return
}}
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="the validation table only")
    ap.add_argument("--corpus", action="store_true",
                    help="only `compile --search beam` on the test/corpus/nki kernels (seconds each)")
    ns = ap.parse_args(argv)
    if ns.corpus:
        corpus()
        return 0
    validation()
    if not ns.quick:
        search()
        corpus()
    return 0


if __name__ == "__main__":
    sys.exit(main())
