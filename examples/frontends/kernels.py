"""Python loop kernels: `liftcomp lift examples/frontends/kernels.py` (parsed, never run, when lifted).

The annotations follow docs/FRONTENDS.md: `f32[n]` is a float32 array of extent n, `u8` a uint8
scalar, `int` a size. Imported, each @kernel is also callable: it runs the lifted tensor program.
"""
from __future__ import annotations

import numpy as np

from liftcomp.frontends.python import f32, i8, i32, kernel, u8


@kernel
def saxpy(a: f32, x: f32[n], y: f32[n], out: f32[n], n: int):
    for i in range(n):
        out[i] = a * x[i] + y[i]


@kernel
def row_max(m: f32[rows, cols], out: f32[rows], rows: int, cols: int):
    for i in range(rows):
        best = np.float32(-np.inf)
        for j in range(cols):
            if m[i, j] > best:
                best = m[i, j]
        out[i] = best


@kernel
def matmul(A: i8[16, 16], B: i8[16, 16], C: i32[16, 16]):
    for i in range(16):
        for j in range(16):
            acc = np.int32(0)
            for k in range(16):
                acc += np.int32(A[i, k]) * np.int32(B[k, j])
            C[i, j] = acc


@kernel
def blend(base: u8[n], active: u8[n], opacity: u8, out: u8[n], n: int):
    for i in range(n):
        out[i] = (int(opacity) * int(active[i]) + (255 - int(opacity)) * int(base[i])) // 255
