"""`liftcomp compile --target gemmini` end to end on tensor-level input."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.cli import main  # noqa: E402

INPUTS = Path(__file__).parents[1] / "targets" / "gemmini" / "Inputs"


def test_compile_writes_report_and_c(tmp_path: Path) -> None:
    src = tmp_path / "mm.mlir"
    src.write_text(matmul_text(48, 80, 33))
    out = tmp_path / "out"
    assert main(["compile", str(src), "--target", "gemmini", "-o", str(out), "--check-c"]) == 0
    report = json.loads((out / "report.json").read_text())
    (k,) = report["kernels"]
    assert k["name"] == "matmul" and k["correct"] is True and k["c_correct"] is True
    assert k["cycles"] > 0 and 0 < k["utilization"] <= 1
    assert k["baseline_cycles"] == k["cycles"] and k["speedup"] == 1.0
    assert k["schedule"][0]["schedule"]["notes"] == ["tiled_matmul_auto"]
    assert "gemmini_extended_compute_preloaded" in (out / "kernels.c").read_text()
    assert (out / "gemmini_host.h").is_file()


def test_compile_loop_ws_form(tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert main(["compile", str(INPUTS / "elementwise_and_matvec.mlir"), "-o", str(out), "--form", "loop_ws"]) == 0
    report = json.loads((out / "report.json").read_text())
    assert [k["correct"] for k in report["kernels"]] == [True] * 4
    kinds = {k["name"]: k["schedule"][0]["kind"] for k in report["kernels"]}
    assert kinds == {"add_sat": "resadd", "add_wrap": "host", "add_i32": "resadd", "matvec": "matvec"}
    assert "gemmini_loop_ws" in (out / "kernels.c").read_text()


def test_compile_failure_writes_nothing(tmp_path: Path, capsys) -> None:
    src = tmp_path / "bad.mlir"
    src.write_text("func.func @f( {")
    out = tmp_path / "out"
    assert main(["compile", str(src), "-o", str(out)]) == 1
    assert not out.exists()
    assert "error" in capsys.readouterr().err


PARTIAL = """func.func @add_then_scan(%a: memref<64xi32>, %b: memref<64xi32>, %c: memref<64xi32>, %s: memref<64xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c64 step %c1 {
    %x = memref.load %a[%i] : memref<64xi32>
    %y = memref.load %b[%i] : memref<64xi32>
    %z = arith.addi %x, %y : i32
    memref.store %z, %c[%i] : memref<64xi32>
  }
  scf.for %i = %c1 to %c64 step %c1 {
    %im1 = arith.subi %i, %c1 : index
    %prev = memref.load %s[%im1] : memref<64xi32>
    %x = memref.load %s[%i] : memref<64xi32>
    %t = arith.addi %x, %prev : i32
    memref.store %t, %s[%i] : memref<64xi32>
  }
  return
}
"""


def test_partly_lifted_function_is_checked_against_the_input_program(tmp_path: Path) -> None:
    # The scan stays a loop, so the numpy reference of tensor-level IR cannot run the function;
    # the input program in the reference executor is the reference instead.
    from liftcomp.targets.cli import compile_file

    src = tmp_path / "partial.mlir"
    src.write_text(PARTIAL)
    k = compile_file(src, tmp_path / "out", check_c=True)["kernels"][0]
    assert k["proof"] == "proved" and "reference_error" not in k
    assert any(s["kind"] == "resadd" for s in k["schedule"])
    assert k["correct"] is True and k["c_correct"] is True


CORPUS = Path(__file__).parents[1] / "corpus"


def test_float_kernel_kept_on_the_host_is_checked_in_its_own_type(tmp_path: Path) -> None:
    # The numpy reference made tensor.empty int64 whatever its type, so float results in (-1, 1)
    # came out 0 and a correct host fallback was reported wrong.
    from liftcomp.targets.cli import compile_file

    k = compile_file(CORPUS / "darknet" / "mult_add_into_cpu.mlir", tmp_path / "out")["kernels"][0]
    assert k["schedule"][0]["kind"] == "host"
    assert k["correct"] is True


def test_undefined_behaviour_of_random_inputs_is_avoided(tmp_path: Path, capsys) -> None:
    # Random inputs made the input program itself read out of bounds (a histogram of random
    # values), which ended compile with an error: indices read from data now get small integers
    # (and inputs too small for the program's sizes grow: test_compile_sweep.py).
    out = tmp_path / "histogram"
    assert main(["compile", str(CORPUS / "extra_noform" / "histogram_i32.mlir"), "-o", str(out)]) == 0
    captured = capsys.readouterr()
    assert "correct: True" in captured.out and "Traceback" not in captured.err


@pytest.mark.parametrize("name", ["darknet/sum_array", "extra_noform/prefix_sum_f32", "extra_control/relu_select_f32",
                                  "llama/softmax_part2", "extra_stencil/stencil3_1d_f32"])
def test_kernels_gemmini_cannot_run_compile_to_correct_host_code(name: str, tmp_path: Path) -> None:
    # Reductions, scans, float compares, exp and stencils: what the Gemmini lowering does not take
    # stays on the host (the input loops where the tensor ops cannot be lowered), simulated and
    # emitted as C that gcc builds and runs.
    from liftcomp.targets.cli import compile_file

    k = compile_file(CORPUS / f"{name}.mlir", tmp_path / "out", check_c=True)["kernels"][0]
    assert all(s["kind"] == "host" for s in k["schedule"]), k["schedule"]
    assert k["correct"] is True and k["c_correct"] is True


@pytest.mark.parametrize("name", ["dsp/voffset", "blend/normal_blend_8", "darknet/mse_array"])
def test_integer_scalar_arguments_compile(name: str, tmp_path: Path) -> None:
    # An i32 offset, a u8 opacity, an i32 length: they get the dynamic size as their value.
    from liftcomp.targets.cli import compile_file

    k = compile_file(CORPUS / f"{name}.mlir", tmp_path / "out", check_c=True)["kernels"][0]
    assert k["correct"] is True and k["c_correct"] is True


def test_summary_says_which_function_fell_back_to_the_host_and_why(tmp_path: Path, capsys) -> None:
    # An epilogue Gemmini cannot compute exactly stays on the host after the accelerator's matmul:
    # the reason is in the summary, not only in report.json.
    from liftcomp.targets.cli import host_fallbacks

    assert main(["compile", str(CORPUS / "extra_gemmini" / "matmul_requant_sym127.mlir"), "-o", str(tmp_path / "b")]) == 0
    out = capsys.readouterr().out
    assert "matmul_requant_sym127: host fallback: epilogue kept on the host: it clamps to [-127, 127]" in out
    # A kernel kept wholly on the host says so even without a remark; a fused one says nothing.
    assert host_fallbacks({"schedule": [{"kind": "host", "remark": ""}]}) == ["host kernel runs as host loops"]
    assert host_fallbacks({"schedule": [{"kind": "matmul", "remark": "A^T through the array's transpose flag"}]}) == []
