"""Raised IR uses upstream's named linalg ops (docs/LIFTING.md, "Named ops"), checked against
mlir-opt-22 itself: every kernel of the table comes out as its named op; upstream's
linalg-generalize-named-ops turns our named form into exactly the linalg.generic we emit with
named ops off (same maps, iterators and bodies); and the bodies we build are the ones upstream
builds for the op (printing the custom form drops them, re-parsing rebuilds them)."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from lift_helpers import lifted as lift_once
from lift_helpers import parsed
from liftcomp.interop.mlir_tool import (
    parse_mlir,
    parse_xdsl,
    print_custom,
    print_generic,
    run_mlir_opt_text,
)
from liftcomp.interop.upstream_jit import bindings_available, jit_compare
from liftcomp.lift.liftcomp_raise import raise_module
from liftcomp.lift.to_linalg import emit_program
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

DOC = Path(__file__).parents[2] / "docs" / "LIFTING.md"


def table() -> list[tuple[str, list[str]]]:
    """(kernel, named ops) rows of the "Named ops" table in docs/LIFTING.md."""
    text = DOC.read_text().split("## Named ops", 1)[1].split("\n## ", 1)[0]
    rows = []
    for m in re.finditer(r"^\| `(\w+)` \| ([^|]+) \|", text, re.M):
        rows.append((m.group(1), re.findall(r"`(linalg\.\w+)`", m.group(2))))
    return rows


def emitted(name: str, named: bool) -> func.FuncOp:
    _, fn, _ = parsed(name)
    report, lifted = lift_once(name)
    assert lifted is not None, report.reason
    target = fn.clone()
    emit_program(target, lifted.program, lifted.decls, named=named)
    return target


@pytest.fixture(scope="module")
def both() -> tuple[ModuleOp, ModuleOp]:
    """Every kernel of the table emitted with named ops, and with linalg.generic instead (one
    module each, so that mlir-opt-22 runs once per check)."""
    named = [emitted(name, True) for name, _ in table()]
    plain = [emitted(name, False) for name, _ in table()]
    modules = ModuleOp(named), ModuleOp(plain)
    for m in modules:
        m.verify()
    return modules


def upstream(module: ModuleOp, *args: str) -> str:
    return run_mlir_opt_text(print_generic(module), [*args, "--mlir-print-op-generic", "--mlir-print-local-scope"])


def test_table_covers_every_named_op() -> None:
    ops = {op for _, row in table() for op in row}
    for op in ("matmul", "batch_matmul", "matvec", "vecmat", "dot", "conv_1d", "reduce", "transpose", "elementwise", "map", "fill"):
        assert f"linalg.{op}" in ops, op


def test_kernels_come_out_as_their_named_ops(both: tuple[ModuleOp, ModuleOp]) -> None:
    named, plain = both
    for fn, (name, ops) in zip(named.ops, table(), strict=True):
        assert isinstance(fn, func.FuncOp)
        got = {op.name for op in fn.walk() if op.name.startswith("linalg.") and op.parent_op() is fn}
        assert got == set(ops), (name, got)
    generic_only = {"linalg.generic", "linalg.yield", "linalg.index", "linalg.fill", "linalg.transpose"}
    assert {op.name for op in plain.walk() if op.name.startswith("linalg.")} <= generic_only


def test_named_ops_generalize_to_the_generic_form(both: tuple[ModuleOp, ModuleOp]) -> None:
    named, plain = both
    # fill and transpose are generalised on both sides; canonicalize: the two emissions may
    # order their constants differently.
    generalized = ("--linalg-generalize-named-ops", "--canonicalize")
    assert upstream(named, *generalized) == upstream(plain, *generalized)


def test_bodies_are_the_ones_upstream_builds(both: tuple[ModuleOp, ModuleOp]) -> None:
    named, _ = both
    # The custom form drops the bodies of matmul, matvec, conv, elementwise, ... and re-parsing
    # it rebuilds them: they must be the ones we wrote.
    custom = run_mlir_opt_text(print_generic(named), [])
    assert run_mlir_opt_text(custom, ["--mlir-print-op-generic", "--mlir-print-local-scope"]) == upstream(named)


def test_xdsl_custom_form_reads_back_in_xdsl_and_mlir_opt(both: tuple[ModuleOp, ModuleOp]) -> None:
    # xdsl-opt's output (contractions in upstream's custom syntax, the rest generic) means the same
    # to xDSL and to mlir-opt-22. (The contraction kernels: xDSL 0.74 does not read back its own
    # custom `tensor.extract %t[]` of a rank-0 tensor, which the others have.)
    contractions = {"linalg.matmul", "linalg.batch_matmul", "linalg.matvec", "linalg.vecmat", "linalg.conv_1d"}
    named = ModuleOp([fn.clone() for fn, (_, ops) in zip(both[0].ops, table(), strict=True) if contractions & set(ops)])
    text = print_custom(named)
    assert "linalg.matvec ins(" in text and "linalg.batch_matmul ins(" in text
    want = upstream(named)
    assert upstream(parse_xdsl(text)) == want
    assert run_mlir_opt_text(text, ["--mlir-print-op-generic", "--mlir-print-local-scope"]) == want


MIXED = """
func.func @gemm_u8(%A: memref<?x?xi8>, %B: memref<?x?xi8>, %C: memref<?x?xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %z = arith.constant 0 : i32
  %m = memref.dim %A, %c0 : memref<?x?xi8>
  %k = memref.dim %A, %c1 : memref<?x?xi8>
  %n = memref.dim %B, %c1 : memref<?x?xi8>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %s = scf.for %p = %c0 to %k step %c1 iter_args(%acc = %z) -> (i32) {
        %a = memref.load %A[%i, %p] : memref<?x?xi8>
        %b = memref.load %B[%p, %j] : memref<?x?xi8>
        %a32 = arith.extui %a : i8 to i32
        %b32 = arith.extui %b : i8 to i32
        %t = arith.muli %a32, %b32 : i32
        %u = arith.addi %acc, %t : i32
        scf.yield %u : i32
      }
      memref.store %s, %C[%i, %j] : memref<?x?xi32>
    }
  }
  return
}

