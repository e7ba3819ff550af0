"""`liftcomp compile IN.mlir --target cuda -o OUTDIR`: raise -> lower (records / search) -> check -> emit.

Writes, only if everything succeeded: one .cu per kernel and architecture (`<kernel>.sm_90a.cu`
and the portable `<kernel>.sm_80.cu`), kernels.h (the C ABI), compile_commands.json and build.sh
(the exact nvcc commands), launcher.py (ctypes, PyTorch or CuPy arrays), the target IR
(<stem>.cuda.mlir) and report.json: per function its kernels and schedules, remarks for what stayed
on the host, whether the tile-level interpreter agrees with the numpy reference, the cost model's
time and, with --cuda-evaluate gpu, the GPU's.
"""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.cuda.config import CONFIGS, CudaConfig


def outputs_match(got: list[Any], expected: list[Any]) -> bool:
    for g, e in zip(got, expected, strict=True):
        if not isinstance(e, np.ndarray):
            continue
        g64, e64 = np.asarray(g, dtype=np.float64), np.asarray(e, dtype=np.float64)
        if e.dtype.kind in "iub":
            if not np.array_equal(g64, e64):
                return False
            continue
        if e.dtype.itemsize >= 4 and np.asarray(g).dtype.itemsize >= 4:
            if not np.allclose(g64, e64, rtol=1e-4, atol=1e-5, equal_nan=True):
                return False
            continue
        # 16-bit floats: the reference rounds every step of a reduction to 16 bits, the GPU
        # accumulates in f32 and rounds once; compare as the GPU benchmarks do (relative
        # Frobenius error), NaNs in the same places
        if not np.array_equal(np.isnan(g64), np.isnan(e64)):
            return False
        fin = np.isfinite(e64)
        den = float(np.linalg.norm(e64[fin])) or 1.0
        if float(np.linalg.norm(g64[fin] - e64[fin])) / den > 2e-2:
            return False
    return True


