"""Analytic cost of a CUDA kernel (nanoseconds) for searching without a GPU.

GEMM: the tensor-core roofline per output tile, with wave quantization over the SMs (persistent
CTAs take tiles in waves of `sms / cluster` clusters), a pipeline-depth factor (fewer stages than
the copy latency needs starve the tensor cores), the exposed epilogue of the cooperative kernel (the
ping-pong kernel overlaps it with the other warpgroup's main loop), occupancy of one CTA per SM, a
small gain for clusters (multicast halves L2->SM traffic of one operand) and tile-order swizzles
(L2 reuse), against the HBM roofline of the operands. Memory-bound kernels: bytes over the measured
copy rate times an efficiency that drops for very wide blocks (fewer blocks resident per SM) and
for rows that do not fit the register plan. Sums kept in the loop's order: `ordered_ns`. Every number is a named field of `CostParams`;
`refit` scales the efficiencies to GPU measurements (tuning records).
"""

from __future__ import annotations

import math
from dataclasses import replace
from typing import Any

from liftcomp.search.cost_model import Bound
from liftcomp.search.measure import Measurement
from liftcomp.targets.cuda.config import DEFAULT_PARAMS, CostParams
from liftcomp.targets.cuda.spec import DTYPES, KernelSpec


def _bytes(t: str) -> int:
    return DTYPES[t][1]


