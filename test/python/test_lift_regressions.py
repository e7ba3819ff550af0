"""Cases an adversarial review found; each either must be refused or, lifted, must compute what the
original computes when the raised IR is bufferized and lowered to loops by mlir-opt-22."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from liftcomp.executor import Interpreter
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl, run_pipeline

INPUTS = Path(__file__).parent / "Inputs" / "lift"
LOWER = ("builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, "
         "func.func(convert-linalg-to-loops), cse, canonicalize)")


def lift(tmp_path: Path, name: str) -> tuple[dict[str, Any], str]:
    src = INPUTS / name
    out, rep = tmp_path / "o.mlir", tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "liftcomp.cli", "lift", str(src), "-q", "--generic", "-o", str(out), "--report", str(rep)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(rep.read_text())[0], out.read_text()


def same_behaviour(original: str, raised: str, fn: str, cases: list[list[Any]]) -> None:
    lowered = run_pipeline(parse_xdsl(raised), LOWER)
    orig = parse_mlir(original)
    for args in cases:
        a = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
        b = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
        ra = Interpreter(orig).call(fn, a)
        rb = Interpreter(lowered).call(fn, b)
        assert ra == rb, (args, ra, rb)
        for x, y in zip(a, b, strict=True):
            if isinstance(x, np.ndarray):
                assert np.array_equal(x, y, equal_nan=True), (args, x, y)


def test_read_of_an_accumulators_neighbour_is_refused(tmp_path: Path) -> None:
    entry, _ = lift(tmp_path, "acc_neighbour.mlir")
    assert entry["status"] == "unchanged" and "partial reduction" in entry["reason"]


@pytest.mark.parametrize("name,fn,cases", [
    ("max_initial.mlir", "s", [[np.array([1, 2, 3], np.int32), 3], [np.array([500, 2, 3], np.int32), 3], [np.zeros(3, np.int32), 0]]),
    ("name_capture.mlir", "s", [[np.zeros(3, np.int32), np.array([12345, 0, 0], np.int32), 3, 0]]),
    ("peeled_max.mlir", "s", [[np.array([5, 7, 9], np.int32), 0], [np.array([5, 7, 9], np.int32), 1], [np.array([5, 7, 9], np.int32), 3]]),
    ("negative_extent.mlir", "f", [[np.arange(4, dtype=np.int32), np.zeros(4, np.int32), n] for n in (0, 1, 3)]),
    ("signed_bound.mlir", "s", [[np.arange(10, dtype=np.int32), np.zeros(10, np.int32), k] for k in (-3, 0, 4)]),
])
def test_lifted_and_equal_on_edge_inputs(tmp_path: Path, name: str, fn: str, cases: list[list[Any]]) -> None:
    entry, raised = lift(tmp_path, name)
    assert entry["status"] == "lifted", entry["reason"]
    same_behaviour((INPUTS / name).read_text(), raised, fn, cases)
