"""Lifting per maximal loop nest: a function that cannot be lifted as a whole has each of its
top-level nests lifted on its own; refused nests stay, everything keeps its order, and the raised
function (bufferized and lowered back to loops by mlir-opt-22) computes what the original does on
random inputs through the reference executor."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from liftcomp.executor import Interpreter
from liftcomp.frontends import arg_names_from_source
from liftcomp.interop.mlir_tool import parse_mlir, print_generic, run_pipeline
from liftcomp.lift.liftcomp_raise import raise_module
from liftcomp.lift.nests import top_level_nests
from liftcomp.lift.raising import FunctionReport, RaiseOptions, lift_kept_loop
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

PIPELINE = (
    "builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, "
    "func.func(convert-linalg-to-loops), cse, canonicalize)"
)

HEAD = """func.func @f(%a: memref<?xi32>, %b: memref<?xi32>, %c: memref<?xi32>, %h: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
"""
ADD = """  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %y = memref.load %b[%i] : memref<?xi32>
    %s = arith.addi %x, %y : i32
    memref.store %s, %c[%i] : memref<?xi32>
  }
"""
HIST = """  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %a[%i] : memref<?xi32>
    %ix = arith.index_cast %v : i32 to index
    %o = memref.load %h[%ix] : memref<?xi32>
    %s = arith.addi %o, %one : i32
    memref.store %s, %h[%ix] : memref<?xi32>
  }
