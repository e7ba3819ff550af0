"""arith.maximumf / arith.minimumf on numpy arrays (IEEE 754-2019 maximum / minimum): NaN if
either operand is NaN, -0.0 < +0.0. numpy's maximum / minimum return their second operand on a
tie, so np.maximum(+0.0, -0.0) is -0.0. One definition for every numpy model of MLIR's ops
(TensorSpec, the tensor reference, the CUDA interpreter)."""

from __future__ import annotations

from typing import Any

import numpy as np


def maximumf(a: Any, b: Any) -> Any:
    """arith.maximumf: NaN if either is NaN, +0.0 > -0.0."""
    a, b = np.asarray(a), np.asarray(b)
    with np.errstate(all="ignore"):
        m = np.where(a > b, a, b)
        zeros = (a == b) & np.signbit(a)  # equal: take b unless a is +0 and b -0
        m = np.where(zeros, b, np.where(a == b, a, m))
        out = np.where(np.isnan(a) | np.isnan(b), np.asarray(np.nan, dtype=m.dtype), m)
    return out.astype(np.result_type(a, b))


def minimumf(a: Any, b: Any) -> Any:
    """arith.minimumf: NaN if either is NaN, -0.0 < +0.0."""
    a, b = np.asarray(a), np.asarray(b)
    with np.errstate(all="ignore"):
        m = np.where(a < b, a, b)
        zeros = (a == b) & ~np.signbit(a)  # equal: take b unless a is -0 and b +0
        m = np.where(zeros, b, np.where(a == b, a, m))
        out = np.where(np.isnan(a) | np.isnan(b), np.asarray(np.nan, dtype=m.dtype), m)
    return out.astype(np.result_type(a, b))
