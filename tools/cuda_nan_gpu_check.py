#!/usr/bin/env python3
"""Check on a GPU that liftcomp's emitted CUDA keeps NaN and signed zeros as MLIR defines them.

    python tools/cuda_nan_gpu_check.py prepare DIR   # here: sources, inputs, the interpreter's outputs
    (on the GPU machine) sh DIR/run.sh               # nvcc each, run, compare; one line per check

- scalar: test_cuda_nan.py's program (maximumf / minimumf / maxnumf / minnumf and every cmpf
  predicate on NaN, +-inf, +-0.0, +-1; each reduction combiner's step) run in a kernel must print
  what the same program prints on the host (which that test compares with the interpreter).
- reduce_<kind>: the emitted reduce kernel (per-thread steps, the shared-memory tree, the start
  value) on rows holding NaN, +-0.0 and +-inf, against the interpreter's fold.
- rows_<kind>: a fused row kernel's reduction (rowfuse._ROW_STEP: warp shuffles, lc_block_reduce)
  against the interpreter's fold.
Where the op leaves a tied zero's sign open (maxnum, select folds) -0.0 and +0.0 compare equal;
NaN equals NaN; anything else is bit for bit.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
KINDS = ["max", "min", "maxnum", "minnum", "selmax", "selmin"]
ROWS, COLS = 8, 1000

DRIVER = """
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  FILE* f = fopen(argv[1], "rb");
  int rc[2]; if (fread(rc, 4, 2, f) != 2) return 2;
  size_t nx = (size_t)rc[0] * rc[1], ns = NSTART ? rc[0] : 0, no = OUT_ROWS ? rc[0] : nx;
  float* x = (float*)malloc(nx * 4); float* s = (float*)malloc((ns + 1) * 4); float* o = (float*)malloc(no * 4);
  if (fread(x, 4, nx, f) != nx || fread(s, 4, ns, f) != ns) return 2;
  fclose(f);
  float *dx, *ds, *dout;
  cudaMalloc(&dx, nx * 4); cudaMalloc(&ds, (ns + 1) * 4); cudaMalloc(&dout, no * 4);
  cudaMemcpy(dx, x, nx * 4, cudaMemcpyHostToDevice); cudaMemcpy(ds, s, ns * 4, cudaMemcpyHostToDevice);
  void* bufs[3] = {dx, NSTART ? (void*)ds : (void*)dout, dout};
  int64_t dims[2] = {rc[0], rc[1]};
  int e = lc_NAME(bufs, dims, 0, 0);
  if (e) { fprintf(stderr, "%s\\n", lc_NAME_error()); return 3; }
  if (cudaDeviceSynchronize() != cudaSuccess) return 4;
  cudaMemcpy(o, dout, no * 4, cudaMemcpyDeviceToHost);
  FILE* g = fopen(argv[2], "wb"); fwrite(o, 4, no, g); fclose(g);
  return 0;
}
"""

COMPARE = """
import json, sys
import numpy as np
name, got_path, want_path, open_zero = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4] == "1"
got = np.fromfile(got_path, np.float32)
want = np.load(want_path).astype(np.float32).reshape(got.shape)
same = (got.view(np.uint32) == want.view(np.uint32)) | (np.isnan(got) & np.isnan(want))
if open_zero:
    same |= (got == 0) & (want == 0)
