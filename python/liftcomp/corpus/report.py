"""The corpus table: each kernel parsed by mlir-opt-22 and xDSL, executed and compared."""

from __future__ import annotations

import json
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from liftcomp.corpus import KernelSpec, load_corpus
from liftcomp.corpus.check import check_kernel
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.progress import progress


@dataclass
class CorpusRow:
    kernel: str
    suite: str
    types: str
    form: bool
    parsed: bool
    matches: bool
    detail: str
    seconds: float
    # With --lift: the driver's outcome (lifted/partial/unchanged) and proof level. Both are
    # decided by counted budgets (lift/budget.py), so two runs give the same values.
    lift: str | None = None
    proof: str | None = None


def check_one(k: KernelSpec, seeds: int, lift: bool = False) -> CorpusRow:
    start = time.perf_counter()
    try:
        module = parse_mlir(k.mlir_text, str(k.mlir_path))
    except LiftcompError as e:
        return CorpusRow(k.name, k.suite, k.types, k.form, False, False, e.message, time.perf_counter() - start)
    try:
        cmp = check_kernel(k, module, seeds=range(seeds))
    except LiftcompError as e:
        return CorpusRow(k.name, k.suite, k.types, k.form, True, False, e.message, time.perf_counter() - start)
    row = CorpusRow(k.name, k.suite, k.types, k.form, True, cmp.ok, cmp.detail, time.perf_counter() - start)
    if lift:
        from liftcomp.corpus.check import find_func
        from liftcomp.frontends import arg_names_from_source
        from liftcomp.lift.raising import RaiseOptions, raise_function

        report, _ = raise_function(module, find_func(module, k.name), RaiseOptions(), arg_names_from_source(k.mlir_text).get(k.name))
        row.lift, row.proof = report.status, report.proof
        row.seconds = time.perf_counter() - start
    return row


def run_corpus_table(root: Path | None, only: list[str] | None, seeds: int, as_json: bool, lift: bool = False) -> int:
    kernels = load_corpus(root)
    if only:
        missing = set(only) - {k.name for k in kernels}
        if missing:
            raise LiftcompError(f"unknown kernel(s): {', '.join(sorted(missing))}")
        kernels = [k for k in kernels if k.name in only]
    rows: list[CorpusRow] = []
    with progress(len(kernels), "corpus") as advance:  # on stderr, only when it is a terminal
        for k in kernels:
            rows.append(check_one(k, seeds, lift))
            advance(k.name)
    if as_json:
        json.dump([asdict(r) for r in rows], sys.stdout, indent=1)
        print()
    else:
        table = Table(title=f"liftcomp corpus: {len(rows)} kernels")
        cols = ["kernel", "suite", "types", "tensor form", "parsed", "executor == reference"]
        for col in cols + (["lifted", "proof"] if lift else []):
            table.add_column(col)
        for r in rows:
            cells = [r.kernel, r.suite, r.types, "yes" if r.form else "no",
                     "yes" if r.parsed else "NO", "yes" if r.matches else f"NO: {r.detail}"]
            table.add_row(*cells, *([r.lift or "-", r.proof or "-"] if lift else []))
        console = Console(width=160)
        console.print(table)
        ok = sum(r.matches for r in rows)
        console.print(f"{ok}/{len(rows)} kernels match their reference")
    return 0 if all(r.matches for r in rows) else 1
