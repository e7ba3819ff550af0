"""The Python frontend: `liftcomp lift kernels.py`, the @kernel API on numpy arrays, NumPy 2's
scalar semantics exactly (the translation in the executor == Python running the function), and
one-line refusals with file:line:col."""

import importlib.util
import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from liftcomp.cli import main
from liftcomp.executor import Interpreter
from liftcomp.frontends.python import read_python

ROOT = Path(__file__).resolve().parents[2]
KERNELS = ROOT / "examples" / "frontends" / "kernels.py"


def _import(path: Path, name: str):
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    sys.modules[name] = mod
    spec.loader.exec_module(mod)
    return mod


def test_lift_python_kernels_cli(tmp_path):
    out, report = tmp_path / "k.mlir", tmp_path / "r.json"
    assert main(["lift", str(KERNELS), "-o", str(out), "--report", str(report), "-q"]) == 0
    rows = {r["name"]: r for r in json.loads(report.read_text())["functions"]}
    assert set(rows) == {"saxpy", "row_max", "matmul", "blend"}
    assert all(r["status"] == "lifted" and r["proof"] == "proved" for r in rows.values()), rows
    assert rows["saxpy"]["program"] == "out[0:n] = ((a * x[0:n]) + y[0:n])"
    # The max with an if ignores NaN: np.max(axis=1) (NaN-propagating) is not it; the lifter says
    # so and keeps the row loop around a sequential max (or finds a whole program).
    assert "max(m[" in rows["row_max"]["program"]
    assert " @ " in rows["matmul"]["program"]
    assert "linalg." in out.read_text()


def test_kernel_api_runs_the_lifted_program(tmp_path):
    k = _import(KERNELS, "liftcomp_example_kernels")
    rng = np.random.default_rng(1)
    n = 11
    x, y = rng.standard_normal(n).astype(np.float32), rng.standard_normal(n).astype(np.float32)
    got, want = np.zeros(n, np.float32), np.zeros(n, np.float32)
    k.saxpy(np.float32(0.25), x, y, got, n)
    k.saxpy.py(np.float32(0.25), x, y, want, n)
    assert np.array_equal(got, want) and got.any()
    assert "linalg." in k.saxpy.tensor_program and "scf.for" not in k.saxpy.tensor_program and k.saxpy.report.proof == "proved"
    base, active = (rng.integers(0, 256, n, dtype=np.uint8) for _ in range(2))
    got, want = np.zeros(n, np.uint8), np.zeros(n, np.uint8)
    k.blend(base, active, np.uint8(200), got, n)
    k.blend.py(base, active, np.uint8(200), want, n)
    assert np.array_equal(got, want)
    # Compiled for Gemmini: the simulator runs the lowered program on the arrays.
    A, B = rng.integers(-128, 128, (16, 16), dtype=np.int8), rng.integers(-128, 128, (16, 16), dtype=np.int8)
    C = np.zeros((16, 16), np.int32)
    g = k.matmul.compile("gemmini")
    meas = g(A, B, C)
    assert meas.correct and meas.unit == "cycles" and meas.cost > 0 and "gemmini." in g.target_ir
    assert np.array_equal(C, A.astype(np.int32) @ B.astype(np.int32))


