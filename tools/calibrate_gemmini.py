#!/usr/bin/env python3
"""Fit the `firesim-lean` Gemmini timing model against the public FireSim measurements.

    .venv/bin/python tools/calibrate_gemmini.py [--grid] [--json FILE]

Points (liftcomp.targets.gemmini.autocomp.MEASURED): Autocomp's 12544x64x256 example unoptimised
(3,435,455 cycles) and with reuse (1,519,076), both *fitted*; gemmini-rocc-tests'
tiled_matmul_ws_perf 128x256x256 (39,815 cycles), *held out*. Free parameters:
`dram_latency` (FireSim memory model latency seen by Gemmini's DMA, cycles) and
`preload_weight_cycles` (execute cycles a WS preload of real weights does not overlap); the optional
TLB model (`tlb_entries`, `tlb_miss_cycles`) was tried and is left off (the fit wants no TLB cost).

`--grid` searches both on a 1/8-length version of the two fitted programs (same per-iteration
steady state) minimising the larger relative error; without it the values in config.py are
evaluated. Every run prints the full-size model figures of all three points for `default` and
`firesim-lean` (the configuration each figure comes from is on its line).
"""

from __future__ import annotations

import argparse
import itertools
import json

import numpy as np
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl
from liftcomp.targets.gemmini.autocomp import MEASURED, autocomp_example_text, ws_perf_text
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, FIRESIM_LEAN_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
from liftcomp.targets.gemmini.sim import simulate


def example_cycles(cfg: GemminiConfig, reuse: bool, i_blocks: int = 784) -> int:
    mod = parse_xdsl(autocomp_example_text(reuse, i_blocks))
    m = 16 * i_blocks
    args = [np.zeros((m, 64), np.int8), np.zeros((64, 256), np.int8), np.zeros((m, 256), np.int8)]
    return simulate(mod, args, config=cfg, functional=False).cycles


def ws_perf_cycles(cfg: GemminiConfig) -> int:
    low, _ = lower_module_with_report(parse_mlir(ws_perf_text()), LowerOptions(form="loop_ws", config=cfg))
    args = [np.zeros((128, 256), np.int8), np.zeros((256, 256), np.int8), np.zeros((128, 256), np.int32),
            np.zeros((128, 256), np.int8), np.float32(1.0)]
    return simulate(low, args, config=cfg, functional=False).cycles


def all_points(cfg: GemminiConfig) -> dict[str, int]:
    return {"autocomp_unoptimised": example_cycles(cfg, False), "autocomp_reuse": example_cycles(cfg, True),
            "tiled_matmul_ws_perf": ws_perf_cycles(cfg)}


def grid() -> tuple[int, int, int]:
    scale = 16
    want = {p.name: p.cycles / scale for p in MEASURED}
    best: tuple[float, int, int, int] | None = None
    # A coarse pass (latency 64-128 by 16, preload 0/8/16, TLB miss 0/40/80 with 4 entries) put the
    # optimum at no TLB cost; this is the fine grid around it.
    for lat, pw, tlb in itertools.product(range(88, 113, 4), (0, 2, 4, 6, 8), (0,)):
        if True:
            cfg = FIRESIM_LEAN_CONFIG.with_(dram_latency=lat, preload_weight_cycles=pw, tlb_miss_cycles=tlb)
            u = example_cycles(cfg, False, 784 // scale)
            r = example_cycles(cfg, True, 784 // scale)
            err = max(abs(u / want["autocomp_unoptimised"] - 1), abs(r / want["autocomp_reuse"] - 1))
            print(f"  latency {lat:>3} preload_weight {pw:>2} tlb_miss {tlb:>3}: unoptimised {u * scale:>9} reuse {r * scale:>9} "
                  f"max error {err:.1%}", flush=True)
            if best is None or err < best[0]:
                best = (err, lat, pw, tlb)
    assert best is not None
    return best[1], best[2], best[3]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--grid", action="store_true", help="search the free parameters first")
    ap.add_argument("--json", help="write the table as JSON here")
    ns = ap.parse_args()
    lean = FIRESIM_LEAN_CONFIG
    if ns.grid:
        lat, pw, tlb = grid()
        print(f"best: dram_latency {lat}, preload_weight_cycles {pw}, tlb_miss_cycles {tlb}")
        lean = lean.with_(dram_latency=lat, preload_weight_cycles=pw, tlb_miss_cycles=tlb)
    rows = []
    for cfg in (DEFAULT_CONFIG, lean):
        got = all_points(cfg)
        for p in MEASURED:
            fitted = p.name != "tiled_matmul_ws_perf"
            err = got[p.name] / p.cycles - 1
            macs = p.shape[0] * p.shape[1] * p.shape[2]
            rows.append({"config": cfg.name, "dram_latency": cfg.dram_latency,
                         "preload_weight_cycles": cfg.preload_weight_cycles,
                         "tlb_miss_cycles": cfg.tlb_miss_cycles, "point": p.name,
                         "measured": p.cycles, "model": got[p.name], "error": round(err, 4),
                         "model_util": round(macs / 256 / got[p.name], 4), "role": "fitted" if fitted else "held out"})
            print(f"{cfg.name:>13} {p.name:>22} measured {p.cycles:>9} model {got[p.name]:>9} error {err:+7.1%} "
                  f"({'fitted' if fitted else 'held out'})", flush=True)
    if ns.json:
        with open(ns.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
