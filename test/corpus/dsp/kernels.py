"""Vector and matrix DSP primitives (C2TACO's dsp suite, as used by Tenspiler)."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("dsp", types="i16", form=True, origin="tenspiler:dsp/matadd",
        args="A:in[m,n] B:in[m,n] C:out[m,n] m:=m n:=n", sizes={"m": 6, "n": 9},
        tags=("elementwise", "2-deep", "dynamic", "scf", "wrap-around"))
def matadd(A, B, C, m, n):
    C[:m, :n] = A[:m, :n] + B[:m, :n]


@kernel("dsp", types="f32", form=True, origin="tenspiler:dsp/matscal",
        args="A:in B:out s:scalar", sizes={},
        tags=("scalar-arg", "broadcast", "2-deep", "static", "affine"))
def matscal(A, B, s):
    B[...] = np.float32(s) * A


@kernel("dsp", types="i32", form=True, origin="tenspiler:dsp/matsub",
        args="A:in[m*n] B:in[m*n] C:out[m*n] m:=m n:=n", sizes={"m": 5, "n": 8},
        tags=("elementwise", "flattened", "2-deep", "index-arith", "dynamic", "scf", "wrap-around"))
def matsub(A, B, C, m, n):
    C[: m * n] = (A[: m * n].reshape(m, n) - B[: m * n].reshape(m, n)).reshape(-1)


@kernel("dsp", types="i32", form=True, origin="tenspiler:dsp/vadd",
        args="a:in[n] b:in[n] c:out[n] n:=n", sizes={"n": 41},
        tags=("elementwise", "dynamic", "scf", "wrap-around"))
def vadd(a, b, c, n):
    c[:n] = a[:n] + b[:n]


@kernel("dsp", types="f64", form=True, origin="tenspiler:dsp/vcopy",
        args="src:in[n] dst:out[n]", sizes={"n": 35},
        tags=("copy", "dynamic", "memref.dim", "affine", "f64"))
def vcopy(src, dst):
    dst[...] = src


@kernel("dsp", types="i16", form=True, origin="tenspiler:dsp/vmul",
        args="a:in[n] b:in[n] c:out[n] n:=n", sizes={"n": 38},
        tags=("elementwise", "dynamic", "affine", "wrap-around"))
def vmul(a, b, c, n):
    c[:n] = a[:n] * b[:n]


@kernel("dsp", types="i32", form=True, origin="tenspiler:dsp/vneg",
        args="a:in[n] b:out[n] n:=n", sizes={"n": 33},
        tags=("elementwise", "negation", "dynamic", "scf", "wrap-around"))
def vneg(a, b, n):
    b[:n] = np.int32(0) - a[:n]


@kernel("dsp", types="f32", form=True, origin="tenspiler:dsp/vrecip",
        args="a:in[n]{nonzero} b:out[n] n:=n", sizes={"n": 30},
        tags=("elementwise", "division", "constant-operand", "dynamic", "scf"))
def vrecip(a, b, n):
    b[:n] = np.float32(1.0) / a[:n]


@kernel("dsp", types="f32", form=True, origin="tenspiler:dsp/vscal",
        args="x:in[n+4] y:out[n+4] s:scalar n:=n", sizes={"n": 28},
        tags=("scalar-arg", "broadcast", "slice", "i32-length", "index_cast", "scf"),
        note="writes only the first n of n+4 elements; the tail of y keeps its contents")
def vscal(x, y, s, n):
    y[:n] = np.float32(s) * x[:n]


@kernel("dsp", types="i64", form=True, origin="tenspiler:dsp/vsub",
        args="a:in[n] b:in[n] c:out[n] n:=n", sizes={"n": 36},
        tags=("elementwise", "dynamic", "affine", "wrap-around", "i64"))
def vsub(a, b, c, n):
    c[:n] = a[:n] - b[:n]


@kernel("dsp", types="f32", form=True, origin="tenspiler:dsp/wvec",
        args="x:in[n] y:in[n] z:out[n] a:scalar n:=n", sizes={"n": 32},
        tags=("elementwise", "scalar-arg", "axpy", "dynamic", "affine"))
def wvec(x, y, z, a, n):
    z[:n] = np.float32(a) * x[:n] + y[:n]


@kernel("dsp", types="i32", form=True, origin="tenspiler:dsp/voffset",
        args="arr:in[n] v:scalar out:out[n] n:=n", sizes={"n": 33},
        tags=("scalar-arg", "broadcast", "elementwise", "dynamic", "affine", "wrap-around"))
def voffset(arr, v, out, n):
    out[:n] = arr[:n] + np.int32(v)
