"""Convolution lifting (issue 14 part 3, issue 13 part 5): padded convolutions written with
guarded loads lift with a proof, as `tensor.pad` + `linalg.conv_2d_nhwc_hwcf` (or
`conv_2d_nchw_fchw`) with strides; a guard that does not keep the loads in bounds, or that pads
something else, is not taken for padding; a float sum in another order than the named op's stays
generic; and Autocomp's large shapes are proved at their real sizes and tested on small instances.
(The small corpus kernels conv_pad1_s1_i8, conv_pad1_s2_i8 and conv_nchw_pad1_f32 also run through
test_named_ops.py, test_lift_corpus.py and test_to_linalg_corpus.py: upstream's pipeline to loops
and native code against their references.)"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from liftcomp.executor import Interpreter
from liftcomp.frontends.mlir import arg_names_from_source
from liftcomp.interop.mlir_tool import parse_mlir, print_generic, run_mlir_opt_text, run_pipeline
from liftcomp.lift import tensorspec as TS
from liftcomp.lift import verify
from liftcomp.lift.liftcomp_raise import raise_module
from liftcomp.lift.raising import RaiseOptions
from liftcomp.lift.terms import Poly

CORPUS = Path(__file__).parents[1] / "corpus"


def conv_nhwc(*, guard: str = "", order: str = "kh,kw,c", ty: str = "f32", accumulate_in_memory: bool = False) -> str:
    """A 1x5x5x2 -> 1x5x5x3 NHWC conv, 3x3, padding 1, whose loads of x are guarded by `guard`
    (default: 0 <= ih < 5 && 0 <= iw < 5); the reduction loops nest in `order`."""
    zero = "0.0" if ty == "f32" else "0"
    add, mul = ("arith.addf", "arith.mulf") if ty == "f32" else ("arith.addi", "arith.muli")
    guard = guard or """
      %h0 = arith.cmpi sge, %ih, %c0 : index
      %h1 = arith.cmpi slt, %ih, %c5 : index
      %w0 = arith.cmpi sge, %iw, %c0 : index
      %w1 = arith.cmpi slt, %iw, %c5 : index
      %hin = arith.andi %h0, %h1 : i1
      %win = arith.andi %w0, %w1 : i1
      %inb = arith.andi %hin, %win : i1"""
    bounds = {"kh": "%c3", "kw": "%c3", "c": "%c2"}
    loops = order.split(",")
    if accumulate_in_memory:
        body = f"""
      scf.if %inb {{
        %xv = memref.load %x[%n, %ih, %iw, %c] : memref<1x5x5x2x{ty}>
        %k = memref.load %w[%kh, %kw, %c, %f] : memref<3x3x2x3x{ty}>
        %o = memref.load %out[%n, %oh, %ow, %f] : memref<1x5x5x3x{ty}>
        %p = {mul} %xv, %k : {ty}
        %s = {add} %o, %p : {ty}
        memref.store %s, %out[%n, %oh, %ow, %f] : memref<1x5x5x3x{ty}>
      }}"""
        inner = body
        for v in reversed(loops):
            inner = f"scf.for %{v} = %c0 to {bounds[v]} step %c1 {{{inner}\n}}"
        nest = f"memref.store %zero, %out[%n, %oh, %ow, %f] : memref<1x5x5x3x{ty}>\n{inner}"
    else:
        inner = f"""
      %xv = scf.if %inb -> ({ty}) {{
        %l = memref.load %x[%n, %ih, %iw, %c] : memref<1x5x5x2x{ty}>
        scf.yield %l : {ty}
      }} else {{
        scf.yield %zero : {ty}
      }}
      %k = memref.load %w[%kh, %kw, %c, %f] : memref<3x3x2x3x{ty}>
      %p = {mul} %xv, %k : {ty}
      %s = {add} %a{len(loops) - 1}, %p : {ty}
      scf.yield %s : {ty}"""
        for depth in range(len(loops) - 1, -1, -1):
            v = loops[depth]
            prev = "%zero" if depth == 0 else f"%a{depth - 1}"
            inner = (f"%r{depth} = scf.for %{v} = %c0 to {bounds[v]} step %c1 iter_args(%a{depth} = {prev}) -> ({ty}) {{{inner}\n}}"
                     + (f"\nscf.yield %r{depth} : {ty}" if depth else ""))
        nest = f"{inner}\nmemref.store %r0, %out[%n, %oh, %ow, %f] : memref<1x5x5x3x{ty}>"
    # ih, iw and the guard are computed in the innermost loop body, where every variable is bound.
    if not accumulate_in_memory:
        nest = nest.replace("%xv = ", "%ihp = arith.addi %oh, %kh : index\n%ih = arith.subi %ihp, %c1 : index\n"
                            "%iwp = arith.addi %ow, %kw : index\n%iw = arith.subi %iwp, %c1 : index\n" + guard + "\n%xv = ", 1)
    else:
        nest = nest.replace("scf.if %inb {", "%ihp = arith.addi %oh, %kh : index\n%ih = arith.subi %ihp, %c1 : index\n"
                            "%iwp = arith.addi %ow, %kw : index\n%iw = arith.subi %iwp, %c1 : index\n" + guard + "\nscf.if %inb {", 1)
    return f"""
