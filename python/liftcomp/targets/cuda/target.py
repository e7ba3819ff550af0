"""CUDA (H100, sm_90a; portable sm_80) behind the common target interface (targets/base.py)."""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Dialect
from xdsl.passes import ModulePass

from liftcomp.search.measure import Evaluator
from liftcomp.targets.base import KernelSpace, Lowered, Target, TargetConfig
from liftcomp.targets.cuda.config import CONFIGS, CudaConfig

# liftcomp-lower-cuda's options as `liftcomp compile` flags (every target's flags share one parser).
CLI_FLAGS = {"arch": "cuda-arch", "records": "cuda-records"}


class CudaTarget(Target):
    name = "cuda"
    summary = "NVIDIA GPUs: H100 (sm_90a: CUTLASS TMA + wgmma GEMMs) and a portable sm_80 path; CUDA C++ with a C ABI"

    def configs(self) -> Mapping[str, CudaConfig]:
        return CONFIGS

    def add_arguments(self, group: argparse._ArgumentGroup) -> None:  # pyright: ignore[reportPrivateUsage]
        from liftcomp.pass_support import add_pass_arguments
        from liftcomp.targets.cuda.liftcomp_lower_cuda import LiftcompLowerCudaPass

        # --cuda-arch and --cuda-records: liftcomp-lower-cuda's arch and records options.
        add_pass_arguments(group, LiftcompLowerCudaPass, CLI_FLAGS)
        group.add_argument("--cuda-evaluate", default="model", choices=["model", "gpu"],
                           help="cuda: tile-level interpreter + cost model (default), or build every kernel with nvcc "
                                "and time it on this machine's GPU (also what --search measures)")

    def options_from_args(self, ns: argparse.Namespace) -> dict[str, Any]:
        from liftcomp.pass_support import pass_from_args
        from liftcomp.targets.cuda.liftcomp_lower_cuda import LiftcompLowerCudaPass

        p: LiftcompLowerCudaPass = pass_from_args(LiftcompLowerCudaPass, ns, CLI_FLAGS)  # the pass's checks
        return {"arch": p.arch, "evaluate": getattr(ns, "cuda_evaluate", "model"), "records": p.records or None}

    def config_for(self, name: str = "default", options: Mapping[str, Any] | None = None) -> CudaConfig:
        cfg = super().config_for(name, options)
        assert isinstance(cfg, CudaConfig)
        opts = options or {}
        arch = opts.get("arch") or cfg.arch
        return replace(cfg, arch=arch, evaluate=opts.get("evaluate") or cfg.evaluate)

    def lower(self, module: ModuleOp, config: TargetConfig, options: Mapping[str, Any],
              schedules: Mapping[str, Any] | None = None, originals: Mapping[str, func.FuncOp] | None = None
              ) -> Lowered:
        from liftcomp.targets.cuda.lowering import LowerOptions, lower_module
        from liftcomp.targets.cuda.space import FnSchedule
        from liftcomp.targets.cuda.tuning import load_records

        assert isinstance(config, CudaConfig)
        over: dict[str, dict[str, Any]] = {}
        fuse = True
        for s in (schedules or {}).values():
            if isinstance(s, FnSchedule):
                over.update(s.overrides())
                fuse = fuse and s.fuse_epilogue
        rec = options.get("records")
        records = [] if rec == "none" else load_records(Path(rec) if rec else None)
        low = lower_module(module, LowerOptions(arch=config.arch, schedules=over, fuse_epilogue=fuse, records=records))
        for name in sorted({k["func"] for k in low.kernels if k.get("kind") == "host"} | _loops_around_tensors(low.module)):
            if originals and name in originals:
                _keep_loops(low, name, originals[name])
        return low

    def kernel_space(self, fn: func.FuncOp, config: TargetConfig, options: Mapping[str, Any]) -> KernelSpace[Any]:
        from liftcomp.targets.cuda.space import CudaSpace

        assert isinstance(config, CudaConfig)
        return CudaSpace.from_function(fn, config)

    def evaluator(self, config: TargetConfig) -> Evaluator:
        from liftcomp.targets.cuda.evaluate import CudaGpuEvaluator, CudaModelEvaluator

        assert isinstance(config, CudaConfig)
        return CudaGpuEvaluator(config) if config.evaluate == "gpu" else CudaModelEvaluator(config)

    def emit(self, module: ModuleOp, config: TargetConfig) -> dict[str, str]:
        """One .cu per kernel for the configured arch and for the portable sm_80 path, kernels.h,
        compile_commands.json, build.sh and launcher.py."""
        from liftcomp.targets.cuda import dialect as cu
        from liftcomp.targets.cuda.emit_cuda import emit_files
        from liftcomp.targets.cuda.kernels import spec_of

        specs = [spec_of(k) for k in module.body.block.ops if isinstance(k, cu.KernelOp)]
        portable = [replace(s, arch="sm_80") for s in specs if s.arch != "sm_80"]
        files = emit_files(specs + portable)
        files["launcher.py"] = (Path(__file__).with_name("launcher.py")).read_text()
        return files

    def evaluates_exactly(self, config: TargetConfig) -> bool:
        # The interpreter runs sums kept in order as the kernels do; a GPU's expf / tanhf round
        # differently from the host's, so measurements on one compare within the tolerance.
        assert isinstance(config, CudaConfig)
        return config.evaluate == "model"

    def outputs_match(self, got: list[Any], expected: list[Any]) -> bool:
        from liftcomp.targets.cuda.compare import outputs_match

        return outputs_match(got, expected)

    def dialects(self) -> dict[str, Callable[[], Dialect]]:
        def cuda() -> Dialect:
            from liftcomp.targets.cuda.dialect import Cuda

            return Cuda

        return {"cuda": cuda}

    def passes(self) -> dict[str, Callable[[], type[ModulePass]]]:
        def lower() -> type[ModulePass]:
            from liftcomp.targets.cuda.liftcomp_lower_cuda import LiftcompLowerCudaPass

            return LiftcompLowerCudaPass

        return {"liftcomp-lower-cuda": lower}


