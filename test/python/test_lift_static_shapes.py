"""Large static nests are verified without interpreting them at their real size (small instances
of a family that keeps the relations between sizes), loops with a step that does not divide
their range lift with ceil-division trip counts, and the differential test runs larger shapes."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from lift_helpers import corpus, parsed
from liftcomp.corpus.check import find_func
from liftcomp.executor import Interpreter
from liftcomp.frontends import arg_names_from_source
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl, run_pipeline
from liftcomp.lift import tensorspec as TS
from liftcomp.lift import verify
from liftcomp.lift.analysis import analyse
from liftcomp.lift.raising import RaiseOptions, check_candidate, lift_function
from liftcomp.lift.shrink import (
    LOW_THRESHOLD,
    differential,
    generalise,
    instance_program,
    needs_shrinking,
)
from liftcomp.lift.verify import decls_of, prove

LOWER = ("builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, "
         "func.func(convert-linalg-to-loops), cse, canonicalize)")

STENCIL_1024 = """
func.func @stencil(%a: memref<1024xf32>, %b: memref<1024xf32>) {
  affine.for %i = 1 to 1023 {
    %x = affine.load %a[%i - 1] : memref<1024xf32>
    %y = affine.load %a[%i] : memref<1024xf32>
    %z = affine.load %a[%i + 1] : memref<1024xf32>
    %s = arith.addf %x, %y : f32
    %t = arith.addf %s, %z : f32
    affine.store %t, %b[%i] : memref<1024xf32>
  }
  return
}
"""

SHIFT_1000 = """
func.func @shift(%a: memref<1000xi32>, %b: memref<1000xi32>) {
  %c3 = arith.constant 3 : index
  %c1000 = arith.constant 1000 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c3 to %c1000 step %c1 {
    %j = arith.subi %i, %c3 : index
    %x = memref.load %a[%j] : memref<1000xi32>
    memref.store %x, %b[%i] : memref<1000xi32>
  }
  return
}
"""

STEP3_100 = """
func.func @step3(%a: memref<100xf32>, %b: memref<100xf32>) {
  affine.for %i = 0 to 100 step 3 {
    %x = affine.load %a[%i] : memref<100xf32>
    %y = arith.mulf %x, %x : f32
    affine.store %y, %b[%i] : memref<100xf32>
  }
  return
}
"""

STENCIL_512x512 = """
func.func @st2d(%a: memref<512x512xf32>, %b: memref<512x512xf32>) {
  affine.for %i = 1 to 511 {
    affine.for %j = 1 to 511 {
      %n = affine.load %a[%i - 1, %j] : memref<512x512xf32>
      %s = affine.load %a[%i + 1, %j] : memref<512x512xf32>
      %w = affine.load %a[%i, %j - 1] : memref<512x512xf32>
      %e = affine.load %a[%i, %j + 1] : memref<512x512xf32>
      %c = affine.load %a[%i, %j] : memref<512x512xf32>
      %t0 = arith.addf %n, %s : f32
      %t1 = arith.addf %w, %e : f32
      %t2 = arith.addf %t0, %t1 : f32
      %t3 = arith.subf %t2, %c : f32
      affine.store %t3, %b[%i, %j] : memref<512x512xf32>
    }
  }
  return
}
"""

# Only part of a large buffer: the bound 300 is no expression of 512 and becomes a size of its own.
PARTIAL_300_OF_512 = """
func.func @part(%a: memref<512xi32>, %b: memref<512xi32>) {
  affine.for %i = 0 to 300 {
    %x = affine.load %a[%i + 2] : memref<512xi32>
    affine.store %x, %b[%i] : memref<512xi32>
  }
  return
}
"""

STEP2_N = """
func.func @step2(%a: memref<?xi32>, %b: memref<?xi32>, %n: index) {
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  scf.for %i = %c1 to %n step %c2 {
    %x = memref.load %a[%i] : memref<?xi32>
    %y = arith.muli %x, %x : i32
    memref.store %y, %b[%i] : memref<?xi32>
  }
  return
}
"""

STEP4_N = """
func.func @step4(%a: memref<?xf32>, %b: memref<?xf32>, %n: index) {
  affine.for %i = 0 to %n step 4 {
    %x = affine.load %a[%i] : memref<?xf32>
    %y = arith.addf %x, %x : f32
    affine.store %y, %b[%i] : memref<?xf32>
  }
  return
}
"""

SCALE_N = """
func.func @scale(%a: memref<?xi32>, %b: memref<?xi32>, %n: index) {
  affine.for %i = 0 to %n {
    %x = affine.load %a[%i] : memref<?xi32>
    %y = arith.addi %x, %x : i32
    affine.store %y, %b[%i] : memref<?xi32>
  }
  return
}
"""

LARGE = {"stencil": (STENCIL_1024, 1024), "shift": (SHIFT_1000, 1000), "step3": (STEP3_100, 100), "st2d": (STENCIL_512x512, 512),
         "part": (PARTIAL_300_OF_512, 512)}


@pytest.fixture
def interpreted() -> Iterator[list[tuple[int, ...]]]:
    """Shapes of every buffer the differential test hands to the reference executor."""
    shapes: list[tuple[int, ...]] = []

    def hook(_name: str, args: list[Any]) -> None:
        shapes.extend(x.shape for x in args if isinstance(x, np.ndarray))

    verify.INTERPRET_HOOKS.append(hook)
    yield shapes
    verify.INTERPRET_HOOKS.remove(hook)


def _lift(src: str, name: str) -> Any:
    m = parse_mlir(src)
    fn = find_func(m, name)
    rep, _ = lift_function(m, fn, RaiseOptions(require="proved"), arg_names_from_source(src).get(name))
    return rep


@pytest.mark.parametrize("name", list(LARGE))
def test_large_static_nests_are_proved_on_small_instances(name: str, interpreted: list[tuple[int, ...]]) -> None:
    src, real = LARGE[name]
    rep = _lift(src, name)
    assert rep.status == "lifted", rep.reason
    assert rep.proof == "proved"
    assert interpreted, "the differential test ran"
    assert max(max(s) for s in interpreted) < real // 4, interpreted


def test_generalisation_keeps_the_affine_relations() -> None:
    m = parse_mlir(STENCIL_1024)
    g = generalise(find_func(m, "stencil"), {1022})
    assert not isinstance(g, str)
    assert g.bases == [1024]
    for small in g.instances:
        n = small[0]
        text = instance_program("b[1:1023] = a[0:1022] + a[1:1023] + a[2:1024]", g, small)
        assert text == f"b[1:{n - 1}] = a[0:{n - 2}] + a[1:{n - 1}] + a[2:{n}]"
    # A flattened matrix: 262144 = N * N, the row length N.
    flat = parse_mlir("""
