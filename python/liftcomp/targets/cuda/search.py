"""Schedule search over the CUDA menu (cost model or GPU measurements) and tuning records.

`search` is a deterministic beam search: from the beam, every menu item with every parameter value
(each kernel of the function) is applied; refused rewrites are dropped (the menu's validation runs
the dialect's verifiers); survivors are scored by `score` (the cost model by default, the GPU
evaluator when given) and the `beam` best are kept. The default schedule is always a candidate,
so the result is never predicted slower than it.

Tuning records (JSON list) hold measured schedules per kernel: {"key": what the kernel computes
(spec without name and schedule, plus the problem dims), "schedule": ..., "ns": ..., "default_ns":
..., "card": ..., "source": "gpu"}. `replay` gives a kernel the recorded schedule of the same key:
the compiler uses a GPU search's result without a GPU.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import asdict, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.space import Refused, Step
from liftcomp.targets.cuda.space import CudaSpace, FnSchedule
from liftcomp.targets.cuda.spec import GemmSchedule, KernelSpec, RowSchedule

_INT_VALUES = {"m": [1, 2], "n": [1, 2], "stages": [0, 4, 6], "split_k": [1, 2, 4]}


def steps_for(space: Any, s: FnSchedule) -> list[Step]:
    out: list[Step] = []
    for rw in space.menu.rewrites:
        per_kernel = any(p.name == "kernel" for p in rw.params)
        params = [p for p in rw.params if p.name != "kernel"]
        values = []
        for p in params:
            if p.kind == "int":
                values.append(_INT_VALUES.get(p.name if rw.name != "split_k" and rw.name != "stages" else rw.name,
                                              [p.lo, p.hi]))
            else:
                values.append(p.values())
        for combo in itertools.product(*values):
            base = dict(zip([p.name for p in params], combo, strict=True))
            for k in range(len(s.specs)) if per_kernel else [None]:
                out.append(Step(rw.name, base if k is None else {**base, "kernel": k}))
    return out


def search(space: CudaSpace, score: Callable[[FnSchedule], float] | None = None, beam: int = 4,
           iterations: int = 3) -> list[tuple[FnSchedule, float]]:
    """Every distinct schedule scored, best first (the initial one among them)."""
    model = space.cost_model()
    score = score or model.predict
    start = space.initial()
    seen: dict[Any, tuple[FnSchedule, float]] = {space.key(start): (start, score(start))}
    frontier = [start]
    for _ in range(iterations):
        children: list[FnSchedule] = []
        for s in frontier:
            for step in steps_for(space, s):
                try:
                    c = space.menu.apply(s, step, space.context)
                except Refused:
                    continue
                if space.key(c) not in seen:
                    seen[space.key(c)] = (c, score(c))
                    children.append(c)
        if not children:
            break
        ranked = sorted(seen.values(), key=lambda x: x[1])
        frontier = [c for c, _ in ranked[:beam] if c in children or c is start]
    return sorted(seen.values(), key=lambda x: x[1])


# ---------------------------------------------------------------- tuning records


def record_key(spec: KernelSpec, dims: tuple[int, ...]) -> str:
    d = asdict(spec)
    for k in ("name", "gemm", "row"):
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


def search_spec(spec: KernelSpec, dims: tuple[int, ...], config: Any = None, beam: int = 4,
                iterations: int = 3) -> list[tuple[KernelSpec, float]]:
    """`search` for one kernel given as a spec (benchmarks: no module needed)."""
    from liftcomp.targets.cuda.config import CONFIGS
    from liftcomp.targets.cuda.cost_model import kernel_ns
    from liftcomp.targets.cuda.space import SpaceContext, menu

    cfg = config or CONFIGS["h100"]
    m = menu()
    ctx = SpaceContext(cfg.arch, (dims,))
    start = FnSchedule((spec,))

    def score(s: FnSchedule) -> float:
        return kernel_ns(s.specs[0], dims, cfg.params)

    class _Space:
        menu = m
        context = ctx

    seen: dict[Any, tuple[FnSchedule, float]] = {m.key(start): (start, score(start))}
    frontier = [start]
    for _ in range(iterations):
        children = []
        for s in frontier:
            for step in steps_for(_Space, s):  # type: ignore[arg-type]
                if step.rewrite == "fuse_epilogue":
                    continue
                try:
                    c = m.apply(s, step, ctx)
                except Refused:
                    continue
                if m.key(c) not in seen:
                    seen[m.key(c)] = (c, score(c))
                    children.append(c)
        if not children:
            break
        ranked = sorted(seen.values(), key=lambda x: x[1])
        frontier = [c for c, _ in ranked[:beam]]
    return [(s.specs[0], t) for s, t in sorted(seen.values(), key=lambda x: x[1])]
