"""Lifting benchmark: the whole corpus with the built-in proposer, plus large static GEMMs.

Prints per-kernel status/proof/seconds and a summary (lift rate over kernels with a tensor form,
share proved, median/mean/max seconds) as Markdown for docs/PERFORMANCE.md.
Usage: .venv/bin/python tools/bench_lift.py [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

from liftcomp.corpus import load_corpus
from liftcomp.corpus.check import find_func
from liftcomp.frontends import arg_names_from_source
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.lift.raising import RaiseOptions, lift_function, raise_function

GEMM = """
func.func @gemm(%A: memref<{I}x{K}xi8>, %B: memref<{K}x{J}xi8>, %C: memref<{I}x{J}xi32>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %cI = arith.constant {I} : index
  %cJ = arith.constant {J} : index
  %cK = arith.constant {K} : index
  %z = arith.constant 0 : i32
  scf.for %i = %c0 to %cI step %c1 {{
    scf.for %j = %c0 to %cJ step %c1 {{
      %s = scf.for %k = %c0 to %cK step %c1 iter_args(%acc = %z) -> (i32) {{
        %a = memref.load %A[%i, %k] : memref<{I}x{K}xi8>
        %b = memref.load %B[%k, %j] : memref<{K}x{J}xi8>
        %a32 = arith.extsi %a : i8 to i32
        %b32 = arith.extsi %b : i8 to i32
        %p = arith.muli %a32, %b32 : i32
        %n = arith.addi %acc, %p : i32
        scf.yield %n : i32
      }}
      memref.store %s, %C[%i, %j] : memref<{I}x{J}xi32>
    }}
  }}
  return
}}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--json", help="write per-kernel rows here")
    ns = ap.parse_args()
    rows = []
    for k in load_corpus():
        m = parse_mlir(k.mlir_text)
        fn = find_func(m, k.name)
        t = time.perf_counter()
        # The driver `liftcomp lift` uses: the whole function, else nest by nest.
        rep, _ = raise_function(m, fn, RaiseOptions(), arg_names_from_source(k.mlir_text).get(k.name))
        rows.append({"kernel": k.name, "suite": k.suite, "form": k.form, "status": rep.status, "proof": rep.proof,
                     "seconds": time.perf_counter() - t, "reason": rep.reason, "scope": rep.scope})
    form = [r for r in rows if r["form"]]
    lifted = [r for r in form if r["status"] == "lifted"]
    proved = [r for r in lifted if r["proof"] == "proved"]
    noform_changed = [r for r in rows if not r["form"] and r["status"] != "unchanged"]
    secs = [r["seconds"] for r in rows]
    print(f"machine: {platform.machine()} {platform.processor() or ''} python {platform.python_version()}")
    print(f"kernels: {len(rows)} ({len(form)} with a tensor form)")
    print(f"lifted: {len(lifted)}/{len(form)} = {100 * len(lifted) / len(form):.1f}%")
    print(f"proved: {len(proved)}/{len(lifted)} = {100 * len(proved) / max(1, len(lifted)):.1f}% of lifted")
    print(f"without a form changed: {len(noform_changed)}")
    print(f"lifted nest by nest: {sum(r['scope'] == 'nests' and r['status'] != 'unchanged' for r in rows)} (partial: {sum(r['status'] == 'partial' for r in rows)})")
    print(f"seconds per kernel: median {statistics.median(secs):.3f}, mean {statistics.mean(secs):.3f}, max {max(secs):.3f}")
    for r in form:
        if r["status"] != "lifted":
            print(f"  not lifted: {r['kernel']}: {r['reason']}")
    print("large static int8 GEMMs (I x K x J):")
    for i, kk, j in ((512, 512, 512), (12544, 64, 256)):
        src = GEMM.format(I=i, K=kk, J=j)
        m = parse_mlir(src)
        fn = find_func(m, "gemm")
        t = time.perf_counter()
        rep, _ = lift_function(m, fn, RaiseOptions())
        print(f"  {i}x{kk}x{j}: {rep.status} ({rep.proof}) in {time.perf_counter() - t:.2f} s")
    if ns.json:
        with open(ns.json, "w") as f:
            json.dump(rows, f, indent=1)


if __name__ == "__main__":
    main()
