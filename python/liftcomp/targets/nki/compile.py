"""`liftcomp compile IN.mlir --target nki -o OUTDIR`: raise -> lower to NKI -> (search) -> emit.

Writes OUTDIR/kernels.py (NKI kernels and numpy host wrappers, one file per module),
OUTDIR/<stem>.nki.mlir (the nki dialect) and OUTDIR/report.json with, per function: the kind
of kernel (matmul / rowwise / host), the schedule, the cost model's figures (time, TensorE
utilization, fraction of HBM bandwidth) and `correct`: kernels.py itself, run on
liftcomp.testing.nki_numpy, equals the numpy reference of the raised program on random inputs
(within the rounding of the kernel's dtype: reductions and matmuls sum in another order).
Nothing is written when a step fails.
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
from liftcomp.targets.nki.config import chip_named

# |got - expected| <= ATOL + RTOL * |expected|, per element (f32 programs: different summation
# orders and exp/log implementations).
RTOL = 2e-5
ATOL = 1e-5


def lower_and_emit(raised: ModuleOp, *, chip: str = "trn2", dyn_size: int = 64, schedules: dict[str, Any] | None = None,
                   source: str = "") -> tuple[ModuleOp, Any, str]:
    from liftcomp.targets.nki.emit import emit_python
    from liftcomp.targets.nki.lowering import LowerOptions, lower_module

    lowered, report = lower_module(raised, LowerOptions(chip=chip_named(chip), dyn_size=dyn_size,
                                                        schedules=schedules or {}))
    lowered.verify()
    return lowered, report, emit_python(lowered, source)


# Steps of the reference executor when the numpy reference cannot run a raised program.
REFERENCE_MAX_STEPS = 50_000_000


def _reference(fn: func.FuncOp, source: ModuleOp | None, args: list[Any]) -> list[Any]:
    """Expected results: the numpy reference of the raised program, else the input program in
    liftcomp's executor (memref arguments updated in place)."""
    from liftcomp.executor import Interpreter
    from liftcomp.targets.reference import run_reference

    saved = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    try:
        return run_reference(fn, args)
    except (LiftcompError, ValueError):
        if source is None:
            raise
    for a, s in zip(args, saved, strict=True):
        if isinstance(a, np.ndarray):
            np.copyto(a, s)
    return Interpreter(source, max_steps=REFERENCE_MAX_STEPS).call(fn.sym_name.data, args)


def check_emitted(py_path: Path, raised: ModuleOp, dyn_size: int, seed: int,
                  source: ModuleOp | None = None) -> dict[str, dict[str, Any]]:
    """Run each host function of the emitted file on random inputs against the reference."""
    from liftcomp.targets.cli import random_inputs
    from liftcomp.testing import nki_numpy

    rng = np.random.default_rng(seed)
    out: dict[str, dict[str, Any]] = {}
    for fn in [op for op in raised.ops if isinstance(op, func.FuncOp) and op.body.blocks]:
        name = fn.sym_name.data
        args, _ = random_inputs(fn, dyn_size, rng)
        expected = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        exp_ret = _reference(fn, source, expected)
        got = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        try:
            ret = nki_numpy.run_file(py_path, name, got)
        except nki_numpy.NkiError as e:
            out[name] = {"correct": False, "error": str(e)}
            continue
        rets = [] if ret is None else list(ret) if isinstance(ret, tuple) else [ret]
        pairs = [(g, e) for g, e in zip(got, expected, strict=True) if isinstance(g, np.ndarray)]
        pairs += list(zip([np.asarray(r) for r in rets], [np.asarray(r) for r in exp_ret], strict=True))
        worst = 0.0
        ok = True
        for g, e in pairs:
            g64, e64 = np.asarray(g, dtype=np.float64), np.asarray(e, dtype=np.float64)
            if g64.shape != e64.shape:
                ok = False
                continue
            err = np.abs(g64 - e64) - RTOL * np.abs(e64)
            same_nan = np.isnan(g64) == np.isnan(e64)
            if not np.all(same_nan) or np.any(err[~np.isnan(e64)] > ATOL):
                ok = False
            if g64.size:
                worst = max(worst, float(np.nanmax(np.abs(g64 - e64))) if np.any(~np.isnan(e64)) else 0.0)
        out[name] = {"correct": ok, "max_abs_error": worst, "peak_sbuf_bytes": nki_numpy.LAST_RUN.peak_sbuf}
    return out


