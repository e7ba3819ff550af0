"""Parts of llama2.c's forward pass in float32 (Tenspiler's llama suite)."""

import numpy as np
from liftcomp.corpus import kernel

F = np.float32


def _seq_sum(v):
    """Left-to-right float32 sum, the order of a scalar accumulator loop."""
    return F(np.cumsum(v, dtype=F)[-1]) if v.size else F(0)


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/matmul",
        args="xout:out[d] x:in[n]{unit} w:in[d*n]{unit} n:=n d:=d", sizes={"n": 12, "d": 9},
        tags=("matvec", "flattened", "iter_args", "dynamic", "reduction"))
def llama_matmul(xout, x, w, n, d):
    xout[:d] = w[: d * n].reshape(d, n) @ x[:n]


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/rmsnorm_part1",
        args="x:in[n] size:=n", sizes={"n": 40},
        tags=("reduction", "iter_args", "scalar-result", "affine", "dynamic"))
def rmsnorm_part1(x, size):
    return _seq_sum(x[:size] * x[:size])


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/rmsnorm_part2",
        args="o:out[n] x:in[n] weight:in[n] ss:scalar{pos} size:=n", sizes={"n": 40},
        tags=("scalar-arg", "sqrt", "hoisted", "index-to-float", "dynamic"))
def rmsnorm_part2(o, x, weight, ss, size):
    scale = F(1) / np.sqrt(F(ss) / F(size) + F(1e-5))
    o[:size] = weight[:size] * (scale * x[:size])


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/softmax_part1",
        args="x:in[n] size:=n", sizes={"n": 40},
        tags=("reduction", "max", "select", "iter_args", "offset", "scalar-result", "dynamic"))
def softmax_part1(x, size):
    return F(np.max(x[:size]))


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/softmax_part2",
        args="x:inout max_val:scalar", tags=("exp", "in-place", "scalar-arg", "static", "affine"))
def softmax_part2(x, max_val):
    x[...] = np.exp(x - F(max_val))


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/softmax_part3",
        args="x:in[n]{pos}", sizes={"n": 40},
        tags=("reduction", "iter_args", "scalar-result", "memref.dim", "affine", "dynamic"))
def softmax_part3(x):
    return _seq_sum(x)


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/softmax_part4",
        args="x:inout[n] sum:scalar{pos} size:=n", sizes={"n": 40},
        tags=("in-place", "scalar-arg", "division", "dynamic"))
def softmax_part4(x, sum, size):
    x[:size] = x[:size] / F(sum)


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/transformer_part1",
        args="att:out[p+1] q:in[nh*hs]{unit} key_cache:in[(p+1)*nh*hs]{unit} pos:=p h:=1 hs:=hs kv_dim:=nh*hs",
        sizes={"p": 5, "nh": 3, "hs": 8},
        tags=("matvec", "flattened", "offset", "iter_args", "sqrt", "index-to-float", "dynamic"))
def transformer_part1(att, q, key_cache, pos, h, hs, kv_dim):
    steps = pos + 1
    keys = key_cache[: steps * kv_dim].reshape(steps, kv_dim)[:, h * hs : (h + 1) * hs]
    att[:steps] = (keys @ q[h * hs : (h + 1) * hs]) / np.sqrt(F(hs))


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/transformer_part2",
        args="xb:inout[nh*hs] att:in[p+1]{unit} value_cache:in[(p+1)*nh*hs]{unit} pos:=p h:=2 hs:=hs kv_dim:=nh*hs",
        sizes={"p": 6, "nh": 3, "hs": 7},
        tags=("matvec", "transpose", "flattened", "offset", "iter_args", "dynamic"))
def transformer_part2(xb, att, value_cache, pos, h, hs, kv_dim):
    steps = pos + 1
    values = value_cache[: steps * kv_dim].reshape(steps, kv_dim)[:, h * hs : (h + 1) * hs]
    xb[h * hs : (h + 1) * hs] = att[:steps] @ values


@kernel("llama", types="f32", form=True, origin="llama2.c:forward (weighted values, original loop order)",
        args="xb:inout[nh*hs] att:in[p+1]{unit} value_cache:in[(p+1)*nh*hs]{unit} pos:=p h:=1 hs:=hs kv_dim:=nh*hs",
        sizes={"p": 6, "nh": 3, "hs": 7},
        tags=("matvec", "transpose", "flattened", "offset", "init+accumulate", "in-place", "dynamic"))
def transformer_part2_accum(xb, att, value_cache, pos, h, hs, kv_dim):
    steps = pos + 1
    values = value_cache[: steps * kv_dim].reshape(steps, kv_dim)[:, h * hs : (h + 1) * hs]
    xb[h * hs : (h + 1) * hs] = att[:steps] @ values


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/transformer_part3",
        args="out:out x:in", tags=("exp", "negf", "division", "static", "affine"))
def transformer_part3(out, x):
    out[...] = x * (F(1) / (F(1) + np.exp(-x)))


@kernel("llama", types="f32", form=True, origin="tenspiler:llama/transformer_part4",
        args="hb:inout[n] hb2:in[n]", sizes={"n": 44},
        tags=("elementwise", "in-place", "memref.dim", "affine", "dynamic"))
def transformer_part4(hb, hb2):
    hb[...] = hb * hb2
