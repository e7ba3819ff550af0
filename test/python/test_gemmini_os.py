"""Output-stationary (OS) dataflow on Gemmini: lowering, functional model (20-bit PE partial sums,
rounding shift, clipping), host header, legality of the `dataflow` rewrite, timing sanity."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import numpy as np
import pytest
from xdsl.utils.exceptions import VerifyException

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.diagnostics import LiftcompError  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl  # noqa: E402
from liftcomp.targets.gemmini import dialect as g  # noqa: E402
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG  # noqa: E402
from liftcomp.targets.gemmini.emit_c import emit_c  # noqa: E402
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module, lower_module_with_report  # noqa: E402
from liftcomp.targets.gemmini.menu import (  # noqa: E402
    KernelContext,
    Refused,
    Step,
    apply_step,
    roofline,
    schedule_key,
)
from liftcomp.targets.gemmini.schedule import (  # noqa: E402
    MatmulSchedule,
    MatmulShape,
    library_schedule,
    os_k_blocks_per_drain,
)
from liftcomp.targets.gemmini.sim import simulate  # noqa: E402
from liftcomp.targets.gemmini.sim.machine import Machine, SimError  # noqa: E402
from test_gemmini_emit import run_c  # noqa: E402

needs_gcc = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")


def _wrap(x: np.ndarray, bits: int) -> np.ndarray:
    """Independent two's-complement reduction to `bits` bits."""
    x = x.astype(np.int64)
    return ((x + 2 ** (bits - 1)) % 2**bits - 2 ** (bits - 1)).astype(np.int64)


