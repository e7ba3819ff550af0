"""`liftcomp compile --check-c` for Gemmini: build the emitted C with gcc against the host header
(gemmini_host.h runs every gemmini.h call on the CPU) and compare what it computes."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import func

from liftcomp.diagnostics import LiftcompError
from liftcomp.lift.floats import same
from liftcomp.targets.gemmini.emit_c import emit_harness

# Math functions whose results libm and numpy may round differently (sqrt is exact in both).
LIBM_INEXACT = frozenset({"math.exp", "math.exp2", "math.log", "math.log2", "math.log10", "math.tanh", "math.sin",
                          "math.cos", "math.powf", "math.erf"})
LIBM_RTOL_ULPS = 64  # relative tolerance, in ulps of the element type, where such functions are used


def check_c(c_src: str, header: str, fn: func.FuncOp, args: list[Any], shapes: list[tuple[int, ...] | None],
             expected: list[Any]) -> bool:
    """Compile kernels.c with gcc against the host header, run it on `args`, compare with `expected`."""
    gcc = shutil.which("gcc") or shutil.which("cc")
    if gcc is None:
        raise LiftcompError("gcc not found (needed by --check-c)")
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        (d / "kernels.c").write_text(c_src)
        (d / "gemmini_host.h").write_text(header)
        scalars = [None if isinstance(a, np.ndarray) else a for a in args]
        (d / "main.c").write_text(emit_harness(fn, shapes, scalars))
        for i, a in enumerate(args):
            if isinstance(a, np.ndarray):
                np.ascontiguousarray(a).tofile(d / f"arg{i}.bin")
        proc = subprocess.run([gcc, "-O2", "-std=c11", "-DLIFTCOMP_GEMMINI_HOST", "-I", str(d), "-o", str(d / "run"),
                               str(d / "kernels.c"), str(d / "main.c"), "-lm"], capture_output=True, text=True)
        if proc.returncode != 0:
            raise LiftcompError(f"gcc failed on the emitted C:\n{proc.stderr[-2000:]}")
        run = subprocess.run([str(d / "run")], cwd=d, capture_output=True, text=True, timeout=600)
        if run.returncode != 0:
            raise LiftcompError(f"the emitted C failed at run time:\n{run.stderr[-2000:]}")
        # libm's exp/log/tanh/... are not correctly rounded, nor are numpy's: a few ulps apart.
        inexact = any(op.name in LIBM_INEXACT for op in fn.walk())
        for i, (a, e) in enumerate(zip(args, expected, strict=True)):
            if not isinstance(a, np.ndarray):
                continue
            got = np.fromfile(d / f"arg{i}.out", dtype=a.dtype).reshape(a.shape)
            if inexact and a.dtype.kind == "f":
                if not np.allclose(got, e, rtol=LIBM_RTOL_ULPS * np.finfo(a.dtype).eps, atol=0, equal_nan=True):
                    return False
            elif not bool(np.all(same(got, e))) if a.dtype.kind == "f" else not np.array_equal(got, e):
                return False  # floats bit for bit, any NaN equal to any NaN (host loops keep the loop's order)
    return True