"""
TAIL = "  return\n}\n"


def lift(src: str) -> tuple[ModuleOp, FunctionReport]:
    module, reports = raise_module(parse_mlir(src, "k.mlir"), None, arg_names_from_source(src))
    (report,) = reports
    return module, report


def loops_of(module: ModuleOp) -> list[str]:
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp))
    return [op.name for op in fn.body.block.ops if op.name == "scf.for"]


def hist_inputs(rng: np.random.Generator) -> list[Any]:
    """a indexes h (values in 0..7), so the histogram stays in bounds; n = 9."""
    n = 9
    a = rng.integers(0, 8, size=n).astype(np.int32)
    b = rng.integers(-(2**31), 2**31 - 1, size=n).astype(np.int32)
    c = rng.integers(-100, 100, size=n).astype(np.int32)
    h = rng.integers(0, 5, size=n).astype(np.int32)
    return [a, b, c, h, n]


def assert_same_as_original(src: str, raised: ModuleOp, inputs: Callable[[np.random.Generator], list[Any]], name: str = "f") -> None:
    """The raised module, lowered back to loops, equals the original on random inputs."""
    original = parse_mlir(src, "k.mlir")
    lowered = run_pipeline(raised, PIPELINE)
    assert not any(op.name.split(".")[0] in ("linalg", "tensor", "bufferization") for op in lowered.walk())
    for seed in range(4):
        args = inputs(np.random.default_rng(seed))
        want = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
        got = [x.copy() if isinstance(x, np.ndarray) else x for x in args]
        want_ret = Interpreter(original).call(name, want)
        got_ret = Interpreter(lowered).call(name, got)
        for w, g in zip(want, got, strict=True):
            np.testing.assert_array_equal(np.asarray(g), np.asarray(w))
        assert [np.asarray(x).tolist() for x in got_ret] == [np.asarray(x).tolist() for x in want_ret]


def test_add_lifted_histogram_kept() -> None:
    src = HEAD + ADD + HIST + TAIL
    module, r = lift(src)
    assert (r.status, r.scope, r.proof) == ("partial", "nests", "proved")
    one, two = r.nests
    assert (one.status, one.program) == ("lifted", "c[0:n] = (a[0:n] + b[0:n])")
    assert two.status == "unchanged" and "data-dependent" in (two.reason or "")
    text = print_generic(module)
    assert "linalg.elementwise" in text and "bufferization.materialize_in_destination" in text
    assert loops_of(module) == ["scf.for"]  # the histogram, still a loop
    assert "arith.index_cast" in text
    assert_same_as_original(src, module, hist_inputs)


def test_refusal_carries_the_nests_location() -> None:
    _, r = lift(HEAD + ADD + HIST + TAIL)
    two = r.nests[1]
    assert two.location == "k.mlir:11:3 ('scf.for')"
    assert two.reason_location == "k.mlir:13:11 ('arith.index_cast')"
    assert r.reason is not None and r.reason.startswith("1 of 2 loop nests not lifted: nest 2 at k.mlir:11:3")
    assert r.location == two.reason_location
    entry = r.to_json()
    assert [n["status"] for n in entry["nests"]] == ["lifted", "unchanged"]
    assert entry["nests"][0]["location"] == "k.mlir:5:3 ('scf.for')"


def test_two_independent_nests_lifted_as_one_function() -> None:
    """Without a refused nest the whole function is one program (today's behaviour)."""
    src = HEAD + ADD + ADD.replace("%c[%i]", "%h[%i]").replace("arith.addi", "arith.muli") + TAIL
    module, r = lift(src)
    assert (r.status, r.scope, r.nests) == ("lifted", "function", [])
    assert loops_of(module) == []
    assert_same_as_original(src, module, hist_inputs)


def test_two_liftable_nests_around_a_refused_one() -> None:
    mul = ADD.replace("%c[%i]", "%b[%i]").replace("%y = memref.load %b[%i]", "%y = memref.load %a[%i]").replace("arith.addi", "arith.muli")
    src = HEAD + ADD + HIST + mul + TAIL
    module, r = lift(src)
    assert r.status == "partial"
    assert [n.status for n in r.nests] == ["lifted", "unchanged", "lifted"]
    assert r.nests[2].program == "b[0:n] = (a[0:n] * a[0:n])"
    assert loops_of(module) == ["scf.for"]
    assert_same_as_original(src, module, hist_inputs)


def test_producer_consumer_through_memory_keeps_order() -> None:
    """Nest 3 reads c (written by lifted nest 1) and h (written by the refused histogram): both are
    inputs read at nest 3's position, so the order of the three must survive raising."""
    consumer = """  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %c[%i] : memref<?xi32>
    %y = memref.load %h[%i] : memref<?xi32>
    %s = arith.muli %x, %y : i32
    memref.store %s, %b[%i] : memref<?xi32>
  }
"""
    src = HEAD + ADD + HIST + consumer + TAIL
    module, r = lift(src)
    assert [n.status for n in r.nests] == ["lifted", "unchanged", "lifted"]
    assert r.nests[2].program == "b[0:n] = (c[0:n] * h[0:n])"
    text = print_generic(module)
    # raised nest 1, then the histogram loop, then raised nest 3
    first = text.index("bufferization.materialize_in_destination")
    loop = text.index("scf.for")
    last = text.rindex("bufferization.materialize_in_destination")
    assert first < loop < last
    assert_same_as_original(src, module, hist_inputs)


SCALAR = """func.func @f(%a: memref<?xi32>, %b: memref<?xi32>, %c: memref<?xi32>, %h: memref<?xi32>, %n: index) -> i32 {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  %zero = arith.constant 0 : i32
  %sum = scf.for %i = %c0 to %n step %c1 iter_args(%acc = %zero) -> (i32) {
    %x = memref.load %a[%i] : memref<?xi32>
    %t = arith.addi %acc, %x : i32
    scf.yield %t : i32
  }
  memref.store %sum, %c[%c0] : memref<?xi32>
""" + HIST + """  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %b[%i] : memref<?xi32>
    %s = arith.muli %x, %sum : i32
    memref.store %s, %b[%i] : memref<?xi32>
  }
  %r = arith.addi %sum, %one : i32
  return %r : i32
}
"""


def test_scalar_of_one_nest_used_by_a_later_store_and_nest() -> None:
    module, r = lift(SCALAR)
    assert [n.status for n in r.nests] == ["lifted", "unchanged", "lifted"]
    assert r.nests[0].program is not None and "np.sum(a[0:n]" in r.nests[0].program
    # the later nest multiplies by the first nest's result: a symbolic scalar input
    assert r.nests[2].program == "b[0:n] = (b[0:n] * nest1_r0)"
    text = print_generic(module)
    assert text.count("scf.for") == 1 and '"memref.store"' in text
    assert_same_as_original(SCALAR, module, hist_inputs)


def test_value_loaded_before_a_nest_is_not_a_size() -> None:
    """A bound loaded from memory is data-dependent: the nest is refused, not lifted with the
    analysis's assumption that sizes are >= 0 and fixed."""
    src = """func.func @f(%a: memref<?xi32>, %c: memref<?xi32>, %len: memref<1xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.load %len[%c0] : memref<1xi32>
  %mi = arith.index_cast %m : i32 to index
  scf.for %i = %c0 to %mi step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    memref.store %x, %c[%i] : memref<?xi32>
  }
  return
}
"""
    module, r = lift(src)
    assert r.scope == "nests" and r.status == "unchanged"
    (only,) = r.nests
    assert only.status == "unchanged" and "computed before the nest" in (only.reason or "")
    assert loops_of(module) == ["scf.for"]


def test_view_defined_before_a_nest_is_refused() -> None:
    src = """func.func @f(%a: memref<8xi32>, %c: memref<8xi32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %v = memref.subview %a[2] [4] [1] : memref<8xi32> to memref<4xi32, strided<[1], offset: 2>>
  scf.for %i = %c0 to %c4 step %c1 {
    %x = memref.load %v[%i] : memref<4xi32, strided<[1], offset: 2>>
    memref.store %x, %c[%i] : memref<8xi32>
  }
  return
}
"""
    module, r = lift(src)
    (only,) = r.nests
    assert only.status == "unchanged" and "view or alias" in (only.reason or "")
    assert only.reason_location is not None and "memref.subview" in only.reason_location
    assert loops_of(module) == ["scf.for"]


def test_local_buffer_between_nests() -> None:
    """A local allocation written by one nest and read by a later one is an input of the later."""
    src = """func.func @f(%a: memref<?xi32>, %b: memref<?xi32>, %c: memref<?xi32>, %h: memref<?xi32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %one = arith.constant 1 : i32
  %t = memref.alloc(%n) : memref<?xi32>
  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %a[%i] : memref<?xi32>
    %s = arith.addi %x, %one : i32
    memref.store %s, %t[%i] : memref<?xi32>
  }
""" + HIST + """  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %t[%i] : memref<?xi32>
    %y = memref.load %h[%i] : memref<?xi32>
    %s = arith.subi %x, %y : i32
    memref.store %s, %c[%i] : memref<?xi32>
  }
  memref.dealloc %t : memref<?xi32>
  return
}
"""
    module, r = lift(src)
    assert [n.status for n in r.nests] == ["lifted", "unchanged", "lifted"]
    assert_same_as_original(src, module, hist_inputs)


def test_single_nest_function_keeps_whole_function_lifting() -> None:
    module, r = lift(HEAD + ADD + TAIL)
    assert (r.status, r.scope, r.proof, r.program) == ("lifted", "function", "proved", "c[0:n] = (a[0:n] + b[0:n])")
    assert loops_of(module) == []


def test_lowering_failure_keeps_that_nest(monkeypatch: pytest.MonkeyPatch) -> None:
    """A nest whose program cannot be emitted stays a loop; the other nests are still raised."""
    from liftcomp.lift import to_linalg

    real = to_linalg.emit_program

    def failing(fn: func.FuncOp, prog: Any, decls: Any) -> None:
        if any(d.name == "h" for d in decls) and "c" in {d.name for d in decls}:
            raise to_linalg.LoweringError("no lowering for this test")
        real(fn, prog, decls)

    monkeypatch.setattr(to_linalg, "emit_program", failing)
    consumer = """  scf.for %i = %c0 to %n step %c1 {
    %x = memref.load %b[%i] : memref<?xi32>
    %y = memref.load %h[%i] : memref<?xi32>
    %s = arith.addi %x, %y : i32
    memref.store %s, %c[%i] : memref<?xi32>
  }
"""
    src = HEAD + ADD + HIST + consumer + TAIL
    module, r = lift(src)
    assert [n.status for n in r.nests] == ["lifted", "unchanged", "unchanged"]
    assert "lowering to linalg failed: no lowering for this test" in (r.nests[2].reason or "")
    assert r.status == "partial" and loops_of(module) == ["scf.for", "scf.for"]
    assert_same_as_original(src, module, hist_inputs)


TIME = """func.func @f(%a: memref<?xi32>, %b: memref<?xi32>, %t0: index, %steps: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %b, %c0 : memref<?xi32>
  scf.for %t = LB to %steps step %c1 {
    scf.for %i = %c0 to %n step %c1 {
      %ip = arith.addi %i, %c1 : index
      %x = memref.load %a[%i] : memref<?xi32>
      %y = memref.load %a[%ip] : memref<?xi32>
      %s = arith.addi %x, %y : i32
      memref.store %s, %b[%i] : memref<?xi32>
    }
    scf.for %i = %c0 to %n step %c1 {
      %x = memref.load %b[%i] : memref<?xi32>
      memref.store %x, %a[%i] : memref<?xi32>
    }
  }
  return
}
"""


def time_inputs(rng: np.random.Generator) -> list[Any]:
    n = 6
    return [rng.integers(-50, 50, size=n + 1).astype(np.int32), rng.integers(-50, 50, size=n).astype(np.int32), 1, 4]


def test_time_loop_kept_around_its_raised_body() -> None:
    """Every step reads what the previous one wrote: the time loop stays an scf.for whose body
    is the raised sweeps, each proved for every iteration and every buffer contents."""
    src = TIME.replace("LB", "%t0")
    module, r = lift(src)
    assert (r.status, r.scope, r.proof) == ("lifted", "nests", "proved")
    (kept,) = r.nests
    assert kept.program is not None and kept.program.startswith("# loop kept at k.mlir:5:3 ('scf.for'); its body, for every iteration t:")
    assert "b[0:b.shape[0]] = (a[0:b.shape[0]] + a[1:1 + b.shape[0]])" in kept.program
    assert loops_of(module) == ["scf.for"]
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp))
    loop = next(op for op in fn.body.block.ops if op.name == "scf.for")
    assert not any(op.name == "scf.for" for op in loop.regions[0].block.ops)  # both sweeps raised
    assert any(op.name.startswith("linalg.") for op in loop.walk())
    assert_same_as_original(src, module, time_inputs)


