"""What one CUDA kernel computes and how (its schedule): the plain-data view of a `cuda.kernel` op.

The dialect (dialect.py) is the IR the lowering produces and the search rewrites; each kernel op
converts to a `KernelSpec` (`dialect.spec_of`), which the emitter, the interpreter, the cost
model and the GPU evaluator read. Keeping one plain record means the four agree on what a schedule
field means.

Kinds and their dims (the C ABI passes dims in this order):
- gemm: D[l, m, n] = epilogue(sum_k A[l, m, k] * B[l, k, n]); dims (M, N, K, L). `b_layout` "row" is
  B stored K x N, "col" is B stored N x K (K-major, required by 8-bit wgmma).
- row: softmax / rmsnorm / layernorm over the last axis of a rows x cols array; dims (rows, cols).
- eltwise: out[i] = body(in0[i], in1[i], ..., scalars); dims (n,).
- reduce: out[r] = combine_c(map(in0[r, c], in1[r, c] | in1[c], ...)); dims (rows, cols).
- transpose: out[b, j, i] = in[b, i, j]; dims (rows, cols, batch).
A gemm or reduce with `ordered` sums in the loop's order (an IEEE-proved sum, ir/float_order.py).
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# element type names used everywhere in the target (C type, bytes)
DTYPES: dict[str, tuple[str, int]] = {
    "bf16": ("__nv_bfloat16", 2),
    "f16": ("__half", 2),
    "f32": ("float", 4),
    "i8": ("int8_t", 1),
    "i32": ("int32_t", 4),
}
ARCHS = ("sm_90a", "sm_80")
KINDS = ("gemm", "row", "eltwise", "reduce", "transpose")
ROW_OPS = ("softmax", "rmsnorm", "layernorm", "fused")  # fused: a row program from rowfuse.py
EPILOGUE_OPS = ("scale", "bias", "relu", "residual", "convert")


@dataclass(frozen=True)
class GemmSchedule:
    tile: tuple[int, int, int] = (128, 256, 64)
    cluster: tuple[int, int] = (2, 1)
    # "cooperative": 2 consumer warpgroups share one tile; "pingpong": they alternate tiles
    policy: str = "cooperative"
    stages: int = 0  # 0: as many as fit in shared memory
    persistent: bool = True
    swizzle: int = 1  # tile-order swizzle (1, 2, 4, 8)
    raster: str = "auto"  # "m", "n", "auto"
    split_k: int = 1  # > 1: stream-K style splitting of the K loop over CTAs

    @property
    def consumer_warpgroups(self) -> int:
        return 2 if self.policy == "cooperative" else 1


@dataclass(frozen=True)
class RowSchedule:
    threads: int = 256  # threads per row (one block per row)
    vec: int = 8  # elements per 16-byte access for 2-byte types
    rows_per_block: int = 1


@dataclass(frozen=True)
class KernelSpec:
    name: str
    kind: str
    arch: str = "sm_90a"
    a_type: str = "bf16"  # input element type (A for gemm, the input for the others)
    b_type: str = "bf16"
    out_type: str = "bf16"
    acc_type: str = "f32"
    b_layout: str = "row"
    # gemm epilogue, applied in registers in order: ("scale",) alpha from scalars, ("bias",) per
    # output column, ("relu",), ("residual",) adds a D-shaped operand
    epilogue: tuple[str, ...] = ()
    row_op: str = ""  # row kernels
    eps: float = 1e-5
    # eltwise / reduce: C expression over in0.. and s0.. (scalars); reduce: combiner
    body: str = ""
    combine: str = "sum"  # scalar.COMBINERS (sum, max, min, maxnum, minnum, selmax, selmin) or argmax
    n_inputs: int = 1
    n_scalars: int = 0
    # per input: "full" / "row" (indexed [r, c] or [i]), "col" (indexed [c]: one vector shared by every
    # row), "rowb" (indexed [r]: one value per row, eltwise only)
    input_kinds: tuple[str, ...] = ()
    in_types: tuple[str, ...] = ()  # per input element type (eltwise / reduce); default a_type
    static_dims: tuple[int, ...] = ()  # known sizes (0 = dynamic)
    # gemm / reduce: a float sum proved in the loop's order (ir/float_order.py): one thread per
    # output element from the accumulator's initial value, each multiply and add rounded
    # (__fmul_rn / __fadd_rn), no tensor cores, split-K or tree; no schedule choices
    ordered: bool = False
    # nvcc may fuse a multiply and an add into an fma (its default); False: -fmad=false
    fmad: bool = True
    gemm: GemmSchedule = field(default_factory=GemmSchedule)
    row: RowSchedule = field(default_factory=RowSchedule)

    def with_gemm(self, **kw: Any) -> KernelSpec:
        return replace(self, gemm=replace(self.gemm, **kw))

    def with_row(self, **kw: Any) -> KernelSpec:
        return replace(self, row=replace(self.row, **kw))

    def schedule_json(self) -> dict[str, Any]:
        if self.kind == "gemm":
            return asdict(self.gemm)
        if self.kind in ("row", "reduce", "eltwise"):
            return asdict(self.row)
        return {}

    def key(self) -> str:
        """A stable text of everything that changes the emitted code (content hash input)."""
        return json.dumps(asdict(self), sort_keys=True)

    @property
    def n_buffers(self) -> int:
        if self.kind == "gemm":
            return 3 + ("bias" in self.epilogue) + ("residual" in self.epilogue)
        if self.kind == "row" and self.row_op == "fused":
            return self.n_inputs + 1
        if self.kind == "row":
            return 2 + {"softmax": 0, "rmsnorm": 1, "layernorm": 2}[self.row_op]
        if self.kind in ("eltwise", "reduce"):
            return self.n_inputs + 1
        return 2

    def buffer_names(self) -> list[str]:
        if self.kind == "gemm":
            names = ["A", "B"]
            names += ["bias"] if "bias" in self.epilogue else []
            names += ["residual"] if "residual" in self.epilogue else []
            return names + ["D"]
        if self.kind == "row" and self.row_op == "fused":
            return [f"in{i}" for i in range(self.n_inputs)] + ["y"]
        if self.kind == "row":
            return ["x"] + {"softmax": [], "rmsnorm": ["w"], "layernorm": ["w", "b"]}[self.row_op] + ["y"]
        if self.kind in ("eltwise", "reduce"):
            return [f"in{i}" for i in range(self.n_inputs)] + ["out"]
        return ["in", "out"]


def problem_dims(spec: KernelSpec, dyn: int) -> tuple[int, ...]:
    """The sizes the cost model and the tuning records key on: dynamic dims (<= 0) become `dyn`;
    gemm (M, N, K, batch), eltwise (elements, last dim), row kernels (rows, cols)."""
    d = tuple(x if x > 0 else dyn for x in spec.static_dims)
    if spec.kind == "gemm":
        return (d + (dyn, dyn, dyn, 1))[:4] if len(d) < 4 else d
    if spec.kind == "eltwise":
        n = 1
        for x in d or (dyn,):
            n *= x
        return (n, d[-1] if d else 1)
    return d or (dyn, dyn)
