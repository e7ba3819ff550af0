"""DSPstone kernels (C2TACO's dspstone suite, as used by Tenspiler)."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("dspstone", types="i32", form=True, origin="tenspiler:dspstone/mat1x3",
        args="h:in x:in y:out", sizes={},
        tags=("matvec", "init+accumulate", "2-deep", "static", "affine", "wrap-around"))
def mat1x3(h, x, y):
    # int32 products and sums wrap; matmul on int32 arrays wraps the same way (mod 2^32).
    y[...] = (h.astype(np.int64) @ x.astype(np.int64)).astype(np.int32)


@kernel("dspstone", types="i32", form=True, origin="tenspiler:dspstone/n_real_updates",
        args="N:=n A:in[n] B:in[n] C:in[n] D:out[n]", sizes={"n": 39},
        tags=("elementwise", "multiply-add", "i32-length", "index_cast", "dynamic", "scf", "wrap-around"))
def n_real_updates(N, A, B, C, D):
    D[:N] = C[:N] + A[:N] * B[:N]
