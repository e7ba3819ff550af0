"""Emitted C (gemmini.h names) compiled by gcc against the host header agrees with numpy and the simulator."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl  # noqa: E402
from liftcomp.targets.gemmini.emit_c import emit_c, emit_harness, header_path  # noqa: E402
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module  # noqa: E402
from liftcomp.targets.gemmini.sim import simulate  # noqa: E402
from liftcomp.targets.gemmini.sim.simulate import find_func  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
INPUTS = Path(__file__).parents[1] / "targets" / "gemmini" / "Inputs"


def run_c(module, name: str, args: list[np.ndarray], tmp: Path) -> list[np.ndarray]:
    fn = find_func(module, name)
    (tmp / "kernels.c").write_text(emit_c(module))
    (tmp / "main.c").write_text(emit_harness(fn, [a.shape for a in args], [None] * len(args)))
    for i, a in enumerate(args):
        a.tofile(tmp / f"arg{i}.bin")
    subprocess.run(["gcc", "-O1", "-std=c11", "-Wall", "-Werror", "-DLIFTCOMP_GEMMINI_HOST", "-I",
                    str(header_path().parent), "-o", str(tmp / "run"), str(tmp / "kernels.c"), str(tmp / "main.c"),
                    "-lm"], check=True)
    subprocess.run([str(tmp / "run")], cwd=tmp, check=True)
    return [np.fromfile(tmp / f"arg{i}.out", dtype=a.dtype).reshape(a.shape) for i, a in enumerate(args)]


@pytest.mark.parametrize("form", ["explicit", "loop_ws"])
@pytest.mark.parametrize("shape", [(1, 1, 1), (17, 33, 5), (70, 900, 40)])
def test_matmul_c_agrees_with_numpy(shape, form, tmp_path: Path) -> None:
    m, k, n = shape
    low = lower_module(parse_mlir(matmul_text(m, k, n, accumulate=True)), LowerOptions(form=form))
    rng = np.random.default_rng(3)
    a = rng.integers(-128, 128, (m, k), dtype=np.int8)
    b = rng.integers(-128, 128, (k, n), dtype=np.int8)
    c = rng.integers(-(2**31), 2**31, (m, n), dtype=np.int32)
    expected = a.astype(np.int64) @ b.astype(np.int64) + c
    expected = ((expected + 2**31) % 2**32 - 2**31).astype(np.int32)
    out = run_c(low, "matmul", [a, b, c], tmp_path)
    np.testing.assert_array_equal(out[2], expected)
    np.testing.assert_array_equal(out[0], a)  # inputs untouched


def test_resadd_matvec_and_host_fallback_in_c(tmp_path: Path) -> None:
    low = lower_module(parse_mlir((INPUTS / "elementwise_and_matvec.mlir").read_text()), LowerOptions())
    rng = np.random.default_rng(5)
    i8 = lambda *s: rng.integers(-128, 128, s, dtype=np.int8)  # noqa: E731
    cases = {
        "add_sat": ([i8(37, 21), i8(37, 21), i8(37, 21)],
                    lambda a, b: np.clip(a.astype(np.int64) + b, -128, 127).astype(np.int8)),
        "add_wrap": ([i8(100), i8(100), i8(100)], lambda a, b: (a.astype(np.int64) + b).astype(np.int8)),
        "add_i32": ([rng.integers(-(2**31), 2**31, 100, dtype=np.int32) for _ in range(3)],
                    lambda a, b: (a.astype(np.int64) + b).astype(np.int32)),
        "matvec": ([i8(70, 45), i8(45), np.zeros(70, np.int32)],
                   lambda a, x: (a.astype(np.int64) @ x.astype(np.int64)).astype(np.int32)),
    }
    for name, (args, ref) in cases.items():
        expected = ref(args[0], args[1])
        sub = tmp_path / name
        sub.mkdir()
        out = run_c(low, name, args, sub)
        np.testing.assert_array_equal(out[2], expected, err_msg=name)
        sim = simulate(low, args, func_name=name)
        np.testing.assert_array_equal(list(sim.outputs.values())[2], expected, err_msg=name)


SCALED = """
func.func @scaled(%A: memref<16x16xi8>, %B: memref<16x16xi8>, %D: memref<16x16xi32>, %C: memref<16x16xi8>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  gemmini.config_ex
  gemmini.config_ld %c16 {id = 0 : i64, scale = 0.75 : f32}
  gemmini.config_ld %c16 {id = 1 : i64}
  gemmini.config_ld %c16 {id = 2 : i64, elem_bits = 32 : i64}
  gemmini.config_st %c16 {activation = "relu", scale = 0.00371 : f32}
  gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c16 {space = "spad"} : memref<16x16xi8>
  gemmini.mvin %B[%c0] to %c16 rows %c16 cols %c16 {space = "spad", id = 1 : i64} : memref<16x16xi8>
  gemmini.mvin %D[%c0] to %c32 rows %c16 cols %c16 {space = "acc", id = 2 : i64} : memref<16x16xi32>
  "gemmini.preload"(%c16, %c32, %c16, %c16, %c16, %c16) <{c_space = "acc", c_accumulate, operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1>}> : (index, index, index, index, index, index) -> ()
  "gemmini.compute_preloaded"(%c0, %c16, %c16, %c16, %c16) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1, 1>}> : (index, index, index, index, index) -> ()
  gemmini.mvout %c32 to %C[%c0] rows %c16 cols %c16 {space = "acc"} : memref<16x16xi8>
  gemmini.fence
  return
}
"""


def test_scale_relu_saturation_bit_exact(tmp_path: Path) -> None:
    module = parse_xdsl(SCALED)
    module.verify()
    rng = np.random.default_rng(7)
    a = rng.integers(-128, 128, (16, 16), dtype=np.int8)
    b = rng.integers(-128, 128, (16, 16), dtype=np.int8)
    d = rng.integers(-20000, 20000, (16, 16), dtype=np.int32)
    c = np.zeros((16, 16), np.int8)
    # Independent formula (gemmini.h's MVIN_SCALE / ACC_SCALE in f32, round half to even).
    a_s = np.clip(np.rint(a.astype(np.float32) * np.float32(0.75)), -128, 127).astype(np.int64)
    acc = a_s @ b.astype(np.int64) + d
    y = np.rint(acc.astype(np.float32) * np.float32(0.00371))
    expected = np.clip(np.maximum(y, 0), -128, 127).astype(np.int8)
    assert ((expected > 0) & (expected < 127)).sum() > 50  # rounding is exercised, not just saturation
    sim = simulate(module, [a, b, d, c])
    np.testing.assert_array_equal(list(sim.outputs.values())[3], expected)
    out = run_c(module, "scaled", [a, b, d, c], tmp_path)
    np.testing.assert_array_equal(out[3], expected)


@pytest.mark.parametrize("reuse", [False, True])
def test_zeroing_mvins_of_autocomps_example_in_c(reuse: bool, tmp_path: Path) -> None:
    # mvin {zeros} (DRAM address 0, Gemmini's ZeroWriter) in the host header: the reuse version
    # accumulates every product into zeroed accumulator rows, so a missing zeroing shows.
    from liftcomp.interop.mlir_tool import parse_xdsl
    from liftcomp.targets.gemmini.autocomp import autocomp_example_text
    from liftcomp.targets.gemmini.sim import simulate

    module = parse_xdsl(autocomp_example_text(reuse, i_blocks=2))
    rng = np.random.default_rng(5)
    a = rng.integers(-128, 128, (32, 64), dtype=np.int8)
    b = rng.integers(-128, 128, (64, 256), dtype=np.int8)
    c = np.zeros((32, 256), np.int8)
    want = np.clip(a.astype(np.int64) @ b.astype(np.int64), -128, 127).astype(np.int8)
    got_c = run_c(module, f"autocomp_{'reuse' if reuse else 'unoptimised'}", [a, b, c], tmp_path)[2]
    np.testing.assert_array_equal(got_c, want)
    np.testing.assert_array_equal(simulate(module, [a, b, c]).outputs["C"], want)
