"""Gemmini's evaluator for the search and `liftcomp compile`: the cycle model, run functionally."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from xdsl.dialects.builtin import ModuleOp

from liftcomp.search.measure import Measurement
from liftcomp.targets.gemmini.config import GemminiConfig
from liftcomp.targets.gemmini.sim.simulate import simulate


@dataclass
class GemminiSimulator:
    """Deterministic: one simulation is the measurement. Counters: the simulator's summary
    (utilization, per-unit busy cycles, occupancy, DMA bytes, instructions by kind)."""

    config: GemminiConfig
    name: str = "gemmini-sim"
    unit: str = "cycles"
    deterministic: bool = True
    repeats: int = 1

    def run(self, module: ModuleOp, func_name: str, args: list[Any]) -> Measurement:
        t0 = time.perf_counter()
        r = simulate(module, args, self.config, functional=True, func_name=func_name)
        arrays = [a for a in args if isinstance(a, np.ndarray)]
        for a, out in zip(arrays, r.outputs.values(), strict=True):
            a[...] = out
        counters = r.summary()
        counters.pop("cycles")
        counters.pop("sim_seconds")
        return Measurement(r.cycles, self.unit, counters=counters, seconds=time.perf_counter() - t0)