func.func @conv(%x: memref<1x5x5x2x{ty}>, %w: memref<3x3x2x3x{ty}>, %out: memref<1x5x5x3x{ty}>) {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c3 = arith.constant 3 : index
  %c5 = arith.constant 5 : index
  %zero = arith.constant {zero} : {ty}
  scf.for %n = %c0 to %c1 step %c1 {{
  scf.for %oh = %c0 to %c5 step %c1 {{
  scf.for %ow = %c0 to %c5 step %c1 {{
  scf.for %f = %c0 to %c3 step %c1 {{
  {nest}
  }} }} }} }}
  return
}}"""


def lift(src: str) -> tuple[Any, str]:
    m = parse_mlir(src)
    names = arg_names_from_source(src)
    out, (report,) = raise_module(m, RaiseOptions(), {k: v for k, v in names.items()})
    return report, print_generic(out) if report.status == "lifted" else ""


def linalg_ops(text: str) -> set[str]:
    return set(re.findall(r'"(linalg\.\w+|tensor\.pad)"', text)) - {"linalg.yield"}


def test_guarded_loads_lift_as_pad_and_named_conv() -> None:
    report, text = lift(conv_nhwc())
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert linalg_ops(text) == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.fill"}
    assert "static_high = array<i64: 0, 1, 1, 0>" in text and "static_low = array<i64: 0, 1, 1, 0>" in text


def test_float_sum_in_another_order_stays_generic() -> None:
    # c outside kh, kw: IEEE sums in that order are not conv_2d_nhwc_hwcf's (kh, kw, c) fold.
    report, text = lift(conv_nhwc(order="c,kh,kw"))
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert "linalg.conv_2d_nhwc_hwcf" not in linalg_ops(text) and "linalg.generic" in linalg_ops(text)
    # ... while integers in that order are exact, and so is the program proved for them.
    report, _ = lift(conv_nhwc(order="c,kh,kw", ty="i32"))
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason


def test_a_guard_that_lets_a_load_out_is_refused() -> None:
    loose = conv_nhwc(guard="""
      %h0 = arith.cmpi sge, %ih, %c0 : index
      %h1 = arith.cmpi sle, %ih, %c5 : index
      %w0 = arith.cmpi sge, %iw, %c0 : index
      %w1 = arith.cmpi slt, %iw, %c5 : index
      %hin = arith.andi %h0, %h1 : i1
      %win = arith.andi %w0, %w1 : i1
      %inb = arith.andi %hin, %win : i1""")
    report, _ = lift(loose)
    assert report.status == "unchanged" and "outside its extent 5" in report.reason


def test_a_guard_that_is_not_padding_is_not_proved_as_padding() -> None:
    # 1 <= ih drops row 0 of the image as well: a padded conv would read it.
    strict = conv_nhwc(guard="""
      %h0 = arith.cmpi sge, %ih, %c1 : index
      %h1 = arith.cmpi slt, %ih, %c5 : index
      %w0 = arith.cmpi sge, %iw, %c0 : index
      %w1 = arith.cmpi slt, %iw, %c5 : index
      %hin = arith.andi %h0, %h1 : i1
      %win = arith.andi %w0, %w1 : i1
      %inb = arith.andi %hin, %win : i1""")
    report, _ = lift(strict)
    # The padded program is proposed and refuted on concrete inputs (row 0 read vs skipped).
    assert report.status == "unchanged" and "inputs:" in report.reason, report.reason


@pytest.fixture
def interpreted() -> Iterator[list[tuple[int, ...]]]:
    shapes: list[tuple[int, ...]] = []

    def hook(_name: str, args: list[Any]) -> None:
        shapes.extend(x.shape for x in args if isinstance(x, np.ndarray))

    verify.INTERPRET_HOOKS.append(hook)
    yield shapes
    verify.INTERPRET_HOOKS.remove(hook)


def test_autocomp_conv_shape_is_proved_at_its_real_size(interpreted: list[tuple[int, ...]]) -> None:
    """4x14x14x256 -> 256 (462M multiply-adds): proved symbolically, tested on a small member of
    its family only, and raised to exactly what the Gemmini lowering takes: a zero tensor.pad,
    the named conv with i8 operands into a filled i32 output, the requantisation."""
    src = (CORPUS / "extra_gemmini" / "conv_14x14x256.mlir").read_text()
    report, text = lift(src)
    assert (report.status, report.proof, report.scope) == ("lifted", "proved", "function"), report.reason
    assert linalg_ops(text) == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.fill", "linalg.map"}
    assert interpreted and all(s[-1] < 256 and (len(s) < 3 or s[1] < 14) for s in interpreted), interpreted
    conv = run_mlir_opt_text(text, [])  # upstream reads it back
    assert re.search(r"linalg\.conv_2d_nhwc_hwcf \{dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>\} "
                     r"ins\(%\w+, %\w+ : tensor<4x16x16x256xi8>, tensor<3x3x256x256xi8>\) outs\(%\w+ : tensor<4x14x14x256xi32>\)", conv)



def test_guarded_in_memory_accumulation_lifts_as_padded_conv() -> None:
    # `if inb: out[...] += x * w` on integers (0 * w = 0, so the guard may move onto the load).
    report, text = lift(conv_nhwc(ty="i32", accumulate_in_memory=True))
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert linalg_ops(text) == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.fill"}


AFFINE_IF = """
#pad = affine_set<(d0, d1, d2, d3) : (d0 + d2 - 1 >= 0, -d0 - d2 + 4 >= 0, d1 + d3 - 1 >= 0, -d1 - d3 + 4 >= 0)>
func.func @conv_affine(%x: memref<1x4x4x2xi8>, %w: memref<3x3x2x2xi8>, %out: memref<1x4x4x2xi32>) {
  %zero = arith.constant 0 : i32
  %z8 = arith.constant 0 : i8
  affine.for %n = 0 to 1 {
    affine.for %oh = 0 to 4 {
      affine.for %ow = 0 to 4 {
        affine.for %f = 0 to 2 {
          %s = affine.for %kh = 0 to 3 iter_args(%a0 = %zero) -> (i32) {
            %s1 = affine.for %kw = 0 to 3 iter_args(%a1 = %a0) -> (i32) {
              %s2 = affine.for %c = 0 to 2 iter_args(%a2 = %a1) -> (i32) {
                %xv = affine.if #pad(%oh, %ow, %kh, %kw) -> i8 {
                  %l = affine.load %x[%n, %oh + %kh - 1, %ow + %kw - 1, %c] : memref<1x4x4x2xi8>
                  affine.yield %l : i8
                } else {
                  affine.yield %z8 : i8
                }
                %k = affine.load %w[%kh, %kw, %c, %f] : memref<3x3x2x2xi8>
                %xw = arith.extsi %xv : i8 to i32
                %kw32 = arith.extsi %k : i8 to i32
                %p = arith.muli %xw, %kw32 : i32
                %t = arith.addi %a2, %p : i32
                affine.yield %t : i32
              }
              affine.yield %s2 : i32
            }
            affine.yield %s1 : i32
          }
          affine.store %s, %out[%n, %oh, %ow, %f] : memref<1x4x4x2xi32>
        }
      }
    }
  }
  return
}
"""


def test_affine_if_guard_lifts_as_padded_conv() -> None:
    # The guard as an integer set: 1 <= oh + kh <= 4, 1 <= ow + kw <= 4.
    report, text = lift(AFFINE_IF)
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert linalg_ops(text) == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.fill"}


def test_dilated_window_gives_the_dilations() -> None:
    # ih = oh + 2*kh - 2: a 3x3 window with dilation 2 over the input padded by 2.
    src = conv_nhwc(ty="i32").replace(
        "%ihp = arith.addi %oh, %kh : index\n%ih = arith.subi %ihp, %c1 : index",
        "%kh2 = arith.muli %kh, %c2 : index\n%ihp = arith.addi %oh, %kh2 : index\n%ih = arith.subi %ihp, %c2 : index").replace(
        "%iwp = arith.addi %ow, %kw : index\n%iw = arith.subi %iwp, %c1 : index",
        "%kw2 = arith.muli %kw, %c2 : index\n%iwp = arith.addi %ow, %kw2 : index\n%iw = arith.subi %iwp, %c2 : index")
    report, text = lift(src)
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert linalg_ops(text) == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.fill"}
    assert "dilations = dense<2> : tensor<2xi64>" in text and "static_low = array<i64: 0, 2, 2, 0>" in text


def test_a_window_view_past_the_padded_array_is_rejected() -> None:
    decls = [TS.ArgDecl("x", TS.DType("i32"), (Poly.const(4),))]
    prog = TS.parse_program("return np.sum(np.lib.stride_tricks.sliding_window_view(np.pad(x, ((1, 1),)), (3,))[0:5])", decls)
    with pytest.raises(TS.SpecError, match="outside a dimension of 4"):
        TS.evaluate(prog, {"x": np.arange(4, dtype=np.int32)})


NCHW_S2_I8 = """
func.func @conv(%x: memref<1x2x7x7xi8>, %w: memref<2x2x3x3xi8>, %out: memref<1x2x3x3xi32>) {
  %zero = arith.constant 0 : i32
  affine.for %n = 0 to 1 {
    affine.for %f = 0 to 2 {
      affine.for %oh = 0 to 3 {
        affine.for %ow = 0 to 3 {
          %s = affine.for %c = 0 to 2 iter_args(%a0 = %zero) -> (i32) {
            %s1 = affine.for %kh = 0 to 3 iter_args(%a1 = %a0) -> (i32) {
              %s2 = affine.for %kw = 0 to 3 iter_args(%a2 = %a1) -> (i32) {
                %xv = affine.load %x[%n, %c, %oh * 2 + %kh, %ow * 2 + %kw] : memref<1x2x7x7xi8>
                %k = affine.load %w[%f, %c, %kh, %kw] : memref<2x2x3x3xi8>
                %xw = arith.extsi %xv : i8 to i32
                %kw32 = arith.extsi %k : i8 to i32
                %p = arith.muli %xw, %kw32 : i32
                %t = arith.addi %a2, %p : i32
                affine.yield %t : i32
              }
              affine.yield %s2 : i32
            }
            affine.yield %s1 : i32
          }
          affine.store %s, %out[%n, %f, %oh, %ow] : memref<1x2x3x3xi32>
        }
      }
    }
  }
  return
}
"""


def test_unpadded_strided_nchw_int8_conv() -> None:
    # No guard, no padding; stride 2; i8 operands into the i32 accumulator, no widened copies.
    report, text = lift(NCHW_S2_I8)
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert linalg_ops(text) == {"linalg.conv_2d_nchw_fchw", "linalg.fill"}
    assert "strides = dense<2> : tensor<2xi64>" in text
    assert "(tensor<1x2x7x7xi8>, tensor<2x2x3x3xi8>, tensor<1x2x3x3xi32>) -> tensor<1x2x3x3xi32>" in text


def conv_with_bias() -> str:
    """The f32 NHWC conv with each accumulator started from the bias b[f] (not from 0.0)."""
    return conv_nhwc().replace(
        "%r0 = scf.for %kh = %c0 to %c3 step %c1 iter_args(%a0 = %zero)",
        "%bf = memref.load %b[%f] : memref<3xf32>\n%r0 = scf.for %kh = %c0 to %c3 step %c1 iter_args(%a0 = %bf)").replace(
        "%out: memref<1x5x5x3xf32>) {", "%out: memref<1x5x5x3xf32>, %b: memref<3xf32>) {")


def test_float_conv_from_a_bias_is_the_named_conv_into_the_bias_and_runs_bit_exact() -> None:
    """acc = b[f]; acc += x * w in (kh, kw, c) order: conv_2d_nhwc_hwcf accumulating into the
    broadcast bias is that fold exactly (IEEE). Upstream's pipeline to loops, run on inputs with
    NaN, infinities and signed zeros, gives the original's outputs bit for bit."""
    src = conv_with_bias()
    report, text = lift(src)
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert linalg_ops(text) == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.generic"}  # generic: the bias broadcast
    loops = run_pipeline(parse_mlir(text), "builtin.module(one-shot-bufferize{bufferize-function-boundaries}, "
                         "func.func(convert-linalg-to-loops), cse, canonicalize)")
    rng = np.random.default_rng(3)
    specials = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 1e30, -1e30, 3.0], np.float32)
    for trial in range(3):
        x = rng.uniform(-2, 2, (1, 5, 5, 2)).astype(np.float32)
        w = rng.uniform(-2, 2, (3, 3, 2, 3)).astype(np.float32)
        b = rng.uniform(-2, 2, 3).astype(np.float32)
        if trial:
            x.flat[rng.integers(0, x.size, 6)] = rng.choice(specials, 6)
            w.flat[rng.integers(0, w.size, 3)] = rng.choice(specials, 3)
            b[0] = -0.0
        want, got = np.zeros((1, 5, 5, 3), np.float32), np.zeros((1, 5, 5, 3), np.float32)
        Interpreter(parse_mlir(src)).call("conv", [x, w, want, b])
        Interpreter(loops).call("conv", [x, w, got, b])
        assert want.tobytes() == got.tobytes() or np.array_equal(want, got, equal_nan=True) and np.array_equal(np.signbit(want), np.signbit(got))


