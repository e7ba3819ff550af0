"""Requantisation epilogues and transposed operands on Gemmini.

Hand-written tensor-level inputs (the form the raising pass produces) check the matcher's
decisions and the lowered programs bit for bit against numpy; the corpus suite extra_gemmini goes
end to end (loop nests -> raise -> lower -> simulate -> emitted C with gcc)."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path

import numpy as np
import pytest
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.reference import run_reference
from liftcomp.targets.gemmini import dialect as g
from liftcomp.targets.gemmini.epilogue import match_requant
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
from liftcomp.targets.gemmini.schedule import MatmulSchedule
from liftcomp.targets.gemmini.sim import simulate
from xdsl.dialects import func
from xdsl.dialects.linalg import ops as linalg

F32 = np.float32
CORPUS = Path(__file__).parents[1] / "corpus" / "extra_gemmini"


def _requant_text(m: int, k: int, n: int, body: str, scale_arg: bool = False, scale_type: str = "f32") -> str:
    """C = epilogue(A @ B) with the epilogue body given as MLIR lines on %in (i32) yielding %q (i8).
    %s is the scale: a function argument when scale_arg, else defined by the body text."""
    extra = f", %s: {scale_type}" if scale_arg else ""
    return f"""
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @f(%A: memref<{m}x{k}xi8>, %B: memref<{k}x{n}xi8>, %C: memref<{m}x{n}xi8>{extra}) {{
  %a = bufferization.to_tensor %A restrict : memref<{m}x{k}xi8> to tensor<{m}x{k}xi8>
  %b = bufferization.to_tensor %B restrict : memref<{k}x{n}xi8> to tensor<{k}x{n}xi8>
  %z = arith.constant 0 : i32
  %e = tensor.empty() : tensor<{m}x{n}xi32>
  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %mm = linalg.matmul ins(%a, %b : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) outs(%f : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>
  %lo = arith.constant -128.0 : f32
  %hi = arith.constant 127.0 : f32
  %fz = arith.constant 0.0 : f32
  %e8 = tensor.empty() : tensor<{m}x{n}xi8>
  %r = linalg.generic {{indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}} ins(%mm : tensor<{m}x{n}xi32>) outs(%e8 : tensor<{m}x{n}xi8>) {{
  ^bb0(%in: i32, %out: i8):
{body}
    linalg.yield %q : i8
  }} -> tensor<{m}x{n}xi8>
  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{m}x{n}xi8>, memref<{m}x{n}xi8>) -> ()
  return
}}
"""


STANDARD = """    %x = arith.sitofp %in : i32 to f32
    %y = arith.mulf %x, %s : f32
    %t = math.roundeven %y : f32
    %c1 = arith.maximumf %t, %lo : f32
    %c2 = arith.minimumf %c1, %hi : f32
    %q = arith.fptosi %c2 : f32 to i8"""


def _epilogue_op(text: str) -> linalg.GenericOp:
    mod = parse_mlir(text)
    ops = [op for op in mod.walk() if isinstance(op, linalg.GenericOp)]
    return ops[-1]


def _const_scale(body: str, scale: float) -> str:
    return f"    %s = arith.constant {scale!r} : f32\n" + body


@pytest.mark.parametrize(("body", "lo", "reason"), [
    (STANDARD.replace("math.roundeven", "math.round"), "-128.0", "away from zero"),
    (STANDARD.replace("math.roundeven", "math.floor"), "-128.0", "math.floor"),
    (STANDARD, "-127.0", "[-127, 127]"),
    (STANDARD.replace("%t = math.roundeven %y : f32\n", "").replace("maximumf %t", "maximumf %y"), "-128.0",
     "without rounding"),
    (STANDARD.replace("arith.mulf %x, %s", "arith.divf %x, %s"), "-128.0", "divides"),
])
def test_epilogues_gemmini_does_not_compute_are_refused_with_the_reason(body: str, lo: str, reason: str) -> None:
    text = _requant_text(4, 8, 4, _const_scale(body, 0.01)).replace("%lo = arith.constant -128.0", f"%lo = arith.constant {lo}")
    req, why = match_requant(_epilogue_op(text))
    assert req is None
    assert reason in why


def test_runtime_scale_rules() -> None:
    # maxnumf with a run-time scale: NaN (scale NaN or inf * 0) would become a bound, unlike Gemmini.
    body = STANDARD.replace("maximumf", "maxnumf")
    req, why = match_requant(_epilogue_op(_requant_text(4, 8, 4, body, scale_arg=True)))
    assert req is None and "NaN" in why
    # ... but with a finite constant scale NaN cannot occur.
    req, _ = match_requant(_epilogue_op(_requant_text(4, 8, 4, _const_scale(body, 0.01))))
    assert req is not None
    # ReLU on the int32 value before a run-time scale: equal to scale-then-ReLU only for scale >= 0.
    pre = "    %zi = arith.constant 0 : i32\n    %p = arith.maxsi %in, %zi : i32\n" + STANDARD.replace("sitofp %in", "sitofp %p")
    req, why = match_requant(_epilogue_op(_requant_text(4, 8, 4, pre, scale_arg=True)))
    assert req is None and ">= 0" in why
    req, _ = match_requant(_epilogue_op(_requant_text(4, 8, 4, _const_scale(pre, 0.01))))
    assert req is not None and req.relu
    req, why = match_requant(_epilogue_op(_requant_text(4, 8, 4, _const_scale(pre, -0.01))))
    assert req is None and "negative" in why
    # f64 arithmetic rounds differently.
    body64 = STANDARD.replace(": f32", ": f64").replace("i32 to f32", "i32 to f64").replace("f32 to i8", "f64 to i8")
    body64 = body64.replace("%c1 = arith.maximumf %t, %lo : f64", "%lo64 = arith.extf %lo : f32 to f64\n    %c1 = arith.maximumf %t, %lo64 : f64")
    body64 = body64.replace("%c2 = arith.minimumf %c1, %hi : f64", "%hi64 = arith.extf %hi : f32 to f64\n    %c2 = arith.minimumf %c1, %hi64 : f64")
    req, why = match_requant(_epilogue_op(_requant_text(4, 8, 4, body64, scale_arg=True, scale_type="f64")))
    assert req is None


def _run(text: str, m: int, k: int, n: int, scale: float | None, sched: MatmulSchedule | None = None,
         seed: int = 0, form: str = "explicit") -> tuple[list[str], np.ndarray, np.ndarray]:
    mod = parse_mlir(text)
    fn = next(op for op in mod.ops if isinstance(op, func.FuncOp))
    rng = np.random.default_rng(seed)
    A = rng.integers(-128, 127, size=(m, k), dtype=np.int8, endpoint=True)
    B = rng.integers(-128, 127, size=(k, n), dtype=np.int8, endpoint=True)
    C = np.zeros((m, n), dtype=np.int8)
    args: list[object] = [A, B, C] + ([F32(scale)] if scale is not None else [])
    expected = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    run_reference(fn, expected)
    low, report = lower_module_with_report(mod, LowerOptions(form=form, schedule=sched))  # type: ignore[arg-type]
    low.verify()
    r = simulate(low, args)
    return [rec.remark for rec in report.kernels], expected[2], r.outputs[fn.body.block.args[2].name_hint or "arg2"]


@pytest.mark.parametrize("form", ["explicit", "loop_ws"])
@pytest.mark.parametrize(("m", "k", "n"), [(1, 1, 1), (17, 33, 20), (40, 300, 36)])
def test_fused_requant_is_bit_exact(m: int, k: int, n: int, form: str) -> None:
    text = _requant_text(m, k, n, STANDARD, scale_arg=True)
    for scale in (0.00731, -0.0042, 1.0):
        remarks, want, got = _run(text, m, k, n, scale, form=form)
        assert remarks == [""]
        np.testing.assert_array_equal(got, want)
    low, _ = lower_module_with_report(parse_mlir(text), LowerOptions(form=form))
    st = [op for op in low.walk() if isinstance(op, g.ConfigStOp)]
    assert len(st) == 1 and st[0].scale_value is not None and st[0].elem_bits.value.data == 8


def test_round_half_to_even_ties() -> None:
    # scale 0.5 on products of +-1: x = odd integers give exact .5 ties; numpy's rint is the independent oracle.
    text = _requant_text(16, 3, 16, _const_scale(STANDARD.replace("maximumf %t, %lo", "maximumf %t, %fz"), 0.5))
    mod = parse_mlir(text)
    A = np.ones((16, 3), dtype=np.int8)
    B = np.array(np.arange(-24, 24).reshape(3, 16), dtype=np.int8)
    low, report = lower_module_with_report(mod, LowerOptions())
    assert report.kernels[0].epilogue == "scale 0.5, ReLU, saturate to int8"
    got = simulate(low, [A, B, np.zeros((16, 16), dtype=np.int8)]).outputs["arg2"]
    acc = A.astype(np.int64) @ B.astype(np.int64)
    assert np.any(acc % 2 == 1)  # ties present
    np.testing.assert_array_equal(got, np.clip(np.rint(acc * 0.5), 0, 127).astype(np.int8))


def test_epilogue_that_differs_runs_on_the_host_after_gemmini() -> None:
    body = _const_scale(STANDARD.replace("math.roundeven", "math.round"), 0.01)
    remarks, want, got = _run(_requant_text(20, 40, 24, body), 20, 40, 24, None)
    assert len(remarks) == 1 and "epilogue kept on the host" in remarks[0] and "away from zero" in remarks[0]
    np.testing.assert_array_equal(got, want)


def test_unfused_schedule_preserves_results() -> None:
    text = _requant_text(24, 40, 20, STANDARD, scale_arg=True)
    sched = MatmulSchedule(1, 1, 2, fuse_epilogue=False)
    remarks, want, got = _run(text, 24, 40, 20, 0.003, sched=sched)
    assert "fuse_epilogue off" in remarks[0]
    np.testing.assert_array_equal(got, want)


def _transpose_text(m: int, k: int, n: int, a_t: bool, b_t: bool, via_maps: bool) -> str:
    a_shape = f"{k}x{m}" if a_t else f"{m}x{k}"
    b_shape = f"{n}x{k}" if b_t else f"{k}x{n}"
    lines = [f"func.func @t(%A: memref<{a_shape}xi8>, %B: memref<{b_shape}xi8>, %C: memref<{m}x{n}xi32>) {{",
             f"  %a0 = bufferization.to_tensor %A restrict : memref<{a_shape}xi8> to tensor<{a_shape}xi8>",
             f"  %b0 = bufferization.to_tensor %B restrict : memref<{b_shape}xi8> to tensor<{b_shape}xi8>",
             "  %z = arith.constant 0 : i32",
             f"  %e = tensor.empty() : tensor<{m}x{n}xi32>",
             f"  %f = linalg.fill ins(%z : i32) outs(%e : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>"]
    if via_maps:
        ma = "(k, i)" if a_t else "(i, k)"
        mb = "(j, k)" if b_t else "(k, j)"
        lines.append(
            f"  %r = linalg.generic {{indexing_maps = [affine_map<(i, j, k) -> {ma}>, affine_map<(i, j, k) -> {mb}>, "
            "affine_map<(i, j, k) -> (i, j)>], iterator_types = [\"parallel\", \"parallel\", \"reduction\"]} "
            f"ins(%a0, %b0 : tensor<{a_shape}xi8>, tensor<{b_shape}xi8>) outs(%f : tensor<{m}x{n}xi32>) {{\n"
            "  ^bb0(%p: i8, %q: i8, %acc: i32):\n    %pw = arith.extsi %p : i8 to i32\n    %qw = arith.extsi %q : i8 to i32\n"
            "    %mul = arith.muli %pw, %qw : i32\n    %s = arith.addi %acc, %mul : i32\n    linalg.yield %s : i32\n"
            f"  }} -> tensor<{m}x{n}xi32>")
    else:
        a, b = "%a0", "%b0"
        if a_t:
            lines.append(f"  %ea = tensor.empty() : tensor<{m}x{k}xi8>")
            lines.append(f"  %a1 = linalg.transpose ins(%a0 : tensor<{a_shape}xi8>) outs(%ea : tensor<{m}x{k}xi8>) permutation = [1, 0]")
            a = "%a1"
        if b_t:
            lines.append(f"  %eb = tensor.empty() : tensor<{k}x{n}xi8>")
            lines.append(f"  %b1 = linalg.transpose ins(%b0 : tensor<{b_shape}xi8>) outs(%eb : tensor<{k}x{n}xi8>) permutation = [1, 0]")
            b = "%b1"
        lines.append(f"  %r = linalg.matmul ins({a}, {b} : tensor<{m}x{k}xi8>, tensor<{k}x{n}xi8>) "
                     f"outs(%f : tensor<{m}x{n}xi32>) -> tensor<{m}x{n}xi32>")
    lines.append(f"  bufferization.materialize_in_destination %r in restrict writable %C : (tensor<{m}x{n}xi32>, memref<{m}x{n}xi32>) -> ()")
    lines += ["  return", "}"]
    return "\n".join(lines)


@pytest.mark.parametrize("via_maps", [False, True])
@pytest.mark.parametrize(("a_t", "b_t"), [(True, False), (False, True), (True, True)])
@pytest.mark.parametrize("sched", [None, MatmulSchedule(1, 2, 1, double_buffer=True, a_block_len=2, b_block_len=3),
                                   MatmulSchedule(2, 1, 3, a_block_len=1, b_block_len=1)])
def test_transposed_operands_are_bit_exact(a_t: bool, b_t: bool, via_maps: bool, sched: MatmulSchedule | None) -> None:
    m, k, n = 37, 70, 45
    mod = parse_mlir(_transpose_text(m, k, n, a_t, b_t, via_maps))
    rng = np.random.default_rng(1)
    A = rng.integers(-128, 127, size=(k, m) if a_t else (m, k), dtype=np.int8, endpoint=True)
    B = rng.integers(-128, 127, size=(n, k) if b_t else (k, n), dtype=np.int8, endpoint=True)
    want = (A.T if a_t else A).astype(np.int64) @ (B.T if b_t else B).astype(np.int64)
    low, report = lower_module_with_report(mod, LowerOptions(schedule=sched))
    low.verify()
    (rec,) = report.kernels
    assert rec.kind == "matmul" and (rec.a_transposed, rec.b_transposed) == (a_t, b_t)
    ex = [op for op in low.walk() if isinstance(op, g.ConfigExOp)]
    # WS cannot transpose both: A^T is copied to a row-major buffer on the host, B uses the flag.
    assert (ex[0].a_transpose is not None, ex[0].b_transpose is not None) == (a_t and not b_t, b_t)
    if a_t and b_t:
        assert "WS cannot transpose A and B together" in rec.remark
    got = simulate(low, [A, B, np.zeros((m, n), dtype=np.int32)]).outputs["arg2"]
    np.testing.assert_array_equal(got, want.astype(np.int32))


def test_transposed_operand_with_loop_ws_form_runs_explicit() -> None:
    mod = parse_mlir(_transpose_text(20, 33, 18, False, True, False))
    low, report = lower_module_with_report(mod, LowerOptions(form="loop_ws"))
    assert not [op for op in low.walk() if isinstance(op, g.LoopWsOp)]
    assert "loop_ws with a transposed operand" in report.kernels[0].remark
    assert report.kernels[0].schedule is not None and report.kernels[0].schedule.form == "explicit"


# ------------------------------------------------------------------------- corpus end to end --
CORPUS_EXPECT = {
    "matmul_requant_i8": ("matmul", ""),
    "matmul_requant_relu_i8": ("matmul", ""),
    "matmul_requant_dyn": ("matmul", ""),
    "matmul_requant_relu_dyn": ("matmul", ""),
    "matmul_bias_requant_relu_dyn": ("matmul", ""),
    "scale_i32_i8": ("scale", "scaled through the accumulator"),
    "matmul_requant_sym127": ("matmul", "epilogue kept on the host: it clamps to [-127, 127]"),
    "matmul_at_i8": ("matmul", "A^T through the array's transpose flag"),
    "matmul_bt_i8": ("matmul", "B^T through the array's transpose flag"),
    "matmul_atbt_i8": ("matmul", "WS cannot transpose A and B together"),
}


@pytest.mark.skipif(importlib.util.find_spec("liftcomp.lift.liftcomp_raise") is None, reason="no raising pass")
@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
@pytest.mark.parametrize("kernel", sorted(CORPUS_EXPECT))
def test_corpus_kernel_end_to_end_with_c(kernel: str, tmp_path: Path) -> None:
    from liftcomp.targets.cli import compile_file

    report = compile_file(CORPUS / f"{kernel}.mlir", tmp_path / "out", dyn_size=37, check_c=True)
    (k,) = report["kernels"]
    assert k["correct"] is True, k.get("reference_error")
    assert k["c_correct"] is True
    kind, remark = CORPUS_EXPECT[kernel]
    assert [s["kind"] for s in k["schedule"]] == [kind]
    assert remark in k["schedule"][0]["remark"]
    if "requant" in kernel and not remark:
        # Fused: the C writes int8 through config_st's scale, no host loop over C.
        c_src = (tmp_path / "out" / "kernels.c").read_text()
        assert "gemmini_extended_config_st" in c_src and "nearbyint" not in c_src
