"""A sample of corpus and example files through mlir-opt-22 with the plugin, compared with `liftcomp lift`
(issue 13). tools/plugin_sweep.py runs every file, each in its own processes; to stay within seconds
this test puts the sample through one mlir-opt-22 process (--split-input-file) and lifts each file in
process, then compares the raised IR once both are printed by mlir-opt-22.

The sample: every extra_gemmini/matmul_requant_* and llama/transformer_part1 (they crashed mlir-opt
when the plugin's z3 and libLLVM's were two libraries in one process), and the first MLIR file of
every other corpus suite and of examples/gemmini, in sorted order.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from liftcomp.cli import main as liftcomp_main

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "test" / "corpus"
PLUGIN = REPO / "build" / "passes" / "LiftcompPlugin.so"
MLIR_OPT = shutil.which("mlir-opt-22") or "/usr/lib/llvm-22/bin/mlir-opt"
SPLIT = "// -----"


def sample() -> list[Path]:
    files = sorted((CORPUS / "extra_gemmini").glob("matmul_requant_*.mlir"))
    files.append(CORPUS / "llama" / "transformer_part1.mlir")
    suites = sorted(d for d in CORPUS.iterdir() if d.is_dir()) + [REPO / "examples" / "gemmini"]
    for suite in suites:
        first = next(iter(sorted(suite.glob("*.mlir"))), None)
        if first is not None and first not in files:
            files.append(first)
    return files


def mlir_opt(args: list[str], path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [MLIR_OPT, "--split-input-file", *args, str(path)], capture_output=True, text=True, timeout=300
    )


@pytest.mark.skipif(not PLUGIN.exists(), reason="the mlir-opt plugin is not built (tools/build-plugin.sh)")
def test_sampled_corpus_through_the_plugin_matches_liftcomp_lift(tmp_path: Path) -> None:
    files = sample()
    assert len(files) >= 20 and len([f for f in files if "requant" in f.name]) >= 6
    # A file, not stdin: the plugin reads the user's argument names where the locations point (and
    # names order the terms of a product, so arg3 * arg4 may come out as d * n).
    joined = tmp_path / "sample.mlir"
    joined.write_text(f"\n{SPLIT}\n".join(f.read_text() for f in files))
    raised = mlir_opt([f"--load-pass-plugin={PLUGIN}", "--pass-pipeline=builtin.module(liftcomp-raise)"], joined)
    assert raised.returncode == 0, raised.stderr[-3000:]
    assert "Traceback" not in raised.stderr and "internal error" not in raised.stderr, raised.stderr[-3000:]

    lifted: list[str] = []
    for f in files:
        out = tmp_path / f"{f.parent.name}-{f.name}"
        assert liftcomp_main(["lift", str(f), "-q", "-o", str(out)]) == 0, f
        lifted.append(out.read_text())
    joined.write_text(f"\n{SPLIT}\n".join(lifted))
    printed = mlir_opt([], joined)
    assert printed.returncode == 0, printed.stderr[-3000:]

    by_plugin = raised.stdout.split(SPLIT)
    by_cli = printed.stdout.split(SPLIT)
    assert len(by_plugin) == len(by_cli) == len(files)
    differ = [f.relative_to(REPO) for f, a, b in zip(files, by_cli, by_plugin, strict=True) if a != b]
    assert not differ, f"the plugin and liftcomp lift raise these differently: {differ}"
    # The sample exercises the lifter: most of its functions come out as linalg.
    assert sum("linalg." in chunk for chunk in by_plugin) >= len(files) // 2
