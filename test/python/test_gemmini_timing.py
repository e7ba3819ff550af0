"""Timing-model sanity: properties that must hold whatever the parameters (they can fail)."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir  # noqa: E402
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG  # noqa: E402
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module  # noqa: E402
from liftcomp.targets.gemmini.schedule import MatmulSchedule  # noqa: E402
from liftcomp.targets.gemmini.sim import SimResult, simulate  # noqa: E402

M, K, N = 128, 256, 128


def _sim(sched: MatmulSchedule | None, cfg=DEFAULT_CONFIG, form: str = "explicit", shape=(M, K, N)) -> SimResult:
    m, k, n = shape
    low = lower_module(parse_mlir(matmul_text(m, k, n)), LowerOptions(form=form, schedule=sched, config=cfg))  # type: ignore[arg-type]
    arrays = [np.zeros((m, k), np.int8), np.zeros((k, n), np.int8), np.zeros((m, n), np.int32)]
    return simulate(low, arrays, cfg, functional=False)


SCHEDULES = [
    None,
    MatmulSchedule(1, 1, 1, form="explicit", a_block_len=1, b_block_len=1),
    MatmulSchedule(4, 4, 16, form="explicit", double_buffer=True),
    MatmulSchedule(4, 4, 16, form="loop_ws"),
    MatmulSchedule(8, 8, 64, form="explicit", hoist_a=True),
]


@pytest.mark.parametrize("sched", SCHEDULES)
def test_utilization_never_exceeds_one(sched: MatmulSchedule | None) -> None:
    for shape in [(M, K, N), (16, 16, 16), (1, 1, 1), (40, 1000, 40)]:
        r = _sim(sched, shape=shape)
        assert 0 < r.utilization <= 1.0
        # Each unit's busy time fits in the run.
        assert max(r.busy["load"], r.busy["execute"], r.busy["store"]) <= r.cycles


def test_no_reuse_is_bounded_by_dma_rate() -> None:
    # 1x1x1 tiles with single-block mvins: every block of A and B crosses the bus once per use.
    r = _sim(MatmulSchedule(1, 1, 1, form="explicit", a_block_len=1, b_block_len=1))
    moved = r.dma_bytes
    assert moved >= (M * K * (N // 16) + K * N * (M // 16))  # no reuse: A per j-block, B per i-block
    assert r.cycles >= moved / DEFAULT_CONFIG.dma_beat_bytes


def test_utilization_rises_with_reuse() -> None:
    no_reuse = _sim(MatmulSchedule(1, 1, 1, form="explicit", a_block_len=1, b_block_len=1))
    some = _sim(MatmulSchedule(2, 2, 16, form="explicit"))
    more = _sim(MatmulSchedule(4, 4, 16, form="explicit", double_buffer=True))
    assert no_reuse.utilization < some.utilization < more.utilization
    assert no_reuse.dma_bytes > some.dma_bytes > more.dma_bytes


@pytest.mark.parametrize("sched", SCHEDULES)
def test_doubling_dram_latency_never_helps(sched: MatmulSchedule | None) -> None:
    for lat in (16, 64, 200):
        fast = _sim(sched, DEFAULT_CONFIG.with_(dram_latency=lat))
        slow = _sim(sched, DEFAULT_CONFIG.with_(dram_latency=2 * lat))
        assert slow.cycles >= fast.cycles


def test_loop_ws_beats_explicit_library_and_reports_occupancy() -> None:
    explicit = _sim(None, form="explicit")
    fsm = _sim(None, form="loop_ws")
    assert fsm.cycles < explicit.cycles
    assert fsm.busy["host"] < explicit.busy["host"]
    assert 0 < fsm.spad_occupancy <= 1 and 0 < fsm.acc_occupancy <= 1


def test_timing_independent_of_functional_mode() -> None:
    m, k, n = 40, 70, 33
    low = lower_module(parse_mlir(matmul_text(m, k, n)), LowerOptions())
    rng = np.random.default_rng(0)
    arrays = [rng.integers(-128, 128, (m, k), dtype=np.int8), rng.integers(-128, 128, (k, n), dtype=np.int8),
              np.zeros((m, n), np.int32)]
    assert simulate(low, arrays, functional=True).cycles == simulate(low, arrays, functional=False).cycles