func.func @rows(%x: memref<?xf32>, %out: memref<?x?xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.dim %out, %c0 : memref<?x?xf32>
  %n = memref.dim %out, %c1 : memref<?x?xf32>
  scf.for %i = %c0 to %m step %c1 {
    scf.for %j = %c0 to %n step %c1 {
      %v = memref.load %x[%j] : memref<?xf32>
      memref.store %v, %out[%i, %j] : memref<?x?xf32>
    }
  }
  return
}

func.func @maxpool_i32(%a: memref<8x10xi32>, %out: memref<4x5xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c5 = arith.constant 5 : index
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c5 step %c1 {
      %y = arith.addi %i, %i : index
      %x = arith.addi %j, %j : index
      %y1 = arith.addi %y, %c1 : index
      %x1 = arith.addi %x, %c1 : index
      %v00 = memref.load %a[%y, %x] : memref<8x10xi32>
      %v01 = memref.load %a[%y, %x1] : memref<8x10xi32>
      %v10 = memref.load %a[%y1, %x] : memref<8x10xi32>
      %v11 = memref.load %a[%y1, %x1] : memref<8x10xi32>
      %m0 = arith.maxsi %v00, %v01 : i32
      %m1 = arith.maxsi %m0, %v10 : i32
      %m2 = arith.maxsi %m1, %v11 : i32
      memref.store %m2, %out[%i, %j] : memref<4x5xi32>
    }
  }
  return
}

func.func @conv2d_i32(%img: memref<10x12xi32>, %w: memref<3x3xi32>, %out: memref<8x10xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c3 = arith.constant 3 : index
  %c8 = arith.constant 8 : index
  %c10 = arith.constant 10 : index
  %z = arith.constant 0 : i32
  scf.for %i = %c0 to %c8 step %c1 {
    scf.for %j = %c0 to %c10 step %c1 {
      %s = scf.for %a = %c0 to %c3 step %c1 iter_args(%acc = %z) -> (i32) {
        %t = scf.for %b = %c0 to %c3 step %c1 iter_args(%acc2 = %acc) -> (i32) {
          %y = arith.addi %i, %a : index
          %x = arith.addi %j, %b : index
          %p = memref.load %img[%y, %x] : memref<10x12xi32>
          %q = memref.load %w[%a, %b] : memref<3x3xi32>
          %r = arith.muli %p, %q : i32
          %v = arith.addi %acc2, %r : i32
          scf.yield %v : i32
        }
        scf.yield %t : i32
      }
      memref.store %s, %out[%i, %j] : memref<8x10xi32>
    }
  }
  return
}
"""


def test_unsigned_mixed_precision_matmul_broadcast_max_pooling_and_integer_conv2d() -> None:
    module, reports = raise_module(parse_mlir(MIXED), arg_names={})
    assert [r.status for r in reports] == ["lifted"] * 4, [r.reason for r in reports]
    text = run_mlir_opt_text(print_generic(module), [])
    # u8 x u8 -> i32: one matmul on the i8 buffers, zero-extended in its body.
    assert re.search(r"linalg\.matmul \{cast = #linalg\.type_fn<cast_unsigned>\} ins\(%\w+, %\w+ : tensor<\?x\?xi8>, tensor<\?x\?xi8>\)", text), text
    assert re.search(r"linalg\.broadcast ins\(%\w+ : tensor<\?xf32>\) outs\(%\w+ : tensor<\?x\?xf32>\) dimensions = \[0\]", text), text
    assert re.search(r"linalg\.pooling_nhwc_max \{dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>\} "
                     r"ins\(%\w+, %\w+ : tensor<1x8x10x1xi32>, tensor<2x2xi32>\)", text), text
    assert "linalg.conv_2d ins(" in text and "tensor<10x12xi32>, tensor<3x3xi32>" in text, text
    assert "linalg.generic" not in text, text


@pytest.mark.skipif(not bindings_available(), reason="optional extra 'mlir' not installed")
def test_named_forms_run_natively_like_the_loops() -> None:
    """The raised MIXED kernels (u8 matmul, broadcast, max pooling, conv_2d) through upstream's
    whole pipeline to LLVM (bufferize, linalg to loops, ExecutionEngine) against the loops."""
    original = parse_mlir(MIXED)
    raised, _ = raise_module(original.clone(), arg_names={})
    rng = np.random.default_rng(3)
    cases = {
        "gemm_u8": [rng.integers(-128, 128, (5, 7), dtype=np.int8), rng.integers(-128, 128, (7, 6), dtype=np.int8),
                    np.zeros((5, 6), dtype=np.int32)],
        "rows": [rng.standard_normal(6).astype(np.float32), np.zeros((4, 6), dtype=np.float32)],
        "maxpool_i32": [rng.integers(-2**31, 2**31, (8, 10), dtype=np.int32), np.zeros((4, 5), dtype=np.int32)],
        "conv2d_i32": [rng.integers(-2**31, 2**31, (10, 12), dtype=np.int32), rng.integers(-9, 9, (3, 3), dtype=np.int32),
                       np.zeros((8, 10), dtype=np.int32)],
    }
    for name, args in cases.items():
        cmp = jit_compare(print_generic(original), print_generic(raised), name, args, repeats=1)
        assert cmp.equal, (name, cmp.mismatches)
