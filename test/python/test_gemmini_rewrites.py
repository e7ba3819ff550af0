"""The unroll, acc_resident and remove_redundant_config rewrites: legality (applies or says why
not), results bit-exact with numpy in the simulator and in the emitted C (gcc + host header), and
the effect each exists for (fewer host cycles, the DMA cost of spilling, a config removed)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir, print_custom  # noqa: E402
from liftcomp.search.measure import Measurement  # noqa: E402
from liftcomp.search.problem import Problem  # noqa: E402
from liftcomp.targets.gemmini import dialect as g  # noqa: E402
from liftcomp.targets.gemmini.liftcomp_gemmini_cleanup import cleanup_function, redundant_ops  # noqa: E402
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module, lower_module_with_report  # noqa: E402
from liftcomp.targets.gemmini.menu import KernelContext, Refused, Step, apply_step, roofline  # noqa: E402
from liftcomp.targets.gemmini.schedule import MatmulSchedule, MatmulShape, library_schedule  # noqa: E402
from liftcomp.targets.gemmini.sim import simulate  # noqa: E402
from liftcomp.targets.gemmini.sim.simulate import find_func  # noqa: E402
from xdsl.dialects import func  # noqa: E402

# Non-multiples of 16, K over several k-tiles of the schedules below.
SHAPES = [(50, 100, 70), (17, 200, 45), (64, 128, 64)]
needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


def resadd_matmul_text(m: int, k: int, n: int) -> str:
    """R = X + Y (int32, through the accumulator), then C = A @ B: two kernels in one function."""
    t = f"{m}x{n}xi32"
    return f"""func.func @resadd_matmul(%X: memref<{t}>, %Y: memref<{t}>, %R: memref<{t}>,
                          %A: memref<{m}x{k}xi8>, %B: memref<{k}x{n}xi8>, %C: memref<{t}>) {{
  %x = bufferization.to_tensor %X restrict : memref<{t}> to tensor<{t}>
  %y = bufferization.to_tensor %Y restrict : memref<{t}> to tensor<{t}>
  %e0 = tensor.empty() : tensor<{t}>
  %s = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}} ins(%x, %y : tensor<{t}>, tensor<{t}>) outs(%e0 : tensor<{t}>) {{
  ^bb0(%p: i32, %q: i32, %o: i32):
    %u = arith.addi %p, %q : i32
    linalg.yield %u : i32
  }} -> tensor<{t}>
  bufferization.materialize_in_destination %s in restrict writable %R : (tensor<{t}>, memref<{t}>) -> ()
  %a = bufferization.to_tensor %A restrict : memref<{m}x{k}xi8> to tensor<{m}x{k}xi8>
  %b = bufferization.to_tensor %B restrict : memref<{k}x{n}xi8> to tensor<{k}x{n}xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{t}>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{t}>) -> tensor<{t}>
  %r = linalg.matmul ins(%a, %b : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%f : tensor<{t}>) -> tensor<{t}>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{t}>, memref<{t}>) -> ()
  return
}}
"""


def bias_matmul_text(m: str, k: str, n: str) -> str:
    """C = D + A @ B with the bias D in a buffer of its own; sizes may be '?' (dynamic)."""
    ta, tb, tc = f"{m}x{k}", f"{k}x{n}", f"{m}x{n}"
    if "?" in m + n:
        empty = ("%c0 = arith.constant 0 : index\n  %c1 = arith.constant 1 : index\n"
                 f"  %dm = memref.dim %A, %c0 : memref<{ta}xi8>\n  %dn = memref.dim %B, %c1 : memref<{tb}xi8>\n"
                 f"  %e = tensor.empty(%dm, %dn) : tensor<{tc}xi32>")
    else:
        empty = f"%e = tensor.empty() : tensor<{tc}xi32>"
    return f"""func.func @bias_matmul(%A: memref<{ta}xi8>, %B: memref<{tb}xi8>, %D: memref<{tc}xi32>, %C: memref<{tc}xi32>) {{
  %a = bufferization.to_tensor %A restrict : memref<{ta}xi8> to tensor<{ta}xi8>
  %b = bufferization.to_tensor %B restrict : memref<{tb}xi8> to tensor<{tb}xi8>
  %d = bufferization.to_tensor %D restrict : memref<{tc}xi32> to tensor<{tc}xi32>
  %z = arith.constant 0 : i32
  {empty}
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{tc}xi32>) -> tensor<{tc}xi32>
  %r = linalg.matmul ins(%a, %b : tensor<{ta}xi8>, tensor<{tb}xi8>) outs(%f : tensor<{tc}xi32>) -> tensor<{tc}xi32>
  %s = linalg.generic {{indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]}} ins(%d, %r : tensor<{tc}xi32>, tensor<{tc}xi32>) outs(%e : tensor<{tc}xi32>) {{
  ^bb0(%p: i32, %q: i32, %o: i32):
    %u = arith.addi %p, %q : i32
    linalg.yield %u : i32
  }} -> tensor<{tc}xi32>
  bufferization.materialize_in_destination %s in restrict writable %C : (tensor<{tc}xi32>, memref<{tc}xi32>) -> ()
  return
}}
"""


def _problem(text: str) -> Problem:
    fn = next(op for op in parse_mlir(text).ops if isinstance(op, func.FuncOp))
    return Problem.for_function("gemmini", fn, workers=1)


def _refused(sched: MatmulSchedule, step: Step, ctx: KernelContext) -> str:
    with pytest.raises(Refused) as e:
        apply_step(sched, step, ctx)
    return e.value.message


def _wrap32(x: np.ndarray) -> np.ndarray:
    return ((x + 2**31) % 2**32 - 2**31).astype(np.int32)


def _matmul_args(m: int, k: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return (rng.integers(-128, 128, (m, k), dtype=np.int8), rng.integers(-128, 128, (k, n), dtype=np.int8),
            rng.integers(-(2**31), 2**31, (m, n), dtype=np.int32))


# ------------------------------------------------------------------------------------ unroll --
def test_unroll_applies_or_says_why_not() -> None:
    ctx = KernelContext(MatmulShape(64, 128, 64))
    s = MatmulSchedule(4, 3, 5)
    u = apply_step(s, Step("unroll", {"loop": "i", "factor": 3}), ctx)
    assert u.unroll == (("i", 3),)
    u2 = apply_step(u, Step("unroll", {"loop": "mvin", "factor": 2}), ctx)
    assert u2.unroll == (("i", 3), ("mvin", 2))
    # Factor 1 undoes it.
    assert apply_step(u2, Step("unroll", {"loop": "i", "factor": 1}), ctx).unroll == (("mvin", 2),)
    # The compute loop over i-blocks runs tile_i - 1 times per (k, j) step.
    assert "at most 3 iterations" in _refused(s, Step("unroll", {"loop": "i", "factor": 4}), ctx)
    # A tile too small for the unrolling is refused by the schedule check, with the loop named.
    assert "unrolling loop i 3 times exceeds its trip count" in _refused(u, Step("tile", {"i": 2}), ctx)
    ws = s.with_(form="loop_ws")
    assert "no host loops" in _refused(ws, Step("unroll", {"loop": "j", "factor": 2}), ctx)
    # Switching to loop_ws drops the unrolling (the FSM has no host loops).
    assert apply_step(u2, Step("form", {"form": "loop_ws"}), ctx).unroll == ()
    assert "output-stationary" in _refused(s.with_(dataflow="OS"), Step("unroll", {"loop": "i", "factor": 2}), ctx)
    assert "no change" in _refused(s, Step("unroll", {"loop": "j", "factor": 1}), ctx)


UNROLLS = [
    (("i", 3),),
    (("i", 2), ("j", 3), ("k", 4), ("mvin", 2), ("mvout", 3)),
    (("j", 2), ("k", 2), ("mvin", 4), ("mvout", 2)),
]


@pytest.mark.parametrize("unroll", UNROLLS, ids=["i", "all", "jk"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_unrolled_schedules_are_bit_exact(shape: tuple[int, int, int], unroll: tuple[tuple[str, int], ...]) -> None:
    problem = _problem(matmul_text(*shape, accumulate=True))
    # Tiles 4 x 3 x 5 blocks (a partial last tile in every dimension for these shapes) and
    # 1-block mvins of A (the mvin loops then run several times).
    base = MatmulSchedule(4, 3, 5, a_block_len=1, b_block_len=2)
    for sched in (base.with_(unroll=unroll), base.with_(unroll=unroll, double_buffer=True, loop_order="jik")):
        trips = sched.unroll_trips(problem.space.shape)
        fitting = tuple((n, f) for n, f in unroll if f <= trips[n])
        sched = sched.with_(unroll=fitting)
        m = problem.evaluate(sched)
        assert m.correct, (shape, sched, m.error)


@pytest.mark.parametrize("transposed", ["a", "b"])
def test_unrolled_transposed_operands_are_bit_exact(transposed: str) -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_gemmini_epilogue import _transpose_text

    problem = _problem(_transpose_text(50, 100, 70, transposed == "a", transposed == "b", False))
    sched = problem.initial().with_(tile_i=3, tile_j=3, tile_k=4, a_block_len=2, b_block_len=1,
                                    unroll=(("i", 2), ("j", 2), ("k", 3), ("mvin", 2), ("mvout", 2)))
    m = problem.evaluate(sched)
    assert m.correct, m.error


def test_unrolling_cuts_host_time_of_a_host_bound_schedule() -> None:
    problem = _problem(matmul_text(128, 1024, 128))
    lib = problem.initial().with_(double_buffer=True)
    base = problem.evaluate(lib)
    assert base.correct and base.counters["busy"]["host"] > base.counters["busy"]["execute"]  # host-bound
    steps = [Step("unroll", {"loop": "i", "factor": 4}), Step("unroll", {"loop": "j", "factor": 5}),
             Step("unroll", {"loop": "mvin", "factor": 4})]
    sched = lib
    last = base
    for st in steps:
        sched = problem.apply(sched, st)
        m = problem.evaluate(sched)
        assert m.correct, m.error
        assert m.counters["busy"]["host"] < last.counters["busy"]["host"], st
        assert m.counters["instructions"] == base.counters["instructions"]  # the same Gemmini instructions, fewer host ops
        last = m
    assert last.cost < base.cost * 0.97


def test_unrolled_loop_body_holds_the_copies() -> None:
    low = lower_module(parse_mlir(matmul_text(64, 64, 64)),
                       LowerOptions(schedule=MatmulSchedule(4, 4, 4, unroll=(("i", 3),))))
    counts = sorted(sum(isinstance(op, g.ComputeAccumulatedOp) for op in loop.body.block.ops)
                    for loop in low.walk() if loop.name == "scf.for")
    # The unrolled loop has 3 compute_accumulated, its remainder loop 1.
    assert counts[-1] == 3 and 1 in counts


# ------------------------------------------------------------------------------ acc_resident --
def test_acc_resident_applies_or_says_why_not() -> None:
    ctx = KernelContext(MatmulShape(64, 128, 64))
    s = MatmulSchedule(2, 2, 2)  # 8 k-blocks: 4 k-tiles
    assert "acc_resident off" in _refused(s, Step("loop_order", {"order": "kij"}), ctx)
    off = apply_step(s, Step("acc_resident", {"on": False}), ctx)
    assert not off.acc_resident
    kij = apply_step(off, Step("loop_order", {"order": "kij"}), ctx)
    assert kij.loop_order == "kij"
    assert "k innermost" in _refused(kij, Step("acc_resident", {"on": True}), ctx)
    assert apply_step(off, Step("acc_resident", {"on": True}), ctx).acc_resident
    assert "no partial sums" in _refused(s.with_(tile_k=8), Step("acc_resident", {"on": False}), ctx)
    assert "explicit" in _refused(s.with_(form="loop_ws"), Step("acc_resident", {"on": False}), ctx)
    # loop_ws keeps partial sums in the accumulator: the switch restores it (and the order).
    ws = apply_step(kij, Step("form", {"form": "loop_ws"}), ctx)
    assert ws.acc_resident and ws.loop_order == "ijk"
    # A requantisation fused into the mvouts cannot also spill int32.
    rq = KernelContext(MatmulShape(64, 128, 64), epilogue="scale 0.001, saturate to int8")
    assert "fuse_epilogue off" in _refused(s, Step("acc_resident", {"on": False}), rq)
    unfused = apply_step(s.with_(fuse_epilogue=False), Step("acc_resident", {"on": False}), rq)
    assert "acc_resident on" in _refused(unfused, Step("fuse_epilogue", {"on": True}), rq)


@pytest.mark.parametrize("order", ["kij", "ikj", "jki", "kji", "ijk"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_spilled_partial_sums_are_bit_exact_and_cost_dma(shape: tuple[int, int, int], order: str) -> None:
    problem = _problem(matmul_text(*shape, accumulate=True))  # C += A @ B: C is also the bias
    resident = MatmulSchedule(2, 2, 2)
    r = problem.evaluate(resident)
    assert r.correct
    for db in (False, True):
        spilled = resident.with_(acc_resident=False, loop_order=order, double_buffer=db)
        m = problem.evaluate(spilled)
        assert m.correct, (order, db, m.error)
        # Every k-tile but the last moves its partial sums out and back in, in int32.
        m_, _, n_ = shape
        n_k_tiles = -(-shape[1] // 32)
        assert _dma(m) - _dma(r) == 2 * (n_k_tiles - 1) * m_ * n_ * 4
        bound = roofline(problem.space.shape)
        busy = m.counters["busy"]
        assert m.cost >= bound.cycles and busy["load"] >= bound.load and busy["store"] >= bound.store


def test_spill_with_a_bias_buffer_of_its_own() -> None:
    # Static: the bias and C share a row stride; dynamic: the load id's stride is switched.
    for sizes in [("50", "100", "70"), ("?", "?", "?")]:
        low = lower_module(parse_mlir(bias_matmul_text(*sizes)),
                           LowerOptions(schedule=MatmulSchedule(2, 2, 2, acc_resident=False, loop_order="kji",
                                                                unroll=(("mvin", 2),))))
        lds = [op for op in low.walk() if isinstance(op, g.ConfigLdOp) and op.id.value.data == 2]
        assert len(lds) == (1 if sizes[0] != "?" else 5)
        for m, k, n in [(50, 100, 70), (33, 70, 18)] if sizes[0] == "?" else [(50, 100, 70)]:
            a, b, d = _matmul_args(m, k, n, seed=m + k)
            c = np.zeros((m, n), np.int32)
            out = list(simulate(low, [a, b, d, c]).outputs.values())[3]
            np.testing.assert_array_equal(out, _wrap32(a.astype(np.int64) @ b.astype(np.int64) + d))


def test_spill_with_the_epilogue_on_the_host() -> None:
    sys.path.insert(0, str(Path(__file__).parent))
    from test_gemmini_epilogue import STANDARD, _requant_text

    problem = _problem(_requant_text(40, 64, 48, STANDARD, scale_arg=True))
    s = problem.apply(problem.initial(), Step("tile", {"k": 1}))
    s = problem.apply(s, Step("fuse_epilogue", {"on": False}))
    s = problem.apply(s, Step("acc_resident", {"on": False}))
    s = problem.apply(s, Step("loop_order", {"order": "kij"}))
    m = problem.evaluate(s)
    assert m.correct, m.error


# ------------------------------------------------------------------- remove_redundant_config --
def test_cleanup_removes_a_repeated_config_and_keeps_the_needed_ones() -> None:
    low, report = lower_module_with_report(parse_mlir(resadd_matmul_text(40, 50, 36)))
    assert [k.kind for k in report.kernels] == ["resadd", "matmul"]
    fn = find_func(low, "resadd_matmul")
    before = [op.name for op in fn.walk() if op.name.startswith("gemmini.config") or op.name == "gemmini.fence"]
    # The matmul's config_st (int32 rows of the same stride) repeats the resadd's; its config_ld
    # for A (int8) replaces the resadd's (int32) and stays, as do both fences (work before each).
    assert [op.name for op in redundant_ops(fn)] == ["gemmini.config_st"]
    rng = np.random.default_rng(1)
    args = [rng.integers(-(2**31), 2**31, (40, 36), dtype=np.int32) for _ in range(3)]
    args[3:3] = [rng.integers(-128, 128, (40, 50), dtype=np.int8), rng.integers(-128, 128, (50, 36), dtype=np.int8),
                 np.zeros((40, 36), np.int32)]
    ref = simulate(low, [x.copy() for x in args])
    assert cleanup_function(fn) == 1
    after = [op.name for op in fn.walk() if op.name.startswith("gemmini.config") or op.name == "gemmini.fence"]
    assert len(after) == len(before) - 1 and after.count("gemmini.config_st") == 1
    assert redundant_ops(fn) == []
    got = simulate(low, [x.copy() for x in args])
    for x, y in zip(ref.outputs.values(), got.outputs.values(), strict=True):
        np.testing.assert_array_equal(x, y)
    assert got.cycles < ref.cycles


def test_remove_redundant_config_refuses_a_lone_matmul_and_applies_to_two_kernels() -> None:
    lone = _problem(matmul_text(40, 50, 36))
    assert "nothing to remove" in _refused(lone.initial(), Step("remove_redundant_config", {}), lone.space.ctx)
    bare = KernelContext(MatmulShape(40, 50, 36))
    assert "none is redundant" in _refused(library_schedule(bare.shape), Step("remove_redundant_config", {}), bare)
    two = _problem(resadd_matmul_text(40, 50, 36))
    s = two.apply(two.initial(), Step("remove_redundant_config", {}))
    assert s.remove_redundant_config
    assert "no change" in _refused(s, Step("remove_redundant_config", {}), two.space.ctx)
    base, clean = two.evaluate(two.initial()), two.evaluate(s)
    assert base.correct and clean.correct, clean.error
    n_clean, n_base = (sum(x.counters["instructions"].values()) for x in (clean, base))
    assert n_clean == n_base - 1 and clean.cost < base.cost
    text = print_custom(lower_module(two.space.module, LowerOptions(schedule=s)))
    assert text.count("gemmini.config_st") == 1


# ------------------------------------------------------------------------------ emitted C --
@needs_gcc
@pytest.mark.parametrize("case", ["unroll", "spill", "spill_dyn_bias", "cleanup"])
def test_rewritten_schedules_in_c_agree_with_numpy(case: str, tmp_path: Path) -> None:
    from test_gemmini_emit import run_c

    m, k, n = 50, 100, 70
    if case in ("unroll", "spill"):
        sched = (MatmulSchedule(4, 3, 2, double_buffer=True, unroll=(("i", 3), ("j", 2), ("mvin", 2), ("mvout", 2)))
                 if case == "unroll" else MatmulSchedule(2, 2, 2, acc_resident=False, loop_order="ikj",
                                                          unroll=(("mvin", 2),)))
        low = lower_module(parse_mlir(matmul_text(m, k, n, accumulate=True)), LowerOptions(schedule=sched))
        a, b, c = _matmul_args(m, k, n, seed=7)
        out = run_c(low, "matmul", [a, b, c], tmp_path)
        np.testing.assert_array_equal(out[2], _wrap32(a.astype(np.int64) @ b.astype(np.int64) + c))
        return
    if case == "spill_dyn_bias":
        sched = MatmulSchedule(2, 2, 2, acc_resident=False, loop_order="kij", unroll=(("mvout", 2),))
        low = lower_module(parse_mlir(bias_matmul_text("?", "?", "?")), LowerOptions(schedule=sched))
        a, b, d = _matmul_args(m, k, n, seed=8)
        out = run_c(low, "bias_matmul", [a, b, d, np.zeros((m, n), np.int32)], tmp_path)
        np.testing.assert_array_equal(out[3], _wrap32(a.astype(np.int64) @ b.astype(np.int64) + d))
        return
    low = lower_module(parse_mlir(resadd_matmul_text(40, 50, 36)), LowerOptions(cleanup=True))
    assert print_custom(low).count("gemmini.config_st") == 1
    rng = np.random.default_rng(9)
    x, y = (rng.integers(-(2**31), 2**31, (40, 36), dtype=np.int32) for _ in range(2))
    a = rng.integers(-128, 128, (40, 50), dtype=np.int8)
    b = rng.integers(-128, 128, (50, 36), dtype=np.int8)
    out = run_c(low, "resadd_matmul", [x, y, np.zeros_like(x), a, b, np.zeros_like(x)], tmp_path)
    np.testing.assert_array_equal(out[2], _wrap32(x.astype(np.int64) + y))
    np.testing.assert_array_equal(out[5], (a.astype(np.int64) @ b.astype(np.int64)).astype(np.int32))


# ------------------------------------------------------------------------------ the policy --
def test_builtin_policy_proposes_the_new_rewrites_where_they_help() -> None:
    import random

    from liftcomp.search.beam import Candidate
    from liftcomp.targets.gemmini.policy import BuiltinPlanner
    from test_gemmini_epilogue import _transpose_text

    def plans(problem: Problem, sched: MatmulSchedule) -> dict[str, dict[str, object]]:
        root = Candidate(0, None, 0, [], sched, metrics=problem.evaluate(sched))
        return {p.rewrite: p.params for p in BuiltinPlanner(explore=0.0).plan(root, problem, 8, random.Random(0))}

    # B^T keeps the explicit form (loop_ws is refused), whose host loops are the bottleneck.
    bt = _problem(_transpose_text(128, 256, 128, False, True, False))
    sched = bt.initial().with_(tile_i=8, tile_j=8)
    assert "form" not in plans(bt, sched) and plans(bt, sched)["unroll"] == {"loop": "i", "factor": 7}
    two = _problem(resadd_matmul_text(40, 50, 36))
    assert "remove_redundant_config" in plans(two, two.initial())
    lone = _problem(matmul_text(40, 50, 36))
    assert "remove_redundant_config" not in plans(lone, lone.initial())


def _dma(m: Measurement) -> int:
    return m.counters["dma_bytes_in"] + m.counters["dma_bytes_out"]
