"""`liftcomp examples`: the main job on the bundled examples.

1. The kernel corpus: every kernel parsed (mlir-opt-22 + xDSL), executed by the reference
   executor and compared with its numpy reference, then lifted (analysis, proposal, proofs).
2. The Gemmini pipeline on the bundled int8 examples: raise, lower to Gemmini, search schedules
   with the built-in policy, emit C; each result simulated and checked against the reference.
Outputs go to OUTDIR (default: out/examples); nothing else is written.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

GEMMINI_EXAMPLES = (
    "examples/gemmini/gemm_512_i8.mlir",
    "examples/gemmini/mlp_layer_i8.mlir",
    "test/corpus/extra_linalg/gemm_i8_i32.mlir",
    "test/corpus/extra_linalg/gemm_i8_i32_acc_dyn.mlir",
    "test/corpus/extra_linalg/matvec_i8_i32.mlir",
    "test/corpus/extra_int/i8_resadd_sat.mlir",
)


def add_subcommands(sub: Any) -> None:
    p = sub.add_parser(
        "examples",
        help="run the whole pipeline on the bundled examples and print the tables",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("-o", "--output", default="out/examples", help="directory for emitted code and reports")
    p.add_argument("--budget", type=int, default=32, help="schedules the search may simulate per kernel (default 32)")
    p.add_argument("--no-search", action="store_true", help="keep the library schedule")
    p.add_argument("--corpus-only", action="store_true", help="only the corpus table")
    p.set_defaults(func=run_examples)


def _repo_root() -> Path:
    here = Path(__file__).resolve()
    for parent in here.parents:
        if (parent / "examples").is_dir() and (parent / "test" / "corpus").is_dir():
            return parent
    return Path.cwd()


def corpus_table(console: Console) -> bool:
    from liftcomp.corpus import load_corpus
    from liftcomp.corpus.check import check_kernel, find_func
    from liftcomp.diagnostics import LiftcompError
    from liftcomp.frontends import arg_names_from_source
    from liftcomp.interop.mlir_tool import parse_mlir
    from liftcomp.lift.raising import RaiseOptions, lift_function
    from liftcomp.progress import progress

    table = Table(title="kernel corpus: reference executor and verified lifting")
    for col in ("kernel", "suite", "types", "tensor form", "executor == reference", "lifted", "proof", "s"):
        table.add_column(col)
    ok_all = True
    n_form = n_lifted = n_proved = n_wrong = 0
    kernels = load_corpus()
    with progress(len(kernels), "examples: corpus") as advance:  # on stderr, only when it is a terminal
        for k in kernels:
            advance(k.name)
            try:
                module = parse_mlir(k.mlir_text, str(k.mlir_path))
                cmp = check_kernel(k, module, seeds=range(3))
                matches = "yes" if cmp.ok else f"NO: {cmp.detail}"
                ok_all &= cmp.ok
                t = time.perf_counter()
                rep, _ = lift_function(module, find_func(module, k.name), RaiseOptions(), arg_names_from_source(k.mlir_text).get(k.name))
                secs = time.perf_counter() - t
            except LiftcompError as e:
                table.add_row(k.name, k.suite, k.types, "yes" if k.form else "no", f"NO: {e.message}", "-", "-", "-")
                ok_all = False
                continue
            lifted = rep.status == "lifted"
            n_form += k.form
            n_lifted += lifted and k.form
            n_proved += lifted and rep.proof == "proved"
            n_wrong += lifted and not k.form
            table.add_row(k.name, k.suite, k.types, "yes" if k.form else "no", matches, "yes" if lifted else "no", rep.proof or "-", f"{secs:.2f}")
    console.print(table)
    console.print(f"lifted {n_lifted}/{n_form} kernels with a tensor form ({n_proved} proved); "
                  f"kernels without a form lifted: {n_wrong}")
    return ok_all and n_wrong == 0


def gemmini_table(console: Console, outdir: Path, budget: int, search: bool) -> bool:
    from liftcomp.targets.cli import compile_file

    root = _repo_root()
    table = Table(title="Gemmini: raise -> lower -> search -> emit C (simulated)")
    for col in ("kernel", "proof", "library cycles", "searched cycles", "utilization", "speedup", "vs loop_ws",
                "correct"):
        table.add_column(col)
    ok_all = True
    for rel in GEMMINI_EXAMPLES:
        src = root / rel
        opts = {"search": "beam", "budget": budget, "planner": "builtin", "schedule_file": None, "llm_config": None} if search else None
        report = compile_file(src, outdir / src.stem, search=opts)
        for k in report["kernels"]:
            ok = bool(k["correct"])
            ok_all &= ok
            table.add_row(k["name"], str(k.get("proof") or "-"), f"{k['baseline_cycles']:,}", f"{k['cycles']:,}",
                          f"{k['utilization']:.1%}", f"{k['speedup']:.2f}x",
                          f"{k['speedup_vs_loop_ws']:.2f}x" if "speedup_vs_loop_ws" in k else "-", "yes" if ok else "NO")
    console.print(table)
    return ok_all


def run_examples(ns: argparse.Namespace) -> int:
    console = Console(width=170)
    ok = corpus_table(console)
    if not ns.corpus_only:
        ok &= gemmini_table(console, Path(ns.output), ns.budget, not ns.no_search)
        console.print(f"emitted C and reports under {ns.output}/")
    return 0 if ok else 1
