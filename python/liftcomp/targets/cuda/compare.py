"""How the CUDA target compares a run's outputs with the numpy reference.

Integers exactly. f32/f64 within rtol 1e-4 (the GPU's f32 GEMM sums in another order than the
reference's sequential loop). 16-bit floats by relative Frobenius error <= 2e-2, NaNs in the same
places: the reference rounds every step of a reduction to 16 bits, the GPU accumulates in f32 and
rounds once (as the GPU benchmarks compare, tools/bench_cuda.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np


def outputs_match(got: list[Any], expected: list[Any]) -> bool:
    if len(got) != len(expected):
        return False
    for g, e in zip(got, expected, strict=True):
        if not isinstance(e, np.ndarray):
            continue
        if e.dtype.kind in "iub":
            if not np.array_equal(np.asarray(g), e):
                return False
            continue
        g64, e64 = np.asarray(g, dtype=np.float64), np.asarray(e, dtype=np.float64)
        if e.dtype.itemsize >= 4 and np.asarray(g).dtype.itemsize >= 4:
            if not np.allclose(g64, e64, rtol=1e-4, atol=1e-5, equal_nan=True):
                return False
            continue
        # 16-bit floats: the reference rounds every step of a reduction to 16 bits, the GPU
        # accumulates in f32 and rounds once; compare as the GPU benchmarks do (relative
        # Frobenius error), NaNs in the same places
        if not np.array_equal(np.isnan(g64), np.isnan(e64)):
            return False
        fin = np.isfinite(e64)
        den = float(np.linalg.norm(e64[fin])) or 1.0
        if float(np.linalg.norm(g64[fin] - e64[fin])) / den > 2e-2:
            return False
    return True
