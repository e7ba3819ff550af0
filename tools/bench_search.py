#!/usr/bin/env python3
"""Schedule search on Autocomp's six GEMM shapes: library vs searched schedule, bound, time.

    .venv/bin/python tools/bench_search.py [--budget 40] [--planner builtin] [--out bench-search]
        [--config default|firesim-lean] [--problem int32|autocomp]

`--config` names the GemminiConfig every figure comes from (`firesim-lean`: calibrated on FireSim,
docs/PERFORMANCE.md); `--problem autocomp` is Autocomp's int8 requantised C without bias
(targets/gemmini/autocomp.py) instead of int32 C.

Per shape (I x K x J, int8 x int8 -> int32): beam search from tiled_matmul_auto's schedule
(explicit form, the `liftcomp compile` default) with the built-in policy; then the best schedule is
replayed through `liftcomp compile --schedule TRACE --check-c`, which re-applies its steps, checks the
simulated result against the numpy reference and compiles + runs the emitted C (host header, gcc),
and must reproduce the searched cycles exactly. Prints a markdown table (docs/PERFORMANCE.md) and
writes OUT/results.json, OUT/search.png and one trace per shape.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

SHAPES = [(512, 512, 512), (12544, 64, 256), (12544, 256, 64), (3136, 128, 512), (3136, 512, 128), (784, 256, 1024)]


def matmul_text(m: int, k: int, n: int, name: str) -> str:
    """Tensor-level int8 GEMM, the form `liftcomp-raise` produces for the loop nest."""
    return f"""func.func @{name}(%A: memref<{m}x{k}xi8>, %B: memref<{k}x{n}xi8>, %C: memref<{m}x{n}xi32>) {{
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


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--budget", type=int, default=40, help="schedules simulated per shape (default 40)")
    ap.add_argument("--planner", default="builtin", choices=["builtin"])
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--out", default="bench-search", help="output directory")
    ap.add_argument("--shapes", default="", help="comma-separated indices into the six shapes (default all)")
    ap.add_argument("--no-c", action="store_true", help="skip the replay with the gcc check")
    ap.add_argument("--config", default="default", help="GemminiConfig name (default, firesim-lean)")
    ap.add_argument("--problem", default="int32", choices=["int32", "autocomp"])
    args = ap.parse_args()

    from liftcomp.interop.mlir_tool import parse_mlir
    from liftcomp.search.beam import SearchOptions, beam_search
    from liftcomp.search.problem import Problem
    from liftcomp.search.report import print_table, progress_bar, write_plot, write_trace
    from liftcomp.targets.cli import compile_file
    from liftcomp.targets.gemmini.autocomp import requant_matmul_text
    from liftcomp.targets.gemmini.config import CONFIGS
    from liftcomp.targets.gemmini.policy import BuiltinPlanner
    from liftcomp.targets.gemmini.schedule import library_schedule
    from liftcomp.targets.gemmini.space import GemminiSpace
    from xdsl.dialects import func

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    picked = [SHAPES[int(i)] for i in args.shapes.split(",")] if args.shapes else SHAPES
    results = []
    rows = []
    for m, k, n in picked:
        name = f"gemm_{m}x{k}x{n}"
        src = out / f"{name}.mlir"
        src.write_text(requant_matmul_text(m, k, n, name=name) if args.problem == "autocomp"
                       else matmul_text(m, k, n, name))
        fn = next(op for op in parse_mlir(src.read_text()).ops if isinstance(op, func.FuncOp))
        problem = Problem.for_function("gemmini", fn, config=CONFIGS[args.config], seed=args.seed)
        space = problem.space
        assert isinstance(space, GemminiSpace)
        lib_ws = problem.evaluate(library_schedule(space.shape, space.config, "loop_ws"))
        problem.start()
        t0 = time.perf_counter()
        try:
            with progress_bar(name, args.budget, sys.stderr.isatty()) as progress:
                r = beam_search(problem, BuiltinPlanner(), SearchOptions(budget=args.budget, seed=args.seed), progress)
        finally:
            problem.close()
        search_s = time.perf_counter() - t0
        trace = out / f"search-{name}.json"
        write_trace(r, trace)
        results.append(r)
        replay = None
        if not args.no_c:
            rep = compile_file(src, out / f"{name}-replay", seed=args.seed, check_c=True,
                               search={"schedule_file": trace}, config=args.config)
            replay = rep["kernels"][0]
        assert r.root.metrics is not None and r.best.metrics is not None
        row = {
            "config": args.config,
            "problem": args.problem,
            "shape": f"{m}x{k}x{n}",
            "library_cycles": r.root.cost,
            "library_util": r.root.metrics.utilization,
            "library_loop_ws_cycles": lib_ws.cost,
            "library_loop_ws_util": lib_ws.utilization,
            "best_cycles": r.best.cost,
            "best_util": r.best.metrics.utilization,
            "bound_cycles": r.bound.cost,
            "bound_util": r.bound.utilization,
            "speedup": r.root.cost / r.best.cost,
            "evaluated": r.evaluated,
            "search_seconds": search_s,
            "steps": [str(s) for s in r.best.steps],
            "schedule": problem.schedule_json(r.best.schedule),
            "sim_correct": r.best.metrics.correct,
            "replay_cycles": None if replay is None else replay["cycles"],
            "replay_correct": None if replay is None else replay["correct"],
            "c_correct": None if replay is None else replay.get("c_correct"),
        }
        rows.append(row)
        print(json.dumps(row), flush=True)
    write_plot(results, out / "search.png")
    (out / "results.json").write_text(json.dumps(rows, indent=1) + "\n")
    print_table(results)
    print("\n| shape (I x K x J) | library (explicit) cycles / util | library loop_ws util | searched cycles / util "
          "| bound util | of bound | speedup | vs loop_ws | evals | search time | sim / C correct, replay = | steps |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for x in rows:
        same = x["replay_cycles"] == x["best_cycles"]
        print(f"| {x['shape']} | {x['library_cycles']} / {x['library_util']:.1%} | {x['library_loop_ws_util']:.1%} | "
              f"{x['best_cycles']} / {x['best_util']:.1%} | {x['bound_util']:.1%} | "
              f"{x['bound_cycles'] / x['best_cycles']:.1%} | {x['speedup']:.2f}x | "
              f"{x['library_loop_ws_cycles'] / x['best_cycles']:.2f}x | {x['evaluated']} | "
              f"{x['search_seconds']:.0f} s | {x['sim_correct']} / {x['c_correct']}, {same} | "
              f"{'; '.join(x['steps'])} |")
    bad = [x for x in rows if not x["sim_correct"] or x["c_correct"] is False or
           (x["replay_cycles"] is not None and x["replay_cycles"] != x["best_cycles"])]
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
