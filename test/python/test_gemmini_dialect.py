"""Dialect verifiers refuse what the hardware forbids."""

from __future__ import annotations

import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import parse_xdsl

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
