"""Element types: MLIR builtin types to numpy dtypes (one place for every stage)."""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects.builtin import (
    BFloat16Type,
    Float8E4M3FNType,
    Float8E5M2Type,
    Float16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
)
from xdsl.ir import Attribute

from liftcomp.diagnostics import LiftcompError


def numpy_dtype(t: Attribute, unsigned: bool = False) -> np.dtype[Any]:
    """The numpy dtype holding values of element type `t` (i1 as bool; index as int64;
    integers as uint when `unsigned`, for the ops that read them so)."""
    if isinstance(t, IntegerType):
        w = t.width.data
        if w == 1:
            return np.dtype(np.bool_)
        if w not in (8, 16, 32, 64):
            raise LiftcompError(f"unsupported element type i{w}")
        return np.dtype(f"{'u' if unsigned else 'i'}{w // 8}")
    if isinstance(t, IndexType):
        return np.dtype(np.int64)
    if isinstance(t, Float16Type):
        return np.dtype(np.float16)
    if isinstance(t, BFloat16Type):
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    if isinstance(t, (Float8E4M3FNType, Float8E5M2Type)):
        import ml_dtypes

        return np.dtype(ml_dtypes.float8_e4m3fn if isinstance(t, Float8E4M3FNType) else ml_dtypes.float8_e5m2)
    if isinstance(t, Float32Type):
        return np.dtype(np.float32)
    if isinstance(t, Float64Type):
        return np.dtype(np.float64)
    raise LiftcompError(f"unsupported element type {t}")
