"""Tuning records of the CUDA target (JSON list): measured schedules per kernel, {"key": what the
kernel computes (spec without name and schedule, plus the problem dims), "schedule": ..., "ns": ...,
"default_ns": ..., "card": ..., "source": "gpu"}. `replay` gives a kernel the recorded schedule of
the same key: the compiler uses a GPU search's result without a GPU (search.py and
tools/bench_cuda.py write them)."""

from __future__ import annotations

import json
from dataclasses import asdict, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.cuda.spec import GemmSchedule, KernelSpec, RowSchedule


def record_key(spec: KernelSpec, dims: tuple[int, ...]) -> str:
    d = asdict(spec)
    for k in ("name", "gemm", "row"):
        d.pop(k)
    for k, default in (("ordered", False), ("fmad", True)):  # keys recorded before these fields stay valid
        if d[k] == default:
            d.pop(k)
    return json.dumps({"spec": d, "dims": list(dims)}, sort_keys=True)


def default_records_path() -> Path:
    return Path(str(files("liftcomp.targets.cuda") / "records" / "h100.json"))


def load_records(path: Path | None = None) -> list[dict[str, Any]]:
    p = path or default_records_path()
    if not p.is_file():
        if path is not None:
            raise LiftcompError(f"no such tuning records file: {p}")
        return []
    try:
        data = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise LiftcompError(f"{p}: not JSON ({e})") from None
    if not isinstance(data, list):
        raise LiftcompError(f"{p}: tuning records must be a JSON list")
    return data


def replay(spec: KernelSpec, dims: tuple[int, ...], records: list[dict[str, Any]]) -> KernelSpec | None:
    """`spec` with the recorded schedule of the fastest record of the same kernel and dims."""
    key = record_key(spec, dims)
    hits = [r for r in records if r.get("key") == key]
    if not hits:
        return None
    best = min(hits, key=lambda r: float(r["ns"]))
    sched = best["schedule"]
    if spec.kind == "gemm":
        fields: dict[str, Any] = {k: tuple(v) if isinstance(v, list) else v for k, v in sched.items()}
        return replace(spec, gemm=GemmSchedule(**fields))
    return replace(spec, row=RowSchedule(**sched))
