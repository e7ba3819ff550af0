"""tools/test_summary.py: the `N passed, N failed` line CI reads; tests that did not run count as neither."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tools" / "test_summary.py"

LIT = """\
Total Discovered Tests: 12
  Unsupported      :   3 (25.00%)
  Passed           :   6 (50.00%)
  Expectedly Failed:   1 (8.33%)
  Failed           :   2 (16.67%)
"""
PYTEST = "==== 1 failed, 5 passed, 4 skipped in 3.21s ====\n"


def load() -> ModuleType:
    spec = importlib.util.spec_from_file_location("test_summary", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_unsupported_lit_tests_are_neither_passed_nor_failed() -> None:
    summary = load()
    assert summary.lit_counts(LIT) == (7, 2, 3)
    assert summary.lit_counts(LIT.replace("Unsupported", "Skipped    ")) == (7, 2, 3)
    assert summary.pytest_counts(PYTEST) == (5, 1, 4)


def test_final_line_sums_only_what_ran(tmp_path: Path) -> None:
    (tmp_path / "lit.txt").write_text(LIT)
    (tmp_path / "py.txt").write_text(PYTEST)
    out = subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "lit.txt"), str(tmp_path / "py.txt")],
                         capture_output=True, text=True, check=True).stdout.splitlines()
    assert out[-1] == "12 passed, 3 failed"
    assert "3 not run" in out[0] and "4 skipped" in out[0]


def test_missing_pytest_summary_is_a_failure() -> None:
    assert load().pytest_counts("crashed before the summary") == (0, 1, 0)