func.func @f(%a: memref<262144xf32>, %b: memref<512x512xf32>) {
  affine.for %i = 0 to 512 {
    affine.for %j = 0 to 512 {
      %x = affine.load %a[%i * 512 + %j] : memref<262144xf32>
      affine.store %x, %b[%i, %j] : memref<512x512xf32>
    }
  }
  return
}""")
    g2 = generalise(find_func(flat, "f"))
    assert not isinstance(g2, str) and g2.bases == [512]
    assert all(g2.exprs[262144].at(s) == s[0] ** 2 for s in g2.instances)


def test_step_residues_are_kept() -> None:
    g = generalise(find_func(parse_mlir(STEP3_100), "step3"))
    assert not isinstance(g, str)
    assert g.modulus == 3 and all(s[0] % 3 == 100 % 3 for s in g.instances)


@pytest.mark.parametrize("name,fn,text", [
    ("stencil", "stencil", "b[1:1023] = a[0:1022] + a[1:1023] + a[1:1023]"),
    ("stencil", "stencil", "b[1:1023] = a[0:1022] + a[2:1024] + a[2:1024]"),
    ("shift", "shift", "b[3:1000] = a[1:998]"),
    ("step3", "step3", "b[0:102:3] = a[0:102:3] + a[0:102:3]"),
    ("st2d", "st2d", "b[1:511, 1:511] = a[0:510, 1:511] + a[2:512, 1:511] + (a[1:511, 0:510] + a[1:511, 0:510]) - a[1:511, 1:511]"),
    ("st2d", "st2d", "b[1:511, 1:511] = a[0:510, 1:511] + a[2:512, 1:511] + (a[1:511, 0:510] + a[1:511, 2:512]) - a[1:511, 2:512]"),
    ("part", "part", "b[0:300] = a[1:301]"),
])
def test_mutants_at_large_static_sizes_are_rejected(name: str, fn: str, text: str, interpreted: list[tuple[int, ...]]) -> None:
    src, real = LARGE[name]
    m = parse_mlir(src)
    f = find_func(m, fn)
    summary = analyse(f, arg_names_from_source(src).get(fn))
    assert needs_shrinking(f)
    # The differential test alone rejects it on the small instances, with a counterexample ...
    v = differential(m, f, summary, text, trials=4)
    assert v.level is None and v.counterexample is not None, v.reason
    # ... and so does the whole check (the proof fails too).
    assert prove(summary, TS.parse_program(text, decls_of(summary))).level is None
    verdict, _ = check_candidate(m, f, summary, text, RaiseOptions(), time.monotonic() + 30)
    assert verdict.level is None
    if name == "st2d":  # too large to confirm at the real size: the small instances decided
        assert max(max(s) for s in interpreted) < real // 4


def _raise(tmp_path: Path, src: str) -> tuple[dict[str, Any], str]:
    path = tmp_path / "in.mlir"
    path.write_text(src)
    out, rep = tmp_path / "o.mlir", tmp_path / "r.json"
    p = subprocess.run([sys.executable, "-m", "liftcomp.cli", "lift", str(path), "-q", "--generic", "-o", str(out), "--report", str(rep)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stderr
    return json.loads(rep.read_text())["functions"][0], out.read_text()


def _same_behaviour(original: str, raised: str, fn: str, cases: list[list[Any]]) -> None:
    lowered = run_pipeline(parse_xdsl(raised), LOWER)
    orig = parse_mlir(original)
    for args in cases:
        a = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
        b = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
        Interpreter(orig).call(fn, a)
        Interpreter(lowered).call(fn, b)
        for x, y in zip(a, b, strict=True):
            if isinstance(x, np.ndarray):
                assert np.array_equal(x, y), (args, x, y)


def _rand(rng: np.random.Generator, n: int, dt: type) -> np.ndarray[Any, Any]:
    if dt is np.float32:
        return rng.uniform(-4, 4, n).astype(np.float32)
    return rng.integers(-1000, 1000, n).astype(dt)


@pytest.mark.parametrize("name,fn,dt", [("stencil", "stencil", np.float32), ("shift", "shift", np.int32), ("step3", "step3", np.float32)])
def test_raised_1d_nests_agree_at_the_real_size(tmp_path: Path, name: str, fn: str, dt: type) -> None:
    src, real = LARGE[name]
    entry, raised = _raise(tmp_path, src)
    assert entry["status"] == "lifted" and entry["proof"] == "proved", entry["reason"]
    rng = np.random.default_rng(1)
    _same_behaviour(src, raised, fn, [[_rand(rng, real, dt), _rand(rng, real, dt)] for _ in range(2)])


@pytest.mark.parametrize("src,fn,dt", [(STEP2_N, "step2", np.int32), (STEP4_N, "step4", np.float32)])
def test_step_loops_over_any_n_are_proved_and_agree(tmp_path: Path, src: str, fn: str, dt: type) -> None:
    entry, raised = _raise(tmp_path, src)
    assert entry["status"] == "lifted" and entry["proof"] == "proved", entry["reason"]
    rng = np.random.default_rng(2)
    _same_behaviour(src, raised, fn, [[_rand(rng, 13, dt), _rand(rng, 13, dt), n] for n in (0, 1, 2, 5, 7, 8, 9, 13)])


@pytest.mark.parametrize("text", [
    "b[1:n:2] = a[1:n:2] * a[0:n - 1:2]",  # a neighbour instead of the element
    "b[1:n + 1:2] = a[1:n + 1:2] * a[1:n + 1:2]",  # one element too many when n is even
    "b[0:n:2] = a[0:n:2] * a[0:n:2]",  # the even elements instead of the odd ones
])
def test_step_mutants_are_rejected(text: str) -> None:
    m = parse_mlir(STEP2_N)
    f = find_func(m, "step2")
    summary = analyse(f, arg_names_from_source(STEP2_N).get("step2"))
    prog = TS.parse_program(text, decls_of(summary))
    assert prove(summary, prog).level is None
    verdict, _ = check_candidate(m, f, summary, text, RaiseOptions(), time.monotonic() + 30)
    assert verdict.level is None


@pytest.mark.parametrize("lo,hi,s", [(0, "n", 2), (1, "n", 2), (0, "n", 4), (3, "n", 4), (1, "n - 1", 3), (0, "2*n + 1", 5)])
def test_strided_slice_lengths_follow_numpy(lo: int, hi: str, s: int) -> None:
    decls = [TS.ArgDecl("a", TS.DType("i32"), (TS.Poly.var("a.shape[0]"),)), TS.ArgDecl("n", TS.DType("i64"), None, is_size=True)]
    prog = TS.parse_program(f"return np.sum(a[{lo}:{hi}:{s}], dtype=np.int64)", decls)
    for n in range(0, 12):
        stop = eval(hi, {"n": n})  # noqa: S307 (the test's own literal strings)
        a = np.arange(1, 2 * n + 2, dtype=np.int32)
        TS.set_sizes({"n": n, "a.shape[0]": len(a)})
        _, rets = TS.evaluate(prog, {"a": a, "n": n})
        assert int(rets[0]) == int(a[lo:stop:s].sum()), (lo, hi, s, n)


def test_even_scale_step2_corpus_kernel_lifts() -> None:
    assert corpus()["even_scale_step2_f32"].form
    m, fn, names = parsed("even_scale_step2_f32")
    rep, _ = lift_function(m, fn, RaiseOptions(require="proved"), names)
    assert rep.status == "lifted" and rep.proof == "proved", rep.reason


def test_differential_test_runs_larger_shapes_within_a_budget(interpreted: list[tuple[int, ...]]) -> None:
    m = parse_mlir(SCALE_N)
    f = find_func(m, "scale")
    summary = analyse(f, arg_names_from_source(SCALE_N).get("scale"))
    prog = TS.parse_program("b[0:n] = a[0:n] + a[0:n]", decls_of(summary))
    v = verify.tested(m, f, summary, prog, trials=2, large_trials=2)
    assert v.level == "tested" and v.details["trials"] == 4
    dims = [s[0] for s in interpreted]
    assert max(dims) > 7 and max(dims) <= verify.LARGE_SCALE * 2
    # A program wrong only past the small sizes is caught by the larger trials alone.
    wrong = TS.parse_program("b[0:n] = a[0:n] + a[0:n] + (n > 9)", decls_of(summary))
    assert verify.tested(m, f, summary, wrong, trials=4, large_trials=0).level == "tested"
    assert verify.tested(m, f, summary, wrong, trials=4, large_trials=2).level is None


def test_large_offsets_fall_back_to_a_family_with_small_instances(interpreted: list[tuple[int, ...]]) -> None:
    # 784 = 3 * 256 + 16 is a relation with a large offset: the first family needs bases above 32
    # (a 118 x 34 x 136 product, too large to interpret); the second keeps 784 a size of its own.
    src = (Path(__file__).parents[2] / "examples" / "gemmini" / "mlp_layer_i8.mlir").read_text()
    rep = _lift(src, "mlp_layer_i8")
    assert rep.status == "lifted" and rep.proof == "proved", rep.reason
    assert interpreted and max(max(s) for s in interpreted) <= 64, interpreted


def test_index_literals_of_views_and_constructors() -> None:
    # strided()'s offset, shape and strides and array shapes are sizes; np.full's fill value is data.
    from liftcomp.lift.shrink import index_literals

    text = "o[0:512] = strided(k, 1024, (512,), (2,)) + np.full((512,), 300) + np.zeros(shape=(512,))"
    assert index_literals(text) == {0, 512, 1024, 2}


GEMM_64x96x128 = """
func.func @gemm(%A: memref<64x96xf32>, %B: memref<96x128xf32>, %C: memref<64x128xf32>) {
  affine.for %i = 0 to 64 {
    affine.for %j = 0 to 128 {
      affine.for %p = 0 to 96 {
        %a = affine.load %A[%i, %p] : memref<64x96xf32>
        %b = affine.load %B[%p, %j] : memref<96x128xf32>
        %c = affine.load %C[%i, %j] : memref<64x128xf32>
        %t = arith.mulf %a, %b : f32
        %s = arith.addf %c, %t : f32
        affine.store %s, %C[%i, %j] : memref<64x128xf32>
      }
    }
  }
  return
}
"""


def test_costly_static_nests_shrink_their_sizes_below_the_threshold_too(interpreted: list[tuple[int, ...]]) -> None:
    # 64 and 96 are below THRESHOLD: the first family would interpret 64 x 96 x N iterations per
    # instance (issue 13: 26 s). Costly at its real size, the nest is tested with every static
    # size in the family, the way a dynamic-size GEMM is (tools/bench_static_shapes.py).
    m = parse_mlir(GEMM_64x96x128)
    f = find_func(m, "gemm")
    summary = analyse(f, ["A", "B", "C"])
    text = ("C[0:64, 0:128] = np.sum((A[0:64, 0:96][:, None, :] * B[0:96, 0:128].T[None, :, :]), axis=2, "
            "dtype=np.float32, initial=C[0:64, 0:128])")
    v = differential(m, f, summary, text, trials=4)
    assert v.level == "tested" and v.details["threshold"] == LOW_THRESHOLD, v.reason
    # 128 = 2 * 64 stays a relation of the instances; every size is small.
    assert all(inst["64"] * 2 <= 32 for inst in v.details["instances"])
    assert interpreted and max(max(s) for s in interpreted) <= 32, interpreted
    rep = _lift(GEMM_64x96x128, "gemm")
    assert rep.status == "lifted" and rep.proof == "proved", rep.reason
