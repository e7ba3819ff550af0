"""Gemmini's quantised matmul family as loop nests: int8 x int8 -> int32 products requantised to
int8 (accumulator scale with round-half-to-even, optional ReLU, saturation), element-wise int32 ->
int8 scaling, transposed operands, and epilogues whose rounding or clamp bounds differ from the
hardware's (those must stay on the host)."""

import numpy as np
from liftcomp.corpus import kernel

F32 = np.float32
ORIGIN = "gemmini:tiled_matmul_auto"


def _requant(acc, scale, lo=-128):
    """gemmini's ACC_SCALE then saturation: f32(acc) * f32(scale), rounded half to even, clamped."""
    y = acc.astype(F32) * F32(scale)
    return np.clip(np.rint(y), F32(lo), F32(127)).astype(np.int8)


def _mm(A, B):
    return A.astype(np.int32) @ B.astype(np.int32)


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin=ORIGIN,
        args="A:in B:in C:out",
        tags=("matmul", "requantise", "sitofp", "roundeven", "saturation", "iter_args", "static", "affine"))
def matmul_requant_i8(A, B, C):
    C[...] = _requant(_mm(A, B), 1e-3)


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin=ORIGIN,
        args="A:in B:in C:out",
        tags=("matmul", "requantise", "relu", "roundeven", "saturation", "non-multiple-of-16", "static", "scf"))
def matmul_requant_relu_i8(A, B, C):
    C[...] = _requant(_mm(A, B), 5e-4, lo=0)


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin=ORIGIN,
        args="A:in[m,k] B:in[k,n] C:out[m,n] scale:scalar{-0.004:0.004} m:=m n:=n k:=k",
        sizes={"m": 21, "k": 37, "n": 18},
        tags=("matmul", "requantise", "runtime-scale", "roundeven", "saturation", "dynamic", "scf"))
def matmul_requant_dyn(A, B, C, scale, m, n, k):
    C[...] = _requant(_mm(A, B), scale)


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin=ORIGIN,
        args="A:in[m,k] B:in[k,n] C:out[m,n] scale:scalar{0.0001:0.004} m:=m n:=n k:=k",
        sizes={"m": 19, "k": 33, "n": 35},
        tags=("matmul", "requantise", "relu", "runtime-scale", "roundeven", "saturation", "dynamic", "scf"))
def matmul_requant_relu_dyn(A, B, C, scale, m, n, k):
    C[...] = _requant(_mm(A, B), scale, lo=0)


@kernel("extra_gemmini", types="i32->i8", form=True, origin="gemmini:acc scale (mvout)",
        args="x:in[m,n] out:out[m,n] m:=m n:=n", sizes={"m": 7, "n": 21},
        tags=("elementwise", "requantise", "sitofp", "roundeven", "saturation", "dynamic", "scf"))
def scale_i32_i8(x, out, m, n):
    out[...] = _requant(x, F32(0.00999999977))


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin=ORIGIN,
        args="A:in B:in C:out", note="rounds halves away from zero: not Gemmini's rounding",
        tags=("matmul", "requantise", "round", "saturation", "static", "affine"))
def matmul_requant_round_away(A, B, C):
    y = _mm(A, B).astype(F32) * F32(1e-3)
    r = np.sign(y) * np.floor(np.abs(y) + F32(0.5))  # math.round: half away from zero
    C[...] = np.clip(r, F32(-128), F32(127)).astype(np.int8)


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin=ORIGIN,
        args="A:in B:in C:out", note="clamps to [-127, 127]: not Gemmini's saturation",
        tags=("matmul", "requantise", "roundeven", "saturation", "static", "affine"))
def matmul_requant_sym127(A, B, C):
    y = _mm(A, B).astype(F32) * F32(1e-3)
    C[...] = np.clip(np.rint(y), F32(-127), F32(127)).astype(np.int8)


@kernel("extra_gemmini", types="i8->i32", form=True, origin=ORIGIN,
        args="A:in B:in C:out", tags=("matmul", "transpose", "iter_args", "static", "affine"))
def matmul_at_i8(A, B, C):
    C[...] = A.T.astype(np.int32) @ B.astype(np.int32)


@kernel("extra_gemmini", types="i8->i32", form=True, origin=ORIGIN,
        args="A:in[m,k] B:in[n,k] C:out[m,n] m:=m n:=n k:=k", sizes={"m": 18, "k": 35, "n": 21},
        tags=("matmul", "transpose", "iter_args", "dynamic", "scf"))
def matmul_bt_i8(A, B, C, m, n, k):
    C[...] = A.astype(np.int32) @ B.T.astype(np.int32)


@kernel("extra_gemmini", types="i8->i32", form=True, origin=ORIGIN,
        args="A:in B:in C:out", tags=("matmul", "transpose", "iter_args", "static", "affine"))
def matmul_atbt_i8(A, B, C):
    C[...] = A.T.astype(np.int32) @ B.T.astype(np.int32)


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin=ORIGIN,
        args="A:in[m,k] B:in[k,n] D:in[m,n] C:out[m,n] scale:scalar{0.0001:0.004} m:=m n:=n k:=k",
        sizes={"m": 19, "k": 40, "n": 22},
        tags=("matmul", "bias", "requantise", "relu", "runtime-scale", "roundeven", "saturation", "dynamic", "scf"))
def matmul_bias_requant_relu_dyn(A, B, D, C, scale, m, n, k):
    C[...] = _requant(_mm(A, B) + D, scale, lo=0)


# Padded convolutions (issue 14): padding written as guarded loads, NHWC input, HWCF filter.
# Autocomp's three shapes (conv_56x56x64, conv_28x28x128, conv_14x14x256: 3x3, stride 1, pad 1,
# batch 4) are in this directory too but not registered here: each is ~462M multiply-adds, far
# beyond what the reference executor can run in a corpus test; test_lift_conv.py lifts them.
def _conv_nhwc(x, w, stride, pad):
    """int32 NHWC x HWCF convolution of the zero-padded input, summed over (kh, kw, c)."""
    xp = np.pad(x.astype(np.int32), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    kh, kw, _, f = w.shape
    oh = (xp.shape[1] - kh) // stride + 1
    ow = (xp.shape[2] - kw) // stride + 1
    acc = np.zeros((x.shape[0], oh, ow, f), np.int32)
    for p in range(kh):
        for q in range(kw):
            win = xp[:, p:p + stride * (oh - 1) + 1:stride, q:q + stride * (ow - 1) + 1:stride, :]
            acc += np.einsum("nhwc,cf->nhwf", win, w[p, q].astype(np.int32))
    return acc


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin="gemmini:tiled_conv_auto",
        args="x:in w:in out:out",
        tags=("conv", "padding", "scf.if", "requantise", "roundeven", "saturation", "static", "scf"))
def conv_pad1_s1_i8(x, w, out):
    out[...] = _requant(_conv_nhwc(x, w, 1, 1), 3e-3)


@kernel("extra_gemmini", types="i8->i32->i8", form=True, origin="gemmini:tiled_conv_auto",
        args="x:in w:in out:out",
        tags=("conv", "padding", "stride", "scf.if", "requantise", "roundeven", "saturation", "static", "scf"))
def conv_pad1_s2_i8(x, w, out):
    out[...] = _requant(_conv_nhwc(x, w, 2, 1), 3e-3)