def compile_cuda(in_path: Path, outdir: Path, arch: str = "sm_90a", dyn_size: int = 64, seed: int = 0,
                 evaluate: str = "model", search: str = "none", records: Path | None = None) -> dict[str, Any]:
    from liftcomp.interop.mlir_tool import parse_mlir, print_custom, run_pipeline
    from liftcomp.reference.inputs import random_inputs
    from liftcomp.reference.tensor_ir import run_reference
    from liftcomp.targets.cli import _copy_args, _raise, _reference_from_source
    from liftcomp.targets.cuda import dialect as cu
    from liftcomp.targets.cuda.emit_cuda import emit_files
    from liftcomp.targets.cuda.evaluate import CudaGpuEvaluator, CudaModelEvaluator
    from liftcomp.targets.cuda.interp import glue_hook, run_cuda
    from liftcomp.targets.cuda.kernels import spec_of
    from liftcomp.targets.cuda.lowering import LowerOptions, lower_module
    from liftcomp.targets.cuda.search import load_records
    from liftcomp.targets.cuda.search import search as run_search
    from liftcomp.targets.cuda.space import CudaSpace

    if not in_path.is_file():
        raise LiftcompError(f"no such file: {in_path}")
    config: CudaConfig = CONFIGS["sm80" if arch == "sm_80" else "h100"]
    module = parse_mlir(in_path.read_text(), str(in_path))
    source = run_pipeline(module.clone(), "builtin.module(lower-affine)")
    raised, _ = _raise(module, in_path.read_text())
    if any(op.name.startswith("affine.") for op in raised.walk()):
        raised = run_pipeline(raised, "builtin.module(lower-affine)")
    recs = load_records(records)
    schedules: dict[str, dict[str, Any]] = {}
    fuse = True
    searched: dict[str, Any] = {}
    if search != "none":
        for fn in [op for op in raised.ops if isinstance(op, func.FuncOp) and op.body.blocks]:
            try:
                space = CudaSpace(ModuleOp([fn.clone()]), fn.sym_name.data, config, dyn_size)
            except LiftcompError:
                continue
            ranked = run_search(space)
            best, cost = ranked[0]
            schedules.update(best.overrides())
            fuse = fuse and best.fuse_epilogue
            searched[fn.sym_name.data] = {"predicted_ns": cost, "default_predicted_ns": space.cost_model().predict(
                space.initial()), "candidates": len(ranked)}
    low = lower_module(raised, LowerOptions(arch=arch, schedules=schedules, records=recs, fuse_epilogue=fuse))
    lowered = low.module
    lowered.verify()
    kernels = [k for k in lowered.body.block.ops if isinstance(k, cu.KernelOp)]
    specs = [spec_of(k) for k in kernels]
    portable = [s for s in (_portable(s) for s in specs) if s.arch != arch]
    files = emit_files(specs + portable)
    rng = np.random.default_rng(seed)
    model = CudaModelEvaluator(config)
    gpu = CudaGpuEvaluator(config) if evaluate == "gpu" else None
    entries = []
    for fn in [op for op in raised.ops if isinstance(op, func.FuncOp) and op.body.blocks]:
        name = fn.sym_name.data
        args, _ = random_inputs(fn, dyn_size, rng)
        expected = _copy_args(args)
        ref_error = None
        try:
            run_reference(fn, expected, glue_hook)
        except LiftcompError as e:
            # the input loops themselves in the reference executor
            expected, ref_error = _reference_from_source(source, name, args, str(e))
        got = _copy_args(args)
        lfn = next(op for op in lowered.ops if isinstance(op, func.FuncOp) and op.sym_name.data == name)
        interp_error = None
        try:
            run_cuda(lowered, lfn, got)
        except LiftcompError as e:
            interp_error = str(e)
        correct = None if ref_error or interp_error else outputs_match(got, expected)
        predicted = None if interp_error else round(model.run(lowered, name, _copy_args(args)).cost, 1)
        entry: dict[str, Any] = {
            "name": name, "correct": correct, "predicted_ns": predicted,
            "kernels": [k for k in low.kernels if k.get("func") == name],
            "remarks": [r for r in low.remarks if r.startswith(f"@{name}:")],
        }
        if name in searched:
            entry["search"] = searched[name]
        if ref_error:
            entry["reference_error"] = ref_error
        if interp_error:
            entry["interpreter_error"] = interp_error
        if gpu is not None:
            g = gpu.run(lowered, name, _copy_args(args))
            entry["gpu"] = {"ns": g.cost, "error": g.error, "kernels": g.counters.get("kernels", [])}
        entries.append(entry)
    report = {"target": "cuda", "arch": arch, "input": str(in_path), "functions": entries}
    stage = Path(tempfile.mkdtemp(prefix="liftcomp-cuda-"))
    try:
        for fname, text in files.items():
            (stage / fname).write_text(text)
        shutil.copy(Path(__file__).with_name("launcher.py"), stage / "launcher.py")
        (stage / f"{in_path.stem}.cuda.mlir").write_text(print_custom(lowered))
        (stage / "report.json").write_text(json.dumps(report, indent=2) + "\n")
        cc = json.loads((stage / "compile_commands.json").read_text())
        for c in cc:
            c["directory"] = str(outdir.resolve())
        (stage / "compile_commands.json").write_text(json.dumps(cc, indent=1) + "\n")
        outdir.mkdir(parents=True, exist_ok=True)
        for f in sorted(stage.iterdir()):
            shutil.move(str(f), outdir / f.name)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
    return report


def _portable(spec: Any) -> Any:
    from dataclasses import replace

    return replace(spec, arch="sm_80")


def main(ns: Any) -> int:
    """`liftcomp compile --target cuda` (argparse namespace of the compile command)."""
    if ns.search or ns.schedule or ns.check_c:
        raise LiftcompError("--search, --schedule and --check-c are Gemmini's; the cuda target has "
                            "--cuda-search, --cuda-records and --cuda-evaluate")
    rec = Path(ns.cuda_records) if ns.cuda_records else None
    report = compile_cuda(Path(ns.input), Path(ns.output), ns.cuda_arch, ns.dyn_size, ns.seed, ns.cuda_evaluate,
                          ns.cuda_search, rec)
    for f in report["functions"]:
        ks = ", ".join(f"{k['name']} ({k['kind']}, {k['schedule_source']})" for k in f["kernels"]) or "no kernels"
        gpu = f" gpu {f['gpu']['ns'] / 1e3:.1f} us" if "gpu" in f and not f["gpu"]["error"] else ""
        model = f"model {f['predicted_ns'] / 1e3:.1f} us" if f["predicted_ns"] is not None else "not run"
        print(f"{f['name']}: {ks}; {model}{gpu}, correct: {f['correct']}")
        for key in ("reference_error", "interpreter_error"):
            if key in f:
                print(f"  {key.replace('_', ' ')}: {f[key]}")
        for r in f["remarks"]:
            print(f"  remark: {r}")
        if "gpu" in f and f["gpu"]["error"]:
            print(f"  gpu: {f['gpu']['error']}")
    print(f"wrote {ns.output}/ (.cu sources, kernels.h, compile_commands.json, build.sh, launcher.py, report.json)")
    bad = [f for f in report["functions"] if f["correct"] is False or ("gpu" in f and f["gpu"]["error"])]
    return 1 if bad else 0
