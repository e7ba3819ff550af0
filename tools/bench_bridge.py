#!/usr/bin/env python3
"""Overhead of the mlir-opt bridge per pass invocation, without any pass work.

    .venv/bin/python tools/bench_bridge.py [--repeats 60]

For modules of several sizes, runs ONE mlir-opt-22 with a pipeline of `--repeats` copies of
`liftcomp-test-bridge` (which changes nothing) and reads each instance's wall time from
`--mlir-timing --mlir-timing-display=tree`; the first instance (which pays for the lazy imports)
is reported apart, the median is over the others. Each instance is the whole round trip: C++
prints the module (generic form), Python parses it with xDSL, verifies, prints it, C++ parses and
verifies the result and swaps it in. The Python share of each instance (xDSL parse, verify,
print) is reported by the bridge itself in the same run (LIFTCOMP_BRIDGE_TIMES=1). The one-off
cost of loading the plugin (starting the embedded interpreter, importing liftcomp and xDSL) is
the wall-time difference between mlir-opt-22 with and without it.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

from liftcomp.interop.cli import plugin_path
from liftcomp.interop.mlir_tool import find_tool, parse_xdsl, run_mlir_opt_text

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "test" / "corpus"
PASS = "liftcomp-test-bridge"
os.environ["LIFTCOMP_TEST_PASSES"] = "1"  # the test pass is hidden otherwise (here and in mlir-opt)

TINY = """\
func.func @add(%a: i32, %b: i32) -> i32 {
  %s = arith.addi %a, %b : i32
  return %s : i32
}
"""


def whole_corpus_module() -> str:
    """Every corpus kernel in one module (function names made unique by their suite)."""
    bodies: list[str] = []
    for path in sorted(CORPUS.glob("*/*.mlir")):
        text = run_mlir_opt_text(path.read_text(), [])  # drops comments, normalises the module
        inner = text.strip().removeprefix("module {").removesuffix("}")
        bodies.append(re.sub(r"func\.func @(\w+)", rf"func.func @\1__{path.parent.name}", inner))
    return "module {\n" + "\n".join(bodies) + "\n}\n"


def op_count(text: str) -> int:
    return sum(1 for _ in parse_xdsl(generic(text)).walk())


def generic(text: str) -> str:
    return run_mlir_opt_text(
        text, ["--mlir-print-op-generic", "--mlir-print-local-scope", "--mlir-print-debuginfo"]
    )




def pass_times(text: str, repeats: int) -> tuple[list[float], list[float]]:
    """Wall seconds of each bridged pass instance (from mlir-opt's timing) and of its Python
    share (reported by the bridge), in pipeline order."""
    pipeline = "builtin.module(" + ",".join([PASS] * repeats) + ")"
    proc = subprocess.run(
        [find_tool("mlir-opt"), f"--load-pass-plugin={plugin_path()}", f"--pass-pipeline={pipeline}",
         "--mlir-timing", "--mlir-timing-display=tree", "-o", "/dev/null", "-"],
        input=text, capture_output=True, text=True, check=True,
        env=dict(os.environ, LIFTCOMP_BRIDGE_TIMES="1"),
    )
    total_re = r"^\s+(\d+\.\d+) \(\s*[\d.]+%\)\s+LiftcompTestBridge$"
    python_re = rf"^liftcomp-bridge: {PASS} python_s=(\d+\.\d+)$"
    total = [float(m[1]) for m in re.finditer(total_re, proc.stderr, re.M)]
    python = [float(m[1]) for m in re.finditer(python_re, proc.stderr, re.M)]
    if len(total) != repeats or len(python) != repeats:
        raise SystemExit(f"expected {repeats} timings, got {len(total)} and {len(python)}:\n{proc.stderr}")
    return total, python


def startup_cost(runs: int) -> tuple[float, float]:
    """Median wall seconds of mlir-opt-22 on a tiny module: without, then with the plugin."""
    def wall(args: list[str]) -> float:
        samples: list[float] = []
        for _ in range(runs):
            start = time.perf_counter()
            subprocess.run([find_tool("mlir-opt"), *args, "-o", "/dev/null", "-"], input=TINY,
                           capture_output=True, text=True, check=True)
            samples.append(time.perf_counter() - start)
        return statistics.median(samples)

    plain = wall(["--pass-pipeline=builtin.module(canonicalize)"])
    bridged = wall([f"--load-pass-plugin={plugin_path()}", f"--pass-pipeline=builtin.module({PASS})"])
    return plain, bridged


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=60, help="pass instances per module (default 60)")
    ns = parser.parse_args()

    modules = {
        "tiny (1 func)": TINY,
        "blas/gemv": (CORPUS / "blas" / "gemv.mlir").read_text(),
        "blend/overlay_blend_8": (CORPUS / "blend" / "overlay_blend_8.mlir").read_text(),
        "whole corpus (1 module)": whole_corpus_module(),
    }
    print(f"machine: {platform.machine()}, {platform.processor() or '?'}; python {platform.python_version()}")
    print(f"{'module':26} {'ops':>6} {'first ms':>9} {'median ms':>10} {'min ms':>8} {'Python ms':>10} {'C++ ms':>8}")
    for name, text in modules.items():
        total, python = pass_times(text, ns.repeats)
        # the first instance pays for lazy imports: reported apart
        median = statistics.median(total[1:])
        py = statistics.median(python[1:])
        cxx = statistics.median(t - p for t, p in zip(total[1:], python[1:], strict=True))
        print(f"{name:26} {op_count(text):6d} {total[0] * 1e3:9.2f} {median * 1e3:10.2f} "
              f"{min(total[1:]) * 1e3:8.2f} {py * 1e3:10.2f} {cxx * 1e3:8.2f}")
    plain, bridged = startup_cost(15)
    print(f"mlir-opt-22 wall, tiny module: {plain * 1e3:.0f} ms plain, {bridged * 1e3:.0f} ms with the plugin "
          f"and one bridged pass (plugin start-up + first call: {(bridged - plain) * 1e3:.0f} ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
