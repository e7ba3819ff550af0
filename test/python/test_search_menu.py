"""Gemmini rewrite menu: legality checks refuse what they must (with a reason); accepted rewrite
sequences preserve results; the roofline bound is never beaten by the simulator."""

from __future__ import annotations

import random
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir  # noqa: E402
from liftcomp.search.problem import Problem  # noqa: E402
from liftcomp.targets.gemmini.menu import (  # noqa: E402
    MENU,
    KernelContext,
    Refused,
    Step,
    apply_step,
    apply_steps,
    roofline,
)
from liftcomp.targets.gemmini.schedule import MatmulSchedule, MatmulShape, library_schedule  # noqa: E402
from xdsl.dialects import func  # noqa: E402

BIG = KernelContext(MatmulShape(512, 512, 512))


def _refused(sched: MatmulSchedule, step: Step, ctx: KernelContext = BIG) -> str:
    with pytest.raises(Refused) as e:
        apply_step(sched, step, ctx)
    return e.value.message


def _problem(m: int, k: int, n: int, seed: int = 0) -> Problem:
    fn = next(op for op in parse_mlir(matmul_text(m, k, n)).ops if isinstance(op, func.FuncOp))
    return Problem.for_function("gemmini", fn, seed=seed, workers=1)


def test_over_capacity_tiles_are_refused_with_the_memory_named() -> None:
    lib = library_schedule(BIG.shape)
    # 32 x 32 C blocks = 16384 accumulator rows, far over its 1024.
    assert "accumulator" in _refused(lib, Step("tile", {"i": 32, "j": 32, "k": 1}))
    # A 32x32 + B 32x32 blocks of 16 rows = 32768 scratchpad rows > 16384.
    assert "scratchpad" in _refused(lib.with_(tile_i=1, tile_j=1), Step("tile", {"i": 32, "j": 32, "k": 32}))
    # Fits the whole accumulator (explicit, single-buffered) but not half of it (loop_ws / double buffering).
    fits_whole = lib.with_(tile_i=8, tile_j=8, tile_k=8)
    assert "half" in _refused(fits_whole, Step("double_buffer", {"on": True}))
    assert "half" in _refused(fits_whole, Step("form", {"form": "loop_ws"}))
    # Larger than the problem itself.
    assert "exceeds M" in _refused(lib, Step("tile", {"i": 33}))


def test_illegal_transposes_and_orders_are_refused() -> None:
    lib = library_schedule(BIG.shape)
    assert "WS forbids" in _refused(lib, Step("transpose", {"a": True, "b": True}))
    assert "row-major" in _refused(lib, Step("transpose", {"b": True}))
    assert "accumulator" in _refused(lib, Step("loop_order", {"order": "ikj"}))
    ws = apply_step(lib, Step("form", {"form": "loop_ws"}), BIG)
    assert "explicit" in _refused(ws, Step("loop_order", {"order": "jik"}))
    assert "loop_ws" in _refused(ws, Step("dataflow", {"dataflow": "OS"}))
    assert "no scaling" in _refused(lib, Step("fuse_epilogue", {"on": True}))


def test_hoist_a_needs_one_k_tile() -> None:
    ctx = KernelContext(MatmulShape(64, 256, 64))
    s = MatmulSchedule(2, 2, 4)
    assert "all of K" in _refused(s, Step("hoist_a", {"on": True}), ctx)
    s2 = apply_step(s, Step("tile", {"k": 16}), ctx)
    assert apply_step(s2, Step("hoist_a", {"on": True}), ctx).hoist_a
    # And a hoisted schedule refuses to split K again.
    assert "hoist" in _refused(s2.with_(hoist_a=True), Step("tile", {"k": 4}), ctx)


def test_parameters_are_checked_strictly() -> None:
    lib = library_schedule(BIG.shape)
    assert "integer" in _refused(lib, Step("tile", {"i": "4"}))
    assert "integer" in _refused(lib, Step("tile", {"i": True}))
    assert "unknown parameter" in _refused(lib, Step("tile", {"x": 4}))
    assert "outside" in _refused(lib, Step("mvin_blocks", {"a": 5}))
    assert "not on the menu" in _refused(lib, Step("rm_rf", {}))
    assert "no change" in _refused(lib, Step("tile", {"i": lib.tile_i}))
    assert "one of" in _refused(lib, Step("form", {"form": "fsm"}))