# Issue 14 part 3: the guard in C's `int` arithmetic (compares of i32 values, the loads indexed by
# the same sums in index arithmetic), and the widening inside the guarded region.
C_CONV = """#include <stdint.h>
void conv(int8_t x[1][6][6][2], int8_t w[3][3][2][2], int32_t out[1][6][6][2]) {
  for (int n = 0; n < 1; n++)
    for (int oh = 0; oh < 6; oh++)
      for (int ow = 0; ow < 6; ow++)
        for (int f = 0; f < 2; f++) {
          int32_t acc = 0;
          for (int kh = 0; kh < 3; kh++)
            for (int kw = 0; kw < 3; kw++)
              for (int c = 0; c < 2; c++) {
                int ih = oh * 1 + kh - 1;
                int iw = ow * 1 + kw - 1;
                GUARDED_READ
                acc += v * (int32_t)w[kh][kw][c][f];
              }
          out[n][oh][ow][f] = acc;
        }
}
"""
C_GUARDS = {
    "ternary": "int inb = ih >= 0 && ih < 6 && iw >= 0 && iw < 6;\n int32_t v = inb ? (int32_t)x[n][ih][iw][c] : 0;",
    "if": "int32_t v = 0;\n if (ih >= 0 && ih < 6 && iw >= 0 && iw < 6) v = x[n][ih][iw][c];",
}


