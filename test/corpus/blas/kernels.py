"""BLAS level-1/2 kernels from C2TACO's blas suite, as used by Tenspiler (dot, gemv)."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("blas", types="f32", form=True, origin="tenspiler:blas/dot",
        args="x:in[n]{unit} y:in[n]{unit} n:=n", sizes={"n": 40},
        tags=("iter_args", "reduction", "dot", "dynamic", "scf"))
def dot(x, y, n):
    return np.float32(np.dot(x[:n].astype(np.float64), y[:n].astype(np.float64)))


@kernel("blas", types="f32", form=True, origin="tenspiler:blas/gemv",
        args="A:in[m,n]{unit} x:in[n]{unit} y:out[m]", sizes={"m": 6, "n": 9},
        tags=("matvec", "iter_args", "2-deep", "dynamic", "memref.dim", "affine"))
def gemv(A, x, y):
    y[...] = (A.astype(np.float64) @ x.astype(np.float64)).astype(np.float32)
