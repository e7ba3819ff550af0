"""NKI target IR in upstream MLIR: mlir-opt-22 loads and verifies it through the generated IRDL
(dialects/all.irdl.mlir), and xDSL reads back what it prints, equal to the start."""

from __future__ import annotations

from io import StringIO
from pathlib import Path

import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl, print_generic, run_mlir_opt_text
from liftcomp.targets.nki import dialect as nki
from liftcomp.targets.nki.driver import lower_module
from liftcomp.targets.nki.emit import emit_python
from liftcomp.targets.nki.lowering import LowerOptions
from xdsl.dialects import scf
from xdsl.dialects.builtin import ModuleOp
from xdsl.printer import Printer
from xdsl.utils.exceptions import VerifyException

REPO = Path(__file__).resolve().parents[2]
IRDL = f"--irdl-file={REPO / 'dialects' / 'all.irdl.mlir'}"

# N = 1024 > 512: two N tiles (a loop), K = 256: two K tiles (a loop accumulating in PSUM).
MATMUL = """
func.func @mm(%arg0: memref<128x256xf32>, %arg1: memref<256x1024xf32>, %arg2: memref<128x1024xf32>) {
  %cst = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<128x1024xf32>
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<128x1024xf32>) -> tensor<128x1024xf32>
  %2 = bufferization.to_tensor %arg0 restrict : memref<128x256xf32> to tensor<128x256xf32>
  %3 = bufferization.to_tensor %arg1 restrict : memref<256x1024xf32> to tensor<256x1024xf32>
  %4 = linalg.matmul ins(%2, %3 : tensor<128x256xf32>, tensor<256x1024xf32>)
                     outs(%1 : tensor<128x1024xf32>) -> tensor<128x1024xf32>
  bufferization.materialize_in_destination %4 in restrict writable %arg2 : (tensor<128x1024xf32>, memref<128x1024xf32>) -> ()
  return
}
"""


def _round_trip(module: ModuleOp) -> ModuleOp:
    """xDSL -> generic, properties as attributes -> mlir-opt-22 (IRDL) -> generic -> xDSL."""
    out = StringIO()
    Printer(stream=out, print_generic_format=True, print_properties_as_attributes=True).print_op(module)
    text = out.getvalue()
    upstream = run_mlir_opt_text(text, [IRDL, "--mlir-print-op-generic"])
    back = parse_xdsl(upstream, "upstream")
    back.verify()
    return back


def _row_kernel(tmp_path: Path) -> ModuleOp:
    from liftcomp.targets.cli import compile_file

    compile_file(REPO / "test" / "corpus" / "nki" / "rmsnorm_rows.mlir", tmp_path, "nki")
    return parse_xdsl((tmp_path / "rmsnorm_rows.nki.mlir").read_text(), "rmsnorm_rows.nki.mlir")


def test_row_and_matmul_kernels_round_trip_through_mlir_opt(tmp_path: Path) -> None:
    """The loops (scf.for, nki.loop = affine / sequential) and the host's kernel call on
    nki.hbm_view's cross mlir-opt-22 and come back structurally equal; the Python emitted from
    what comes back is the Python emitted from the start."""
    matmul, report = lower_module(parse_mlir(MATMUL, "mm.mlir"), LowerOptions())
    assert [k.kind for k in report.kernels] == ["matmul"]
    for module in (_row_kernel(tmp_path), matmul):
        loops = [op for op in module.walk() if isinstance(op, scf.ForOp)]
        assert loops and all(nki.loop_kind(op) in nki.LOOP_KINDS for op in loops)
        assert any(isinstance(op, nki.HbmViewOp) for op in module.walk())
        back = _round_trip(module)
        assert back.is_structurally_equivalent(module), f"{back}\n!=\n{module}"
        assert emit_python(back) == emit_python(module)
        assert "nl.affine_range(" in emit_python(module)


def test_irdl_checks_nki_ops_and_xdsl_checks_the_loops() -> None:
    """mlir-opt refuses an nki.hbm_view without its shape (IRDL: required attribute); the loop
    rules scf.for's verifier does not make (constant trip, loop kind) are xDSL's, naming the loop."""
    bad_view = """func.func @h(%a: memref<4xf32>) {
  %v = "nki.hbm_view"(%a) {rows = 1 : i64} : (memref<4xf32>) -> memref<1x4xf32>
  return
}"""
    with pytest.raises(LiftcompError, match='attribute "cols" is expected'):
        run_mlir_opt_text(bad_view, [IRDL])
    loop = """func.func @k(%n: index) attributes {nki.kernel = "trn2"} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %UB step %c1 {
  } {nki.loop = "KIND"}
  return
}"""
    ok = parse_xdsl(loop.replace("%UB", "%c4").replace("KIND", "sequential"), "ok")
    nki.verify_kernel_loops(ok)
    for ub, kind, msg in (("%n", "affine", "constant trip count"), ("%c4", "parallel", "nki.loop must be one of")):
        module = parse_xdsl(loop.replace("%UB", ub).replace("KIND", kind), "bad")
        with pytest.raises(VerifyException, match=msg):
            nki.verify_kernel_loops(module)
    run_mlir_opt_text(print_generic(ok), [IRDL])  # upstream reads it (scf.for is upstream's)
