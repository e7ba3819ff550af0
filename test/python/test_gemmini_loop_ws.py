"""The loop_ws FSM model follows Gemmini's LoopMatmul (instruction order, load arbitration, multi-block
int8 C stores), stays bit-exact (simulator and gcc-built host header), and the simulator reports
peak live scratchpad/accumulator occupancy, not just the footprint."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl  # noqa: E402
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG  # noqa: E402
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module  # noqa: E402
from liftcomp.targets.gemmini.sim import Machine, simulate  # noqa: E402
from test_gemmini_emit import run_c  # noqa: E402
from test_gemmini_epilogue import STANDARD, _requant_text  # noqa: E402

DIM = DEFAULT_CONFIG.dim


def _recording_machine() -> tuple[Machine, list[tuple[Any, ...]]]:
    """A functional machine whose FSM-issued mvins and mvouts are logged in issue order."""
    m = Machine(DEFAULT_CONFIG)
    log: list[tuple[Any, ...]] = []
    mvin, mvout = m.mvin, m.mvout

    def rec_mvin(arr, offset, addr, rows, cols, space, id, accumulate, issuer="host", stride=None):  # noqa: A002, ANN001, ANN202
        log.append((issuer, offset, rows, cols))
        return mvin(arr, offset, addr, rows, cols, space, id, accumulate, issuer, stride)

    def rec_mvout(arr, offset, addr, rows, cols, space, full, issuer="host", stride=None):  # noqa: ANN001, ANN202
        log.append((issuer, offset, rows, cols))
        return mvout(arr, offset, addr, rows, cols, space, full, issuer, stride)

    m.mvin = rec_mvin  # type: ignore[method-assign]
    m.mvout = rec_mvout  # type: ignore[method-assign]
    return m, log


def test_loads_follow_loopmatmul_order_and_arbitration() -> None:
    # I = 2, J = 5, K = 5 blocks, 3 elements missing from the last J and K blocks.
    I, J, K, pad_j, pad_k = 2, 5, 5, 3, 3  # noqa: E741
    k_el, n_el = K * DIM - pad_k, J * DIM - pad_j
    a = np.zeros((I * DIM, k_el), np.int8)
    b = np.zeros((k_el, n_el), np.int8)
    c = np.zeros((I * DIM, n_el), np.int8)
    m, log = _recording_machine()
    m.loop_ws((I, J, K, 0, pad_j, pad_k), (a, 0, k_el), (b, 0, n_el), None, (c, 0, n_el), False, False)

    def A(k: int, i: int) -> tuple[Any, ...]:  # noqa: N802 - LdA: 4 k-blocks per mvin
        return ("ldA", i * DIM * k_el + k * DIM, DIM, 4 * DIM if k == 0 else DIM - pad_k)

    def B(k: int, j: int) -> tuple[Any, ...]:  # noqa: N802 - LdB: 4 j-blocks per mvin
        return ("ldB", k * DIM * n_el + j * DIM, DIM - (pad_k if k == K - 1 else 0), 4 * DIM if j == 0 else DIM - pad_j)

    # WeightedArbiter (static weight): B's first mvin, then whichever of A and B lags in k (A on ties).
    want_loads = [B(0, 0), A(0, 0), A(0, 1), B(0, 4), B(1, 0), B(1, 4), B(2, 0), B(2, 4), B(3, 0), B(3, 4),
                  A(4, 0), A(4, 1), B(4, 0), B(4, 4)]
    loads = [e for e in log if e[0] in ("ldA", "ldB")]
    assert loads == want_loads
    # LoopMatmulStC: j outer in groups of max_block_len blocks of int8, i inner.
    stores = [e for e in log if e[0] == "stC"]
    assert stores == [("stC", 0, DIM, 4 * DIM), ("stC", DIM * n_el, DIM, 4 * DIM),
                      ("stC", 4 * DIM, DIM, DIM - pad_j), ("stC", DIM * n_el + 4 * DIM, DIM, DIM - pad_j)]


def test_full_c_and_bias_move_one_block_per_instruction() -> None:
    I, J, K = 2, 3, 1  # noqa: E741
    a = np.zeros((I * DIM, K * DIM), np.int8)
    b = np.zeros((K * DIM, J * DIM), np.int8)
    d = np.zeros((I * DIM, J * DIM), np.int32)
    c = np.zeros((I * DIM, J * DIM), np.int32)
    m, log = _recording_machine()
    m.loop_ws((I, J, K, 0, 0, 0), (a, 0, K * DIM), (b, 0, J * DIM), (d, 0, J * DIM), (c, 0, J * DIM), False, True)
    n = J * DIM
    # LdD and StC (full int32 rows): j outer, i inner, one block each.
    order = [i * DIM * n + j * DIM for j in range(J) for i in range(I)]
    assert [e[1] for e in log if e[0] == "ldD"] == order
    assert [e[1] for e in log if e[0] == "stC"] == order
    assert all(e[3] == DIM for e in log if e[0] in ("ldD", "stC"))


@pytest.mark.parametrize(("m", "k", "n"), [(32, 80, 90), (17, 300, 70), (1, 1, 1)])
def test_int8_loop_ws_is_bit_exact_and_stores_fewer_wider_rows(m: int, k: int, n: int) -> None:
    text = _requant_text(m, k, n, STANDARD, scale_arg=True)
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    scale = np.float32(0.0123)
    # Gemmini's mvout: f32 product rounded half to even, saturated to int8.
    want = np.clip(np.rint((a.astype(np.int64) @ b).astype(np.float32) * scale), -128, 127).astype(np.int8)
    runs = {}
    for form in ("explicit", "loop_ws"):
        low = lower_module(parse_mlir(text), LowerOptions(form=form))
        runs[form] = r = simulate(low, [a, b, np.zeros((m, n), np.int8), scale])
        np.testing.assert_array_equal(r.outputs["arg2"], want)
    ws, ex = runs["loop_ws"], runs["explicit"]
    if n > DIM:
        # The FSM stores up to 4 blocks of an int8 row per mvout; the explicit form one block.
        assert ws.instructions["mvout"] < ex.instructions["mvout"]
        assert ws.busy["store"] < ex.busy["store"]
    assert ws.dma_bytes_out == ex.dma_bytes_out == m * n


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_int8_loop_ws_in_c_agrees(tmp_path: Path) -> None:
    m, k, n = 33, 70, 90  # 6 J-blocks: one 4-block and one 2-block mvout per row of C blocks
    low = lower_module(parse_mlir(_requant_text(m, k, n, STANDARD.replace("%s", "%sc").replace(
        "%x = arith", "%sc = arith.constant 0.0123 : f32\n    %x = arith"))), LowerOptions(form="loop_ws"))
    rng = np.random.default_rng(9)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    sim = simulate(low, [a, b, np.zeros((m, n), np.int8)]).outputs["arg2"]
    out = run_c(low, "f", [a, b, np.zeros((m, n), np.int8)], tmp_path)
    np.testing.assert_array_equal(out[2], sim)
    want = np.clip(np.rint((a.astype(np.int64) @ b).astype(np.float32) * np.float32(0.0123)), -128, 127)
    np.testing.assert_array_equal(out[2], want.astype(np.int8))


# ------------------------------------------------------------------------ peak live occupancy --
HEAD = """func.func @f(%A: memref<16x16xi8>, %C: memref<16x16xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  gemmini.config_ld %c16
  gemmini.config_st %c16
"""
MVIN = 'gemmini.mvin %A[%c0] to {addr} rows %c16 cols %c16 {{space = "spad"}} : memref<16x16xi8>\n'
PRELOAD = ('"gemmini.preload"({b}%{c}, %c16, %c16, %c16, %c16) <{{c_space = "acc"{acc}, operandSegmentSizes = '
           'array<i32: {nb}, 1, 1, 1, 1, 1>}}> : ({types}) -> ()\n')
COMPUTE = ('"gemmini.{kind}"(%{a}, %c16, %c16, %c16, %c16) <{{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1, 1>}}> '
           ': (index, index, index, index, index) -> ()\n')
MVOUT = 'gemmini.mvout %{addr} to %C[%c0] rows %c16 cols %c16 {{space = "acc"}} : memref<16x16xi8>\n'


def _preload(b: str | None, c: str, accumulate: bool = False) -> str:
    n = 6 if b else 5
    return PRELOAD.format(b=f"%{b}, " if b else "", c=c, acc=", c_accumulate" if accumulate else "",
                          nb=1 if b else 0, types=", ".join(["index"] * n))


def _occupancy(body: str) -> dict[str, int]:
    mod = parse_xdsl(HEAD + body + "  return\n}\n")
    mod.verify()
    r = simulate(mod, [np.ones((16, 16), np.int8), np.zeros((16, 16), np.int8)])
    return {k: r.summary()[k] for k in ("spad_peak_rows", "spad_rows_used", "acc_peak_rows", "acc_rows_used")}


def test_peak_counts_rows_still_to_be_read_not_the_footprint() -> None:
    use = lambda a: _preload(a, "c0") + COMPUTE.format(kind="compute_preloaded", a=a)  # noqa: E731
    # Block 0 is loaded and used, then (after a fence) block 1: never both live.
    seq = _occupancy(MVIN.format(addr="%c0") + use("c0") + "gemmini.fence\n" + MVIN.format(addr="%c16") + use("c16")
                     + "gemmini.fence\n")
    assert seq["spad_rows_used"] == 32 and seq["spad_peak_rows"] == 16
    # The results in the accumulator are never read: written, but never live.
    assert seq["acc_rows_used"] == 16 and seq["acc_peak_rows"] == 0
    # Without the fence the second load overlaps the first block's use: both live at once.
    overlap = _occupancy(MVIN.format(addr="%c0") + use("c0") + MVIN.format(addr="%c16") + use("c16") + "gemmini.fence\n")
    assert overlap["spad_peak_rows"] == 32


def test_accumulated_partial_sums_stay_live() -> None:
    # acc rows 0..15 get a partial sum, rows 16..31 are written and stored, then rows 0..15
    # accumulate and are stored: the partial sum was live all along, so both blocks were live at once.
    body = (MVIN.format(addr="%c0")
            + _preload("c0", "c0") + COMPUTE.format(kind="compute_preloaded", a="c0") + "gemmini.fence\n"
            + _preload("c0", "c16") + COMPUTE.format(kind="compute_preloaded", a="c0") + MVOUT.format(addr="c16")
            + "gemmini.fence\n"
            + _preload(None, "c0", accumulate=True) + COMPUTE.format(kind="compute_accumulated", a="c0")
            + MVOUT.format(addr="c0") + "gemmini.fence\n")
    occ = _occupancy(body)
    assert occ["acc_rows_used"] == 32 and occ["acc_peak_rows"] == 32
    # Overwriting instead of accumulating ends the first contents unused: one block live at a time.
    occ = _occupancy(body.replace(", c_accumulate", ""))
    assert occ["acc_peak_rows"] == 16


def test_loop_ws_double_buffering_shows_in_peak_occupancy() -> None:
    low = lower_module(parse_mlir(_requant_text(160, 512, 192, STANDARD, scale_arg=True)), LowerOptions(form="loop_ws"))
    r = simulate(low, [np.zeros((160, 512), np.int8), np.zeros((512, 192), np.int8), np.zeros((160, 192), np.int8),
                       np.float32(1.0)], functional=False)
    # Library tiles 5 x 6 x 32 blocks: one loop's A and B need (5*32 + 32*6) * 16 = 5632 rows; two
    # loops in flight overlap (more than one tile live), within the scratchpad.
    one_tile = (5 * 32 + 32 * 6) * DIM
    assert one_tile < r.spad_peak_rows <= r.spad_rows_used <= DEFAULT_CONFIG.sp_rows
    assert 0 < r.acc_peak_rows <= r.acc_rows_used <= DEFAULT_CONFIG.acc_rows
    assert r.spad_occupancy == r.spad_peak_rows / DEFAULT_CONFIG.sp_rows