@pytest.mark.parametrize("form", sorted(C_GUARDS))
def test_c_padded_conv_with_int_guard_lifts_as_pad_and_named_conv(tmp_path: Path, form: str) -> None:
    from liftcomp.cli import main

    src = tmp_path / "conv.c"
    src.write_text(C_CONV.replace("GUARDED_READ", C_GUARDS[form]))
    out, rep = tmp_path / "conv.mlir", tmp_path / "report.json"
    assert main(["lift", str(src), "-q", "-o", str(out), "--report", str(rep)]) == 0
    (fn,) = json.loads(rep.read_text())["functions"]
    assert (fn["status"], fn["proof"]) == ("lifted", "proved"), fn
    ops = set(re.findall(r"\b(tensor\.pad|linalg\.\w+)\b", out.read_text())) - {"linalg.yield"}
    assert ops == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.fill"}, ops


def test_extension_inside_the_guard_lifts_like_the_corpus_form() -> None:
    # scf.if yields extsi(x[...]) : i32, else 0 : i32 (the corpus kernel extends after the if).
    src = (CORPUS / "extra_gemmini" / "conv_pad1_s1_i8.mlir").read_text()
    inner = src.replace("""                %xv = scf.if %inb -> (i8) {
                  %l = memref.load %x[%n, %ih, %iw, %c] : memref<1x6x6x2xi8>
                  scf.yield %l : i8
                } else {
                  scf.yield %zero8 : i8
                }
                %k = memref.load %w[%kh, %kw, %c, %f] : memref<3x3x2x2xi8>
                %xw = arith.extsi %xv : i8 to i32""", """                %xw = scf.if %inb -> (i32) {
                  %l = memref.load %x[%n, %ih, %iw, %c] : memref<1x6x6x2xi8>
                  %e = arith.extsi %l : i8 to i32
                  scf.yield %e : i32
                } else {
                  scf.yield %zero : i32
                }
                %k = memref.load %w[%kh, %kw, %c, %f] : memref<3x3x2x2xi8>""")
    assert inner != src
    report, text = lift(inner)
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert linalg_ops(text) == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.fill", "linalg.map"}


