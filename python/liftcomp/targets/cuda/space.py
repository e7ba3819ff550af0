"""The CUDA schedule space of one function: its kernels' schedules and the search menu.

A schedule (`FnSchedule`) is the tuple of the function's kernel specs (as the lowering made them,
with their schedule fields rewritten) plus whether GEMM epilogues are fused. Menu items (each
takes `kernel`, the kernel's index in the function, default 0):

- gemm_tile(m, n, k): the block tile (wgmma m64nNk16 instructions tile it);
- cluster(m, n): thread-block cluster, TMA multicast of the operand shared along the other axis;
- policy(policy): "cooperative" (2 consumer warpgroups share a tile) or "pingpong" (they alternate tiles);
- persistent(on): persistent CTAs with the tile scheduler, or one CTA per tile;
- stages(n): pipeline depth of the K loop (0: as many as fit in shared memory);
- tile_order(swizzle, raster): swizzle width and rasterisation of the persistent tile order;
- split_k(n): K split over n CTAs (partial sums reduced through memory);
- row_threads(threads), vector_width(vec): block width and access width of memory-bound kernels;
- fuse_epilogue(on): fold bias / scale / ReLU consumers into the GEMM's epilogue.

`validate` builds each kernel op and runs the dialect's verifiers (shared memory, registers,
wgmma shapes, TMA boxes, cluster size), so a schedule the hardware cannot run is refused with the
verifier's message.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass, replace
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import VerifyException

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound
from liftcomp.search.measure import Measurement
from liftcomp.search.space import Menu, Param, Refused, Rewrite
from liftcomp.targets.base import KernelSpace
from liftcomp.targets.cuda import dialect as cu
from liftcomp.targets.cuda.config import CudaConfig
from liftcomp.targets.cuda.cost_model import kernel_bound_ns, kernel_ns
from liftcomp.targets.cuda.kernels import build_kernel, spec_from_json, spec_of, spec_to_json
from liftcomp.targets.cuda.lowering import LowerOptions, lower_module
from liftcomp.targets.cuda.spec import DTYPES, KernelSpec, problem_dims


@dataclass(frozen=True)
class FnSchedule:
    specs: tuple[KernelSpec, ...]
    fuse_epilogue: bool = True

    def overrides(self) -> dict[str, dict[str, Any]]:
        """Per kernel name, the schedule fields the lowering applies."""
        out: dict[str, dict[str, Any]] = {}
        for s in self.specs:
            out[s.name] = dict(s.schedule_json())
        return out


@dataclass(frozen=True)
class SpaceContext:
    arch: str
    dims: tuple[tuple[int, ...], ...]  # per kernel, the problem dims the model uses


def _kernel(s: FnSchedule, p: dict[str, Any], kind: str | tuple[str, ...]) -> tuple[int, KernelSpec]:
    i = int(p.get("kernel", 0))
    if not 0 <= i < len(s.specs):
        raise Refused(f"no kernel {i} (the function has {len(s.specs)})")
    spec = s.specs[i]
    kinds = (kind,) if isinstance(kind, str) else kind
    if spec.kind not in kinds:
        raise Refused(f"kernel {i} ({spec.name}) is a {spec.kind} kernel, not {' or '.join(kinds)}")
    if spec.ordered:
        raise Refused(f"kernel {i} ({spec.name}) sums in the loop's order (an IEEE proof): no schedule choices")
    if spec.kind == "gemm" and (spec.arch != "sm_90a" or spec.a_type == "f32"):
        raise Refused(f"kernel {i} ({spec.name}) runs the fixed portable GEMM (no schedule choices)")
    return i, spec


def _set(s: FnSchedule, i: int, spec: KernelSpec) -> FnSchedule:
    return replace(s, specs=s.specs[:i] + (spec,) + s.specs[i + 1:])


def _gemm_rw(field_fn: Any) -> Any:
    def fn(s: FnSchedule, p: dict[str, Any], ctx: SpaceContext) -> FnSchedule:
        i, spec = _kernel(s, p, "gemm")
        return _set(s, i, spec.with_gemm(**field_fn(spec, p)))

    return fn


def _row_rw(s: FnSchedule, p: dict[str, Any], ctx: SpaceContext) -> FnSchedule:
    i, spec = _kernel(s, p, ("row", "eltwise", "reduce"))
    kw: dict[str, Any] = {}
    if "threads" in p:
        kw["threads"] = p["threads"]
    if "vec" in p:
        if spec.kind != "row":
            raise Refused("vector accesses are implemented for row kernels only")
        kw["vec"] = 1 if p["vec"] == 1 else 16 // DTYPES[spec.a_type][1]
    return _set(s, i, spec.with_row(**kw))


_K = Param("kernel", "int", 0, 63, required=False, doc="index of the kernel in the function")
_REWRITES: tuple[Rewrite[FnSchedule, SpaceContext], ...] = (
    Rewrite("gemm_tile", "block tile M x N x K of a GEMM",
            (Param("m", "choice", choices=("64", "128", "256")), Param("n", "choice", choices=("64", "128", "192", "256")),
             Param("k", "choice", choices=("32", "64", "128"), required=False), _K),
            _gemm_rw(lambda spec, p: {"tile": (int(p["m"]), int(p["n"]), int(p.get("k", spec.gemm.tile[2])))})),
    Rewrite("cluster", "thread-block cluster (TMA multicast)",
            (Param("m", "int", 1, 4), Param("n", "int", 1, 4), _K),
            _gemm_rw(lambda spec, p: {"cluster": (p["m"], p["n"])})),
    Rewrite("policy", "consumer warpgroups: cooperative (share a tile) or pingpong (alternate tiles)",
            (Param("policy", "choice", choices=("cooperative", "pingpong")), _K),
            _gemm_rw(lambda spec, p: {"policy": p["policy"]})),
    Rewrite("persistent", "persistent CTAs over the output tiles",
            (Param("on", "bool"), _K), _gemm_rw(lambda spec, p: {"persistent": p["on"]})),
    Rewrite("stages", "pipeline stages of the K loop (0: as many as fit)",
            (Param("n", "int", 0, 8), _K), _gemm_rw(lambda spec, p: {"stages": p["n"]})),
    Rewrite("tile_order", "swizzle and rasterisation of the persistent tile order",
            (Param("swizzle", "choice", choices=("1", "2", "4", "8")),
             Param("raster", "choice", choices=("auto", "m", "n"), required=False), _K),
            _gemm_rw(lambda spec, p: {"swizzle": int(p["swizzle"]), "raster": p.get("raster", spec.gemm.raster)})),
    Rewrite("split_k", "split the K loop over n CTAs", (Param("n", "int", 1, 8), _K),
            _gemm_rw(lambda spec, p: {"split_k": p["n"]})),
    Rewrite("row_threads", "threads per row of a memory-bound kernel",
            (Param("threads", "choice", choices=("128", "256", "512", "1024")), _K),
            lambda s, p, c: _row_rw(s, {**p, "threads": int(p["threads"])}, c)),
    Rewrite("vector_width", "elements per access of a row kernel (1, or 16 bytes)",
            (Param("vec", "choice", choices=("1", "16B")), _K),
            lambda s, p, c: _row_rw(s, {**p, "vec": 1 if p["vec"] == "1" else 8}, c)),
    Rewrite("fuse_epilogue", "fold bias / scale / ReLU consumers into GEMM epilogues",
            (Param("on", "bool"),), lambda s, p, c: replace(s, fuse_epilogue=p["on"])),
)


def validate(s: FnSchedule, ctx: SpaceContext) -> None:
    for spec in s.specs:
        g = spec.gemm
        if spec.kind == "gemm" and spec.arch == "sm_90a" and spec.a_type != "f32":
            tm, tn, tk = g.tile
            if g.policy == "cooperative" and tm % 128:
                raise LiftcompError(f"{spec.name}: the cooperative kernel needs a tile M multiple of 128 (two warpgroups x 64)")
            if g.policy == "pingpong" and tm * tn > 128 * 128 * (2 if DTYPES[spec.a_type][1] == 1 else 1):
                raise LiftcompError(f"{spec.name}: a pingpong warpgroup would hold a {tm}x{tn} accumulator (over 255 registers)")
            if tk * DTYPES[spec.a_type][1] not in (64, 128):
                raise LiftcompError(f"{spec.name}: K tile of {tk * DTYPES[spec.a_type][1]} bytes (64 or 128 for the swizzled TMA layout)")
            if g.split_k > 1 and (g.policy != "cooperative" or not g.persistent):
                raise LiftcompError(f"{spec.name}: split-K runs on the persistent cooperative kernel only")
            if g.cluster[0] * g.cluster[1] > 2 and g.cluster[0] * g.cluster[1] > 4:
                raise LiftcompError(f"{spec.name}: clusters above 4 CTAs")
        try:
            ModuleOp(build_kernel(spec, _dummy_map(spec))).verify()
        except VerifyException as e:
            raise LiftcompError(str(e)) from None


def _dummy_map(spec: KernelSpec) -> Any:
    if spec.kind not in ("eltwise", "reduce"):
        return None
    from xdsl.dialects.builtin import f32

    fn = func.FuncOp("map", ((f32,), (f32,)), visibility="private")
    fn.body.block.add_op(func.ReturnOp(fn.body.block.args[0]))
    return fn


def menu() -> Menu[FnSchedule, SpaceContext]:
    return Menu(_REWRITES, key=lambda s: (tuple(x.key() for x in s.specs), s.fuse_epilogue), validate=validate)


class CudaCostModel:
    def __init__(self, space: CudaSpace):
        self.space = space

    def predict(self, schedule: FnSchedule) -> float:
        p = self.space.config.params
        return sum(kernel_ns(s, d, p) for s, d in zip(schedule.specs, self.space.context.dims, strict=False))

    def bound(self) -> Bound:
        parts = [kernel_bound_ns(s, d, self.space.config.params)
                 for s, d in zip(self.space.initial().specs, self.space.context.dims, strict=False)]
        return Bound(sum(b.cost for b in parts), "ns")

    def update(self, schedule: FnSchedule, measurement: Measurement) -> None:
        return None


class CudaSpace(KernelSpace[FnSchedule]):
    def __init__(self, module: ModuleOp, func_name: str, config: CudaConfig, dyn_size: int = 4096):
        self.module = module
        self.func_name = func_name
        self.config = config
        self.menu = menu()
        low = lower_module(module, LowerOptions(arch=config.arch))
        self._lowered = low
        specs = tuple(spec_of(k) for k in low.module.body.block.ops if isinstance(k, cu.KernelOp))
        if not specs:
            raise LiftcompError(f"@{func_name}: nothing lowers to a CUDA kernel" +
                                (f" ({'; '.join(low.remarks)})" if low.remarks else ""))
        self._initial = FnSchedule(specs)
        self.context = SpaceContext(config.arch, tuple(problem_dims(s, dyn_size) for s in specs))

    @staticmethod
    def from_function(fn: func.FuncOp, config: CudaConfig, dyn_size: int = 4096) -> CudaSpace:
        return CudaSpace(ModuleOp([fn.clone()]), fn.sym_name.data, config, dyn_size)

    def initial(self) -> FnSchedule:
        return self._initial

    def lower(self, schedule: FnSchedule) -> ModuleOp:
        return lower_module(self.module, LowerOptions(arch=self.config.arch, fuse_epilogue=schedule.fuse_epilogue,
                                                      schedules=schedule.overrides())).module

    def key(self, schedule: FnSchedule) -> Hashable:
        return self.menu.key(schedule)

    def schedule_json(self, schedule: FnSchedule) -> dict[str, Any]:
        return {"fuse_epilogue": schedule.fuse_epilogue, "kernels": [spec_to_json(s) for s in schedule.specs]}

    def schedule_from_json(self, data: dict[str, Any]) -> FnSchedule:
        try:
            return FnSchedule(tuple(spec_from_json(k) for k in data["kernels"]), bool(data.get("fuse_epilogue", True)))
        except (KeyError, TypeError) as e:
            raise LiftcompError(f"malformed CUDA schedule: {e}") from None

    def describe(self, schedule: FnSchedule) -> str:
        return "\n".join(f"kernel {i} {s.name} ({s.kind}): {json.dumps(s.schedule_json())}"
                         for i, s in enumerate(schedule.specs))

    def hardware_summary(self) -> str:
        p = self.config.params
        return (f"NVIDIA H100 SXM ({self.config.arch}): {p.sms} SMs, dense bf16 {p.peak_tflops['bf16']:.0f} TFLOP/s, "
                f"HBM copy {p.hbm_gbs:.0f} GB/s, 227 KB shared memory per block, 50 MB L2; GEMMs are CUTLASS TMA + "
                "wgmma warp-specialised kernels, memory-bound kernels one block per row.")

    def kernel_summary(self) -> str:
        return f"@{self.func_name}: " + ", ".join(f"{s.kind} {s.a_type}->{s.out_type} {d}"
                                                  for s, d in zip(self._initial.specs, self.context.dims, strict=False))

    def cost_model(self) -> CudaCostModel:
        return CudaCostModel(self)