def _inputs(m: int, k: int, n: int, seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = rng.integers(-(2**31), 2**31, (m, n), dtype=np.int32)
    return a, b, c


def _expected(a: np.ndarray, b: np.ndarray, c: np.ndarray, accumulate: bool) -> np.ndarray:
    e = a.astype(np.int64) @ b.astype(np.int64) + (c.astype(np.int64) if accumulate else 0)
    return _wrap(e, 32).astype(np.int32)


def _os(shape: tuple[int, int, int], **changes: object) -> MatmulSchedule:
    return library_schedule(MatmulShape(*shape)).with_(dataflow="OS", **changes)


# ----------------------------------------------------------------------------- lowering + simulator --
SHAPES = [(1, 1, 1), (16, 16, 16), (17, 33, 5), (31, 7, 48), (64, 48, 32), (100, 70, 130), (40, 1000, 40)]


@pytest.mark.parametrize("accumulate", [False, True], ids=["zero", "bias"])
@pytest.mark.parametrize("shape", SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_os_matmul_matches_numpy(shape: tuple[int, int, int], accumulate: bool) -> None:
    m, k, n = shape
    low = lower_module(parse_mlir(matmul_text(m, k, n, accumulate=accumulate)), LowerOptions(schedule=_os(shape)))
    low.verify()
    ex = [op for op in low.walk() if isinstance(op, g.ConfigExOp)]
    assert [op.dataflow.data for op in ex] == ["OS"]
    # OS streams B with the compute (bd_addr set) and never reuses weights.
    computes = [op for op in low.walk() if isinstance(op, (g.ComputePreloadedOp, g.ComputeAccumulatedOp))]
    assert computes and all(isinstance(op, g.ComputePreloadedOp) and op.bd_addr is not None for op in computes)
    a, b, c = _inputs(m, k, n, seed=m + k + n)
    r = simulate(low, [a, b, c])
    np.testing.assert_array_equal(list(r.outputs.values())[2], _expected(a, b, c, accumulate))
    assert r.macs == m * k * n


@pytest.mark.parametrize("sched", [
    MatmulSchedule(2, 3, 2, double_buffer=True, dataflow="OS"),
    MatmulSchedule(3, 1, 4, loop_order="jik", a_block_len=1, b_block_len=2, dataflow="OS"),
    MatmulSchedule(2, 2, 7, hoist_a=True, double_buffer=True, dataflow="OS"),
    MatmulSchedule(2, 2, 7, loop_order="jik", hoist_b=True, dataflow="OS"),
    MatmulSchedule(1, 1, 2, dataflow="OS"),  # K over several k-tiles: partial sums stay in the accumulator
    MatmulSchedule(2, 3, 2, dataflow="OS", unroll=(("mvin", 2),)),  # bias loads unrolled too
], ids=["db", "jik", "hoist_a", "hoist_b", "k_tiles", "unroll_mvin"])
def test_os_schedule_variants_preserve_results(sched: MatmulSchedule) -> None:
    m, k, n = 50, 100, 70
    sched.check(MatmulShape(m, k, n))
    low = lower_module(parse_mlir(matmul_text(m, k, n, accumulate=True)), LowerOptions(schedule=sched))
    a, b, c = _inputs(m, k, n, seed=11)
    np.testing.assert_array_equal(list(simulate(low, [a, b, c]).outputs.values())[2], _expected(a, b, c, True))


def test_extreme_inputs_stay_exact_with_one_block_per_drain() -> None:
    # All -128: every block adds 16 * 16384 = 2^18 (fits 20 bits); the accumulator holds the rest.
    m, k, n = 20, 160, 24
    a = np.full((m, k), -128, np.int8)
    b = np.full((k, n), -128, np.int8)
    c = np.zeros((m, n), np.int32)
    low = lower_module(parse_mlir(matmul_text(m, k, n)), LowerOptions(schedule=_os((m, k, n))))
    got = list(simulate(low, [a, b, c]).outputs.values())[2]
    assert (got == 128 * 128 * k).all()  # 2^21: far past the array's 20 bits, exact anyway


def _at_text(m: int, k: int, n: int) -> str:
    """C = A @ B with A stored transposed (K x M), through the contraction's maps."""
    return f"""func.func @at(%A: memref<{k}x{m}xi8>, %B: memref<{k}x{n}xi8>, %C: memref<{m}x{n}xi32>) {{
  %a = bufferization.to_tensor %A restrict : memref<{k}x{m}xi8> to tensor<{k}x{m}xi8>
  %b = bufferization.to_tensor %B restrict : memref<{k}x{n}xi8> to tensor<{k}x{n}xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{m}x{n}xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %r = linalg.generic {{indexing_maps = [affine_map<(i, j, k) -> (k, i)>, affine_map<(i, j, k) -> (k, j)>, affine_map<(i, j, k) -> (i, j)>], iterator_types = ["parallel", "parallel", "reduction"]}} ins(%a, %b : tensor<{k}x{m}xi8>, tensor<{k}x{n}xi8>) outs(%f : tensor<{m}x{n}xi32>) {{
  ^bb0(%p: i8, %q: i8, %acc: i32):
    %pw = arith.extsi %p : i8 to i32
    %qw = arith.extsi %q : i8 to i32
    %mul = arith.muli %pw, %qw : i32
    %s = arith.addi %acc, %mul : i32
    linalg.yield %s : i32
  }} -> tensor<{m}x{n}xi32>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{m}x{n}xi32>, memref<{m}x{n}xi32>) -> ()
  return
}}
"""


def test_os_with_a_transposed_uses_the_flag() -> None:
    m, k, n = 37, 70, 45
    sched = MatmulSchedule(2, 2, 3, a_block_len=2, dataflow="OS")
    low, report = lower_module_with_report(parse_mlir(_at_text(m, k, n)), LowerOptions(schedule=sched))
    ex = [op for op in low.walk() if isinstance(op, g.ConfigExOp)]
    assert [(op.dataflow.data, op.a_transpose is not None, op.b_transpose is not None) for op in ex] == [("OS", True, False)]
    rng = np.random.default_rng(2)
    at = rng.integers(-128, 128, (k, m), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    got = list(simulate(low, [at, b, np.zeros((m, n), np.int32)]).outputs.values())[2]
    np.testing.assert_array_equal(got, at.T.astype(np.int64) @ b.astype(np.int64))
    assert report.kernels[0].schedule is not None and report.kernels[0].schedule.dataflow == "OS"


def test_fixed_os_schedule_with_b_transposed_falls_back_to_ws() -> None:
    m, k, n = 20, 33, 18
    text = _at_text(m, k, n).replace("(k, i)>", "(i, k)>", 1).replace("(k, j)>", "(j, k)>", 1)
    text = text.replace(f"memref<{k}x{m}xi8>", f"memref<{m}x{k}xi8>").replace(f"tensor<{k}x{m}xi8>", f"tensor<{m}x{k}xi8>")
    text = text.replace(f"memref<{k}x{n}xi8>", f"memref<{n}x{k}xi8>").replace(f"tensor<{k}x{n}xi8>", f"tensor<{n}x{k}xi8>")
    low, report = lower_module_with_report(parse_mlir(text), LowerOptions(schedule=MatmulSchedule(1, 1, 2, dataflow="OS")))
    ex = [op for op in low.walk() if isinstance(op, g.ConfigExOp)]
    assert [op.dataflow.data for op in ex] == ["WS"]
    assert "OS cannot transpose B alone" in report.kernels[0].remark
    rng = np.random.default_rng(4)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    bt = rng.integers(-128, 128, (n, k), dtype=np.int8)
    got = list(simulate(low, [a, bt, np.zeros((m, n), np.int32)]).outputs.values())[2]
    np.testing.assert_array_equal(got, a.astype(np.int64) @ bt.T.astype(np.int64))


# ----------------------------------------------------------------------------- emitted C --
@needs_gcc
@pytest.mark.parametrize("shape", [(1, 1, 1), (17, 33, 5), (70, 900, 40)], ids=lambda s: "x".join(map(str, s)))
def test_os_c_agrees_with_numpy(shape: tuple[int, int, int], tmp_path: Path) -> None:
    m, k, n = shape
    low = lower_module(parse_mlir(matmul_text(m, k, n, accumulate=True)),
                       LowerOptions(schedule=_os(shape, double_buffer=shape[1] > 100)))
    assert "OUTPUT_STATIONARY" in emit_c(low)
    a, b, c = _inputs(m, k, n, seed=5)
    out = run_c(low, "matmul", [a, b, c], tmp_path)
    np.testing.assert_array_equal(out[2], _expected(a, b, c, True))
    np.testing.assert_array_equal(out[0], a)


# ----------------------------------------------------------------------------- functional model --
# Hand-written OS programs (generic syntax for preload/compute, as gemmini.h sequences them).
def _pre(b: str | None, c: str | None, rest: str, acc: bool = True, space: str = "acc") -> str:
    ops = [x for x in (b, c) if x is not None]
    seg = f"{1 if b else 0}, {1 if c else 0}, 1, 1, 1, 1"
    acc_attr = ", c_accumulate" if acc and c is not None else ""
    types = ", ".join(["index"] * (len(ops) + 4))
    return (f'"gemmini.preload"({", ".join([*ops, rest])}) <{{c_space = "{space}"{acc_attr}, '
            f"operandSegmentSizes = array<i32: {seg}>}}> : ({types}) -> ()")


def _comp(kind: str, a: str | None, b: str | None) -> str:
    ops = [x for x in (a, b) if x is not None]
    types = ", ".join(["index"] * (len(ops) + 4))
    seg = f"{1 if a else 0}, {1 if b else 0}, 1, 1, 1, 1"
    return (f'"gemmini.{kind}"({", ".join([*ops, "%c16, %c16, %c16, %c16"])}) '
            f"<{{operandSegmentSizes = array<i32: {seg}>}}> : ({types}) -> ()")


S16 = "%c16, %c16, %c16, %c16"

# C = A0 @ B0 + A1 @ B1 accumulated in the PEs (compute_accumulated), drained once.
TWO_BLOCKS = f"""
func.func @two(%A: memref<16x32xi8>, %B: memref<32x16xi8>, %C: memref<16x16xi32>) {{
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c48 = arith.constant 48 : index
  %c256 = arith.constant 256 : index
  gemmini.config_ex {{dataflow = "OS"}}
  gemmini.config_ld %c32 {{id = 0 : i64}}
  gemmini.config_ld %c16 {{id = 1 : i64}}
  gemmini.config_st %c16 {{elem_bits = 32 : i64}}
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c32 {{space = "spad"}} : memref<16x32xi8>
  gemmini.mvin %B[%c0] to %c32 rows %c16 cols %c16 {{space = "spad", id = 1 : i64}} : memref<32x16xi8>
  gemmini.mvin %B[%c256] to %c48 rows %c16 cols %c16 {{space = "spad", id = 1 : i64}} : memref<32x16xi8>
  {_pre(None, None, S16)}
  {_comp("compute_preloaded", "%c0", "%c32")}
  {_pre(None, "%c0", S16, acc=False)}
  {_comp("compute_accumulated", "%c16", "%c48")}
  gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c16 {{space = "acc", full}} : memref<16x16xi32>
  gemmini.fence
  return
}}
"""


def test_os_partial_sums_wrap_at_the_array_output_width(tmp_path: Path) -> None:
    # 32 products of (-128)(-128) = 2^19: one past the 20-bit range, so the PEs wrap it to -2^19
    # (PE.scala: the MAC's result has the array's output type). Other columns stay in range.
    rng = np.random.default_rng(9)
    a = np.full((16, 32), -128, np.int8)
    b = rng.integers(-128, 128, (32, 16), dtype=np.int8)
    b[:, ::2] = -128
    mod = parse_xdsl(TWO_BLOCKS)
    mod.verify()
    exact = a.astype(np.int64) @ b.astype(np.int64)
    want = _wrap(exact, DEFAULT_CONFIG.array_output_bits)
    assert (exact[:, ::2] == 2**19).all() and (want[:, ::2] == -(2**19)).all()
    assert np.array_equal(want[:, 1::2], exact[:, 1::2])
    got = list(simulate(mod, [a, b, np.zeros((16, 16), np.int32)]).outputs.values())[2]
    np.testing.assert_array_equal(got, want)
    if shutil.which("gcc"):
        out = run_c(mod, "two", [a, b, np.zeros((16, 16), np.int32)], tmp_path)
        np.testing.assert_array_equal(out[2], want)
    # A wider array output keeps the exact sum (the model follows the configured width).
    wide = simulate(mod, [a, b, np.zeros((16, 16), np.int32)], DEFAULT_CONFIG.with_(array_output_bits=32))
    np.testing.assert_array_equal(list(wide.outputs.values())[2], exact)


def _drain_text(shift: int) -> str:
    """psums = D (int8 scratchpad rows) + A @ B, drained with sys_shift into the accumulator and,
    a second time from the preloaded D alone, into the scratchpad (saturated to int8)."""
    return f"""
func.func @drain(%A: memref<16x16xi8>, %B: memref<16x16xi8>, %D: memref<16x16xi8>, %C: memref<16x16xi32>,
                 %C8: memref<16x16xi8>) {{
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %c64 = arith.constant 64 : index
  gemmini.config_ex {{dataflow = "OS", sys_shift = {shift} : i64}}
  gemmini.config_ld %c16 {{id = 0 : i64}}
  gemmini.config_ld %c16 {{id = 1 : i64}}
  gemmini.config_ld %c16 {{id = 2 : i64}}
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c16 {{space = "spad"}} : memref<16x16xi8>
  gemmini.mvin %B[%c0] to %c16 rows %c16 cols %c16 {{space = "spad", id = 1 : i64}} : memref<16x16xi8>
  gemmini.mvin %D[%c0] to %c32 rows %c16 cols %c16 {{space = "spad", id = 2 : i64}} : memref<16x16xi8>
  {_pre("%c32", "%c0", S16, acc=False)}
  {_comp("compute_preloaded", "%c0", "%c16")}
  {_pre("%c32", "%c64", S16, acc=False, space="spad")}
  {_comp("compute_preloaded", None, None)}
  gemmini.config_st %c16 {{elem_bits = 32 : i64}}
  gemmini.mvout %c0 to %C[%c0] rows %c16 cols %c16 {{space = "acc", full}} : memref<16x16xi32>
  gemmini.config_st %c16 {{elem_bits = 8 : i64}}
  gemmini.mvout %c64 to %C8[%c0] rows %c16 cols %c16 {{space = "spad"}} : memref<16x16xi8>
  gemmini.fence
  return
}}
"""


@pytest.mark.parametrize("shift", [0, 1, 3, 9])
def test_os_preload_d_rounding_shift_and_drains(shift: int, tmp_path: Path) -> None:
    rng = np.random.default_rng(shift)
    a = rng.integers(-128, 128, (16, 16), dtype=np.int8)
    b = rng.integers(-128, 128, (16, 16), dtype=np.int8)
    d = np.arange(-128, 128, dtype=np.int64).reshape(16, 16).astype(np.int8)  # every int8 value once
    psum = d.astype(np.int64) + a.astype(np.int64) @ b.astype(np.int64)
    # Independent rounding: float division is exact here, np.rint rounds half to even.
    want_acc = np.rint(psum / 2**shift).astype(np.int64)
    want_spad = np.clip(np.rint(d.astype(np.int64) / 2**shift), -128, 127).astype(np.int8)
    if shift:
        ties = (psum % 2**shift) == 2 ** (shift - 1)
        assert shift < 3 or ties.any() or (np.abs(psum) < 2**shift).any()
    mod = parse_xdsl(_drain_text(shift))
    mod.verify()
    args = [a, b, d, np.zeros((16, 16), np.int32), np.zeros((16, 16), np.int8)]
    outs = list(simulate(mod, args).outputs.values())
    np.testing.assert_array_equal(outs[3], want_acc)
    np.testing.assert_array_equal(outs[4], want_spad)
    if shutil.which("gcc"):
        c_outs = run_c(mod, "drain", args, tmp_path)
        np.testing.assert_array_equal(c_outs[3], want_acc)
        np.testing.assert_array_equal(c_outs[4], want_spad)


def test_rounding_shift_ties_go_to_even() -> None:
    # D alone (A, B GARBAGE) with sys_shift 3: d / 8 for every int8 d, ties (odd multiples of 4) to even.
    mod = parse_xdsl(_drain_text(3).replace('_comp("compute_preloaded", "%c0", "%c16")', ""))
    d = np.arange(-128, 128, dtype=np.int64).reshape(16, 16).astype(np.int8)
    z = np.zeros((16, 16), np.int8)
    outs = list(simulate(mod, [z, z, d, np.zeros((16, 16), np.int32), z.copy()]).outputs.values())
    got = outs[4].astype(np.int64).ravel()
    vals = d.astype(np.int64).ravel()
    assert dict(zip(vals.tolist(), got.tolist(), strict=True))[4] == 0      # 0.5 -> 0
    assert dict(zip(vals.tolist(), got.tolist(), strict=True))[12] == 2     # 1.5 -> 2
    assert dict(zip(vals.tolist(), got.tolist(), strict=True))[20] == 2     # 2.5 -> 2
    assert dict(zip(vals.tolist(), got.tolist(), strict=True))[-12] == -2   # -1.5 -> -2
    assert dict(zip(vals.tolist(), got.tolist(), strict=True))[-20] == -2   # -2.5 -> -2
    assert dict(zip(vals.tolist(), got.tolist(), strict=True))[5] == 1      # 0.625 -> 1


def test_os_instruction_rules_in_the_simulator_and_verifier() -> None:
    m = Machine(DEFAULT_CONFIG)
    with pytest.raises(SimError, match="B alone"):
        m.config_ex("OS", False, True)
    m.config_ex("OS", True, True)  # both transposed: legal in OS
    m.config_ex("OS", False, False)
    z8 = np.zeros((16, 16), np.int8)
    with pytest.raises(SimError, match="weight-stationary"):
        m.loop_ws((1, 1, 1, 0, 0, 0), (z8, 0, 16), (z8, 0, 16), None, None, False, True)
    m.preload(None, None, 16, 16, 16, 16, "acc", False)
    with pytest.raises(SimError, match="GARBAGE A"):
        m.compute(True, None, 16, 16, 16)
    fresh = Machine(DEFAULT_CONFIG)
    fresh.config_ex("OS", False, False)
    fresh.preload(None, None, 16, 16, 16, 16, "acc", False)
    with pytest.raises(SimError, match="compute_accumulated before"):
        fresh.compute(False, 0, 16, 16, 16)
    with pytest.raises(VerifyException, match="sys_shift"):
        g.ConfigExOp("OS", sys_shift=32).verify()
    with pytest.raises(VerifyException, match="B alone"):
        g.ConfigExOp("OS", b_transpose=True).verify()


# ----------------------------------------------------------------------------- legality --
def _refused(sched: MatmulSchedule, step: Step, ctx: KernelContext) -> str:
    with pytest.raises(Refused) as e:
        apply_step(sched, step, ctx)
    return e.value.message


def test_dataflow_rewrite_applies_and_switches_back() -> None:
    ctx = KernelContext(MatmulShape(512, 512, 512))
    lib = library_schedule(ctx.shape)
    os_ = apply_step(lib, Step("dataflow", {"dataflow": "OS"}), ctx)
    assert os_.dataflow == "OS" and schedule_key(os_) != schedule_key(lib)
    assert MatmulSchedule.from_json(os_.to_json()) == os_
    assert MatmulSchedule.from_json({k: v for k, v in lib.to_json().items() if k != "dataflow"}).dataflow == "WS"
    back = apply_step(os_, Step("dataflow", {"dataflow": "WS"}), ctx)
    assert back.dataflow == "WS" and schedule_key(back) == schedule_key(lib)
    assert "no change" in _refused(os_, Step("dataflow", {"dataflow": "OS"}), ctx)
    # Other rewrites keep the dataflow.
    assert apply_step(os_, Step("double_buffer", {"on": True}), ctx).dataflow == "OS"


def test_dataflow_refusals_name_their_reason() -> None:
    ctx = KernelContext(MatmulShape(128, 128, 128))
    lib = library_schedule(ctx.shape)
    fsm = lib.with_(form="loop_ws")
    assert "loop_ws" in _refused(fsm, Step("dataflow", {"dataflow": "OS"}), ctx)
    os_ = lib.with_(dataflow="OS")
    assert "explicit" in _refused(os_, Step("form", {"form": "loop_ws"}), ctx)
    bt = KernelContext(ctx.shape, b_transposed=True)
    assert "B alone" in _refused(lib, Step("dataflow", {"dataflow": "OS"}), bt)
    # An array whose outputs are too narrow for one K-block of full-range int8 partial sums.
    narrow = KernelContext(ctx.shape, config=DEFAULT_CONFIG.with_(array_output_bits=18))
    msg = _refused(lib, Step("dataflow", {"dataflow": "OS"}), narrow)
    assert "262144" in msg and "18-bit" in msg
    with pytest.raises(LiftcompError, match="loop_ws"):
        MatmulSchedule(2, 2, 2, form="loop_ws", dataflow="OS").check(ctx.shape)
    with pytest.raises(LiftcompError, match="WS or OS"):
        MatmulSchedule(2, 2, 2, dataflow="RS").check(ctx.shape)  # type: ignore[arg-type]


def test_clip_bound_derivation() -> None:
    # 20-bit outputs: one 16-element block reaches 2^18 <= 2^19 - 1, two blocks (2^19) do not fit.
    assert os_k_blocks_per_drain(DEFAULT_CONFIG) == 1
    assert os_k_blocks_per_drain(DEFAULT_CONFIG.with_(array_output_bits=18)) == 0
    assert os_k_blocks_per_drain(DEFAULT_CONFIG.with_(array_output_bits=32)) == (2**31 - 1) // (2**14 * 16)


# ----------------------------------------------------------------------------- timing --
def _sim_os(shape: tuple[int, int, int], sched: MatmulSchedule | None = None, cfg=DEFAULT_CONFIG):
    m, k, n = shape
    sched = sched or _os(shape)
    low = lower_module(parse_mlir(matmul_text(m, k, n)), LowerOptions(schedule=sched, config=cfg))
    arrays = [np.zeros((m, k), np.int8), np.zeros((k, n), np.int8), np.zeros((m, n), np.int32)]
    return simulate(low, arrays, cfg, functional=False)


TIMING_SHAPES = [(128, 256, 128), (40, 1000, 40), (17, 33, 5), (1, 1, 1)]


@pytest.mark.parametrize("shape", TIMING_SHAPES, ids=lambda s: "x".join(map(str, s)))
def test_os_timing_sanity(shape: tuple[int, int, int]) -> None:
    cfg = DEFAULT_CONFIG
    r = _sim_os(shape)
    bound = roofline(MatmulShape(*shape), cfg)
    assert 0 < r.utilization <= bound.utilization + 1e-9 <= 1.0 + 1e-9
    assert r.cycles >= bound.cycles and r.busy["execute"] >= bound.execute
    assert r.busy["load"] >= bound.load and r.busy["store"] >= bound.store
    assert max(r.busy["load"], r.busy["execute"], r.busy["store"]) <= r.cycles
    # Every OS compute streams DIM rows of A and B (no shortcut for partial blocks, no weight preload).
    n_compute = r.instructions.get("compute_preloaded", 0) + r.instructions.get("compute_accumulated", 0)
    assert r.busy["execute"] == (r.instructions["config_ex"] * cfg.config_cycles
                                 + r.instructions["preload"] * cfg.preload_cycles + n_compute * cfg.dim)
    # Slower memory or a slower drain never makes a program faster.
    assert _sim_os(shape, cfg=cfg.with_(dram_latency=2 * cfg.dram_latency)).cycles >= r.cycles
    assert _sim_os(shape, cfg=cfg.with_(os_drain_cycles=4 * cfg.os_drain_cycles)).cycles >= r.cycles


def test_os_drain_latency_is_on_the_critical_path_of_a_single_block() -> None:
    cfg = DEFAULT_CONFIG
    base = _sim_os((16, 16, 16))
    slow = _sim_os((16, 16, 16), cfg=cfg.with_(os_drain_cycles=cfg.os_drain_cycles + 100))
    # One block: the mvout waits for the drained result, so the extra drain time shows in full.
    assert slow.cycles - base.cycles == 100
    slow_t = _sim_os((16, 16, 16), cfg=cfg.with_(transposer_latency=cfg.transposer_latency + 50))
    assert slow_t.cycles - base.cycles == 50
    ws = simulate(lower_module(parse_mlir(matmul_text(16, 16, 16)), LowerOptions()),
                  [np.zeros((16, 16), np.int8), np.zeros((16, 16), np.int8), np.zeros((16, 16), np.int32)],
                  functional=False)
    # OS pays the transposer and the shift-out that WS does not (host code differs by a few cycles).
    assert base.cycles - ws.cycles >= cfg.transposer_latency + cfg.os_drain_cycles - 4
