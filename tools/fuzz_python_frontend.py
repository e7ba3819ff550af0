#!/usr/bin/env python3
"""Differential fuzzing of the Python frontend: random expressions over numpy dtypes (u8 ... i64,
f32, f64, Python ints and floats; casts, int(), float(), //, %, /, compares, x if c else y, max,
min, abs), each a @kernel loop; the translation run in the reference executor must give exactly
what Python computes running the function on numpy arrays (NumPy 2 scalar rules, wrap-around
included). Kernels the frontend refuses or numpy raises on are skipped.

    .venv/bin/python tools/fuzz_python_frontend.py [--seeds 5]
"""

from __future__ import annotations

import argparse
import importlib.util
import random
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from liftcomp.diagnostics import LiftcompError
from liftcomp.executor import Interpreter
from liftcomp.frontends.python import read_python

TYPES = {"u8": np.uint8, "i8": np.int8, "i16": np.int16, "u16": np.uint16, "i32": np.int32, "u32": np.uint32,
         "i64": np.int64, "f32": np.float32, "f64": np.float64}
HEADER = "from __future__ import annotations\nimport numpy as np\nfrom liftcomp.frontends.python import kernel\n"


def expr(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(["a[i]", "b[i]", "c[i]", "i", "s"]) if rng.random() < 0.6 else \
            rng.choice(["0", "1", "2", "7", "100", "0.5", "1.5", "-2.25", "3"])
    op = rng.choice(["+", "-", "*", "//", "%", "/", "<", ">=", "==", "if", "cast", "neg", "int", "float", "max", "min", "abs"])
    a, b = expr(rng, depth - 1), expr(rng, depth - 1)
    if op == "if":
        return f"(({a}) if ({b}) > ({expr(rng, depth - 1)}) else ({expr(rng, depth - 1)}))"
    if op == "cast":
        return f"np.{np.dtype(rng.choice(list(TYPES.values()))).name}({a})"
    if op == "neg":
        return f"(-({a}))"
    if op in ("int", "float", "abs"):
        return f"{op}({a})"
    if op in ("max", "min"):
        return f"{op}({a}, {b})"
    if op in ("//", "%"):
        return f"(({a}) {op} (np.int32(({b}) != 0) + np.int32(2)))"  # a non-zero divisor
    if op == "/":
        return f"(({a}) / np.float32(3.0))"
    return f"(({a}) {op} ({b}))"


def one(seed: int, k: int, tmp: Path) -> str:
    """ok | skip | a description of the difference."""
    rng = random.Random(seed * 1000 + k)
    ta, tb, tc, to = (rng.choice(list(TYPES)) for _ in range(4))
    src = HEADER + (f"@kernel\ndef k(a: {ta}[n], b: {tb}[n], c: {tc}[n], o: {to}[n], s: int, n: int):\n"
                    f"    for i in range(n):\n        o[i] = {expr(rng, 3)}\n")
    path = tmp / f"k{seed}_{k}.py"
    path.write_text(src)
    try:
        module = read_python(path).module
    except LiftcompError:
        return "skip"
    spec = importlib.util.spec_from_file_location(f"fuzz_{seed}_{k}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    nrng = np.random.default_rng(k)
    args: list[object] = []
    for dt in (ta, tb, tc, to):
        d = np.dtype(TYPES[dt])
        if d.kind == "f":
            args.append((nrng.standard_normal(9) * 50).astype(d))
        else:
            info = np.iinfo(d)
            args.append(nrng.integers(max(info.min, -1000), min(info.max, 1000), 9, dtype=d, endpoint=True))
    args += [3, 9]
    mine = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            mod.k.py(*args)
        except (ArithmeticError, ValueError, TypeError):
            return "skip"
        Interpreter(module).call("k", mine)
    if all(np.array_equal(x, y, equal_nan=True) for x, y in zip(args, mine, strict=True) if isinstance(x, np.ndarray)):
        return "ok"
    return f"{path}: python {args[3]} vs liftcomp {mine[3]}"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--kernels", type=int, default=30, help="kernels per seed")
    ns = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="liftcomp-pyfuzz-"))
    results = [one(s, k, tmp) for s in range(ns.seeds) for k in range(ns.kernels)]
    diffs = [r for r in results if r not in ("ok", "skip")]
    for d in diffs:
        print(d)
    print(f"{results.count('ok')} kernels equal to numpy, {len(diffs)} differ, {results.count('skip')} skipped")
    return 1 if diffs else 0


if __name__ == "__main__":
    sys.exit(main())
