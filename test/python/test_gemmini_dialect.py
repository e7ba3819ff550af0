"""Dialect verifiers refuse what the hardware forbids."""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG
from liftcomp.targets.gemmini.dialect import hardware_config
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module
from liftcomp.targets.gemmini.sim import SimError, simulate

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402

HEAD = """func.func @f(%A: memref<64x64xi8>, %C: memref<64x64xi32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c17 = arith.constant 17 : index
  %c80 = arith.constant 80 : index
  %big = arith.constant 16380 : index
"""


def _verify(body: str) -> None:
    parse_xdsl(HEAD + body + "\n  return\n}\n").verify()


def test_valid_program_verifies() -> None:
    _verify('gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c16 {space = "spad"} : memref<64x64xi8>')


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('gemmini.mvin %A[%c0] to %c0 rows %c17 cols %c16 {space = "spad"} : memref<64x64xi8>', "rows = 17"),
        ('gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c80 {space = "spad"} : memref<64x64xi8>', "cols = 80"),
        ('gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c17 {space = "acc"} : memref<64x64xi8>', "cols = 17"),
        ('gemmini.mvin %A[%c0] to %big rows %c16 cols %c16 {space = "spad"} : memref<64x64xi8>', "exceed the spad"),
        ('gemmini.mvin %C[%c0] to %c0 rows %c16 cols %c16 {space = "spad"} : memref<64x64xi32>', "i8"),
        ('gemmini.mvin %A[%c0] to %c0 rows %c16 cols %c16 {space = "spad", accumulate} : memref<64x64xi8>', "accumulate"),
        ('gemmini.mvout %c0 to %A[%c0] rows %c16 cols %c16 {space = "acc", full} : memref<64x64xi8>', "i32"),
        ('gemmini.config_ex {dataflow = "WS", a_transpose, b_transpose}', "both A and B"),
        ('gemmini.config_ex {dataflow = "OS", b_transpose}', "B alone"),
        ('gemmini.config_ex {dataflow = "XS"}', "WS or OS"),
        ('gemmini.config_ld %c16 {id = 3 : i64}', "id must be"),
    ],
)
def test_verifier_errors(body: str, message: str) -> None:
    with pytest.raises((LiftcompError, Exception), match=message):
        _verify(body)


def test_verifier_limits_follow_the_modules_hardware() -> None:
    # Row 20000 is outside the default 16384-row scratchpad, inside one of 4 x 8192 rows.
    body = '%c20000 = arith.constant 20000 : index\n' \
           'gemmini.mvin %A[%c0] to %c20000 rows %c16 cols %c16 {space = "spad"} : memref<64x64xi8>'
    with pytest.raises(Exception, match=r"exceed the spad \(16384 rows\)"):
        _verify(body)
    text = HEAD + body + "\n  return\n}\n"
    parse_xdsl('builtin.module attributes {gemmini.config = {sp_bank_rows = 8192 : i64}} {\n' + text + "}\n").verify()


# ------------------------------------------------------------------ run-time limits (simulator) --
# Operands computed at run time (function arguments) pass the verifiers; the simulator checks the
# values against the configuration it runs with and names the op and the limit.
RT_HEAD = """func.func @f(%A: memref<64x64xi8>, %D: memref<64x64xi32>, %v: index, %flag: i1) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  gemmini.config_ld %c64
  gemmini.config_ld %c64 {id = 2 : i64, elem_bits = 32 : i64}
  gemmini.config_st %c64
"""
LOOP = ('"gemmini.loop_ws"({sizes}, %A, %c0, %c64, %A, %c0, %c64) <{{activation = "none", ex_accumulate, '
        'operandSegmentSizes = array<i32: 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0>}}> : '
        '(index, index, index, index, index, index, memref<64x64xi8>, index, index, memref<64x64xi8>, index, index) -> ()')
