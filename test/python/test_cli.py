"""The command line: help, errors without tracebacks, nothing written on failure."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

LIFTCOMP = [sys.executable, "-m", "liftcomp.cli"]


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*LIFTCOMP, *args], input=stdin, capture_output=True, text=True, timeout=300)


def test_help_lists_subcommands() -> None:
    p = run("--help")
    assert p.returncode == 0
    for sub in ("corpus", "lift", "compile"):
        assert sub in p.stdout


def test_unknown_subcommand_is_a_clear_error() -> None:
    p = run("frobnicate")
    assert p.returncode != 0 and "invalid choice" in p.stderr and "Traceback" not in p.stderr


@pytest.mark.parametrize("content,needle", [
    ("func.func @f( {", "error"),
    ("this is not mlir", "error"),
])
def test_malformed_input_reports_location_and_writes_nothing(tmp_path: Path, content: str, needle: str) -> None:
    src = tmp_path / "bad.mlir"
    src.write_text(content)
    out = tmp_path / "out.mlir"
    rep = tmp_path / "r.json"
    p = run("lift", str(src), "-o", str(out), "--report", str(rep))
    assert p.returncode == 1
    assert needle in p.stderr and str(src) in p.stderr and "Traceback" not in p.stderr
    assert not out.exists() and not rep.exists()


def test_missing_file(tmp_path: Path) -> None:
    p = run("lift", str(tmp_path / "nope.mlir"))
    assert p.returncode == 1 and "no such file" in p.stderr


def test_unsupported_nest_unchanged_with_location(tmp_path: Path) -> None:
    src = tmp_path / "hist.mlir"
    src.write_text("""func.func @hist(%a: memref<?xi32>, %h: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<?xi32>
    %ix = arith.index_cast %v : i32 to index
    %o = memref.load %h[%ix] : memref<?xi32>
    %s = arith.addi %o, %one : i32
    memref.store %s, %h[%ix] : memref<?xi32>
  }
  return
}
""")
    rep = tmp_path / "r.json"
    p = run("lift", str(src), "-q", "--report", str(rep))
    assert p.returncode == 0, p.stderr
    (entry,) = json.loads(rep.read_text())["functions"]
    assert entry["status"] == "unchanged" and "data-dependent" in entry["reason"]
    assert entry["location"].startswith(f"{src}:7:")
    assert "memref.store" in p.stdout  # the nest is still there


def test_lift_report_fields(tmp_path: Path) -> None:
    corpus = Path(__file__).resolve().parents[1] / "corpus" / "blend" / "darken_blend_8.mlir"
    rep = tmp_path / "r.json"
    p = run("lift", str(corpus), "-q", "--report", str(rep), "-o", str(tmp_path / "o.mlir"))
    assert p.returncode == 0, p.stderr
    (entry,) = json.loads(rep.read_text())["functions"]
    assert set(entry) >= {"name", "status", "proof", "program", "proposer", "seconds", "llm_calls", "reason"}
    assert entry["status"] == "lifted" and entry["proof"] == "proved" and entry["proposer"] == "symbolic"
    assert "linalg.map" in (tmp_path / "o.mlir").read_text()


def test_jit_check_compares_native_runs(tmp_path: Path) -> None:
    from liftcomp.interop.upstream_jit import bindings_available

    if not bindings_available():
        pytest.skip("the 'mlir' extra (upstream Python bindings) is not installed")
    corpus = Path(__file__).resolve().parents[1] / "corpus" / "blas" / "gemv.mlir"
    p = run("lift", str(corpus), "-q", "--jit-check", "-o", str(tmp_path / "o.mlir"))
    assert p.returncode == 0, p.stderr
    assert "jit-check @gemv: equal on native runs" in p.stderr