def _loops_around_tensors(module: ModuleOp) -> set[str]:
    """Functions that kept loops around tensor ops (a loop nest lifted body by body, or lifted in
    part): neither the GPU path nor the reference executor runs such a mix, so they keep their
    input loop nests on the host."""
    out: set[str] = set()
    for fn in module.ops:
        if not isinstance(fn, func.FuncOp):
            continue
        names = [o.name for o in fn.walk()]
        if any(n.startswith(("scf.", "affine.")) for n in names) and \
                any(n.startswith(("tensor.", "linalg.", "bufferization.")) for n in names):
            out.add(fn.sym_name.data)
    return out


def _keep_loops(low: Lowered, name: str, original: func.FuncOp) -> None:
    """A function with ops the lowering left on the host keeps its input loop nests instead (run on
    the host; its kernels are dropped), as the Gemmini target does."""
    fn = next(op for op in low.module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == name)
    low.module.body.block.insert_op_before(original.clone(), fn)
    fn.detach()
    fn.erase()
    mine = {k["name"] for k in low.kernels if k.get("func") == name and "name" in k}
    for op in list(low.module.ops):
        sym = op.attributes.get("sym_name") or getattr(op, "sym_name", None)
        text = getattr(sym, "data", "")
        if text in mine or text.split(".")[0] in mine:
            op.detach()
            op.erase()
    why = "; ".join(k["remark"] for k in low.kernels if k.get("func") == name and k.get("kind") == "host") or \
        f"@{name}: loops kept around tensor ops (lifted nest by nest or body by body)"
    low.kernels = [k for k in low.kernels if k.get("func") != name]
    low.kernels.append({"func": name, "kind": "host", "remark": f"kept the input loop nests on the host ({why})"})
