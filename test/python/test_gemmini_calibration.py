"""Autocomp's problem on Gemmini and the `firesim-lean` configuration's extra timing mechanisms."""

from __future__ import annotations

import numpy as np
import pytest
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl
from liftcomp.targets.gemmini import dialect as g
from liftcomp.targets.gemmini.autocomp import autocomp_example_text, requant_matmul_text
from liftcomp.targets.gemmini.config import CONFIGS, DEFAULT_CONFIG, FIRESIM_LEAN_CONFIG
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
from liftcomp.targets.gemmini.sim import simulate


def _example(reuse: bool, cfg: object, functional: bool = True, i_blocks: int = 8) -> tuple[int, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(3)
    m = 16 * i_blocks
    a = rng.integers(-128, 128, (m, 64), dtype=np.int8)
    b = rng.integers(-128, 128, (64, 256), dtype=np.int8)
    r = simulate(parse_xdsl(autocomp_example_text(reuse, i_blocks)), [a, b, np.zeros((m, 256), np.int8)],
                 config=cfg, functional=functional)  # type: ignore[arg-type]
    want = np.clip(a.astype(np.int64) @ b.astype(np.int64), -128, 127).astype(np.int8)
    return r.cycles, want, r.outputs.get("C", want)


def test_autocomp_examples_compute_the_product_and_reuse_pays_off_in_firesim_lean() -> None:
    assert CONFIGS["firesim-lean"] is FIRESIM_LEAN_CONFIG
    cycles = {}
    for reuse in (False, True):
        c, want, got = _example(reuse, FIRESIM_LEAN_CONFIG)
        np.testing.assert_array_equal(got, want)
        cycles[reuse] = c
    # Autocomp measured 2.26x on FireSim; the calibrated model must show the same direction, clearly.
    assert cycles[False] > 1.8 * cycles[True]


def test_firesim_lean_mechanisms_are_off_by_default_and_cost_time_when_on() -> None:
    assert DEFAULT_CONFIG.tlb_entries == 0 and DEFAULT_CONFIG.preload_weight_cycles == 0
    lean = FIRESIM_LEAN_CONFIG
    base = lean.with_(tlb_entries=0, preload_weight_cycles=0)
    c0, _, _ = _example(False, base, functional=False)
    # The unoptimised example touches 6 pages per (i, j) step (A, 4 of B, C): a 4-entry TLB misses on each.
    c_tlb, _, _ = _example(False, base.with_(tlb_entries=4, tlb_miss_cycles=50), functional=False)
    c_big_tlb, _, _ = _example(False, base.with_(tlb_entries=64, tlb_miss_cycles=50), functional=False)
    c_pre, _, _ = _example(False, base.with_(preload_weight_cycles=16), functional=False)
    assert c_tlb > c0 + 8 * 4 * 4 * 50  # at least the 4 B pages of every (i, j) step miss
    assert c0 < c_big_tlb < c_tlb  # 64 entries hold the whole working set: compulsory misses only
    assert c_pre > c0 + 8 * 4 * 16 * 16 // 4  # 16 weight preloads per step, mostly on the critical path


@pytest.mark.parametrize("form", ["explicit", "loop_ws"])
def test_int8_gemm_with_bias_requant_relu_runs_on_the_accelerator(form: str) -> None:
    m, k, n = 40, 72, 36
    text = requant_matmul_text(m, k, n, bias=True).replace("%lo = arith.constant -128.0", "%lo = arith.constant 0.0")
    low, report = lower_module_with_report(parse_mlir(text), LowerOptions(form=form))  # type: ignore[arg-type]
    assert [r.remark for r in report.kernels] == [""]
    # Nothing but Gemmini instructions and their index arithmetic: the epilogue is in the mvouts.
    assert not [op for op in low.walk() if op.name in ("arith.mulf", "arith.sitofp", "memref.alloc", "memref.store")]
    st = [op for op in low.walk() if isinstance(op, g.ConfigStOp)]
    assert len(st) == 1 and st[0].activation.data == "relu" and st[0].scale_value is not None
    rng = np.random.default_rng(1)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    d = rng.integers(-2**20, 2**20, (m, n), dtype=np.int32)
    s = np.float32(0.0031)
    r = simulate(low, [a, b, d, np.zeros((m, n), np.int8), s])
    acc = (a.astype(np.int64) @ b.astype(np.int64) + d).astype(np.float32)
    want = np.clip(np.rint(acc * s), 0, 127).astype(np.int8)
    np.testing.assert_array_equal(list(r.outputs.values())[3], want)
