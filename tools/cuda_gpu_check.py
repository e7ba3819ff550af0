#!/usr/bin/env python3
"""Check liftcomp's emitted CUDA for whole compiled functions on a GPU (the GPU evaluator's jobs).

    python tools/cuda_gpu_check.py prepare DIR        # here: compile kernels of the corpus + bf16 examples to jobs
    (on the GPU machine) sh DIR/run.sh                # nvcc every kernel, run gpu_runner.py on every job

Each job holds one launch's inputs and the interpreter's output for it (the interpreter agrees with
the numpy reference; test_cuda_target.py checks that), so a job that passes shows the emitted code
computes the reference on the GPU. run.sh prints one JSON line per job.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = ["extra_linalg/gemm_nn_f32", "extra_linalg/batched_matmul_f32", "extra_linalg/bias_relu_f32",
          "extra_linalg/row_sums_f32", "extra_linalg/transpose_copy_f32", "llama/softmax_part1",
          "llama/softmax_part2", "llama/rmsnorm_part1", "llama/rmsnorm_part2", "dsp/vadd"]


def prepare(out: Path, only: list[str] | None = None) -> None:
    sys.path.insert(0, str(REPO / "python"))
    sys.path.insert(0, str(REPO / "test" / "python"))
    import numpy as np
    from liftcomp.interop.mlir_tool import parse_mlir, run_pipeline
    from liftcomp.reference.inputs import random_inputs
    from liftcomp.targets.cli import _raise
    from liftcomp.targets.cuda import gpu_runner
    from liftcomp.targets.cuda.config import CONFIGS
    from liftcomp.targets.cuda.emit_cuda import emit_kernel, nvcc_command
    from liftcomp.targets.cuda.evaluate import CudaGpuEvaluator
    from liftcomp.targets.cuda.lowering import LowerOptions, lower_module
    from test_cuda_target import MATMUL_BIAS_RELU  # pyright: ignore[reportMissingImports]
    from xdsl.dialects import func

    out.mkdir(parents=True, exist_ok=True)
    ev = CudaGpuEvaluator(CONFIGS["h100"])
    ev.reps = 20
    specs = {}
    jobs = []
    sources = [(n, (REPO / "test" / "corpus" / f"{n}.mlir").read_text()) for n in only or CORPUS]
    if not only:
        sources.append(("bf16_matmul_bias_relu", MATMUL_BIAS_RELU.format(m=1000, n=1536, k=512)))
        sources.append(("rows", (REPO / "test" / "python" / "Inputs" / "cuda_row_kernels.mlir").read_text()))
    rng = np.random.default_rng(0)
    for arch in ("sm_90a", "sm_80"):
        for name, text in sources:
            module = parse_mlir(text, name)
            raised = module if name == "bf16_matmul_bias_relu" else _raise(module, text, None)[0]
            if any(op.name.startswith("affine.") for op in raised.walk()):
                raised = run_pipeline(raised, "builtin.module(lower-affine)")
            low = lower_module(raised, LowerOptions(arch=arch))
            for fn in [op for op in low.module.ops if isinstance(op, func.FuncOp) and op.body.blocks
                       and op.sym_visibility is None]:
                if name == "bf16_matmul_bias_relu":
                    import ml_dtypes

                    args = [rng.standard_normal([d.data for d in a.type.shape.data]).astype(ml_dtypes.bfloat16)  # type: ignore[attr-defined]
                            for a in fn.body.block.args]
                else:
                    args, _ = random_inputs(fn, 256, rng)

                def lib(spec):  # noqa: ANN001, ANN202
                    specs[spec.name + "." + spec.arch] = spec
                    return f"lib{spec.name}.{spec.arch}.so"

                folder = out / arch
                folder.mkdir(exist_ok=True)
                for _, jp in ev.jobs(low.module, fn.sym_name.data, args, folder, lib):
                    jobs.append(jp.relative_to(out))
    lines = []
    for key, spec in specs.items():
        (out / f"{key}.cu").write_text(emit_kernel(spec))
        cmd = nvcc_command(f"{key}.cu", f"{spec.arch}/lib{key}.so", spec.arch, includes=["$CUTLASS_INC"], fmad=spec.fmad)
        lines.append(" ".join(cmd) + f" > {key}.log 2>&1 || echo FAILED {key}")
    (out / "commands.txt").write_text("\n".join(lines) + "\n")
    shutil.copy(gpu_runner.__file__, out / "gpu_runner.py")
    by_arch: dict[str, list[str]] = {}
    for j in jobs:
        by_arch.setdefault(str(j.parent), []).append(j.name)
    (out / "run.sh").write_text(
        "#!/bin/sh\ncd \"$(dirname \"$0\")\"\nxargs -P 16 -I{} sh -c \"{}\" < commands.txt\n" +
        "".join(f"(cd {a} && python3 ../gpu_runner.py {' '.join(names)})\n" for a, names in by_arch.items()))
    print(f"{len(specs)} kernels, {len(jobs)} jobs in {out}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare")
    p.add_argument("dir", type=Path)
    p.add_argument("--only", nargs="+", metavar="KERNEL", help="these corpus kernels (e.g. extra_linalg/gemm_nn_f32) "
                   "instead of the default set and the bf16 examples")
    ns = ap.parse_args()
    prepare(ns.dir, ns.only)
    return 0


if __name__ == "__main__":
    sys.exit(main())