def _random_walk(problem: Problem, rng: random.Random, n: int) -> list[Step]:
    """Random menu steps with random parameters; keep the ones the menu accepts."""
    bi, bj, bk = problem.space.ctx.blocks()
    s = problem.initial()
    steps: list[Step] = []
    for _ in range(n * 10):
        if len(steps) >= n:
            break
        rw = rng.choice(MENU)
        params = {}
        for p in rw.params:
            if not p.required and rng.random() < 0.5:
                continue
            if p.kind == "int":
                hi = {"i": bi, "j": bj, "k": bk}.get(p.name, p.hi) if rw.name == "tile" else p.hi
                params[p.name] = rng.randint(p.lo, max(p.lo, min(p.hi, hi)))
            elif p.kind == "bool":
                params[p.name] = rng.random() < 0.5
            else:
                params[p.name] = rng.choice(p.choices)
        step = Step(rw.name, params)
        try:
            s = problem.apply(s, step)
        except Refused:
            continue
        steps.append(step)
    return steps


@pytest.mark.parametrize("shape", [(50, 100, 70), (33, 20, 18), (64, 48, 130)])
def test_accepted_rewrite_sequences_preserve_results(shape: tuple[int, int, int]) -> None:
    problem = _problem(*shape)
    rng = random.Random(sum(shape))
    checked = 0
    for _ in range(4):
        steps = _random_walk(problem, rng, 5)
        sched = problem.initial()
        for st in steps:
            sched = problem.apply(sched, st)
            m = problem.evaluate(sched)
            assert m.correct, (steps, m.error)
            checked += 1
        assert apply_steps(problem.initial(), steps, problem.space.ctx) == sched
    assert checked >= 8


@pytest.mark.parametrize("sched", [None, MatmulSchedule(2, 3, 4, form="loop_ws"), MatmulSchedule(4, 4, 8, double_buffer=True),
                                   MatmulSchedule(1, 1, 1, a_block_len=1, b_block_len=1)])
def test_roofline_is_a_lower_bound_of_the_simulator(sched: MatmulSchedule | None) -> None:
    for m, k, n in [(128, 256, 128), (40, 1000, 40), (17, 33, 5)]:
        problem = _problem(m, k, n)
        r = problem.evaluate(sched or problem.initial())
        b = roofline(problem.space.shape)
        assert r.correct
        busy = r.counters["busy"]
        assert r.cost >= b.cycles
        assert busy["execute"] >= b.execute
        assert busy["load"] >= b.load
        assert busy["store"] >= b.store
        assert r.utilization <= b.utilization + 1e-9


def test_refused_rewrite_explains_itself_for_every_menu_item() -> None:
    # Every item either applies to some schedule or refuses with a non-empty reason naming itself.
    lib = library_schedule(BIG.shape)
    for rw in MENU:
        params = {p.name: (p.lo if p.kind == "int" else True if p.kind == "bool" else p.choices[0])
                  for p in rw.params}
        try:
            apply_step(lib, Step(rw.name, params), BIG)
        except Refused as e:
            assert e.message.startswith(rw.name), e.message
            assert len(e.message) > len(rw.name) + 10


def test_random_inputs_are_full_range() -> None:
    problem = _problem(33, 20, 18)
    a = problem.inputs[0]
    assert isinstance(a, np.ndarray) and a.dtype == np.int8 and a.min() < -64 and a.max() > 64


def test_hoist_b_legality_and_results() -> None:
    ctx = KernelContext(MatmulShape(96, 64, 80))
    s = MatmulSchedule(2, 2, 4)  # K = 4 blocks: one k-tile
    assert "jik" in _refused(s, Step("hoist_b", {"on": True}), ctx)
    jik = apply_step(s, Step("loop_order", {"order": "jik"}), ctx)
    assert "all of K" in _refused(jik.with_(tile_k=2), Step("hoist_b", {"on": True}), ctx)
    assert "explicit" in _refused(jik.with_(form="loop_ws", loop_order="ijk"), Step("hoist_b", {"on": True}), ctx)
    hb = apply_step(jik, Step("hoist_b", {"on": True}), ctx)
    assert hb.hoist_b
    # A hoisted B pins the order and the single k-tile.
    assert "hoist_b" in _refused(hb, Step("loop_order", {"order": "ijk"}), ctx)
    assert "hoist" in _refused(hb, Step("tile", {"k": 2}), ctx)
    # Same results as the library schedule, and fewer B loads (B read once per j-tile).
    problem = _problem(96, 64, 80)
    base, hoisted = problem.evaluate(problem.initial()), problem.evaluate(hb)
    assert base.correct and hoisted.correct, hoisted.error
    lib_b = problem.evaluate(jik)
    assert sum(hoisted.counters[k] for k in ("dma_bytes_in", "dma_bytes_out")) < sum(lib_b.counters[k] for k in ("dma_bytes_in", "dma_bytes_out"))