def int_guard(ty: str) -> str:
    """0 <= ih written as ih + 127 >= 127 in `ty` (wraps in i8 for ih >= 1), the rest on index."""
    return f"""
      %ihn = arith.index_cast %ih : index to {ty}
      %k127 = arith.constant 127 : {ty}
      %sh = arith.addi %ihn, %k127 : {ty}
      %h0 = arith.cmpi sge, %sh, %k127 : {ty}
      %h1 = arith.cmpi slt, %ih, %c5 : index
      %w0 = arith.cmpi sge, %iw, %c0 : index
      %w1 = arith.cmpi slt, %iw, %c5 : index
      %hin = arith.andi %h0, %h1 : i1
      %win = arith.andi %w0, %w1 : i1
      %inb = arith.andi %hin, %win : i1"""


def test_integer_guard_is_read_as_index_facts_only_where_it_cannot_wrap() -> None:
    report, text = lift(conv_nhwc(ty="i32", guard=int_guard("i32")))
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason
    assert linalg_ops(text) == {"tensor.pad", "linalg.conv_2d_nhwc_hwcf", "linalg.fill"}
    # In i8, ih + 127 wraps for ih >= 1: the compare is not 0 <= ih, so the load may leave x.
    report, _ = lift(conv_nhwc(ty="i32", guard=int_guard("i8")))
    assert report.status == "unchanged" and "outside its extent 5" in report.reason, report.reason


