"""Image blend modes on 8-bit pixels (Tenspiler's blend suite), with the real 255 constants."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/darken_blend_8",
        args="base:in[n] active:in[n] out:out[n] n:=n", sizes={"n": 37}, tags=("select", "dynamic"))
def darken_blend_8(base, active, out, n):
    out[:n] = np.where(base[:n] > active[:n], active[:n], base[:n])


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/multiply_blend_8",
        args="base:in[m,n] active:in[m,n] out:out[m,n]", sizes={"m": 5, "n": 7},
        tags=("widening", "truncation", "unsigned-div", "2d", "dynamic"))
def multiply_blend_8(base, active, out):
    out[...] = ((base.astype(np.uint32) * active) // 255).astype(np.uint8)


# The remaining modes. References widen to the C promotion type (int32), compute, and
# truncate back to uint8 with a modular cast, exactly like the loops.

def _i32(x):
    return x.astype(np.int32)


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/color_burn_8",
        args="base:in[m,n] active:in[m,n] out:out[m,n]", sizes={"m": 4, "n": 9},
        tags=("scf.if", "guarded-div", "signed-div", "widening", "truncation", "2d", "dynamic", "memref.dim"))
def color_burn_8(base, active, out):
    b, a = _i32(base), _i32(active)
    safe = np.where(a == 0, 1, a)
    out[...] = np.where(a == 0, 255, 255 - (255 - b) // safe).astype(np.uint8)


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/color_dodge_8",
        args="base:in[n] active:in[n] out:out[n] n:=n", sizes={"n": 41},
        tags=("select", "guarded-div", "unsigned-div", "widening", "truncation", "affine", "dynamic"))
def color_dodge_8(base, active, out, n):
    b, a = _i32(base[:n]), _i32(active[:n])
    full = a == 255
    out[:n] = np.where(full, 255, b // np.where(full, 1, 255 - a)).astype(np.uint8)


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/dissolve_blend_8",
        args="base:in[n] active:in[n] opacity:scalar rand:in[n] out:out[n] n:=n", sizes={"n": 50},
        tags=("select", "scalar-arg", "unsigned-rem", "widening", "signed-compare", "dynamic"),
        note="the per-pixel random value comes from an input array (the C code calls rand())")
def dissolve_blend_8(base, active, opacity, rand, out, n):
    rand_val = _i32(rand[:n]) % 100 + 1
    out[:n] = np.where(np.int32(opacity) - rand_val >= 0, active[:n], base[:n])


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/lighten_blend_8",
        args="base:in[n] active:in[n] out:out[n] n:=n", sizes={"n": 37},
        tags=("scf.if", "store-in-branches", "unsigned-compare", "affine", "dynamic"))
def lighten_blend_8(base, active, out, n):
    out[:n] = np.maximum(base[:n], active[:n])


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/linear_burn_8",
        args="base:in[n] active:in[n] out:out[n] n:=n", sizes={"n": 43},
        tags=("widening", "truncation", "wrap-around", "dynamic"))
def linear_burn_8(base, active, out, n):
    out[:n] = (_i32(base[:n]) + _i32(active[:n]) - 255).astype(np.uint8)


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/linear_dodge_8",
        args="base:in active:in out:out", tags=("widening", "truncation", "wrap-around", "static", "affine"))
def linear_dodge_8(base, active, out):
    out[...] = (_i32(base) + _i32(active)).astype(np.uint8)


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/normal_blend_8",
        args="base:in[n] active:in[n] opacity:scalar out:out[n] n:=n", sizes={"n": 39},
        tags=("scalar-arg", "hoisted", "widening", "truncation", "wrap-around", "dynamic"))
def normal_blend_8(base, active, opacity, out, n):
    o = np.int32(opacity)
    out[:n] = (o * _i32(active[:n]) + (255 - o) * _i32(base[:n])).astype(np.uint8)


@kernel("blend", types="u8", form=True, unsigned=True, origin="liftcomp:extra (normal blend with /255)",
        args="base:in[n] active:in[n] opacity:scalar out:out[n] n:=n", sizes={"n": 33},
        tags=("scalar-arg", "loop-invariant-in-body", "widening", "unsigned-div", "truncation", "affine", "dynamic"))
def normal_blend_8_div255(base, active, opacity, out, n):
    o = np.int32(opacity)
    out[:n] = ((o * _i32(active[:n]) + (255 - o) * _i32(base[:n])) // 255).astype(np.uint8)


@kernel("blend", types="f32", form=True, origin="tenspiler:blend/normal_blend_f",
        args="base:in[n]{0:255} active:in[n]{0:255} opacity:scalar{0:1} out:out[n] n:=n", sizes={"n": 35},
        tags=("scalar-arg", "float", "affine", "dynamic"))
def normal_blend_f(base, active, opacity, out, n):
    o = np.float32(opacity)
    out[:n] = o * active[:n] + (np.float32(1) - o) * base[:n]


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/overlay_blend_8",
        args="base:in[n] active:in[n] out:out[n] n:=n", sizes={"n": 47},
        tags=("scf.if", "yield", "signed-div", "widening", "truncation", "unused-arg", "dynamic"),
        note="like Tenspiler's benchmark, only base is read")
def overlay_blend_8(base, active, out, n):
    b = _i32(base[:n])
    hi = 2 * b + b - 2 * b * b // 255 - 255
    lo = 2 * b * b // 255
    out[:n] = np.where(b >= 128, hi, lo).astype(np.uint8)


@kernel("blend", types="u8", form=True, unsigned=True, origin="tenspiler:blend/screen_blend_8",
        args="base:in active:in out:out", tags=("widening", "unsigned-div", "truncation", "2d", "static", "affine"))
def screen_blend_8(base, active, out):
    b, a = _i32(base), _i32(active)
    out[...] = (b + a - b * a // 255).astype(np.uint8)
