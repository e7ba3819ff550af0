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