# Each function's numpy semantics differ from C's somewhere; the translation run in the
# reference executor must give exactly what Python gives.
SEMANTICS = '''
from __future__ import annotations
import math
import numpy as np
from liftcomp.frontends.python import f32, f64, i8, i16, i32, i64, u8, u16, kernel

@kernel
def wrap8(a: u8[n], b: u8[n], o: u8[n], w: i16[n], n: int):
    for i in range(n):
        o[i] = a[i] * b[i] + 7          # stays uint8: wraps
        w[i] = a[i] + np.int8(-3)       # uint8 + int8 -> int16

@kernel
def floors(a: i32[n], b: i32[n], q: i32[n], r: i32[n], f: f32[n], n: int):
    for i in range(n):
        d = b[i] if b[i] != 0 else np.int32(3)
        q[i] = a[i] // d                # toward minus infinity
        r[i] = a[i] % d                 # the sign of the divisor
        f[i] = a[i] / d                 # true division: float64, stored as float32

@kernel
def mixed(x: f32[n], k: i32[n], o: f64[n], t: i16[n], n: int) -> f64:
    s = 0.0
    for i in range(n):
        v = x[i] * 3 + k[i]             # float32 + int32 -> float64
        o[i] = v if v > 0 else -v
        t[i] = x[i] * 100.0             # float -> int16 truncation
        s += max(float(x[i]), 0.5) + abs(int(k[i]) % 7)
    return s

@kernel
def accum(x: f32[n], n: int) -> f32:
    s = 0.0                             # becomes float32 after the first iteration
    for i in range(1, n, 2):
        s += x[i] * x[i - 1]
    return s
'''


def test_python_semantics_match_numpy(tmp_path):
    path = tmp_path / "sem_kernels.py"
    path.write_text(SEMANTICS)
    mod = _import(path, "liftcomp_sem_kernels")
    module = read_python(path).module
    rng = np.random.default_rng(3)
    n = 19
    arrays = {
        "wrap8": lambda: [rng.integers(0, 256, n, dtype=np.uint8), rng.integers(0, 256, n, dtype=np.uint8), np.zeros(n, np.uint8), np.zeros(n, np.int16), n],
        "floors": lambda: [rng.integers(-1000, 1000, n, dtype=np.int32), rng.integers(-9, 9, n, dtype=np.int32), np.zeros(n, np.int32), np.zeros(n, np.int32), np.zeros(n, np.float32), n],
        "mixed": lambda: [(rng.standard_normal(n) * 50).astype(np.float32), rng.integers(-100, 100, n, dtype=np.int32), np.zeros(n), np.zeros(n, np.int16), n],
        "accum": lambda: [rng.standard_normal(n).astype(np.float32), n],
    }
    for name, make in arrays.items():
        args = make()
        mine = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            want = getattr(mod, name).py(*args)
            got = Interpreter(module).call(name, mine)
        for a, b in zip(args, mine, strict=True):
            if isinstance(a, np.ndarray):
                assert a.dtype == b.dtype and np.array_equal(a, b), (name, a, b)
        if want is not None:
            assert got[0] == want and np.asarray(got[0]).dtype == np.asarray(want).dtype, (name, got, want)


REFUSED = [
    ("def f(a: f32[n], n: int):\n    i = 0\n    while i < n:\n        i += 1\n", 3, 5, "'While' statements"),
    ("def f(a: f32[n], b: f32[n], n: int):\n    for i in range(n):\n        a[i:n] = b[i]\n", 3, 9, "slices are not supported"),
    ("def f(a, n: int):\n    for i in range(n):\n        a[i] = 0\n", 1, 7, "needs an annotation"),
    ("def f(a: f32[n], n: int):\n    for i in range(n, 0, -1):\n        a[i] = 0\n", 2, 26, "positive integer constant"),
    ("def f(a: f32[n], n: int):\n    for i in range(n):\n        a[i] = g(i)\n", 3, 16, "call to 'g'"),
    ("def f(a: i32[n], b: i64[n], n: int):\n    s = np.int32(0)\n    for i in range(n):\n        s = s + b[i]\n    a[0] = s\n", 4, 9, "changes type in the loop"),
]


@pytest.mark.parametrize("source,line,col,message", REFUSED, ids=[r[3][:24] for r in REFUSED])
def test_unsupported_python_is_refused_with_location(tmp_path, capsys, source, line, col, message):
    src = tmp_path / "bad.py"
    src.write_text("import numpy as np\n" + source)
    out = tmp_path / "out.mlir"
    assert main(["lift", str(src), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"liftcomp: {src}:{line + 1}:{col}: error: "), err
    assert message in err and not out.exists()
