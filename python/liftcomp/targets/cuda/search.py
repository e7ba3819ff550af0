"""Schedule search over the CUDA menu (cost model or GPU measurements); its results become tuning
records (tuning.py).

`search` is a deterministic beam search: from the beam, every menu item with every parameter value
(each kernel of the function) is applied; refused rewrites are dropped (the menu's validation runs
the dialect's verifiers); survivors are scored by `score` (the cost model by default, the GPU
evaluator when given) and the `beam` best are kept. The default schedule is always a candidate,
so the result is never predicted slower than it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from liftcomp.search.space import Refused, Step
from liftcomp.targets.cuda.config import CONFIGS
from liftcomp.targets.cuda.cost_model import kernel_ns
from liftcomp.targets.cuda.space import CudaSpace, FnSchedule, SpaceContext, menu
from liftcomp.targets.cuda.spec import KernelSpec

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


def search_spec(spec: KernelSpec, dims: tuple[int, ...], config: Any = None, beam: int = 4,
                iterations: int = 3) -> list[tuple[KernelSpec, float]]:
    """`search` for one kernel given as a spec (benchmarks: no module needed)."""
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
