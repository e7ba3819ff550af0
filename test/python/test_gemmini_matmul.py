"""Gemmini lowering + simulator: functional results bit-exact with numpy, for many shapes and schedules."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import generic_matmul_text, matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir  # noqa: E402
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module, lower_module_with_report  # noqa: E402
from liftcomp.targets.gemmini.schedule import MatmulSchedule, MatmulShape, library_schedule  # noqa: E402
from liftcomp.targets.gemmini.sim import simulate  # noqa: E402


def _run(text: str, m: int, k: int, n: int, options: LowerOptions, accumulate: bool = False, seed: int = 0) -> None:
    module = parse_mlir(text)
    low = lower_module(module, options)
    low.verify()
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = rng.integers(-(2**31), 2**31, (m, n), dtype=np.int32)
    # Independent reference: exact integers, then wrap to int32 like the accumulator.
    expected = a.astype(np.int64) @ b.astype(np.int64) + (c.astype(np.int64) if accumulate else 0)
    expected = ((expected + 2**31) % 2**32 - 2**31).astype(np.int32)
    r = simulate(low, [a, b, c])
    got = list(r.outputs.values())[2]
    np.testing.assert_array_equal(got, expected)
    assert r.macs == m * k * n


SHAPES = [(1, 1, 1), (16, 16, 16), (17, 33, 5), (31, 7, 48), (64, 48, 32), (100, 70, 130), (40, 1000, 40)]


@pytest.mark.parametrize("form", ["explicit", "loop_ws"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_library_schedule_matches_numpy(shape: tuple[int, int, int], form: str) -> None:
    m, k, n = shape
    _run(matmul_text(m, k, n), m, k, n, LowerOptions(form=form))  # type: ignore[arg-type]


@pytest.mark.parametrize("form", ["explicit", "loop_ws"])
def test_accumulating_matmul(form: str) -> None:
    _run(matmul_text(37, 70, 19, accumulate=True), 37, 70, 19, LowerOptions(form=form), accumulate=True)  # type: ignore[arg-type]


def test_k_larger_than_scratchpad_tile() -> None:
    # K = 2000 needs several k-tiles even with 1x1 tiles of i and j (partial sums stay in the accumulator).
    s = MatmulSchedule(1, 1, 50, form="explicit")
    _run(matmul_text(20, 2000, 20), 20, 2000, 20, LowerOptions(schedule=s))
    _run(matmul_text(20, 2000, 20), 20, 2000, 20, LowerOptions(schedule=s.with_(form="loop_ws")))


@pytest.mark.parametrize(
    "sched",
    [
        MatmulSchedule(2, 3, 2, form="explicit", double_buffer=True),
        MatmulSchedule(3, 1, 4, form="explicit", loop_order="jik", a_block_len=1, b_block_len=2),
        MatmulSchedule(2, 2, 8, form="explicit", hoist_a=True),
        MatmulSchedule(2, 2, 8, form="explicit", hoist_a=True, double_buffer=True),
    ],
)
def test_schedule_variants_preserve_results(sched: MatmulSchedule) -> None:
    _run(matmul_text(50, 100, 70), 50, 100, 70, LowerOptions(schedule=sched))


def test_generic_contraction_recognised_by_maps_and_body() -> None:
    module = parse_mlir(generic_matmul_text(33, 20, 18))
    _, report = lower_module_with_report(module, LowerOptions())
    assert [k.kind for k in report.kernels] == ["matmul"]
    _run(generic_matmul_text(33, 20, 18), 33, 20, 18, LowerOptions())


def test_library_tile_choice_512() -> None:
    s = library_schedule(MatmulShape(512, 512, 512))
    assert (s.tile_i, s.tile_j, s.tile_k) == (5, 6, 32)


def test_illegal_schedules_are_refused() -> None:
    shape = MatmulShape(512, 512, 512)
    with pytest.raises(Exception, match="accumulator"):
        MatmulSchedule(8, 8, 1, form="loop_ws").check(shape)
    with pytest.raises(Exception, match="scratchpad"):
        MatmulSchedule(4, 4, 300, form="explicit").check(shape)
    with pytest.raises(Exception, match="loop_order"):
        MatmulSchedule(1, 1, 1, loop_order="kij").check(shape)