def gemm_ns(spec: KernelSpec, m: int, n: int, k: int, batch: int, p: CostParams = DEFAULT_PARAMS) -> float:
    g = spec.gemm
    flops = 2.0 * m * n * k * batch
    tensor_cores = spec.a_type != "f32" and spec.arch == "sm_90a"
    tk = g.tile[2]
    if spec.a_type == "f32":
        peak, eff, (tm, tn) = p.peak_tflops["f32"], p.simt_efficiency * 0.5, (16, 16)
    elif tensor_cores:
        peak, eff, (tm, tn) = p.peak_tflops[spec.a_type], p.wgmma_efficiency, (g.tile[0], g.tile[1])
    else:
        peak, eff, (tm, tn) = p.peak_tflops[spec.a_type], p.mma_sync_efficiency, (128, 128)
    tiles = math.ceil(m / tm) * math.ceil(n / tn) * batch
    if tensor_cores:
        cl = g.cluster[0] * g.cluster[1]
        slots = (p.sms // cl) * cl if g.persistent else p.sms
        stages = g.stages or 4
        eff *= min(1.0, stages / (p.stage_latency_tiles + 2))
        # multicast of one operand over a pair of CTAs; larger clusters stall on the slowest CTA
        eff *= {1: 1.0, 2: 1.0 + p.cluster_gain}.get(cl, 1.0 - p.cluster_gain)
        if g.cluster[1] > g.cluster[0]:
            eff *= 0.98  # multicast of A (along N) measured slower than of B on H100
        if g.swizzle > 1 and tiles > p.sms:
            eff *= 1.0 + 0.01 * math.log2(g.swizzle)
        if g.policy == "pingpong":
            eff *= 0.88  # one warpgroup per tile: half the wgmma issue rate per tile, measured lower on H100
        if tm * tn < 128 * 256:
            eff *= 0.93  # smaller tiles: more shared-memory traffic per flop
        if tm > tn:
            eff *= 0.985
        if tk * DTYPES[spec.a_type][1] < 128:
            eff *= 0.9  # 64-byte K steps: twice the barriers per flop
        if not g.persistent:
            eff *= 0.95  # no overlap of one tile's epilogue with the next tile's loads
        if g.split_k > 1:
            tiles *= g.split_k
    else:
        slots = p.sms * 2
    waves = math.ceil(tiles / slots)
    per_tile_ns = (2.0 * tm * tn * k / (g.split_k if tensor_cores else 1)) / (peak * 1e12 / p.sms * eff) * 1e9
    compute = waves * per_tile_ns
    epilogue = waves * p.epilogue_us_per_tile * 1e3 * (0.3 if g.policy == "pingpong" else 1.0)
    if tensor_cores and g.split_k > 1:
        epilogue += m * n * batch * 4 * 2 / (p.hbm_gbs * 1e9) * 1e9  # partial sums through memory
    hbm = (m * k + k * n) * batch * _bytes(spec.a_type) + m * n * batch * _bytes(spec.out_type)
    memory = hbm / (p.hbm_gbs * p.hbm_efficiency * 1e9) * 1e9
    return max(compute + epilogue, memory) + p.launch_us * 1e3 + flops * 0.0


def stream_ns(spec: KernelSpec, nbytes: float, p: CostParams = DEFAULT_PARAMS, cols: int = 0) -> float:
    eff = p.hbm_efficiency
    threads = spec.row.threads
    if threads >= 1024:
        eff *= 0.85  # two blocks per SM at most: fewer loads in flight
    if spec.kind == "row" and cols:
        items = math.ceil(cols / (threads * max(1, spec.row.vec)))
        if items > 8:
            eff *= 0.8  # long register arrays: spills, fewer resident blocks
    if spec.kind == "transpose":
        eff *= 0.8
    if spec.kind in ("eltwise", "reduce") and spec.row.vec <= 1:
        eff *= 0.75  # scalar accesses
    return nbytes / (p.hbm_gbs * eff * 1e9) * 1e9 + p.launch_us * 1e3


def ordered_ns(spec: KernelSpec, dims: tuple[int, ...], p: CostParams = DEFAULT_PARAMS) -> float:
    """A sum in the loop's order (KernelSpec.ordered): one thread per output element, each step
    waiting on the last (about 4 cycles of add latency), against the FMA units' rate without
    fusion and the bytes each thread reads without reuse through shared memory."""
    if spec.kind == "gemm":
        m, n, k, batch = (list(dims) + [1, 1, 1, 1])[:4]
        outputs, steps = m * n * max(1, batch), k
        nbytes = outputs * (2 * k * _bytes(spec.a_type) + _bytes(spec.out_type))
    else:
        outputs, steps = dims[0], dims[1]
        nbytes = outputs * steps * spec.n_inputs * _bytes(spec.a_type)
    resident = p.sms * 2048  # threads in flight
    latency = math.ceil(outputs / resident) * steps * 4 / p.clock_ghz
    compute = 2.0 * outputs * steps / (p.peak_tflops["f32"] * 0.5 * p.simt_efficiency * 1e12) * 1e9
    memory = nbytes / (p.hbm_gbs * 4 * 1e9) * 1e9  # operands mostly from L2 / L1 (about 4x HBM)
    return max(latency, compute, memory) + p.launch_us * 1e3


def kernel_ns(spec: KernelSpec, dims: tuple[int, ...], p: CostParams = DEFAULT_PARAMS) -> float:
    """Predicted time of one launch with problem dims as the C ABI orders them (spec.py)."""
    if spec.ordered:
        return ordered_ns(spec, dims, p)
    if spec.kind == "gemm":
        m, n, k, batch = (list(dims) + [1, 1, 1, 1])[:4]
        return gemm_ns(spec, m, n, k, max(1, batch), p)
    if spec.kind == "row":
        rows, cols = dims[0], dims[1]
        return stream_ns(spec, 2.0 * rows * cols * _bytes(spec.a_type), p, cols)
    if spec.kind == "eltwise":
        n = dims[0]
        return stream_ns(spec, n * (spec.n_inputs * _bytes(spec.a_type) + _bytes(spec.out_type)), p)
    if spec.kind == "reduce":
        rows, cols = dims[0], dims[1]
        return stream_ns(spec, rows * cols * spec.n_inputs * _bytes(spec.a_type), p)
    rows, cols = dims[0], dims[1]
    batch = dims[2] if len(dims) > 2 else 1
    return stream_ns(spec, 2.0 * rows * cols * batch * _bytes(spec.a_type), p)


def kernel_bound_ns(spec: KernelSpec, dims: tuple[int, ...], p: CostParams = DEFAULT_PARAMS) -> Bound:
    """A time no schedule beats: the datasheet tensor-core peak or the measured copy rate."""
    if spec.kind == "gemm":
        m, n, k, batch = (list(dims) + [1, 1, 1, 1])[:4]
        peak = p.peak_tflops["f32" if spec.a_type == "f32" else spec.a_type]
        compute = 2.0 * m * n * k * max(1, batch) / (peak * 1e12) * 1e9
        memory = ((m * k + k * n) * _bytes(spec.a_type) + m * n * _bytes(spec.out_type)) * max(1, batch) / (
            p.hbm_gbs * 1e9) * 1e9
        return Bound(max(compute, memory), "ns", None, {"tensor": compute, "hbm": memory})
    fast = replace(p, hbm_efficiency=1.0, launch_us=0.0)
    t = kernel_ns(replace(spec, row=replace(spec.row, threads=256, vec=8)), dims, fast)
    return Bound(t, "ns", None, {"hbm": t})


def refit(records: list[dict[str, Any]], p: CostParams = DEFAULT_PARAMS) -> CostParams:
    """Efficiencies scaled so the model matches measured tuning records on average.

    A record: {"spec": KernelSpec JSON fields, "dims": [...], "ns": measured}, or a tuning record
    (search.py: "key" with the spec and dims, "schedule", "ns"). GEMM records scale
    `wgmma_efficiency`, the others `hbm_efficiency` (geometric mean of measured / predicted)."""
    import json

    from liftcomp.targets.cuda.kernels import spec_from_json

    logs: dict[str, list[float]] = {"gemm": [], "stream": []}
    for r in records:
        if "key" in r:
            k = json.loads(r["key"])
            sched = "gemm" if k["spec"]["kind"] == "gemm" else "row"
            spec = spec_from_json({**k["spec"], "name": "record", sched: r["schedule"]})
            dims = tuple(k["dims"])
        else:
            spec, dims = spec_from_json(r["spec"]), tuple(r["dims"])
        pred = kernel_ns(spec, dims, p)
        logs["gemm" if spec.kind == "gemm" else "stream"].append(math.log(pred / float(r["ns"])))
    out = p
    if logs["gemm"]:
        out = replace(out, wgmma_efficiency=min(1.0, out.wgmma_efficiency * math.exp(sum(logs["gemm"]) / len(logs["gemm"]))))
    if logs["stream"]:
        out = replace(out, hbm_efficiency=min(1.0, out.hbm_efficiency * math.exp(sum(logs["stream"]) / len(logs["stream"]))))
    return out


def measurement_of(ns: float, spec: KernelSpec, dims: tuple[int, ...]) -> Measurement:
    b = kernel_bound_ns(spec, dims)
    return Measurement(ns, "ns", counters={"utilization": b.cost / ns if ns else 0.0})
