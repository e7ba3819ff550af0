"""The built-in planner for Gemmini: no network, reads the simulator's breakdown.

Plan phase: from the parent's per-unit busy times (load / execute / store / host), its cycles and
the analytic roofline bound, rank the menu items that can help (host-bound explicit code -> the
loop_ws FSM, or unrolling its hottest host loop; load-bound -> reuse: bigger tiles, hoisting A,
larger mvins; cycles well above every unit's busy time -> overlap: double buffering; a function
whose kernels repeat configuration -> remove_redundant_config; always: retune tiles) and take the
best few, with a seeded chance of swapping one for another applicable item (exploration).

Implement phase: concrete parameters. Tile sizes come from an analytic pipeline model of one
schedule (per tile: load, execute and store times from the same cost formulas as the simulator;
tiles overlap when double-buffered), calibrated on the parent's simulated cycles; the best-ranked
legal tiles (near the parent's, or anywhere) are proposed. Only rewrites the menu accepts are
returned, so the simulator's time goes to plausible schedules.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from liftcomp.search.beam import Candidate, Plan
from liftcomp.search.measure import Measurement
from liftcomp.search.problem import Problem
from liftcomp.search.space import Refused, Step
from liftcomp.targets.gemmini.config import GemminiConfig
from liftcomp.targets.gemmini.schedule import MatmulSchedule


def _space(problem: Problem) -> Any:
    """The problem's GemminiSpace (space.py, which imports this module for its `planner()`)."""
    space = problem.space
    assert type(space).__name__ == "GemminiSpace", "the built-in policy plans for Gemmini"
    return space


def _busy(m: Measurement) -> dict[str, int]:
    return m.counters.get("busy", {})


