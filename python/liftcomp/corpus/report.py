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


def check_one(k: KernelSpec, seeds: int) -> CorpusRow:
    start = time.perf_counter()
    try:
        module = parse_mlir(k.mlir_text, str(k.mlir_path))
    except LiftcompError as e:
        return CorpusRow(k.name, k.suite, k.types, k.form, False, False, e.message, time.perf_counter() - start)
    try:
        cmp = check_kernel(k, module, seeds=range(seeds))
    except LiftcompError as e:
        return CorpusRow(k.name, k.suite, k.types, k.form, True, False, e.message, time.perf_counter() - start)
    return CorpusRow(k.name, k.suite, k.types, k.form, True, cmp.ok, cmp.detail, time.perf_counter() - start)


def run_corpus_table(root: Path | None, only: list[str] | None, seeds: int, as_json: bool) -> int:
    kernels = load_corpus(root)
    if only:
        missing = set(only) - {k.name for k in kernels}
        if missing:
            raise LiftcompError(f"unknown kernel(s): {', '.join(sorted(missing))}")
        kernels = [k for k in kernels if k.name in only]
    rows = [check_one(k, seeds) for k in kernels]
    if as_json:
        json.dump([asdict(r) for r in rows], sys.stdout, indent=1)
        print()
    else:
        table = Table(title=f"liftcomp corpus: {len(rows)} kernels")
        for col in ("kernel", "suite", "types", "tensor form", "parsed", "executor == reference"):
            table.add_column(col)
        for r in rows:
            table.add_row(
                r.kernel, r.suite, r.types, "yes" if r.form else "no",
                "yes" if r.parsed else "NO", "yes" if r.matches else f"NO: {r.detail}",
            )
        console = Console(width=160)
        console.print(table)
        ok = sum(r.matches for r in rows)
        console.print(f"{ok}/{len(rows)} kernels match their reference")
    return 0 if all(r.matches for r in rows) else 1
