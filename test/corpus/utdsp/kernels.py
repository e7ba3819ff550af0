"""UTDSP filter kernels (C2TACO's utdsp suite, as used by Tenspiler), plus a full FIR block."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("utdsp", types="i32", form=True, origin="tenspiler:utdsp/fir_small",
        args="NTAPS:=t input:in[t+8] coefficient:in[t+3]", sizes={"t": 32},
        tags=("iter_args", "reduction", "dot", "slice", "affine", "wrap-around"),
        note="reads only the first NTAPS elements of longer buffers")
def fir_small(NTAPS, inp, coefficient):
    return np.sum(inp[:NTAPS] * coefficient[:NTAPS], dtype=np.int32)


@kernel("utdsp", types="f32", form=True, origin="tenspiler:utdsp/lmsfir1",
        args="NTAPS:=t input:in[t+4]{unit} coefficient:in[t]{unit}", sizes={"t": 32},
        tags=("iter_args", "reduction", "dot", "slice", "i32-length", "index_cast", "scf"))
def lmsfir1(NTAPS, inp, coefficient):
    x = inp[:NTAPS].astype(np.float64)
    return np.float32(np.dot(x, coefficient[:NTAPS].astype(np.float64)))


@kernel("utdsp", types="f32", form=True, origin="tenspiler:utdsp/lmsfir2",
        args="NTAPS:=t input:in[t] coefficient:inout[t] error:scalar", sizes={"t": 32},
        tags=("in-place", "scalar-arg", "axpy", "slice", "bound-minus-one", "scf"),
        note="the last coefficient is not updated (the loop stops at NTAPS - 1)")
def lmsfir2(NTAPS, inp, coefficient, error):
    m = NTAPS - 1
    coefficient[:m] = coefficient[:m] + inp[:m] * np.float32(error)


@kernel("utdsp", types="f32", form=True, origin="liftcomp:extra (UTDSP-style fir block)",
        args="x:in[n+t-1]{unit} h:in[t]{unit} y:out[n] n:=n ntaps:=t", sizes={"n": 20, "t": 8},
        tags=("iter_args", "stencil", "offset", "sliding-window", "2-deep", "dynamic", "affine"))
def fir_filter(x, h, y, n, ntaps):
    # Window matrix W[i, k] = x[i + k]; y = W h.
    windows = np.lib.stride_tricks.sliding_window_view(x.astype(np.float64), ntaps)[:n]
    y[:n] = (windows @ h[:ntaps].astype(np.float64)).astype(np.float32)
