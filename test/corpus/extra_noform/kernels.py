"""Kernels with no tensor form in our spec language (form=False): scans, data-dependent addresses,
data-dependent loop exits and loop-carried recurrences. Later stages must leave them untouched."""

import numpy as np
from liftcomp.corpus import kernel

F32 = np.float32
ORIGIN = "liftcomp:extra"


@kernel("extra_noform", types="i32", form=False, origin=ORIGIN,
        args="a:inout[n] n:=n", sizes={"n": 20}, tags=("scan", "prefix-sum", "in-place", "loop-carried", "wrap", "lower-bound", "dynamic", "scf"))
def prefix_sum_inplace_i32(a, n):
    a[...] = np.cumsum(a, dtype=np.int32)


@kernel("extra_noform", types="f32", form=False, origin=ORIGIN,
        args="a:in b:out", tags=("scan", "prefix-sum", "iter_args", "static", "affine"))
def prefix_sum_f32(a, b):
    b[...] = np.cumsum(a, dtype=F32)  # sequential, same rounding as the loop


@kernel("extra_noform", types="i32", form=False, origin="c2taco:histogram",
        args="a:in[n]{0:15} hist:inout n:=n", sizes={"n": 40},
        tags=("histogram", "data-dependent-address", "index_cast", "read-modify-write", "dynamic", "scf"))
def histogram_i32(a, hist, n):
    np.add.at(hist, a, np.int32(1))  # unbuffered: repeated bins all count; int32 wraps


@kernel("extra_noform", types="f32", form=False, origin=ORIGIN,
        args="idx:in[n]{0:15} x:in out:out[n] n:=n", sizes={"n": 20},
        tags=("gather", "data-dependent-address", "index_cast", "dynamic", "affine"))
def gather_f32(idx, x, out, n):
    out[...] = x[idx]


@kernel("extra_noform", types="f32", form=False, origin=ORIGIN,
        args="a:in[n] t:scalar n:=n", sizes={"n": 12},
        tags=("while", "early-exit", "scf.if", "data-dependent-trip-count", "scalar-result", "dynamic"))
def find_first_gt_f32(a, t, n):
    hits = np.flatnonzero(a > t)
    return int(hits[0]) if hits.size else n


@kernel("extra_noform", types="f32", form=False, origin="dsp:iir (first order)",
        args="a:inout[n] b:in[n] c:scalar{unit} n:=n", sizes={"n": 16},
        tags=("recurrence", "loop-carried", "in-place", "lower-bound", "scalar-args", "dynamic", "affine"))
def iir_filter_f32(a, b, c, n):
    # A genuine recurrence: no vectorised numpy form, so the reference steps through it.
    c = F32(c)
    for i in range(1, n):
        a[i] = a[i - 1] * c + b[i]


@kernel("extra_noform", types="i32", form=False, origin=ORIGIN,
        args="x:inout[n]", sizes={"n": 16}, tags=("recurrence", "loop-carried", "wrap", "dynamic", "memref.dim", "scf"))
def lcg_chain_i32(x):
    # Each element depends on the previous one; computed in uint32 so that wrap-around is explicit.
    u = x.view(np.uint32)
    for i in range(len(u) - 1):
        u[i + 1] = (int(u[i]) * 1103515245 + 12345) & 0xFFFFFFFF
