"""The float model of a proof travels with the raised IR (ir/float_order.py) and every target
honours it: an f32 sum proved in the loop's order (IEEE, no flags) is computed in that order,
while the same source with fastmath<fast> keeps the targets' fast paths."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from liftcomp.interop import runner_check
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.ir import float_order
from liftcomp.lift.liftcomp_raise import raise_module
from liftcomp.lift.raising import RaiseOptions
from liftcomp.targets.base import outputs_match_ordered
from liftcomp.targets.cli import compile_file
from liftcomp.targets.cuda.compare import outputs_match as cuda_match
from liftcomp.targets.cuda.interp import run_cuda
from liftcomp.targets.cuda.lowering import lower_module
from liftcomp.targets.cuda.target import CudaTarget
from xdsl.dialects import func

# A matmul, a row sum and an axpy; FM is replaced by the flags of every float op ("" for none).
KERNELS = """
func.func @mm(%a: memref<16x32xf32>, %b: memref<32x8xf32>, %c: memref<16x8xf32>) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to 16 {
    affine.for %j = 0 to 8 {
      %s = affine.for %k = 0 to 32 iter_args(%acc = %zero) -> (f32) {
        %x = affine.load %a[%i, %k] : memref<16x32xf32>
        %y = affine.load %b[%k, %j] : memref<32x8xf32>
        %p = arith.mulf %x, %y FM : f32
        %t = arith.addf %acc, %p FM : f32
        affine.yield %t : f32
      }
      affine.store %s, %c[%i, %j] : memref<16x8xf32>
    }
  }
  return
}
func.func @rowsum(%a: memref<?x?xf32>, %r: memref<?xf32>, %m: index, %n: index) {
  %zero = arith.constant 0.0 : f32
  affine.for %i = 0 to %m {
    %s = affine.for %j = 0 to %n iter_args(%acc = %zero) -> (f32) {
      %x = affine.load %a[%i, %j] : memref<?x?xf32>
      %t = arith.addf %acc, %x FM : f32
      affine.yield %t : f32
    }
    affine.store %s, %r[%i] : memref<?xf32>
  }
  return
}
func.func @axpy(%x: memref<64xf32>, %y: memref<64xf32>, %a: f32) {
  affine.for %i = 0 to 64 {
    %u = affine.load %x[%i] : memref<64xf32>
    %v = affine.load %y[%i] : memref<64xf32>
    %p = arith.mulf %a, %u FM : f32
    %t = arith.addf %p, %v FM : f32
    affine.store %t, %y[%i] : memref<64xf32>
  }
  return
}
"""


def _source(tmp_path: Path, flags: str) -> Path:
    p = tmp_path / f"kernels{'_fast' if flags else ''}.mlir"
    p.write_text(KERNELS.replace(" FM", f" fastmath<{flags}>" if flags else ""))
    return p


def _records(module: object) -> dict[str, frozenset[str] | None]:
    return {op.name: float_order.record(op) for op in module.walk() if float_order.reduces_floats(op)}  # type: ignore[attr-defined]


def test_raised_ir_records_the_proofs_order_and_upstream_still_lowers_it(tmp_path: Path) -> None:
    """No flag: every float reduction says `none` (IEEE: loop order, no contraction); fastmath<fast>:
    reassoc and contract, also on the reduce's body ops. Both run through mlir-opt-22's ordinary
    pipeline and mlir-runner-22 like their loop nests."""
    raised = {}
    for flags in ("", "fast"):
        text = _source(tmp_path, flags).read_text()
        module, reports = raise_module(parse_mlir(text, "k.mlir"))
        assert [r.status for r in reports] == ["lifted"] * 3
        raised[flags] = module
        want = frozenset() if not flags else frozenset({"reassoc", "contract"})
        recs = _records(module)
        assert recs and set(recs.values()) == {want}, recs
    def body_flags(module: object) -> set[str]:  # of the adds in reduce / generic bodies (named ops have none in the text)
        return {str(o.properties["fastmath"]) for o in module.walk()  # type: ignore[attr-defined]
                if o.name == "arith.addf" and o.parent_op().name in ("linalg.reduce", "linalg.generic")}

    assert body_flags(raised["fast"]) == {"#arith.fastmath<reassoc,nnan,ninf,nsz,contract>"}  # the model's value flags too
    assert body_flags(raised[""]) == {"#arith.fastmath<none>"}
    if not runner_check.available():
        pytest.skip("mlir-opt-22 / mlir-runner-22 not installed")
    rng = np.random.default_rng(0)
    a, b = rng.standard_normal((16, 32)).astype(np.float32), rng.standard_normal((32, 8)).astype(np.float32)
    x = rng.standard_normal((5, 7)).astype(np.float32)
    for flags, exact in (("", True), ("fast", False)):
        original = parse_mlir(_source(tmp_path, flags).read_text(), "k.mlir")
        cases = [runner_check.Case(f"mm{flags}", original, raised[flags], "mm", [a, b, np.zeros((16, 8), np.float32)]),
                 runner_check.Case(f"rowsum{flags}", original, raised[flags], "rowsum", [x, np.zeros(5, np.float32), 5, 7])]
        assert runner_check.compare(cases, exact=exact) == {c.name: None for c in cases}


def test_cuda_sums_an_ieee_proved_reduction_in_order_and_a_fast_one_as_before(tmp_path: Path) -> None:
    """No flag: both sums are `ordered` (one thread per output element, __fmul_rn / __fadd_rn,
    -fmad=false; no tensor cores, fma loop or tree), the axpy's a * x + y is built with
    -fmad=false (two roundings), and the model evaluator equals the reference bit for bit;
    fastmath<fast>: today's f32 FMA GEMM, block-tree reduction and nvcc's default contraction.
    The ordered .cu builds with nvcc where it is installed."""
    kernels = {}
    for flags in ("", "fast"):
        out = tmp_path / f"cuda{flags}"
        report = compile_file(_source(tmp_path, flags), out, "cuda", dyn_size=16)
        assert [k["correct"] for k in report["kernels"]] == [True] * 3, report["kernels"]
        assert [[s["kind"] for s in k["schedule"]] for k in report["kernels"]] == [["gemm"], ["reduce"], ["eltwise"]]
        kernels[flags] = {f: (out / f).read_text() for f in report["files"] if f.endswith(".sm_90a.cu")}
        ordered = [s.get("ordered", False) for k in report["kernels"] for s in k["schedule"]]
        assert ordered == ([True, True, False] if not flags else [False] * 3)
        assert all(("--float-model fast" in " ".join(k["remarks"])) == (not flags) for k in report["kernels"][:2])
        commands = json.loads((out / "compile_commands.json").read_text())
        assert all(("-fmad=false" in c["arguments"]) == (not flags) for c in commands)
    for name, text in kernels[""].items():
        if "eltwise" in name:
            continue
        assert "__fadd_rn" in text and "__fmul_rn" in text
        assert "fmaf(" not in text and "wgmma" not in text and "mma" not in text.replace("-fmad", "") \
            and "__shfl" not in text and "sred" not in text
    fast = "".join(kernels["fast"].values())
    assert "fmaf(" in fast and "sred" in fast and "__fadd_rn" not in fast
    if shutil.which("nvcc") is None:
        return
    cu = tmp_path / "cuda" / next(f for f in kernels[""] if "gemm" in f)
    r = subprocess.run(["nvcc", "-std=c++17", "-O3", "-fmad=false", "-gencode=arch=compute_90a,code=sm_90a",
                        "-Xcompiler", "-fPIC", "-shared", "-o", str(tmp_path / "k.so"), str(cu)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]


def test_cuda_model_evaluator_runs_an_ordered_sum_in_the_loops_order(tmp_path: Path) -> None:
    """1e8 + 1 - 1e8 + 1: the loop gives 1 (1e8 + 1 rounds to 1e8), a pairwise or tree sum 2."""
    module, _ = raise_module(parse_mlir(_source(tmp_path, "").read_text(), "k.mlir"))
    low = lower_module(module)
    (kernel,) = [k for k in low.kernels if k["func"] == "rowsum"]
    fn = next(o for o in low.module.ops if isinstance(o, func.FuncOp) and o.sym_name.data == "rowsum")
    x = np.array([[1e8, 1, -1e8, 1]], np.float32)
    r = np.zeros(1, np.float32)
    run_cuda(low.module, fn, [x, r, 1, 4])
    assert kernel["kind"] == "reduce" and r[0] == 1.0
    assert float(np.sum(x[0, ::2]) + np.sum(x[0, 1::2])) == 2.0  # what a reordered sum gives


def test_reassoc_without_contract_keeps_products_rounded(tmp_path: Path) -> None:
    """--float-model reassoc: the row sum may be reordered (a tree), the matmul's products may not be
    fused into its adds (no fma, no tensor core), so the GEMM stays ordered."""
    module, _ = raise_module(parse_mlir(_source(tmp_path, "").read_text(), "k.mlir"), RaiseOptions(float_model="reassoc"))
    kinds = {k["func"]: (k["kind"], k.get("ordered", False)) for k in lower_module(module).kernels}
    assert kinds == {"mm": ("gemm", True), "rowsum": ("reduce", False), "axpy": ("eltwise", False)}


def test_nki_keeps_an_ieee_proved_matmul_on_the_host_and_says_how_to_allow_tensore(tmp_path: Path) -> None:
    remarks = {}
    for flags in ("", "fast"):
        report = compile_file(_source(tmp_path, flags), tmp_path / f"nki{flags}", "nki", dyn_size=16)
        mm = report["kernels"][0]
        assert mm["correct"] is True
        remarks[flags] = [s["kind"] for s in mm["schedule"]], " ".join(mm["remarks"])
    kinds, text = remarks[""]
    assert kinds == ["host"] and "loop's order" in text and "fastmath<reassoc,contract>" in text and "--float-model fast" in text
    assert remarks["fast"][0] == ["matmul"]
    # --float-model fast on compile allows it too
    report = compile_file(_source(tmp_path, ""), tmp_path / "nki_model", "nki", dyn_size=16, raise_options=RaiseOptions(float_model="fast"))
    assert [s["kind"] for s in report["kernels"][0]["schedule"]] == ["matmul"]


def test_ordered_outputs_compare_bit_for_bit() -> None:
    """Where every float sum keeps the loop's order, compile's check is bit for bit (NaN == NaN,
    -0.0 != +0.0, one ulp is a difference) instead of the target's tolerance."""
    t = CudaTarget()
    e = np.array([1.0, np.nan, -0.0, 3.0], np.float32)
    ulp = np.nextafter(np.float32(3.0), np.float32(4.0))
    assert outputs_match_ordered(t, [e.copy()], [e])
    for bad in (np.array([1.0, np.nan, 0.0, 3.0], np.float32), np.array([1.0, np.nan, -0.0, ulp], np.float32)):
        assert cuda_match([bad], [e]) and not outputs_match_ordered(t, [bad], [e])


