"""Control flow inside loop nests: scalar results through iter_args, scf.if in loop bodies, select-based
clamps and ReLU, loops with several outputs, and a 3-deep reduction to a scalar."""

import numpy as np
from liftcomp.corpus import kernel

F32 = np.float32
ORIGIN = "liftcomp:extra"


@kernel("extra_control", types="f32", form=True, origin=ORIGIN,
        args="a:in[n]{pos} n:=n", sizes={"n": 40}, tags=("reduction", "iter_args", "scalar-result", "dynamic", "scf"),
        note="positive inputs: no cancellation, so summation order changes the result only by rounding")
def sum_f32(a, n):
    return a.sum(dtype=F32)


@kernel("extra_control", types="f32", form=True, origin=ORIGIN,
        args="a:in[n] n:=n", sizes={"n": 40}, tags=("reduction", "max", "maximumf", "iter_args", "scalar-result", "dynamic", "affine"))
def max_f32(a, n):
    return a.max()


@kernel("extra_control", types="i32", form=True, origin=ORIGIN,
        args="A:in", tags=("reduction", "max", "select", "iter_args", "nested-iter_args", "scalar-result", "static", "scf"))
def max_select_i32(A):
    return int(A.max())


@kernel("extra_control", types="i32", form=True, origin=ORIGIN,
        args="a:in[n]{-3:3}", sizes={"n": 30}, tags=("argmax", "select", "iter_args", "multi-carry", "scalar-result", "dynamic", "memref.dim", "scf"),
        note="first index on ties (the small value range makes ties common); TensorSpec's np.argmax")
def argmax_i32(a):
    return int(np.argmax(a))


@kernel("extra_control", types="f32", form=True, origin=ORIGIN,
        args="a:in[n] n:=n", sizes={"n": 40}, tags=("scf.if", "conditional-accumulate", "iter_args", "scalar-result", "dynamic", "scf"))
def sum_positives_if(a, n):
    return np.where(a > 0, a, F32(0)).sum(dtype=F32)


@kernel("extra_control", types="f32", form=True, origin=ORIGIN,
        args="a:in[n] b:inout[n] t:scalar n:=n", sizes={"n": 30}, tags=("scf.if", "conditional-store", "scalar-args", "dynamic", "affine"))
def masked_copy_if(a, b, t, n):
    b[...] = np.where(a > t, a, b)


@kernel("extra_control", types="f32", form=True, origin=ORIGIN,
        args="a:in[n] out:out[n] lo:scalar hi:scalar n:=n", sizes={"n": 30}, tags=("select", "clamp", "scalar-args", "dynamic", "scf"))
def clip_select_f32(a, out, lo, hi, n):
    # lo and hi are random, possibly lo > hi: then the lower bound wins, as in the loop (not np.clip).
    out[...] = np.where(a < lo, F32(lo), np.where(a > hi, F32(hi), a))


@kernel("extra_control", types="f32", form=True, origin=ORIGIN,
        args="a:in out:out", tags=("select", "relu", "static", "affine"))
def relu_select_f32(a, out):
    out[...] = np.where(a > 0, a, F32(0))


@kernel("extra_control", types="f32", form=True, origin=ORIGIN,
        args="A:inout[m,n]", sizes={"m": 5, "n": 6}, tags=("relu", "maximumf", "in-place", "2d", "dynamic", "memref.dim", "scf"))
def relu_maximumf_2d_f32(A):
    A[...] = np.maximum(A, F32(0))


@kernel("extra_control", types="f32", form=True, origin=ORIGIN,
        args="a:in[n] b:in[n] s:out[n] d:out[n] n:=n", sizes={"n": 20}, tags=("multi-output", "elementwise", "dynamic", "affine"))
def sum_diff_two_outputs_f32(a, b, s, d, n):
    s[...] = a + b
    d[...] = a - b


@kernel("extra_control", types="i32", form=True, origin=ORIGIN,
        args="T:in", tags=("reduction", "3-deep", "nested-iter_args", "wrap", "scalar-result", "static", "affine"))
def reduce3_sum_i32(T):
    return int(T.sum(dtype=np.int32))