bad = np.flatnonzero(~same)
print(json.dumps({"check": name, "ok": not bad.size, "mismatches": [(int(i), float(got[i]), float(want[i])) for i in bad[:5]]}))
"""


def _rows(rng) -> tuple:  # noqa: ANN001
    import numpy as np

    x = rng.standard_normal((ROWS, COLS)).astype(np.float32)
    x[1, 417] = np.nan
    x[2] = -0.0
    x[2, 600] = 0.0
    x[3] = -0.0
    x[4] = np.nan
    x[5, 3], x[5, 999] = -np.inf, np.inf
    x[6] = np.where(rng.random(COLS) < 0.5, -0.0, 0.0)
    x[6, ::7] = -1.0
    x[7, COLS - 1] = np.nan
    starts = np.array([-np.inf, np.nan, 0.0, -0.0, 5.0, -np.inf, -0.0, 0.0], np.float32)
    return x, starts


def prepare(out: Path) -> None:
    sys.path.insert(0, str(REPO / "python"))
    sys.path.insert(0, str(REPO / "test" / "python"))
    import numpy as np
    from liftcomp.targets.cuda import rowfuse
    from liftcomp.targets.cuda.emit_cuda import emit_kernel
    from liftcomp.targets.cuda.interp import _fold  # pyright: ignore[reportPrivateUsage]
    from liftcomp.targets.cuda.policy import default_spec
    from liftcomp.targets.cuda.spec import KernelSpec
    from test_cuda_nan import _host_program, _maps  # pyright: ignore[reportMissingImports]

    out.mkdir(parents=True, exist_ok=True)
    host = _host_program(_maps())
    dev = host
    for head in ("static float f_", "static int f_", "static float fold_", "static float row_", "static unsigned bits"):
        dev = dev.replace(head, "__host__ __device__ " + head)
    dev = dev.replace("static const float", "__device__ static const float")
    dev = dev.replace("int main() {", "__global__ void lc_check() {")
    dev = dev[: dev.rindex("  return 0;")] + "}\nint main() { lc_check<<<1, 1>>>(); return cudaDeviceSynchronize() != 0; }\n"
    (out / "scalar_host.cu").write_text(host)
    (out / "scalar_dev.cu").write_text(dev)
    lines = ["#!/bin/sh", 'cd "$(dirname "$0")"', "NVCC='nvcc -std=c++17 -O3 -gencode=arch=compute_90a,code=sm_90a'",
             "$NVCC -o scalar_host scalar_host.cu & $NVCC -o scalar_dev scalar_dev.cu &"]
    x, starts = _rows(np.random.default_rng(0))
    with open(out / "rows.bin", "wb") as f:
        np.array([ROWS, COLS], np.int32).tofile(f)
        x.tofile(f)
        starts.tofile(f)
    checks = []
    for kind in KINDS:
        spec = default_spec(KernelSpec(f"reduce_{kind}", "reduce", a_type="f32", out_type="f32", n_inputs=2,
                                       input_kinds=("row", "rowb"), in_types=("f32", "f32"), body="x0",
                                       combine=kind, static_dims=(ROWS, COLS)))
        checks.append((spec, True, _fold(kind, x, starts), kind not in ("max", "min")))
    for kind, (ident, step, op, fin) in rowfuse._ROW_STEP.items():  # pyright: ignore[reportPrivateUsage]
        if kind == "sum":
            continue
        line = (f"float v1; {{ float a = {ident}; for (int j = 0; j < N; j++) if (lc_valid(j, cols)) {{ float x = in0[j]; "
                f"{step} }} a = lc_block_reduce<{op}>(a, red); v1 = {fin.format(init='(-0.0f)')}; }}")
        body = json.dumps({"lines": [line, "float v2[N]; for (int j = 0; j < N; j++) v2[j] = v1;"], "out": "v2",
                           "reductions": [kind]})
        spec = default_spec(KernelSpec(f"rows_{kind}", "row", row_op="fused", a_type="f32", out_type="f32",
                                       n_inputs=1, input_kinds=("row",), in_types=("f32",),
                                       static_dims=(ROWS, COLS), body=body))
        want = np.repeat(_fold(kind, x, np.full(ROWS, -0.0, np.float32))[:, None], COLS, axis=1)
        checks.append((replace(spec, arch="sm_90a"), False, want, kind != "max"))
    for spec, with_start, want, _ in checks:
        (out / f"{spec.name}.cu").write_text(emit_kernel(spec))
        driver = DRIVER.replace("NSTART", "1" if with_start else "0").replace("OUT_ROWS", "1" if with_start else "0")
        (out / f"main_{spec.name}.cu").write_text(f'#include "{spec.name}.cu"\n' + driver.replace("lc_NAME", f"lc_{spec.name}"))
        np.save(out / f"{spec.name}.want.npy", want)
        lines.append(f"$NVCC -o {spec.name} main_{spec.name}.cu &")
    (out / "compare.py").write_text(COMPARE)
    lines.append("wait")
    lines.append("./scalar_host > scalar_host.txt && ./scalar_dev > scalar_dev.txt && "
                 "if cmp -s scalar_host.txt scalar_dev.txt; then echo '{\"check\": \"scalar\", \"ok\": true}'; "
                 "else echo '{\"check\": \"scalar\", \"ok\": false}'; diff scalar_host.txt scalar_dev.txt | head; fi")
    for spec, _, _, open_zero in checks:
        lines.append(f"./{spec.name} rows.bin {spec.name}.got && "
                     f"python3 compare.py {spec.name} {spec.name}.got {spec.name}.want.npy {int(open_zero)}")
    (out / "run.sh").write_text("\n".join(lines) + "\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("prepare", help="write the sources, inputs, expected outputs and run.sh to DIR")
    p.add_argument("dir", type=Path)
    args = ap.parse_args()
    prepare(args.dir)


if __name__ == "__main__":
    main()