def _requant_problem() -> Problem:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_gemmini_epilogue import STANDARD, _requant_text

    fn = next(op for op in parse_mlir(_requant_text(40, 64, 48, STANDARD, scale_arg=True)).ops if isinstance(op, func.FuncOp))
    return Problem.for_function("gemmini", fn, workers=1)


def test_fuse_epilogue_both_ways_preserves_results() -> None:
    problem = _requant_problem()
    assert problem.space.epilogue == "run-time scale, saturate to int8"
    lib = problem.initial()
    assert lib.fuse_epilogue
    assert "no change" in _refused(lib, Step("fuse_epilogue", {"on": True}), problem.space.ctx)
    off = problem.apply(lib, Step("fuse_epilogue", {"on": False}))
    on_m, off_m = problem.evaluate(lib), problem.evaluate(off)
    assert on_m.correct and off_m.correct, off_m.error
    # The host epilogue costs host time and an int32 round trip: fusing is faster.
    assert on_m.cost < off_m.cost
    assert problem.apply(off, Step("fuse_epilogue", {"on": True})).fuse_epilogue


def test_fuse_epilogue_refuses_an_epilogue_gemmini_computes_differently() -> None:
    ctx = KernelContext(MatmulShape(64, 64, 64), epilogue=None,
                        epilogue_refused="it rounds halves away from zero (math.round); Gemmini's accumulator scale rounds half to even")
    lib = library_schedule(ctx.shape)
    assert "half to even" in _refused(lib.with_(fuse_epilogue=False), Step("fuse_epilogue", {"on": True}), ctx)


def test_loop_ws_is_refused_for_transposed_operands() -> None:
    ctx = KernelContext(MatmulShape(64, 64, 64), b_transposed=True)
    assert "transpose" in _refused(library_schedule(ctx.shape), Step("form", {"form": "loop_ws"}), ctx)


def test_random_sequences_with_unroll_and_spills_preserve_results() -> None:
    # K = 7 blocks: several k-tiles, so acc_resident(off) and k-outer orders apply; random walks
    # over the items that interact with them, each schedule simulated and compared with numpy.
    problem = _problem(40, 112, 56)
    names = {"tile", "loop_order", "acc_resident", "unroll", "double_buffer", "mvin_blocks", "hoist_a"}
    rng = random.Random(7)
    seen: set[str] = set()
    for _ in range(6):
        s = problem.initial().with_(tile_k=2)
        for _ in range(40):
            rw = rng.choice([r for r in MENU if r.name in names])
            params = {}
            for p in rw.params:
                if p.kind == "int":
                    params[p.name] = rng.randint(p.lo, min(p.hi, 4))
                elif p.kind == "bool":
                    params[p.name] = rng.random() < 0.5
                else:
                    params[p.name] = rng.choice(p.choices)
            try:
                s = problem.apply(s, Step(rw.name, params))
            except Refused:
                continue
            seen.add(rw.name if rw.name != "acc_resident" else f"acc_resident={params['on']}")
            m = problem.evaluate(s)
            assert m.correct, (s, m.error)
    assert {"unroll", "acc_resident=False", "loop_order"} <= seen


def test_roofline_is_a_lower_bound_for_int8_outputs() -> None:
    # A fused requantisation sends C out as int8, up to max_block_len blocks per mvout row:
    # the bound must count that, or "of bound" could pass 100%.
    problem = _requant_problem()
    b = problem.bound()
    assert b.parts["store"] < roofline(problem.space.shape).store
    lib = problem.initial()
    for sched in (lib, lib.with_(form="loop_ws", double_buffer=False), lib.with_(fuse_epilogue=False)):
        r = problem.evaluate(sched)
        assert r.correct, r.error
        busy = r.counters["busy"]
        assert r.cost >= b.cost
        assert busy["store"] >= b.parts["store"]
        assert busy["load"] >= b.parts["load"] and busy["execute"] >= b.parts["execute"]
