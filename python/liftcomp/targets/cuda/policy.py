"""The built-in default schedule of each kernel kind (what the lowering picks without search).

GEMM: a 128 x 256 block tile with K step of 128 bytes (64 bf16/fp16, 128 int8), two consumer
warpgroups sharing it (CUTLASS's cooperative kernel), a 2x1 cluster with TMA multicast of B,
persistent CTAs over the output tiles, as many pipeline stages as shared memory holds. Smaller
problems get a 128 x 128 tile so the grid still covers the 132 SMs. Row kernels: 256 threads, 16-byte
accesses, the row in registers.
"""

from __future__ import annotations

from liftcomp.targets.cuda.spec import DTYPES, KernelSpec

SMS = 132


def default_spec(spec: KernelSpec) -> KernelSpec:
    if spec.kind == "gemm":
        return spec.with_gemm(**default_gemm_schedule(spec))
    if spec.kind in ("row", "reduce", "eltwise"):
        vec = 16 // DTYPES[spec.a_type][1] if spec.kind == "row" else 1
        return spec.with_row(threads=256, vec=vec, rows_per_block=1)
    return spec


def default_gemm_schedule(spec: KernelSpec) -> dict[str, object]:
    kstep = 128 // DTYPES[spec.a_type][1]
    m, n = (spec.static_dims + (0, 0))[:2]
    small = 0 < m * n <= 128 * 256 * SMS  # fewer big tiles than SMs
    tile = (128, 128, kstep) if small else (128, 256, kstep)
    return {"tile": tile, "cluster": (2, 1), "policy": "cooperative", "stages": 0, "persistent": True,
            "swizzle": 1, "raster": "auto", "split_k": 1}
