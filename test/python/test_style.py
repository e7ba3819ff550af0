"""The package stays ruff- and pyright-clean (the project's style rules, enforced)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        if found is None:
            pytest.skip(f"{name} not installed (pip install -e '.[dev]')")
        return found
    return str(path)


def test_ruff_clean() -> None:
    p = subprocess.run([_tool("ruff"), "check", "python/liftcomp", "tools", "test/python"], cwd=ROOT, capture_output=True, text=True)
    assert p.returncode == 0, p.stdout + p.stderr


def test_pyright_clean() -> None:
    p = subprocess.run([_tool("pyright"), "--pythonpath", sys.executable, "python/liftcomp"], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stdout[-4000:]
