"""Run one emitted kernel on the GPU, out of the compiler's process: `python gpu_runner.py JOB.json`.

Standalone (numpy, ctypes and PyTorch for device memory and CUDA events; no liftcomp import), so
it also runs on a GPU machine that has only the emitted library and this file. The job names the
library, the kernel, input .npy files (bf16 stored as uint16), dims, scalars, the expected output,
the tolerance, the repetition count and the kernel's floor (flops or bytes and the peak rate).
It prints one JSON object per job: median_ns, times (one job only), max_err, correct, above_peak, card.

Method: 5 warm-up runs, then `reps` (>= 20) timed runs, each between two CUDA events on the
current stream, median taken; before every run the output is poisoned (NaN, or a sentinel for
integers) and, for memory-bound kernels, the L2 flushed by writing a buffer twice its size; after
every run the output is compared with the expected one. A time under the floor (the work at the
card's peak rate) is reported as above_peak: a measurement error, never a result.
"""

from __future__ import annotations

import ctypes
import json
import statistics
import sys
from pathlib import Path
from typing import Any

import numpy as np


def main(job_path: str) -> dict[str, Any]:
    import torch  # pyright: ignore[reportMissingImports]

    job = json.loads(Path(job_path).read_text())
    if not torch.cuda.is_available():
        return {"error": "no CUDA device"}
    dev = torch.device("cuda")
    card = torch.cuda.get_device_name(0)
    tdt = {"bf16": torch.bfloat16, "f16": torch.float16, "f32": torch.float32, "f64": torch.float64,
           "i8": torch.int8, "i32": torch.int32, "i64": torch.int64}

    here = Path(job_path).resolve().parent

    def load(entry: dict[str, Any]) -> Any:
        a = np.load(here / entry["file"])  # relative to the job file
        t = torch.from_numpy(np.ascontiguousarray(a)).to(dev)
        return t.view(torch.bfloat16) if entry["type"] == "bf16" else t

    ins = [load(e) for e in job["inputs"]]
    expected = load(job["expected"]).float()
    out = torch.empty(tuple(job["expected"]["shape"]), dtype=tdt[job["expected"]["type"]], device=dev)
    lib = ctypes.CDLL(str(here / job["library"]))
    fn = getattr(lib, f"lc_{job['kernel']}")
    fn.restype = ctypes.c_int
    err_fn = getattr(lib, f"lc_{job['kernel']}_error")
    err_fn.restype = ctypes.c_char_p
    bufs = (ctypes.c_void_p * (len(ins) + 1))(*[t.data_ptr() for t in ins], out.data_ptr())
    dims = (ctypes.c_int64 * 4)(*(list(job["dims"]) + [0] * (4 - len(job["dims"]))))
    scalars = (ctypes.c_double * max(1, len(job["scalars"])))(*job["scalars"])
    stream = ctypes.c_void_p(torch.cuda.current_stream().cuda_stream)
    integer = job["expected"]["type"].startswith("i")
    flush = torch.empty(2 * 50 * 1024 * 1024, dtype=torch.uint8, device=dev) if job.get("memory_bound") else None
    errs: list[float] = []

    def poison() -> None:
        out.fill_(-2147483647 if integer else float("nan"))

    exp = expected.reshape(-1)
    fin = torch.isfinite(exp)

    def check() -> None:
        o = out.float().reshape(-1)
        if integer:
            errs.append(float((o != exp).sum()))
            return
        # non-finite expected values (e.g. the sqrt of a negative input) must come out the same
        if not torch.equal(torch.isnan(o), torch.isnan(exp)) or not torch.equal(o[~fin & ~torch.isnan(exp)],
                                                                                exp[~fin & ~torch.isnan(exp)]):
            errs.append(float("inf"))
            return
        if not bool(torch.isfinite(o[fin]).all()):
            errs.append(float("inf"))
            return
        den = float(torch.linalg.vector_norm(exp[fin])) or 1.0
        errs.append(float(torch.linalg.vector_norm(o[fin] - exp[fin])) / den)

    def call() -> None:
        rc = fn(bufs, dims, scalars, stream)
        if rc != 0:
            raise RuntimeError(f"lc_{job['kernel']} returned {rc}: {err_fn().decode()}")

    times: list[float] = []
    try:
        for _ in range(5):
            poison()
            call()
            torch.cuda.synchronize()
            check()
        for _ in range(max(20, int(job.get("reps", 30)))):
            poison()
            if flush is not None:
                flush.zero_()
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            call()
            e.record()
            torch.cuda.synchronize()
            times.append(s.elapsed_time(e) * 1e6)
            check()
    except RuntimeError as ex:
        return {"error": str(ex), "card": card}
    median = statistics.median(times)
    floor_ns = float(job.get("floor_ns", 0.0))
    tol = float(job.get("tolerance", 0.0))
    return {"median_ns": median, "times": times, "max_err": max(errs), "correct": max(errs) <= tol,
            "above_peak": median < floor_ns, "floor_ns": floor_ns, "card": card}


if __name__ == "__main__":
    for path in sys.argv[1:]:  # one JSON line per job
        try:
            result = main(path)
        except Exception as ex:  # reported to the evaluator as JSON, not a traceback
            result = {"error": f"{type(ex).__name__}: {ex}"}
        result.pop("times", None) if len(sys.argv) > 2 else None
        print(json.dumps({"job": path, **result}), flush=True)
