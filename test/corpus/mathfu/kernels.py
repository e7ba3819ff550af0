"""Vector/matrix operators of the mathfu library (C2TACO's mathfu suite, as used by Tenspiler)."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("mathfu", types="f32", form=True, origin="tenspiler:mathfu/diveq",
        args="a:inout[n] b:in[n]{nonzero} n:=n", sizes={"n": 34},
        tags=("in-place", "division", "elementwise", "dynamic", "scf"))
def diveq(a, b, n):
    a[:n] = a[:n] / b[:n]


@kernel("mathfu", types="i32", form=True, origin="tenspiler:mathfu/diveq_sca",
        args="a:inout[n] s:scalar{pos} n:=n", sizes={"n": 37},
        tags=("in-place", "signed-div", "scalar-arg", "broadcast", "dynamic", "affine"),
        note="s > 0, so INT_MIN / -1 cannot occur")
def diveq_sca(a, s, n):
    x = a[:n].astype(np.int64)
    q = np.abs(x) // s  # C division truncates toward zero
    a[:n] = np.where(x < 0, -q, q).astype(np.int32)


@kernel("mathfu", types="f32", form=True, origin="tenspiler:mathfu/len",
        args="a:in[n] n:=n", sizes={"n": 36},
        tags=("iter_args", "reduction", "sqrt", "epilogue", "dynamic", "affine"))
def len(a, n):  # named after the mathfu kernel; shadows the builtin only in this module
    v = a[:n].astype(np.float64)
    return np.float32(np.sqrt(np.sum(v * v)))


@kernel("mathfu", types="f64", form=True, origin="tenspiler:mathfu/len_sq",
        args="a:in[n] n:=n", sizes={"n": 36},
        tags=("iter_args", "reduction", "square", "dynamic", "scf", "f64"))
def len_sq(a, n):
    v = a[:n]
    return np.sum(v * v)


@kernel("mathfu", types="f32", form=True, origin="tenspiler:mathfu/matmul_sca",
        args="m:in[r,c] s:scalar out:out[r,c]", sizes={"r": 7, "c": 6},
        tags=("scalar-arg", "broadcast", "2-deep", "dynamic", "memref.dim", "scf"))
def matmul_sca(m, s, out):
    out[...] = m * np.float32(s)


@kernel("mathfu", types="f32", form=True, origin="tenspiler:mathfu/muleq",
        args="a:inout[n] b:in[n] n:=n", sizes={"n": 35},
        tags=("in-place", "elementwise", "dynamic", "affine"))
def muleq(a, b, n):
    a[:n] = a[:n] * b[:n]


@kernel("mathfu", types="i16", form=True, origin="tenspiler:mathfu/muleq_sca",
        args="a:inout[n] s:scalar n:=n", sizes={"n": 33},
        tags=("in-place", "scalar-arg", "broadcast", "dynamic", "scf", "wrap-around"))
def muleq_sca(a, s, n):
    a[:n] = a[:n] * np.int16(s)


@kernel("mathfu", types="f32", form=True, origin="tenspiler:mathfu/negate",
        args="a:in out:out", sizes={},
        tags=("elementwise", "negation", "static", "affine"))
def negate(a, out):
    out[...] = -a


@kernel("mathfu", types="i32", form=True, origin="tenspiler:mathfu/pluseq",
        args="a:inout[n] b:in[n] n:=n", sizes={"n": 40},
        tags=("in-place", "elementwise", "dynamic", "affine", "wrap-around"))
def pluseq(a, b, n):
    a[:n] = a[:n] + b[:n]


@kernel("mathfu", types="f32", form=True, origin="tenspiler:mathfu/subeq",
        args="a:inout[n+2] b:in[n+2] n:=n", sizes={"n": 30},
        tags=("in-place", "elementwise", "slice", "dynamic", "scf"),
        note="updates only the first n of n+2 elements")
def subeq(a, b, n):
    a[:n] = a[:n] - b[:n]


@kernel("mathfu", types="f64", form=True, origin="tenspiler:mathfu/subeq_sca",
        args="a:inout[n] s:scalar n:=n", sizes={"n": 31},
        tags=("in-place", "scalar-arg", "broadcast", "dynamic", "scf", "f64"))
def subeq_sca(a, s, n):
    a[:n] = a[:n] - np.float64(s)
