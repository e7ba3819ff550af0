#!/usr/bin/env python3
"""Autocomp's three convolutions on the Gemmini model: library vs searched vs best hand-written tiles.

    .venv/bin/python tools/bench_gemmini_conv.py [--config firesim-lean] [--budget 12] [--form autocomp]
        [--shapes 0,1,2] [--json FILE]

Shapes (targets/gemmini/autocomp.py AUTOCOMP_CONV_SHAPES): batch 4, 3x3 kernel, stride 1, 56x56x64,
28x28x128, 14x14x256 (channels in = out), int8 NHWC x HWCF -> int32, requantised to int8.
`--form autocomp` is Autocomp's harness (harnesses/exo-conv/test0-2.c): input pre-padded in DRAM
(58x58 for 56x56; padding 0 in the conv), an int32 bias per output channel, scale 1, no activation;
`--form padded` is our corpus form (tensor.pad by 1: the FSM writes the border as zero rows, no bias,
requantisation scale 0.01).

Per shape and configuration (every figure names it):
- library: gemmini.h's tiled_conv_auto tiles (`library_conv_schedule`, equal to gemmini.h's on
  these shapes), one loop_conv_ws per tile;
- searched: `liftcomp compile --search beam --budget B` (conv menu, generic model planner), the result
  checked against the numpy reference and run through the emitted C on the host header (gcc);
- hand: the best of a hand-written sweep of loop_conv_ws tilings (HAND below), timing only.
Prints a markdown table for docs/PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np


def hand_tilings(n: int, hw: int, c: int) -> list[tuple[int, ...]]:
    """Tilings a person would try: (batches, porows, pocols, pochs, krows, kcols, kchs): 16-pixel or
    full-row column tiles, 16/32/64 output channels, 1 or all images, 2 or 8 rows, 64 or all input
    channels per tile (the whole 3x3 kernel)."""
    out: list[tuple[int, ...]] = []
    for pochs in (16, 32, 64):
        for pocols in sorted({16, hw}):
            for batches in sorted({1, n}):
                for porows in (2, 8):
                    for kchs in sorted({64, c}):
                        out.append((batches, porows, pocols, pochs, 3, 3, kchs))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--config", default="firesim-lean", help="GemminiConfig (default firesim-lean)")
    ap.add_argument("--budget", type=int, default=12, help="schedules the search simulates per shape (0: no search)")
    ap.add_argument("--form", default="autocomp", choices=["autocomp", "padded"])
    ap.add_argument("--shapes", default="0,1,2", help="indices into the three shapes")
    ap.add_argument("--json", help="write the rows here")
    args = ap.parse_args()

    from liftcomp.interop.mlir_tool import parse_mlir
    from liftcomp.targets.cli import compile_file
    from liftcomp.targets.gemmini.autocomp import AUTOCOMP_CONV_SHAPES, conv_requant_text
    from liftcomp.targets.gemmini.config import CONFIGS
    from liftcomp.targets.gemmini.conv import ConvSchedule, ConvShape
    from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
    from liftcomp.targets.gemmini.sim import simulate

    cfg = CONFIGS[args.config]
    rows = []
    for idx in (int(x) for x in args.shapes.split(",")):
        n, hw, c = AUTOCOMP_CONV_SHAPES[idx]
        if args.form == "autocomp":
            text = conv_requant_text(n, hw + 2, hw + 2, c, c, pad=0, scale=1.0, name=f"conv{idx}", bias=True)
            in_hw = hw + 2
        else:
            text = conv_requant_text(n, hw, hw, c, c, pad=1, scale=0.01, name=f"conv{idx}")
            in_hw = hw
        arrays = [np.zeros((n, in_hw, in_hw, c), np.int8), np.zeros((3, 3, c, c), np.int8),
                  np.zeros((n, hw, hw, c), np.int8)] + ([np.zeros(c, np.int32)] if args.form == "autocomp" else [])
        macs = n * hw * hw * c * c * 9
        pad = 0 if args.form == "autocomp" else 1
        shape = ConvShape(n, in_hw, in_hw, c, 3, 3, c, hw, hw, 1, (pad,) * 4)
        mod = parse_mlir(text)

        def cycles(sched: ConvSchedule | None, mod=mod, arrays=arrays) -> tuple[int, str]:  # noqa: ANN001
            low, rep = lower_module_with_report(mod, LowerOptions(config=cfg, conv_schedule=sched))
            return simulate(low, arrays, cfg, functional=False).cycles, rep.kernels[0].remark

        t0 = time.time()
        lib_cycles, lib_remark = cycles(None)
        best_hand: tuple[int, tuple[int, ...]] | None = None
        for t in hand_tilings(n, hw, c):
            s = ConvSchedule(*t)
            if s.check(shape, cfg):
                continue
            cyc, _ = cycles(s)
            if best_hand is None or cyc < best_hand[0]:
                best_hand = (cyc, t)
        assert best_hand is not None
        searched: dict[str, object] = {}
        if args.budget:
            with tempfile.TemporaryDirectory() as tmp:
                src = Path(tmp) / "conv.mlir"
                src.write_text(text)
                rep = compile_file(src, Path(tmp) / "out", config=args.config, check_c=True,
                                   search={"search": "beam", "budget": args.budget, "show_progress": False})
                (k,) = rep["kernels"]
                searched = {"cycles": k["cycles"], "correct": k["correct"], "c_correct": k.get("c_correct"),
                            "steps": [f"{s['rewrite']}({', '.join(f'{a}={b}' for a, b in s['params'].items())})"
                                      for s in k["steps"]], "library_cycles": k["baseline_cycles"]}
        row = {"shape": f"{n}x{hw}x{hw}x{c}", "config": args.config, "form": args.form, "macs": macs,
               "library": lib_cycles, "library_util": macs / (256 * lib_cycles), "library_remark": lib_remark,
               "hand": best_hand[0], "hand_tiles": best_hand[1], "hand_util": macs / (256 * best_hand[0]),
               "searched": searched, "seconds": round(time.time() - t0, 1)}
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    print(f"\n| shape (N x H x W x C, 3x3) | config | library (tiled_conv_auto) | searched (budget {args.budget}) | "
          "best hand-written tiles | searched / library |")
    print("|---|---|---|---|---|---|")
    for r in rows:
        s = r["searched"]
        sc = s.get("cycles") if isinstance(s, dict) else None
        searched_txt = (f"{sc:,} ({r['macs'] / (256 * sc):.1%}; {', '.join(s['steps']) or 'no step'}; "  # type: ignore[index]
                        f"reference {'ok' if s['correct'] else 'FAIL'}, C {'ok' if s['c_correct'] else 'FAIL'})"
                        if sc else "-")
        ratio = f"{r['library'] / sc:.2f}x" if sc else "-"
        print(f"| {r['shape']} | {r['config']} | {r['library']:,} ({r['library_util']:.1%}) | {searched_txt} | "
              f"{r['hand']:,} ({r['hand_util']:.1%}; {r['hand_tiles']}) | {ratio} |")
    if args.json:
        Path(args.json).write_text(json.dumps(rows, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
