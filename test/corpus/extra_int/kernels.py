"""Integer semantics the peers approximate with 6-bit integers: u8 widening / truncation, int8 wrap-around
and saturation (Gemmini resadd), i32 overflow, signed vs unsigned division and shifts, int <-> float."""

import numpy as np
from liftcomp.corpus import kernel

F32 = np.float32
ORIGIN = "liftcomp:extra"


@kernel("extra_int", types="u8", form=True, unsigned=True, origin=ORIGIN,
        args="a:in[n] b:in[n] out:out[n] n:=n", sizes={"n": 40}, tags=("select", "saturation", "unsigned-cmp", "dynamic", "scf"))
def u8_sat_add(a, b, out, n):
    out[...] = np.minimum(a.astype(np.uint16) + b, 255).astype(np.uint8)


@kernel("extra_int", types="u8->i16", form=True, unsigned=True, origin=ORIGIN,
        args="a:in b:in out:out", tags=("widening", "truncation", "unsigned-shift", "2d", "static", "affine"))
def u8_avg_round(a, b, out):
    out[...] = ((a.astype(np.uint16) + b + 1) >> 1).astype(np.uint8)


@kernel("extra_int", types="u8->i32", form=True, unsigned=True, origin=ORIGIN,
        args="a:in[n]", sizes={"n": 37}, tags=("reduction", "widening", "iter_args", "scalar-result", "dynamic", "memref.dim", "scf"))
def u8_sum_i32(a):
    # n * 255 is far below 2^31, so the i32 sum equals the exact sum.
    return int(a.sum(dtype=np.int64))


@kernel("extra_int", types="i8", form=True, origin=ORIGIN,
        args="a:in[n] b:in[n] out:out[n] n:=n", sizes={"n": 40}, tags=("elementwise", "wrap", "dynamic", "affine"))
def i8_add_wrap(a, b, out, n):
    out[...] = a + b  # int8 arrays: numpy wraps modulo 256


@kernel("extra_int", types="i8", form=True, origin="gemmini:resadd (no saturation)",
        args="A:in B:in C:out", tags=("elementwise", "wrap", "2d", "static", "scf"))
def i8_matadd_wrap(A, B, C):
    C[...] = A + B


@kernel("extra_int", types="i8->i32", form=True, origin="gemmini:tiled_resadd_auto",
        args="A:in[m,n] B:in[m,n] C:out[m,n]", sizes={"m": 5, "n": 9},
        tags=("elementwise", "widening", "saturation", "select", "truncation", "2d", "dynamic", "memref.dim", "scf"))
def i8_resadd_sat(A, B, C):
    C[...] = np.clip(A.astype(np.int32) + B, -128, 127).astype(np.int8)


@kernel("extra_int", types="i32", form=True, origin=ORIGIN,
        args="a:in[n] b:in[n] out:out[n] n:=n", sizes={"n": 40}, tags=("elementwise", "wrap", "overflow", "dynamic", "scf"))
def i32_mul_wrap(a, b, out, n):
    out[...] = a * b  # int32 arrays: numpy wraps modulo 2^32


@kernel("extra_int", types="i32", form=True, origin=ORIGIN,
        args="a:in[n] b:in[n]{1:1000} c:in[n]{-1000:-2} qs:out[n] rs:out[n] qu:out[n] ru:out[n] qn:out[n] n:=n",
        sizes={"n": 30}, tags=("signed-div", "unsigned-div", "remainder", "multi-output", "dynamic", "affine"))
def div_rem_i32(a, b, c, qs, rs, qu, ru, qn, n):
    # C semantics: signed division truncates toward zero and the remainder takes the dividend's sign.
    a64, b64, c64 = a.astype(np.int64), b.astype(np.int64), c.astype(np.int64)
    qs[...] = np.sign(a64) * (np.abs(a64) // b64)
    rs[...] = a64 - qs.astype(np.int64) * b64
    au, bu = a.view(np.uint32), b.view(np.uint32)
    qu[...] = (au // bu).view(np.int32)
    ru[...] = (au % bu).view(np.int32)
    qn[...] = -np.sign(a64) * (np.abs(a64) // -c64)


@kernel("extra_int", types="i32", form=True, origin=ORIGIN,
        args="a:in[n] s:in[n]{0:31} shl:out[n] sar:out[n] shr:out[n] n:=n", sizes={"n": 30},
        tags=("shift", "signed-shift", "unsigned-shift", "multi-output", "dynamic", "scf"))
def shifts_i32(a, s, shl, sar, shr, n):
    shl[...] = np.left_shift(a, s)
    sar[...] = np.right_shift(a, s)
    shr[...] = np.right_shift(a.view(np.uint32), s.astype(np.uint32)).view(np.int32)


@kernel("extra_int", types="i32->f32", form=True, origin=ORIGIN,
        args="a:in[n] fs:out[n] fu:out[n] n:=n", sizes={"n": 30}, tags=("sitofp", "uitofp", "conversion", "multi-output", "dynamic", "affine"))
def int_to_float_i32(a, fs, fu, n):
    fs[...] = a.astype(F32)
    fu[...] = a.view(np.uint32).astype(F32)


@kernel("extra_int", types="i32->i8", form=True, origin="gemmini:acc scale (requantisation)",
        args="acc:in{-20000:20000} out:out scale:scalar{-0.01:0.01}",
        tags=("conversion", "sitofp", "fptosi", "roundeven", "saturation", "maximumf", "2d", "static", "affine"))
def requant_i32_i8(acc, out, scale):
    scaled = acc.astype(F32) * F32(scale)
    out[...] = np.clip(np.rint(scaled), F32(-128), F32(127)).astype(np.int8)