def compile_nki(in_path: Path, outdir: Path, *, chip: str = "trn2", dyn_size: int = 64, seed: int = 0,
                search: bool = False, budget: int = 40) -> dict[str, Any]:
    from liftcomp.interop.mlir_tool import parse_mlir, print_custom, run_pipeline
    from liftcomp.targets.cli import _raise
    from liftcomp.targets.nki import dialect as nki
    from liftcomp.targets.nki.cost_model import estimate

    if not in_path.is_file():
        raise LiftcompError(f"no such file: {in_path}")
    module = parse_mlir(in_path.read_text(), str(in_path))
    source = module.clone()
    raised, raise_reports = _raise(module, in_path.read_text())
    if any(op.name.startswith("affine.") for op in raised.walk()):
        raised = run_pipeline(raised, "builtin.module(lower-affine)")
    proofs = {r.name: r.proof for r in raise_reports}
    c = chip_named(chip)
    schedules: dict[str, Any] = {}
    searched: dict[str, Any] = {}
    if search:
        searched, schedules = _search(raised, c, dyn_size, budget)
    lowered, lreport, py = lower_and_emit(raised, chip=chip, dyn_size=dyn_size, schedules=schedules,
                                          source=in_path.name)
    with tempfile.TemporaryDirectory() as tmp:
        py_path = Path(tmp) / "kernels.py"
        py_path.write_text(py)
        checks = check_emitted(py_path, raised, dyn_size, seed, source)
    kernels_by_name = {op.sym_name.data: op for op in lowered.ops if isinstance(op, func.FuncOp)}
    entries: list[dict[str, Any]] = []
    for rec in lreport.kernels:
        entry: dict[str, Any] = {"name": rec.func, "kind": rec.kind, "proof": proofs.get(rec.func),
                                 "schedule": rec.schedule, **checks.get(rec.func, {"correct": None})}
        if rec.remark:
            entry["remarks"] = [rec.remark]
        k = kernels_by_name.get(f"{rec.func}_kernel")
        if k is not None and nki.KERNEL_ATTR in k.attributes:
            cost = estimate(k, c)
            entry["model"] = cost.summary(c)
            entry["utilization"] = round(cost.pe_utilization, 6)
        if rec.func in searched:
            entry["search"] = searched[rec.func]
        entries.append(entry)
    report = {"target": "nki", "chip": chip, "input": str(in_path), "dyn_size": dyn_size, "kernels": entries}
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "kernels.py").write_text(py)
    (outdir / f"{in_path.stem}.nki.mlir").write_text(print_custom(lowered))
    (outdir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    return report


def _search(raised: ModuleOp, chip: Any, dyn_size: int, budget: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Beam search (menu.py) for each matmul kernel; row-wise kernels keep their schedule."""
    from liftcomp.targets.nki.lowering import LowerOptions, match_matmul
    from liftcomp.targets.nki.matmul import naive_schedule
    from liftcomp.targets.nki.menu import beam_search
    from liftcomp.targets.nki.views import Unsupported

    out: dict[str, Any] = {}
    schedules: dict[str, Any] = {}
    for fn in [op for op in raised.ops if isinstance(op, func.FuncOp) and op.body.blocks]:
        try:
            mm = match_matmul(fn, LowerOptions(chip=chip, dyn_size=dyn_size))
        except Unsupported:
            continue
        if mm is None:
            continue
        p = mm[2].problem
        res = beam_search(p, naive_schedule(p, chip), chip, budget=budget)
        schedules[fn.sym_name.data] = res.best.schedule
        out[fn.sym_name.data] = {"steps": [s.to_json() for s in res.best.steps],
                                 "baseline_utilization": round(res.start.report.pe_utilization, 4),  # type: ignore[union-attr]
                                 "speedup": round(res.start.time_ns / res.best.time_ns, 3),
                                 "evaluated": res.evaluated, "seconds": round(res.seconds, 2)}
    return out, schedules


__all__ = ["compile_nki", "lower_and_emit", "check_emitted", "shutil"]