RUNTIME_CASES = [
    ('gemmini.mvin %A[%c0] to %c0 rows %v cols %c16 {space = "spad"} : memref<64x64xi8>', 17,
     "'gemmini.mvin': rows = 17 outside [1, 16] (DIM)"),
    ('gemmini.mvin %A[%c0] to %c0 rows %c16 cols %v {space = "spad"} : memref<64x64xi8>', 80,
     "'gemmini.mvin': cols = 80 outside [1, 64] (max_block_len 4 blocks of DIM int8)"),
    ('gemmini.mvin %D[%c0] to %c0 rows %c16 cols %v {space = "acc", id = 2 : i64} : memref<64x64xi32>', 32,
     "'gemmini.mvin': cols = 32 outside [1, 16] (max_block_len_acc 1 block(s) of DIM into the accumulator)"),
    ('gemmini.mvin %A[%c0] to %v rows %c16 cols %c64 {space = "spad"} : memref<64x64xi8>', 16330,
     "'gemmini.mvin': spad rows [16330, 16394) outside the spad (16384 rows)"),
    ('gemmini.mvin %A[%c0] to %v rows %c16 cols %c16 {space = "spad"} : memref<64x64xi8>', 0xFFFFFFFF,
     "'gemmini.mvin': spad address 0xffffffff is GARBAGE_ADDR, which this operand cannot be"),
    ('gemmini.mvout %v to %A[%c0] rows %c16 cols %c16 {space = "acc"} : memref<64x64xi8>', 0x80000000,
     "'gemmini.mvout': acc address 0x80000000 has Gemmini's flag bits 29-31 set"),
    ('gemmini.mvout %c0 to %A[%c0] rows %c16 cols %v {space = "acc"} : memref<64x64xi8>', 80,
     "'gemmini.mvout': cols = 80 outside [1, 64] (max_block_len 4 blocks of DIM int8)"),
    ('gemmini.config_st %c64 {elem_bits = 32 : i64}\n'
     'gemmini.mvout %c0 to %D[%c0] rows %c16 cols %v {space = "acc", full} : memref<64x64xi32>', 32,
     "'gemmini.mvout': cols = 32 outside [1, 16] (max_block_len_acc 1 block(s) of DIM int32)"),
    ('"gemmini.preload"(%c0, %c0, %c16, %c16, %v, %c16) <{c_space = "acc", operandSegmentSizes = '
     'array<i32: 1, 1, 1, 1, 1, 1>}> : (index, index, index, index, index, index) -> ()', 17,
     "'gemmini.preload': preload c_rows = 17 outside [1, 16]"),
    ('"gemmini.preload"(%c0, %c0, %c16, %c16, %c16, %c16) <{c_space = "acc", operandSegmentSizes = '
     'array<i32: 1, 1, 1, 1, 1, 1>}> : (index, index, index, index, index, index) -> ()\n'
     '"gemmini.compute_preloaded"(%v, %c16, %c16, %c16, %c16) <{operandSegmentSizes = array<i32: 1, 0, 1, 1, 1, 1>}>'
     ' : (index, index, index, index, index) -> ()', 16380,
     "'gemmini.compute_preloaded': spad rows [16380, 16396) outside the spad (16384 rows)"),
    (LOOP.format(sizes="%v, %c1, %c1, %c0, %c0, %c0"), 40,
     "'gemmini.loop_ws': C tile (40x1 blocks = 640 rows) exceeds half the accumulator (512 rows)"),
    (LOOP.format(sizes="%c1, %c1, %v, %c0, %c0, %c0"), 600,
     "'gemmini.loop_ws': A and B tiles (1x600 + 600x1 blocks = 19200 rows) exceed half the scratchpad (8192 rows)"),
    (LOOP.format(sizes="%c1, %c1, %c1, %c0, %c0, %v"), 16,
     "'gemmini.loop_ws': pad_k = 16 is outside [0, 15]"),
    # The config_ex inside scf.if is invisible to the verifier's look-back; the FSM still refuses OS.
    ('scf.if %flag {\n gemmini.config_ex {dataflow = "OS"}\n}\n' + LOOP.format(sizes="%c1, %c1, %v, %c0, %c0, %c0"), 1,
     "'gemmini.loop_ws': loop_ws in the OS dataflow"),
]


@pytest.mark.parametrize(("body", "value", "message"), RUNTIME_CASES)
def test_runtime_limit_errors_name_the_op_and_the_limit(body: str, value: int, message: str) -> None:
    mod = parse_xdsl(RT_HEAD + body + "\n  return\n}\n")
    mod.verify()  # nothing is known statically
    args = [np.zeros((64, 64), np.int8), np.zeros((64, 64), np.int32), value, 1]
    op_name, limit = message.split(": ", 1)
    for functional in (True, False):
        with pytest.raises(SimError) as err:
            simulate(mod, args, functional=functional)
        assert err.value.location is not None and op_name in err.value.location
        assert err.value.message.startswith(limit), err.value.message


def test_runtime_limits_follow_the_simulated_config() -> None:
    body = 'gemmini.mvin %A[%c0] to %c0 rows %c16 cols %v {space = "spad"} : memref<64x64xi8>'
    text = RT_HEAD + body + "\n  return\n}\n"
    args = [np.zeros((64, 64), np.int8), np.zeros((64, 64), np.int32), 48, 1]
    simulate(parse_xdsl(text), args)  # 3 blocks: legal by default
    short = parse_xdsl("builtin.module attributes {gemmini.config = {max_block_len = 2 : i64}} {\n" + text + "}\n")
    with pytest.raises(SimError, match=re.escape("'gemmini.mvin': error: cols = 48 outside [1, 32] (max_block_len 2")):
        simulate(short, args, DEFAULT_CONFIG.with_(max_block_len=2))
    # IR lowered for one hardware configuration is not simulated with another.
    with pytest.raises(SimError, match=re.escape("was lowered for another Gemmini: max_block_len 2 (simulated: 4)")):
        simulate(short, args)


def test_lowering_records_non_default_hardware() -> None:
    big = DEFAULT_CONFIG.with_(sp_bank_rows=8192)
    low = lower_module(parse_mlir(matmul_text(20, 40, 24)), LowerOptions(config=big))
    assert hardware_config(low) == big.with_(dram_latency=DEFAULT_CONFIG.dram_latency)
    low.verify()
    rng = np.random.default_rng(0)
    a = rng.integers(-128, 128, (20, 40), dtype=np.int8)
    b = rng.integers(-128, 128, (40, 24), dtype=np.int8)
    out = simulate(low, [a, b, np.zeros((20, 24), np.int32)], big).outputs["arg2"]
    np.testing.assert_array_equal(out, a.astype(np.int32) @ b.astype(np.int32))
    with pytest.raises(SimError, match=re.escape("sp_bank_rows 8192 (simulated: 4096)")):
        simulate(low, [a, b, np.zeros((20, 24), np.int32)])
    default = lower_module(parse_mlir(matmul_text(20, 40, 24)), LowerOptions())
    assert "gemmini.config" not in default.attributes
    assert hardware_config(default) == DEFAULT_CONFIG
