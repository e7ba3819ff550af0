"""Array and matrix helpers from darknet (C2TACO's darknet suite, as used by Tenspiler)."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("darknet", types="f32", form=True, origin="tenspiler:darknet/mag_array",
        args="a:in[n+5] n:=n", sizes={"n": 33},
        tags=("iter_args", "reduction", "slice", "i32-length", "index_cast", "scf"),
        note="only the first n of n+5 elements are read")
def mag_array(a, n):
    v = a[:n].astype(np.float64)
    return np.float32(np.sum(v * v))


@kernel("darknet", types="i32", form=True, origin="tenspiler:darknet/matrix_add_matrix",
        args="from_:in[m,n] to:inout[m,n]", sizes={"m": 5, "n": 7},
        tags=("in-place", "2-deep", "dynamic", "memref.dim", "affine", "wrap-around"))
def matrix_add_matrix(from_, to):
    to[...] = to + from_


@kernel("darknet", types="f32", form=True, origin="tenspiler:darknet/mult_add_into_cpu",
        args="n:=n X:in[n] Y:in[n] Z:inout[n]", sizes={"n": 29},
        tags=("in-place", "elementwise", "dynamic", "scf"))
def mult_add_into_cpu(n, X, Y, Z):
    Z[:n] = Z[:n] + X[:n] * Y[:n]


@kernel("darknet", types="f32", form=True, origin="tenspiler:darknet/ol_l2_cpu1",
        args="n:=n pred:in[n] truth:in[n] error:out[n]", sizes={"n": 31},
        tags=("elementwise", "square", "dynamic", "scf"))
def ol_l2_cpu1(n, pred, truth, error):
    d = truth[:n] - pred[:n]
    error[:n] = d * d


@kernel("darknet", types="f64", form=True, origin="tenspiler:darknet/ol_l2_cpu2",
        args="n:=n pred:in[n] truth:in[n] delta:out[n]", sizes={"n": 31},
        tags=("elementwise", "dynamic", "affine", "f64"))
def ol_l2_cpu2(n, pred, truth, delta):
    delta[:n] = truth[:n] - pred[:n]


@kernel("darknet", types="f32", form=True, origin="tenspiler:darknet/scale_array",
        args="a:inout[n] n:=n s:scalar", sizes={"n": 27},
        tags=("in-place", "scalar-arg", "broadcast", "dynamic", "affine"))
def scale_array(a, n, s):
    a[:n] = a[:n] * np.float32(s)


@kernel("darknet", types="i32", form=True, origin="tenspiler:darknet/scale_matrix",
        args="m:inout scale:scalar", sizes={},
        tags=("in-place", "scalar-arg", "broadcast", "2-deep", "static", "scf", "wrap-around"))
def scale_matrix(m, scale):
    m[...] = m * np.int32(scale)


@kernel("darknet", types="i32", form=True, origin="tenspiler:darknet/sum_array",
        args="a:in[n+3] n:=n", sizes={"n": 37},
        tags=("iter_args", "reduction", "slice", "affine", "wrap-around"),
        note="only the first n of n+3 elements are summed")
def sum_array(a, n):
    return np.sum(a[:n], dtype=np.int32)


@kernel("darknet", types="f32", form=True, origin="tenspiler:darknet/translate_array",
        args="a:inout[n] s:scalar", sizes={"n": 26},
        tags=("in-place", "scalar-arg", "broadcast", "dynamic", "memref.dim", "scf"))
def translate_array(a, s):
    a[...] = a + np.float32(s)


@kernel("darknet", types="f32", form=True, origin="liftcomp:extra (darknet axpy_cpu)",
        args="n:=n alpha:scalar X:in[2*n] incx:=2 Y:inout[n] incy:=1", sizes={"n": 23},
        tags=("in-place", "step", "strided", "scalar-arg", "index-arith", "scf"),
        note="strides are runtime index arguments (2 and 1 in tests)")
def axpy_cpu(n, alpha, X, incx, Y, incy):
    ys = Y[: n * incy : incy]
    ys[...] = ys + np.float32(alpha) * X[: n * incx : incx]


@kernel("darknet", types="i32", form=True, origin="tenspiler:darknet/mse_array",
        args="a:in[n+2] n:=n", sizes={"n": 35},
        tags=("iter_args", "reduction", "square", "slice", "i32-length", "index_cast", "scf", "wrap-around"),
        note="C2TACO's int version: the sum of squares, no division or square root")
def mse_array(a, n):
    v = a[:n]
    return np.sum(v * v, dtype=np.int32)
