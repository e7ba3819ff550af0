"""Stencils, convolutions and strided / offset accesses: loops whose accesses are shifted or strided
copies of the iteration space (tensor form: slices with offsets and steps)."""

import numpy as np
from liftcomp.corpus import kernel
from numpy.lib.stride_tricks import sliding_window_view

F32 = np.float32
ORIGIN = "liftcomp:extra"


@kernel("extra_stencil", types="f32", form=True, origin=ORIGIN,
        args="a:in[n] b:inout[n] n:=n", sizes={"n": 12}, tags=("stencil", "offset", "interior", "partial-write", "dynamic", "scf"))
def stencil3_1d_f32(a, b, n):
    b[1:n - 1] = F32(0.25) * a[:n - 2] + F32(0.5) * a[1:n - 1] + F32(0.25) * a[2:n]


@kernel("extra_stencil", types="f32", form=True, origin="polybench:jacobi-2d (one step)",
        args="A:in B:inout", tags=("stencil", "2d", "offset", "interior", "partial-write", "static", "affine"))
def jacobi5_2d_f32(A, B):
    B[1:7, 1:7] = F32(0.2) * (A[1:7, 1:7] + A[0:6, 1:7] + A[2:8, 1:7] + A[1:7, 0:6] + A[1:7, 2:8])


@kernel("extra_stencil", types="f32", form=True, origin=ORIGIN,
        args="a:in[n+k-1]{unit} w:in[k]{unit} out:out[n]", sizes={"n": 9, "k": 4},
        tags=("convolution", "offset", "iter_args", "dynamic", "memref.dim", "affine"))
def conv1d_valid_f32(a, w, out):
    out[...] = sliding_window_view(a, w.shape[0]) @ w


@kernel("extra_stencil", types="f32", form=True, origin=ORIGIN,
        args="img:in{unit} k:in{unit} out:out", tags=("convolution", "2d", "offset", "init+accumulate", "4-deep", "static", "affine"))
def conv2d_3x3_f32(img, k, out):
    out[...] = np.einsum("ijpq,pq->ij", sliding_window_view(img, (3, 3)), k)


@kernel("extra_stencil", types="f32", form=True, origin=ORIGIN,
        args="a:in[n] b:inout[n] s:scalar n:=n", sizes={"n": 11}, tags=("step", "strided", "partial-write", "scalar-args", "dynamic", "scf"))
def even_scale_step2_f32(a, b, s, n):
    b[0:n:2] = F32(s) * a[0:n:2]


@kernel("extra_stencil", types="f32", form=True, origin=ORIGIN,
        args="a:in[n+2] b:inout[n] n:=n", sizes={"n": 10}, tags=("offset", "lower-bound", "partial-write", "copy", "dynamic", "affine"))
def shift_offset_lb1_f32(a, b, n):
    b[1:n] = a[3:n + 2]


@kernel("extra_stencil", types="i32", form=True, origin=ORIGIN,
        args="a:in[2*n] b:out[n]", sizes={"n": 9}, tags=("strided", "downsample", "index-arith", "dynamic", "memref.dim", "scf"))
def downsample2_i32(a, b):
    b[...] = a[::2]


@kernel("extra_stencil", types="f32", form=True, origin=ORIGIN,
        args="a:in out:out", tags=("strided", "pooling", "2d", "affine-map", "static", "affine"))
def avgpool2x2_f32(a, out):
    # Same association as the loop: ((x00 + x01) + x10) + x11.
    out[...] = F32(0.25) * (((a[0::2, 0::2] + a[0::2, 1::2]) + a[1::2, 0::2]) + a[1::2, 1::2])


@kernel("extra_stencil", types="f32", form=True, args="x:in w:in out:out",
        tags=("conv", "padding", "scf.if", "iter_args", "static", "scf"))
def conv_nchw_pad1_f32(x, w, out):
    # One accumulator per output from +0.0 over (c, kh, kw) in that order, every step rounded.
    xp = np.pad(x, ((0, 0), (0, 0), (1, 1), (1, 1)))
    acc = np.zeros(out.shape, np.float32)
    for c in range(x.shape[1]):
        for p in range(3):
            for q in range(3):
                win = xp[:, c, p:p + out.shape[2], q:q + out.shape[3]]
                acc = (acc + (win[:, None, :, :] * w[None, :, c, p, q, None, None]).astype(np.float32)).astype(np.float32)
    out[...] = acc
