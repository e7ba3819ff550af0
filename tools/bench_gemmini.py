#!/usr/bin/env python3
"""Simulated cycles and utilization of Gemmini's library schedule (tiled_matmul_auto) on
Autocomp's six GEMM shapes, and the simulator's own run time.

    .venv/bin/python tools/bench_gemmini.py [--config NAME] [--problem int32|autocomp] [--functional] [--json FILE]

Shapes are I x K x J (C[I x J] = A[I x K] @ B[K x J]). `--problem int32` (default): int8 -> int32
C. `--problem autocomp`: Autocomp's problem exactly, int8 C requantised at mvout by a run-time
scale, no bias (targets/gemmini/autocomp.py). Each shape is lowered from the tensor-level input
with the library schedule (tiled_matmul_auto) in both forms (explicit instructions in scf loops,
and one loop_ws per tile: Autocomp's baseline) and simulated with the named GemminiConfig
(`default`, or `firesim-lean`: the configuration calibrated on the public FireSim points); the
configuration is printed with every table.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.targets.gemmini.autocomp import requant_matmul_text
from liftcomp.targets.gemmini.config import CONFIGS
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
from liftcomp.targets.gemmini.sim import simulate

SHAPES = [(512, 512, 512), (12544, 64, 256), (12544, 256, 64), (3136, 128, 512), (3136, 512, 128), (784, 256, 1024)]


def matmul_text(m: int, k: int, n: int) -> str:
    return f"""func.func @gemm(%A: memref<{m}x{k}xi8>, %B: memref<{k}x{n}xi8>, %C: memref<{m}x{n}xi32>) {{
  %a = bufferization.to_tensor %A restrict : memref<{m}x{k}xi8> to tensor<{m}x{k}xi8>
  %b = bufferization.to_tensor %B restrict : memref<{k}x{n}xi8> to tensor<{k}x{n}xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{m}x{n}xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%f : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{m}x{n}xi32>, memref<{m}x{n}xi32>) -> ()
  return
}}
"""


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--functional", action="store_true", help="also time a functional run and check it")
    ap.add_argument("--json", help="write the rows as JSON here")
    ap.add_argument("--config", default="default", choices=sorted(CONFIGS), help="GemminiConfig (default: default)")
    ap.add_argument("--problem", default="int32", choices=["int32", "autocomp"],
                    help="int32 C (default) or Autocomp's int8 requantised C without bias")
    ns = ap.parse_args()
    cfg = CONFIGS[ns.config]
    rows = []
    rng = np.random.default_rng(0)
    print(f"config {cfg.name}, problem {ns.problem}: DRAM latency {cfg.dram_latency} cycles, DIM {cfg.dim}")
    print(f"{'I x K x J':>18} {'form':>8} {'tiles':>9} {'cycles':>10} {'util':>6} {'ld/ex/st/host busy %':>22} "
          f"{'sim s':>6}" + (f" {'func s':>6} ok" if ns.functional else ""))
    for m, k, n in SHAPES:
        autocomp = ns.problem == "autocomp"
        module = parse_mlir(requant_matmul_text(m, k, n) if autocomp else matmul_text(m, k, n))
        a = rng.integers(-128, 128, (m, k), dtype=np.int8)
        b = rng.integers(-128, 128, (k, n), dtype=np.int8)
        c = np.zeros((m, n), np.int8 if autocomp else np.int32)
        scale = np.float32(0.0007)
        args = [a, b, c, scale] if autocomp else [a, b, c]
        expected = None
        for form in ("explicit", "loop_ws"):
            low, report = lower_module_with_report(module, LowerOptions(form=form, config=cfg))  # type: ignore[arg-type]
            s = report.kernels[0].schedule
            assert s is not None
            t0 = time.perf_counter()
            r = simulate(low, args, config=cfg, functional=False)
            t_timing = time.perf_counter() - t0
            row = {"config": cfg.name, "problem": ns.problem, "shape": [m, k, n], "form": form, "tiles": [s.tile_i, s.tile_j, s.tile_k], "cycles": r.cycles,
                   "utilization": round(r.utilization, 4), "busy": r.busy, "sim_seconds": round(t_timing, 3)}
            busy = "/".join(f"{100 * r.busy[u] / r.cycles:.0f}" for u in ("load", "execute", "store", "host"))
            line = (f"{f'{m} x {k} x {n}':>18} {form:>8} {f'{s.tile_i}x{s.tile_j}x{s.tile_k}':>9} {r.cycles:>10} "
                    f"{r.utilization:>6.1%} {busy:>22} {t_timing:>6.2f}")
            if ns.functional:
                if expected is None:
                    expected = (a.astype(np.float64) @ b.astype(np.float64)).astype(np.int32)
                    if autocomp:
                        y = np.rint(expected.astype(np.float32) * scale)
                        expected = np.clip(y, -128, 127).astype(np.int8)
                t0 = time.perf_counter()
                rf = simulate(low, args, config=cfg, functional=True)
                t_func = time.perf_counter() - t0
                ok = bool(np.array_equal(list(rf.outputs.values())[2], expected)) and rf.cycles == r.cycles
                row.update(functional_seconds=round(t_func, 3), correct=ok)
                line += f" {t_func:>6.2f} {'yes' if ok else 'NO'}"
            print(line, flush=True)
            rows.append(row)
    if ns.json:
        with open(ns.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
