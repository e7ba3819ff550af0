"""The reference executor against every corpus kernel's numpy reference (the oracle of all
differential tests): several random input sets each, odd seeds mixing in edge values (0, 1, -1,
min, max: 255 for u8, overflowing sums), integers compared bit-exactly."""

from __future__ import annotations

import numpy as np
import pytest
from lift_helpers import corpus, parsed
from liftcomp.corpus import load_corpus
from liftcomp.corpus.check import check_kernel, find_func, make_inputs
from liftcomp.executor import ExecutionError, Interpreter
from liftcomp.interop.mlir_tool import parse_mlir

KERNELS = load_corpus()


def test_corpus_size_and_coverage() -> None:
    assert len(KERNELS) >= 100
    tags = {t for k in KERNELS for t in k.tags}
    for needed in ("select", "scf.if", "iter_args", "flattened", "stencil", "step", "in-place", "widening", "truncation", "dynamic", "static"):
        assert any(needed in t for t in tags), needed
    assert any(not k.form for k in KERNELS)
    assert {"blend", "llama", "blas", "darknet", "dsp", "dspstone", "makespeare", "mathfu", "simpl_array", "utdsp"} <= {k.suite for k in KERNELS}


@pytest.mark.parametrize("name", [k.name for k in KERNELS])
def test_executor_matches_reference(name: str) -> None:
    k = corpus()[name]
    module, _, _ = parsed(name)
    cmp = check_kernel(k, module, seeds=range(4))
    assert cmp.ok, cmp.detail


def test_edge_inputs_reach_extremes() -> None:
    k = corpus()["darken_blend_8"]
    _, fn, _ = parsed("darken_blend_8")
    args = make_inputs(k, fn, {"n": 400}, np.random.default_rng(1), edge=True)
    assert args[0].dtype == np.uint8 and 255 in args[0] and 0 in args[0]


def test_wraparound_is_bit_exact() -> None:
    m = parse_mlir("""
    func.func @f(%a: i8, %b: i8) -> (i8, i8, i1) {
      %s = arith.addi %a, %b : i8
      %d = arith.divui %a, %b : i8
      %c = arith.cmpi ult, %a, %b : i8
      return %s, %d, %c : i8, i8, i1
    }""")
    assert Interpreter(m).call("f", [200, 100]) == [44, 2, 0]
    assert Interpreter(m).call("f", [-1, 2]) == [1, 127, 0]


def test_undefined_behaviour_stops_execution() -> None:
    m = parse_mlir("""
    func.func @f(%a: memref<4xi32>, %i: index) -> i32 {
      %v = memref.load %a[%i] : memref<4xi32>
      return %v : i32
    }""")
    with pytest.raises(ExecutionError, match="out of bounds"):
        Interpreter(m).call("f", [np.zeros(4, np.int32), 4])
    fn = find_func(m, "f")
    assert fn.sym_name.data == "f"


def test_corpus_lift_column_shows_status_and_proof() -> None:
    """`liftcomp corpus --lift`: each kernel's driver outcome and proof level (counted budgets
    decide them, so two runs print the same)."""
    import json
    import subprocess
    import sys

    cmd = [sys.executable, "-m", "liftcomp.cli", "corpus", "--lift", "--json", "--seeds", "1",
           "--kernel", "syrk_lower_i32_dyn", "--kernel", "prefix_sum_f32"]
    rows = json.loads(subprocess.run(cmd, capture_output=True, text=True, timeout=300, check=True).stdout)
    got = {r["kernel"]: (r["matches"], r["lift"], r["proof"]) for r in rows}
    assert got == {"syrk_lower_i32_dyn": (True, "lifted", "proved"), "prefix_sum_f32": (True, "unchanged", None)}
