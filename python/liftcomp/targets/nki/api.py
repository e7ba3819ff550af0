"""Everything the emitter knows about NKI's Python API, in one place.

Follows the NKI API reference of AWS Neuron SDK 2.33 (NKI 0.6.0, "latest" docs checked
2026-12): the standalone `nki` package (`import nki`, `nki.language as nl`, `nki.isa as nisa`),
`@nki.jit(platform_target=...)`, tensors from `nl.ndarray(shape, dtype=, buffer=)` with the
partition dimension first (block dimensions were removed), kernel outputs in `nl.shared_hbm`
and returned, loops `nl.affine_range` / `nl.sequential_range`, and every ISA instruction in its
destination-passing form (`dst=` first; no `dtype=`/`mask=` arguments, removed in Beta 2):
  nisa.dma_copy(dst, src), nisa.dma_transpose(dst, src),
  nisa.nc_matmul(dst, stationary, moving, accumulate=...), nisa.nc_transpose(dst, data),
  nisa.activation(dst, op, data, bias=, scale=, reduce_op=, reduce_res=),
  nisa.tensor_tensor(dst, data1, data2, op), nisa.tensor_scalar(dst, data, op0, operand0,
  reverse0=, op1=, operand1=, reverse1=), nisa.tensor_reduce(dst, op, data, axis, negate=,
  keepdims=), nisa.tensor_copy(dst, src, engine=), nisa.tensor_copy_predicated(dst, src,
  predicate), nisa.memset(dst, value), nisa.iota(dst, pattern, offset=, channel_multiplier=).
HBM views: slicing `t[a:b, c:d]`, `t.reshape(shape)`, `t.broadcast(dim, size)` (NkiTensor).
A later API change is a change of this file.
"""

from __future__ import annotations

from xdsl.dialects.builtin import (
    BFloat16Type,
    Float8E4M3FNType,
    Float8E5M2Type,
    Float16Type,
    Float32Type,
    IntegerType,
)
from xdsl.ir import Attribute

DOC_VERSION = "AWS Neuron SDK 2.33 / NKI 0.6.0 API reference (docs checked 2026-12)"

HEADER = [
    "import numpy as np",
    "",
    "import nki",
    "import nki.isa as nisa",
    "import nki.language as nl",
]


def jit_decorator(chip: str) -> str:
    return f'@nki.jit(platform_target="{chip}")'


def dtype(t: Attribute) -> str:
    if isinstance(t, Float32Type):
        return "nl.float32"
    if isinstance(t, BFloat16Type):
        return "nl.bfloat16"
    if isinstance(t, Float16Type):
        return "nl.float16"
    if isinstance(t, Float8E4M3FNType):
        return "nl.float8_e4m3"
    if isinstance(t, Float8E5M2Type):
        return "nl.float8_e5m2"
    if isinstance(t, IntegerType) and t.width.data == 32:
        return "nl.int32"
    raise ValueError(f"no NKI dtype for {t}")


def numpy_dtype(t: Attribute) -> str:
    """The host wrapper's numpy spelling (bf16 / fp8 from ml_dtypes)."""
    if isinstance(t, Float32Type):
        return "np.float32"
    if isinstance(t, BFloat16Type):
        return "ml_dtypes.bfloat16"
    if isinstance(t, Float16Type):
        return "np.float16"
    if isinstance(t, Float8E4M3FNType):
        return "ml_dtypes.float8_e4m3fn"
    if isinstance(t, Float8E5M2Type):
        return "ml_dtypes.float8_e5m2"
    if isinstance(t, IntegerType):
        return f"np.int{t.width.data}"
    raise ValueError(f"no numpy dtype for {t}")


def ndarray(shape: tuple[int, ...], dt: str, buffer: str, name: str) -> str:
    return f'nl.ndarray(({", ".join(map(str, shape))},), dtype={dt}, buffer=nl.{buffer}, name="{name}")'


def loop(kind: str, trip: int) -> str:
    return f"nl.{'affine_range' if kind == 'affine' else 'sequential_range'}({trip})"


def op(name: str) -> str:
    """An ALU / activation / reduction operator: nl.add, nl.exp, ..."""
    return f"nl.{name}"


def engine(name: str) -> str:
    return f"nisa.engine.{name}"


def hbm_window(t: str, r: str, c: str, rows: int, cols: int) -> str:
    return f"{t}[{r}:{r} + {rows}, {c}:{c} + {cols}]"


def hbm_broadcast_row(t: str, r: str, c: str, cols: int, partitions: int) -> str:
    return f"{t}[{r}:{r} + 1, {c}:{c} + {cols}].broadcast(0, {partitions})"


def tile_slice(t: str, off: str, partitions: int, free: int) -> str:
    return f"{t}[0:{partitions}, {off}:{off} + {free}]"


def call(fn: str, **kw: str) -> str:
    return f"nisa.{fn}({', '.join(f'{k}={v}' for k, v in kw.items())})"