def _dma(cfg: GemminiConfig, rows: int, row_bytes: int) -> int:
    """The simulator's DMA occupancy of one transfer (sim/timing.py `dma_cycles`)."""
    req = cfg.dma_request_bytes
    reqs = rows * -(-row_bytes // req)
    beats = rows * -(-row_bytes // cfg.dma_beat_bytes)
    per = -(-min(row_bytes, req) // cfg.dma_beat_bytes)
    return max(beats, -(-reqs * (cfg.dram_latency + per) // cfg.dma_max_inflight))


@dataclass(frozen=True)
class TileModel:
    """Estimated cycles of a schedule: sum over tiles of the slowest stage when tiles overlap
    (loop_ws, double-buffered) or of load + execute + store when they do not, plus a per-tile
    overhead; explicit forms are also bounded by the host's instruction issue."""

    cfg: GemminiConfig
    blocks: tuple[int, int, int]  # I, J, K in DIM-blocks
    overhead_per_tile: float = 0.0
    host_per_instruction: float = 0.0

    def tiles(self, s: MatmulSchedule) -> int:
        bi, bj, bk = self.blocks
        return -(-bi // s.tile_i) * -(-bj // s.tile_j) * -(-bk // s.tile_k)

    def instructions(self, s: MatmulSchedule) -> int:
        bi, bj, bk = self.blocks
        mbl = self.cfg.max_block_len
        a_mvins = bi * -(-bk // min(s.a_block_len, mbl)) * -(-bj // s.tile_j) // (-(-bj // s.tile_j) if s.hoist_a else 1)
        b_mvins = bk * -(-bj // s.b_block_len) * (1 if s.hoist_b else -(-bi // s.tile_i))
        return 2 * bi * bj * bk + a_mvins + b_mvins + bi * bj

    def raw(self, s: MatmulSchedule) -> float:
        cfg = self.cfg
        d = cfg.dim
        bi, bj, bk = self.blocks
        ni, nj, nk = -(-bi // s.tile_i), -(-bj // s.tile_j), -(-bk // s.tile_k)
        overlap = s.form == "loop_ws" or s.double_buffer
        abl = cfg.max_block_len if s.form == "loop_ws" else s.a_block_len
        bbl = cfg.max_block_len if s.form == "loop_ws" else s.b_block_len
        store_blk = max(d + cfg.acc_latency, _dma(cfg, d, d * 4))

        def sizes(n_tiles: int, tile: int, total: int) -> list[tuple[int, int]]:
            last = total - (n_tiles - 1) * tile
            return [(tile, n_tiles - 1), (last, 1)] if n_tiles > 1 else [(last, 1)]

        total = 0.0
        for a, ca in sizes(ni, s.tile_i, bi):
            for b, cb in sizes(nj, s.tile_j, bj):
                for c, cc in sizes(nk, s.tile_k, bk):
                    ex = a * b * c * (d + cfg.preload_cycles)
                    ld_a = a * -(-c // abl) * _dma(cfg, d, min(abl, c) * d)
                    if s.hoist_a:
                        ld_a /= nj
                    ld_b = c * -(-b // bbl) * _dma(cfg, d, min(bbl, b) * d)
                    if s.hoist_b:
                        ld_b /= ni
                    st = a * b * store_blk / nk  # once per C tile, spread over its k-tiles
                    ld = ld_a + ld_b
                    step = max(ex, ld, st) if overlap else ex + 0.5 * (ld + st)
                    total += step * ca * cb * cc
        return total + self.overhead_per_tile * ni * nj * nk

    def estimate(self, s: MatmulSchedule) -> float:
        t = self.raw(s)
        if s.form == "explicit" and self.host_per_instruction:
            t = max(t, self.host_per_instruction * self.instructions(s))
        return t


# Rewrites the tile model cannot rank (it sees neither host loop overhead nor config
# instructions): proposed on the simulator's evidence alone.
_MODEL_BLIND = ("unroll", "remove_redundant_config")


class BuiltinPlanner:
    """The default planner (see the module docstring)."""

    name = "builtin"

    def __init__(self, explore: float = 0.25):
        self.explore = explore

    # -- plan --------------------------------------------------------------------------------------
    def plan(self, parent: Candidate, problem: Problem, n: int, rng: random.Random) -> list[Plan]:
        space = _space(problem)
        s: MatmulSchedule = parent.schedule
        m = parent.metrics
        assert m is not None
        busy = _busy(m)
        cycles = max(1, m.cost)
        units = {u: busy.get(u, 0) for u in ("load", "execute", "store", "host")}
        bottleneck = max(units, key=lambda u: units[u])
        bound = problem.bound()
        gap = 1 - bound.cost / cycles
        stall = 1 - max(units.values()) / cycles
        scored: list[tuple[float, Plan]] = []

        def add(score: float, rewrite: str, reason: str, **params: Any) -> None:
            scored.append((score, Plan(rewrite, params, reason)))

        why = (f"{bottleneck} is the bottleneck ({units[bottleneck] / cycles:.0%} busy), "
               f"{gap:.0%} above the roofline bound")
        if s.form == "explicit":
            host_share = units["host"] / cycles
            add(1.0 + host_share, "form", f"{why}; the host spends {host_share:.0%} of the time issuing "
                "instructions: one loop_ws FSM call per tile removes that", form="loop_ws")
            if not s.double_buffer:
                add(0.6 + stall, "double_buffer", f"{why}; {stall:.0%} of the time no unit is busy: overlap "
                    "the next tile's loads with this tile's compute", on=True)
            if units["load"] / cycles > 0.5:
                add(0.5 + units["load"] / cycles, "hoist_a", f"{why}; reuse A across j-tiles", on=True)
                if min(s.a_block_len, s.b_block_len) < space.config.max_block_len:
                    add(0.5 + units["load"] / cycles, "mvin_blocks", f"{why}; full 64-byte mvins", a=4, b=4)
            add(0.2, "loop_order", f"{why}; try the other tile order", order="jik" if s.loop_order == "ijk" else "ijk")
            if units["host"] >= 0.8 * max(units["execute"], units["load"]):
                # The host's loops issue the instructions: unroll the hottest one not yet unrolled.
                trips = s.unroll_trips(space.shape, space.config)
                for loop in ("i", "j", "mvin"):
                    factor = min(trips[loop], 8)
                    if s.unroll_factor(loop) == 1 and factor >= 2:
                        add(0.55 + 0.3 * host_share, "unroll", f"{why}; the host spends {host_share:.0%} of the time "
                            f"issuing: unroll its {loop} loop {factor} times (fewer loop and address instructions)",
                            loop=loop, factor=factor)
                        break
        else:
            add(0.1, "form", f"{why}; explicit instructions allow hoisting and other loop orders", form="explicit")
        if not s.remove_redundant_config and self._applies(problem, s, Step("remove_redundant_config", {})):
            add(1.5, "remove_redundant_config", f"{why}; the function's kernels repeat Gemmini configuration "
                "already in place: drop those instructions")
        if space.epilogue is not None and not s.fuse_epilogue:
            add(2.0, "fuse_epilogue", f"{why}; the host applies the requantisation: let the mvouts do it", on=True)
        add(0.9 + gap, "tile", f"{why}; retune tiles with the pipeline model (near the current tile)", scope="local")
        add(0.8 + gap, "tile", f"{why}; best tiles of the pipeline model anywhere", scope="global")
        # Keep the plans the calibrated model expects to help (at least one); the rest are only
        # reached through exploration.
        model = self._model(parent, problem)
        here = model.estimate(s)
        useful = [(sc, p) for sc, p in scored
                  if p.rewrite in _MODEL_BLIND or self._predicted(parent, problem, p, model) < here * 0.995]
        others = [(sc, p) for sc, p in scored if (sc, p) not in useful]
        useful.sort(key=lambda x: -x[0])
        others.sort(key=lambda x: -x[0])
        ranked = [p for _, p in useful] or [p for _, p in others[:1]]
        chosen = ranked[:n]
        rest = [p for p in ranked[n:]] + [p for _, p in others if p not in chosen]
        if rest and rng.random() < self.explore:
            if len(chosen) < n:
                chosen.append(rng.choice(rest))
            else:
                chosen[-1] = rng.choice(rest)
        return chosen

    def _predicted(self, parent: Candidate, problem: Problem, plan: Plan, model: TileModel) -> float:
        """The model's cycles for the plan's best implementation (inf when it has none)."""
        s: MatmulSchedule = parent.schedule
        if plan.rewrite == "tile":
            ranked = self._ranked_tiles(parent, problem, s, plan.params.get("scope") == "local")
            return model.estimate(s.with_(**{f"tile_{k}": v for k, v in ranked[0].items()})) if ranked else float("inf")
        try:
            t = problem.apply(s, Step(plan.rewrite, dict(plan.params)))
        except Refused:
            return float("inf")
        return model.estimate(t)

    # -- implement ---------------------------------------------------------------------------------
    def implement(self, parent: Candidate, plan: Plan, problem: Problem, n: int,
                  rng: random.Random) -> list[Step]:
        s: MatmulSchedule = parent.schedule
        if plan.rewrite != "tile":
            # Switching to loop_ws keeps the tiles when they fit its halves; the next iteration retunes them.
            st = Step(plan.rewrite, dict(plan.params))
            return [st] if self._applies(problem, s, st) else []
        ranked = self._ranked_tiles(parent, problem, s, local=plan.params.get("scope") == "local")
        out = []
        for t in ranked:
            st = Step("tile", t)
            if self._applies(problem, s, st):
                out.append(st)
            if len(out) >= 12 * n:
                break
        return out

    @staticmethod
    def _applies(problem: Problem, s: MatmulSchedule, step: Step) -> bool:
        try:
            problem.apply(s, step)
        except Refused:
            return False
        return True

    def _model(self, parent: Candidate, problem: Problem) -> TileModel:
        space = _space(problem)
        cfg = space.config
        bi, bj, bk = space.ctx.blocks()
        s: MatmulSchedule = parent.schedule
        m = parent.metrics
        assert m is not None
        host_per = 0.0
        instructions = sum(m.counters.get("instructions", {}).values())
        if s.form == "explicit" and instructions:
            host_per = _busy(m).get("host", 0) / instructions
        else:
            host_per = cfg.host_issue_cycles + 8 * cfg.host_op_cycles
        base = TileModel(cfg, (bi, bj, bk), 0.0, host_per)
        # Calibrate a per-tile overhead so that the model reproduces the parent's simulated cycles.
        resid = m.cost - base.estimate(s)
        over = max(0.0, resid / base.tiles(s)) if resid > 0 else 0.0
        return TileModel(cfg, (bi, bj, bk), over, host_per)

    def _ranked_tiles(self, parent: Candidate, problem: Problem, s: MatmulSchedule,
                      local: bool) -> list[dict[str, int]]:
        model = self._model(parent, problem)
        space = _space(problem)
        bi, bj, bk = space.ctx.blocks()
        cfg = space.config
        halve = s.form == "loop_ws" or s.double_buffer
        sp = (cfg.sp_rows // 2 if halve else cfg.sp_rows) // cfg.dim
        acc = (cfg.acc_rows // 2 if halve else cfg.acc_rows) // cfg.dim
        if local:
            cand: set[tuple[int, int, int]] = set()
            ti, tj, tk = s.tile_i, s.tile_j, s.tile_k
            for di in (-2, -1, 0, 1, 2):
                for dj in (-2, -1, 0, 1, 2):
                    for kk in {tk, bk, max(1, tk // 2), tk * 2}:
                        cand.add((ti + di, tj + dj, kk))
            for a, b in ((ti * 2, tj), (ti, tj * 2), (max(1, ti // 2), tj), (ti, max(1, tj // 2)), (tj, ti)):
                cand.add((a, b, tk))
        else:
            cand = set()
            for a in range(1, min(bi, acc) + 1):
                for b in range(1, min(bj, acc // a) + 1):
                    kmax = min(bk, sp // (a + b))
                    # k: all that fits, and the divisors-ish values that avoid a thin last k-tile.
                    ks = {kmax} | {-(-bk // n) for n in range(1, 9) if -(-bk // n) <= kmax}
                    for c in ks:
                        if c >= 1:
                            cand.add((a, b, c))
        legal = []
        for a, b, c in cand:
            if not (1 <= a <= bi and 1 <= b <= bj and 1 <= c <= bk):
                continue
            if a * b > acc or (a + b) * c > sp:
                continue
            if (s.hoist_a or s.hoist_b) and c < bk:
                continue
            if (a, b, c) == (s.tile_i, s.tile_j, s.tile_k):
                continue
            t = s.with_(tile_i=a, tile_j=b, tile_k=c)
            legal.append((model.estimate(t), a, b, c))
        legal.sort()
        out = []
        for _, a, b, c in legal:
            d: dict[str, int] = {}
            if a != s.tile_i:
                d["i"] = a
            if b != s.tile_j:
                d["j"] = b
            if c != s.tile_k:
                d["k"] = c
            out.append(d)
        return out
