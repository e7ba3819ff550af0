"""The NKI schedule menu and its built-in search policy.

Menu items (Autocomp's NKI menu is the anchor; docs/NKI.md lists which item is which rewrite):
- `tile(m, n, k)`: TensorE tile sizes (stationary free <= 128, moving free <= 512, K <= 128);
- `order(o)`: the order of the M/N/K block loops (which operand stays resident while the other
  streams: hoisting a load out of a loop = moving that loop inside);
- `hoist_k()`: the whole K extent in one block (every A^T / B tile of a row/column resident);
- `block(dim, f)`: tiles per block along m/n/k (reuse in SBUF; wider DMAs, >= 32 KiB);
- `bufs(b)`: multi-buffering depth of the input tiles;
- `psum_acc(on)`: accumulate across the K-block loop in PSUM (K innermost) or in SBUF;
- `evict(engine)`: PSUM -> SBUF copy on VectorE or ScalarE (engine choice);
- `swap(on)`: put A^T on the moving side (B stationary; C^T computed and transposed back, a
  bias added after the transpose), re-tiled to the new roles;
- `short_moving()`: the perf guide's "put the short matrix on the moving side" as one step, for
  either short dimension: the shorter of A (M) and B (N) moving (swapping roles if M < N) and
  resident in SBUF (one K block, the short dimension in one block), the long operand streaming;
- for row-wise kernels (rowwise.py): `row_tile(f)`, `fuse_activation(on)`, `engine(e)`.
Every schedule is checked (check_schedule, then the dialect verifier for capacity) before the
cost model scores it; refused ones cost nothing but the check.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import VerifyException

from liftcomp.targets.nki.config import DEFAULT_CHIP, NkiChip
from liftcomp.targets.nki.cost_model import CostReport, estimate
from liftcomp.targets.nki.matmul import (
    MatmulProblem,
    MatmulSchedule,
    build_matmul_kernel,
    check_schedule,
    short_on_moving,
    swap_roles,
)


@dataclass(frozen=True)
class Step:
    """One applied menu item: its name and parameters (a replayable trace entry)."""

    name: str
    params: tuple[tuple[str, Any], ...] = ()

    def __str__(self) -> str:
        return f"{self.name}({', '.join(f'{k}={v}' for k, v in self.params)})"

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "params": dict(self.params)}


def apply_step(s: MatmulSchedule, step: Step, p: MatmulProblem, chip: NkiChip = DEFAULT_CHIP) -> MatmulSchedule:
    kw = dict(step.params)
    if step.name == "tile":
        return s.with_(tile_m=kw["m"], tile_n=kw["n"], tile_k=kw["k"], block_m=1, block_n=1, block_k=1)
    if step.name == "order":
        return s.with_(order=tuple(kw["order"]))
    if step.name == "hoist_k":
        return s.with_(block_k=p.k // s.tile_k)
    if step.name == "block":
        return s.with_(**{f"block_{kw['dim']}": kw["factor"]})
    if step.name == "bufs":
        return s.with_(bufs=kw["bufs"])
    if step.name == "psum_acc":
        return s.with_(psum_acc=kw["on"])
    if step.name == "evict":
        return s.with_(evict_engine=kw["engine"])
    if step.name == "swap":
        return swap_roles(p, s, chip, kw["on"])
    if step.name == "short_moving":
        return short_on_moving(p, s, chip)
    raise ValueError(f"unknown menu item {step.name}")


def _divisors(n: int) -> list[int]:
    return [d for d in range(1, n + 1) if n % d == 0]


def neighbours(s: MatmulSchedule, p: MatmulProblem, chip: NkiChip) -> list[Step]:
    """Every single menu step from `s` (the built-in policy's moves)."""
    steps: list[Step] = []
    for o in itertools.permutations(("m", "n", "k")):
        if o != s.order:
            steps.append(Step("order", (("order", o),)))
    if s.block_k * s.tile_k != p.k:
        steps.append(Step("hoist_k"))
    for dim, size, tile in (("m", p.m, s.tile_m), ("n", p.n, s.tile_n), ("k", p.k, s.tile_k)):
        cur = getattr(s, f"block_{dim}")
        options = [d for d in _divisors(size // tile) if d in (cur * 2, cur * 4, cur // 2) and d != cur]
        steps += [Step("block", (("dim", dim), ("factor", f))) for f in options]
    steps += [Step("bufs", (("bufs", b),)) for b in (1, 2, 3, 4) if b != s.bufs]
    steps.append(Step("psum_acc", (("on", not s.psum_acc),)))
    steps.append(Step("evict", (("engine", "scalar" if s.evict_engine == "vector" else "vector"),)))
    steps.append(Step("swap", (("on", not s.swap),)))
    if p.m != p.n:
        steps.append(Step("short_moving"))
    tiles = ((128, 512, 128), (128, 256, 128), (64, 512, 128))
    if s.swap:  # the stationary free size (<= 128) is now N's, the moving one (<= 512) M's
        tiles = tuple((tn, tm, tk) for tm, tn, tk in tiles)
    for tm, tn, tk in tiles:
        if (tm, tn, tk) != (s.tile_m, s.tile_n, s.tile_k) and p.m % tm == 0 and p.n % tn == 0 and p.k % tk == 0:
            steps.append(Step("tile", (("m", tm), ("n", tn), ("k", tk))))
    return steps


@dataclass
class Scored:
    schedule: MatmulSchedule
    steps: tuple[Step, ...]
    report: CostReport | None
    refused: str | None = None

    @property
    def time_ns(self) -> float:
        return self.report.time_ns if self.report is not None else float("inf")


def evaluate_matmul(p: MatmulProblem, s: MatmulSchedule, chip: NkiChip) -> tuple[CostReport | None, str | None]:
    """Cost of a schedule, or why it is refused (illegal or over capacity)."""
    why = check_schedule(p, s, chip)
    if why:
        return None, why
    fn = build_matmul_kernel("kernel", p, s, chip)
    try:
        ModuleOp([fn]).verify()
    except VerifyException as e:
        return None, str(e).splitlines()[0]
    return estimate(fn, chip), None


@dataclass
class SearchResult:
    best: Scored
    start: Scored
    evaluated: int
    refused: int
    seconds: float
    trace: list[dict[str, Any]] = field(default_factory=list)


def beam_search(p: MatmulProblem, start: MatmulSchedule, chip: NkiChip, *, beam: int = 2, budget: int = 60,
                time_limit_s: float = 600.0,
                propose: Callable[[MatmulSchedule, MatmulProblem, NkiChip], list[Step]] = neighbours) -> SearchResult:
    """Beam search over menu steps, scored by the cost model: keep the `beam` fastest schedules,
    expand each by every step `propose` offers, stop when nothing improves, after `budget`
    scored schedules, or after `time_limit_s` seconds (wall clock)."""
    t0 = time.monotonic()
    rep, why = evaluate_matmul(p, start, chip)
    if rep is None:
        raise ValueError(f"the starting schedule is refused: {why}")
    first = Scored(start, (), rep)
    seen = {start}
    frontier = [first]
    best = first
    evaluated, refused = 1, 0
    trace: list[dict[str, Any]] = [{"round": 0, "schedule": start.to_json(), "time_us": rep.time_ns / 1000,
                                    "pe_utilization": rep.pe_utilization}]
    rnd = 0
    while evaluated < budget and time.monotonic() - t0 < time_limit_s:
        rnd += 1
        cands: list[Scored] = []
        for parent in frontier:
            for step in propose(parent.schedule, p, chip):
                s = apply_step(parent.schedule, step, p, chip)
                if s in seen or evaluated >= budget or time.monotonic() - t0 >= time_limit_s:
                    continue
                seen.add(s)
                r, why = evaluate_matmul(p, s, chip)
                evaluated += 1
                if r is None:
                    refused += 1
                    continue
                cands.append(Scored(s, parent.steps + (step,), r))
        if not cands:
            break
        cands.sort(key=lambda c: c.time_ns)
        frontier = cands[:beam]
        trace.append({"round": rnd, "best_steps": [str(x) for x in frontier[0].steps],
                      "time_us": frontier[0].time_ns / 1000, "pe_utilization": frontier[0].report.pe_utilization})  # type: ignore[union-attr]
        if frontier[0].time_ns >= best.time_ns:
            break
        best = frontier[0]
    return SearchResult(best, first, evaluated, refused, time.monotonic() - t0, trace)
