#!/usr/bin/env python3
"""Lifting time of a static-shape affine GEMM against the same GEMM with dynamic sizes (issue 13:
a 64x96x128 static GEMM took 26 s where the dynamic one took 1 s; lift/shrink.py).

    .venv/bin/python tools/bench_static_shapes.py [--repeats N] [--sizes MxKxN ...]

Each kernel is lifted by `liftcomp lift` (in this process, default options) N times; the table
gives the median of the per-function seconds of the lift report (analysis, proposal, differential
test, proof), the proof level, and the buffer shapes the differential test interpreted.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

TEMPLATE = """func.func @gemm(%A: memref<{a}xf32>, %B: memref<{b}xf32>, %C: memref<{c}xf32>{extra}) {{
  affine.for %i = 0 to {m} {{
    affine.for %j = 0 to {n} {{
      affine.for %p = 0 to {k} {{
        %a = affine.load %A[%i, %p] : memref<{a}xf32>
        %b = affine.load %B[%p, %j] : memref<{b}xf32>
        %c = affine.load %C[%i, %j] : memref<{c}xf32>
        %t = arith.mulf %a, %b : f32
        %s = arith.addf %c, %t : f32
        affine.store %s, %C[%i, %j] : memref<{c}xf32>
      }}
    }}
  }}
  return
}}
"""


def gemm(m: int, k: int, n: int, dynamic: bool) -> str:
    if dynamic:
        return TEMPLATE.format(a="?x?", b="?x?", c="?x?", extra=", %m: index, %k: index, %n: index", m="%m", n="%n", k="%k")
    return TEMPLATE.format(a=f"{m}x{k}", b=f"{k}x{n}", c=f"{m}x{n}", extra="", m=m, n=n, k=k)


def lift_once(text: str, tmp: Path) -> tuple[dict[str, Any], list[tuple[int, ...]]]:
    from liftcomp.cli import main
    from liftcomp.lift import verify

    src, rep = tmp / "gemm.mlir", tmp / "r.json"
    src.write_text(text)
    shapes: list[tuple[int, ...]] = []

    def hook(_name: str, args: list[Any]) -> None:
        shapes.extend(x.shape for x in args if isinstance(x, np.ndarray))

    verify.INTERPRET_HOOKS.append(hook)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            rc = main(["lift", "-q", str(src), "--report", str(rep)])
    finally:
        verify.INTERPRET_HOOKS.remove(hook)
    if rc != 0:
        sys.exit(f"bench_static_shapes: liftcomp lift failed (exit {rc})")
    return json.loads(rep.read_text())["functions"][0], shapes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--sizes", nargs="*", default=["64x96x128", "512x512x512"])
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as name:
        for size in args.sizes:
            m, k, n = (int(x) for x in size.split("x"))
            for dynamic in (False, True):
                secs, entry, shapes = [], {}, []
                for _ in range(args.repeats):
                    entry, shapes = lift_once(gemm(m, k, n, dynamic), Path(name))
                    secs.append(entry["seconds"])
                largest = max((int(np.prod(s)) for s in shapes), default=0)
                kind = "dynamic (?x?)" if dynamic else "static"
                rows.append((size if not dynamic else "", kind, entry["status"], entry["proof"], statistics.median(secs),
                             len(shapes), largest))
    print("| GEMM (f32, affine) | shapes | status | proof | seconds (median) | buffers interpreted | largest buffer |")
    print("|---|---|---|---|---:|---:|---:|")
    for size, kind, status, proof, sec, count, largest in rows:
        print(f"| {size} | {kind} | {status} | {proof} | {sec:.2f} | {count} | {largest} elements |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