def test_loop_not_kept_when_its_iterations_may_be_negative() -> None:
    # The body is proved for iterations >= 0 (an index argument is a size); -1 is not one.
    src = TIME.replace("LB", "%m1").replace("%c1 = arith.constant 1 : index", "%c1 = arith.constant 1 : index\n  %m1 = arith.constant -1 : index")
    module, r = lift(src)
    assert r.status == "unchanged" and loops_of(module) == ["scf.for"]
    fn = next(op for op in parse_mlir(src, "k.mlir").ops if isinstance(op, func.FuncOp))
    nr, kept = lift_kept_loop(fn, top_level_nests(fn)[0], 1, RaiseOptions())
    assert kept is None and nr.reason is not None and "lower bound may be negative" in nr.reason


def test_loop_with_scalar_body_not_kept() -> None:
    """A recurrence whose body has no loop nest stays as it is (nothing to raise)."""
    src = """func.func @f(%a: memref<?xi32>, %n: index) {
  %c1 = arith.constant 1 : index
  scf.for %i = %c1 to %n step %c1 {
    %im = arith.subi %i, %c1 : index
    %x = memref.load %a[%im] : memref<?xi32>
    %y = memref.load %a[%i] : memref<?xi32>
    %s = arith.addi %x, %y : i32
    memref.store %s, %a[%i] : memref<?xi32>
  }
  return
}
"""
    module, r = lift(src)
    assert (r.status, r.scope) == ("unchanged", "function")
    assert loops_of(module) == ["scf.for"]
