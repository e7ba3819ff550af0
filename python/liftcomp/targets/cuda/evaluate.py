"""The CUDA target's evaluators.

- `CudaModelEvaluator` ("cuda-model", deterministic): runs the function in the tile-level
  interpreter (its outputs are what the search checks against the reference) and costs every
  launch with the cost model at the launch's actual sizes.
- `CudaGpuEvaluator` ("gpu", `compile --cuda-evaluate gpu`): runs the interpreter for each
  launch's inputs, then builds every launched kernel with nvcc (cached by the source's hash) and
  times it on the GPU out of process (gpu_runner.py: warm-up, >= 20 CUDA-event-timed runs, median,
  L2 flush for memory-bound kernels, output poisoned before and checked against the interpreter's
  output after every run, results under the physical floor flagged). The cost is the sum of the
  kernels' medians; any wrong or impossible kernel makes the measurement an error.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.measure import Measurement
from liftcomp.targets.cuda.config import CudaConfig
from liftcomp.targets.cuda.cost_model import kernel_bound_ns, kernel_ns
from liftcomp.targets.cuda.interp import launch_dims, run_cuda
from liftcomp.targets.cuda.spec import KernelSpec


def _fn(module: ModuleOp, name: str) -> func.FuncOp:
    for op in module.body.block.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return op
    raise LiftcompError(f"no function @{name} in the target IR")


class CudaModelEvaluator:
    name = "cuda-model"
    unit = "ns"
    deterministic = True
    repeats = 1

    def __init__(self, config: CudaConfig):
        self.config = config

    def run(self, module: ModuleOp, func_name: str, args: list[Any]) -> Measurement:
        if run_host_loops(module, func_name, args):
            return Measurement(0.0, "ns", counters={"host": "the input loop nests, on the host"})
        launches: list[tuple[KernelSpec, tuple[int, ...]]] = []

        def seen(k: Any, spec: KernelSpec, bufs: list[Any], scalars: list[Any], out: Any) -> None:
            launches.append((spec, launch_dims(spec, bufs, out)))

        run_cuda(module, _fn(module, func_name), args, seen)
        p = self.config.params
        ns = sum(kernel_ns(s, d, p) for s, d in launches)
        floor = sum(kernel_bound_ns(s, d, p).cost for s, d in launches)
        return Measurement(ns, "ns", counters={"utilization": floor / ns if ns else 0.0, "launches": len(launches),
                                               "kernels": [s.name for s, _ in launches]})


def run_host_loops(module: ModuleOp, func_name: str, args: list[Any]) -> bool:
    """A function kept as its input loop nests (no kernel launches) runs in the reference executor."""
    fn = _fn(module, func_name)
    if any(isinstance(o, func.CallOp) and o.callee.root_reference.data.endswith(".launch") for o in fn.walk()) or \
            not any(o.name.startswith(("scf.", "affine.")) for o in fn.walk()):
        return False
    from liftcomp.executor import Interpreter

    Interpreter(ModuleOp([fn.clone()])).call(func_name, args)
    return True


def _bit_exact(spec: KernelSpec) -> bool:
    """An f32 sum kept in the loop's order whose terms use no math function (the GPU's expf / logf
    / ... round differently from numpy's): the GPU must give the interpreter's bits."""
    return spec.ordered and spec.out_type == "f32" and not any(
        f + "(" in spec.body for f in ("expf", "logf", "tanhf", "sinf", "cosf", "powf", "erff"))


def cache_dir() -> Path:
    return Path(os.environ.get("LIFTCOMP_CUDA_CACHE", Path.home() / ".cache" / "liftcomp" / "cuda"))


def build_cached(spec: KernelSpec) -> Path:
    """The shared library of one kernel, built with the emitted command (cached by source hash)."""
    from liftcomp.targets.cuda.emit_cuda import emit_kernel, nvcc_command, source_hash

    src = emit_kernel(spec)
    d = cache_dir()
    d.mkdir(parents=True, exist_ok=True)
    lib = d / f"{spec.name}-{source_hash(src)}.so"
    if lib.exists():
        return lib
    if shutil.which("nvcc") is None:
        raise LiftcompError("the GPU evaluator needs nvcc on PATH")
    with tempfile.TemporaryDirectory() as tmp:
        cu = Path(tmp) / f"{spec.name}.cu"
        cu.write_text(src)
        r = subprocess.run(nvcc_command(str(cu), str(Path(tmp) / "k.so"), spec.arch, fmad=spec.fmad), capture_output=True, text=True)
        if r.returncode != 0:
            raise LiftcompError(f"nvcc failed on {spec.name}:\n{r.stderr[-2000:]}")
        shutil.move(str(Path(tmp) / "k.so"), lib)
    return lib


def _save(path: Path, a: Any, t: str) -> dict[str, Any]:
    from liftcomp.targets.cuda.interp import _store

    arr = _store(np.asarray(a), t)  # the reference holds integers as int64, 16-bit floats wider
    np.save(path, arr.view(np.uint16) if t == "bf16" else arr)
    return {"file": path.name, "type": t, "shape": list(arr.shape)}  # relative to the job file


class CudaGpuEvaluator:
    name = "gpu"
    unit = "ns"
    deterministic = False
    repeats = 1  # every measurement is already the median of >= 20 timed runs
    reps = 30

    def __init__(self, config: CudaConfig, python: str = sys.executable):
        self.config = config
        self.python = python

    def jobs(self, module: ModuleOp, func_name: str, args: list[Any], folder: Path,
             library: Any = None) -> list[tuple[KernelSpec, Path]]:
        """Run the interpreter and write one runner job per launch into `folder` (inputs and the
        expected output as .npy); `library(spec)` names each kernel's shared library (default:
        build it here, cached)."""
        launches: list[tuple[KernelSpec, list[Any], list[Any], Any]] = []
        run_cuda(module, _fn(module, func_name), args,
                 lambda k, spec, bufs, sc, out: launches.append((spec, bufs, sc, out)))
        out_jobs = []
        for i, (spec, bufs, scalars, out) in enumerate(launches):
            lib = library(spec) if library is not None else str(build_cached(spec))
            types = list(spec.in_types) or [spec.a_type, spec.b_type, spec.out_type, spec.out_type]
            inputs = [_save(folder / f"{func_name}_k{i}_in{j}.npy", b, types[j] if j < len(types) else spec.out_type)
                      for j, b in enumerate(bufs)]
            dims = launch_dims(spec, bufs, out)
            tol = 0.0 if spec.out_type.startswith("i") or _bit_exact(spec) else (
                1e-4 if spec.out_type in ("f32", "f64") else 1e-2)
            job = {"library": lib, "kernel": spec.name, "inputs": inputs, "dims": list(dims),
                   "scalars": [float(s) for s in scalars], "tolerance": tol, "reps": self.reps,
                   "expected": _save(folder / f"{func_name}_k{i}_out.npy", out, spec.out_type),
                   "memory_bound": spec.kind != "gemm",
                   "floor_ns": kernel_bound_ns(spec, dims, self.config.params).cost * 0.98}
            jp = folder / f"{func_name}_k{i}.json"
            jp.write_text(json.dumps(job))
            out_jobs.append((spec, jp))
        return out_jobs

    def run(self, module: ModuleOp, func_name: str, args: list[Any]) -> Measurement:
        from liftcomp.targets.cuda import gpu_runner

        if shutil.which("nvidia-smi") is None:
            raise LiftcompError("--cuda-evaluate gpu: no NVIDIA GPU on this machine (nvidia-smi not found)")
        if run_host_loops(module, func_name, args):
            return Measurement(0.0, "ns", counters={"host": "the input loop nests, on the host"})
        total, counters, errors = 0.0, {"kernels": []}, []  # type: ignore[var-annotated]
        with tempfile.TemporaryDirectory() as tmp:
            for spec, jp in self.jobs(module, func_name, args, Path(tmp)):
                r = subprocess.run([self.python, gpu_runner.__file__, str(jp)], capture_output=True, text=True,
                                   timeout=600)
                try:
                    res = json.loads(r.stdout.strip().splitlines()[-1])
                except (json.JSONDecodeError, IndexError):
                    raise LiftcompError(f"the GPU runner failed on {spec.name}: {r.stderr[-2000:]}") from None
                if "error" in res:
                    errors.append(f"{spec.name}: {res['error']}")
                    continue
                if res["above_peak"]:
                    errors.append(f"{spec.name}: {res['median_ns']:.0f} ns is under the physical floor "
                                  f"{res['floor_ns']:.0f} ns (a measurement error)")
                if not res["correct"]:
                    errors.append(f"{spec.name}: output differs from the reference (error {res['max_err']:.2e})")
                total += res["median_ns"]
                counters["kernels"].append({"name": spec.name, "ns": res["median_ns"], "max_err": res["max_err"],
                                            "card": res["card"]})
        if errors:
            return Measurement(0, "ns", error="; ".join(errors), counters=counters)
        return Measurement(total, "ns", counters=counters)