SELECT_FOLD = """
#id = affine_map<(d0) -> (d0)>
#sc = affine_map<(d0) -> ()>
func.func @f(%x: tensor<8xf32>, %init: tensor<f32>) -> tensor<f32> {
  %r = linalg.generic {indexing_maps = [#id, #sc], iterator_types = ["reduction"]} ins(%x : tensor<8xf32>) outs(%init : tensor<f32>) {
  ^bb0(%v: f32, %m: f32):
    %c = arith.cmpf PRED, %v, %m : f32
    %s = arith.select %c, %v, %m : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}
"""


@pytest.mark.parametrize("pred,direction", [("ogt", "selmax"), ("oge", "selmax"), ("olt", "selmin"), ("ole", "selmin"),
                                            ("ugt", None), ("ult", None)])
def test_cuda_reads_a_select_folds_predicate(pred: str, direction: str | None) -> None:
    """select(x P m, x, m) folds are max for > and >=, min for < and <= (arith.cmpf numbers its
    predicates from oeq = 1: oge was once read as a min); an ordered compare keeps the accumulator
    on NaN (selmax / selmin), an unordered one takes the NaN element, then drops it for the next:
    no kernel reorders that."""
    from liftcomp.targets.cuda.scalar import Unsupported, combiner

    module = parse_mlir(SELECT_FOLD.replace("PRED", pred), "f.mlir")
    sel = next(o for o in module.walk() if o.name == "arith.select")
    if direction is None:
        with pytest.raises(Unsupported, match="takes a NaN element"):
            combiner(sel, sel.parent_block().args[-1])  # type: ignore[union-attr]
        return
    assert combiner(sel, sel.parent_block().args[-1])[0] == direction  # type: ignore[union-attr]