def test_c_padded_conv_requantised_with_rintf_runs_as_loop_conv_ws(tmp_path: Path) -> None:
    """The C conv written out to int8 as Gemmini requantises (rintf: halves to even) compiles to
    one loop_conv_ws with the padding in the instruction, and its simulation matches the source."""
    from liftcomp.cli import main

    src = tmp_path / "conv.c"
    src.write_text(C_CONV.replace("GUARDED_READ", C_GUARDS["ternary"]).replace("#include <stdint.h>", "#include <stdint.h>\n#include <math.h>")
                   .replace("int32_t out[1][6][6][2]", "int8_t out[1][6][6][2]")
                   .replace("out[n][oh][ow][f] = acc;", "out[n][oh][ow][f] = (int8_t)fminf(fmaxf(rintf((float)acc * 0.003f), -128.0f), 127.0f);"))
    out = tmp_path / "out"
    assert main(["compile", str(src), "--target", "gemmini", "-o", str(out)]) == 0
    (k,) = json.loads((out / "report.json").read_text())["kernels"]
    assert (k["proof"], k["correct"]) == ("proved", True), k
    (s,) = k["schedule"]
    assert s["schedule"]["form"] == "loop_conv_ws" and "pad 1/1/1/1" in s["conv"] and k["counters"]["instructions"]["loop_conv_ws"] == 1, s
    assert "gemmini_loop_conv_ws(" in (out / "kernels.c").read_text()