DOT_TO_BUFFER = """
func.func @dot(%x: memref<?xf32>, %y: memref<?xf32>, %out: memref<1xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %s = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (f32) {
    %a = memref.load %x[%i] : memref<?xf32>
    %b = memref.load %y[%i] : memref<?xf32>
    %p = arith.mulf %a, %b : f32
    %nacc = arith.addf %acc, %p : f32
    scf.yield %nacc : f32
  }
  memref.store %s, %out[%c0] : memref<1xf32>
  return
}
"""


@pytest.mark.skipif(shutil.which("gcc") is None or subprocess.run(["uname", "-m"], capture_output=True, text=True).stdout.strip() != "x86_64",
                    reason="needs gcc for x86-64 (-mfma)")
def test_gemmini_c_keeps_host_float_products_rounded(tmp_path: Path) -> None:
    """The emitted C's host loops compute floats as proved: gcc's GNU mode would fuse the dot
    product's multiply-add into an fma (-mfma); the C turns contraction off itself."""
    from liftcomp.targets.gemmini.emit_c import header_path

    src = tmp_path / "dot.mlir"
    src.write_text(DOT_TO_BUFFER)
    compile_file(src, tmp_path / "out", "gemmini")
    kernels = tmp_path / "out" / "kernels.c"

    def fmas(path: Path) -> int:
        cmd = ["gcc", "-O2", "-mfma", "-DLIFTCOMP_GEMMINI_HOST", f"-I{header_path().parent}", "-S", "-o", "-", str(path)]
        return subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.count("vfmadd")

    assert fmas(kernels) == 0
    text = kernels.read_text()
    start, end = text.index("#if defined(__clang__)"), text.index("#endif") + len("#endif")
    without = tmp_path / "without.c"
    without.write_text(text[:start] + text[end:])
    assert fmas(without) > 0  # what the pragmas prevent
