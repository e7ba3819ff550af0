"""Loop-nest analysis: what it summarises and what it refuses, with reasons."""

from __future__ import annotations

import pytest
from liftcomp.corpus.check import find_func
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.lift.analysis import Refusal, analyse
from liftcomp.lift.terms import Poly, Read, show, walk


def _analyse(src: str, name: str = "f") -> object:
    m = parse_mlir(src)
    return analyse(find_func(m, name))


def test_flattened_index_is_two_dimensional() -> None:
    s = _analyse("""
    func.func @f(%w: memref<?xf32>, %x: memref<?xf32>, %y: memref<?xf32>, %d: index, %n: index) {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %z = arith.constant 0.0 : f32
      scf.for %i = %c0 to %d step %c1 {
        %acc = scf.for %j = %c0 to %n step %c1 iter_args(%a = %z) -> (f32) {
          %r = arith.muli %i, %n : index
          %k = arith.addi %r, %j : index
          %wv = memref.load %w[%k] : memref<?xf32>
          %xv = memref.load %x[%j] : memref<?xf32>
          %p = arith.mulf %wv, %xv : f32
          %s = arith.addf %a, %p : f32
          scf.yield %s : f32
        }
        memref.store %acc, %y[%i] : memref<?xf32>
      }
      return
    }""")
    (rec,) = s.records  # type: ignore[attr-defined]
    assert rec.buf == "arg2" and show(rec.value).startswith("fold_addf(0.0")
    (read,) = [t for t in walk(rec.value) if isinstance(t, Read) and t.buf == "arg0"]
    i = rec.domain[0].name
    # w[i*n + j]: linear in i with the row length as coefficient, j with 1.
    assert read.idx[0].coeff(i) == Poly.var("arg4")
    assert read.idx[0].without(i) == Poly.var(rec.value.var)


@pytest.mark.parametrize("body,reason", [
    ("""%v = memref.load %a[%i] : memref<?xi32>
        %ix = arith.index_cast %v : i32 to index
        memref.store %v, %b[%ix] : memref<?xi32>""", "data-dependent"),
    ("""%im = arith.subi %i, %c1 : index
        %p = memref.load %b[%im] : memref<?xi32>
        %v = memref.load %a[%i] : memref<?xi32>
        %s = arith.addi %p, %v : i32
        memref.store %s, %b[%i] : memref<?xi32>""", "loop-carried dependence"),
    ("""%v = memref.load %a[%i] : memref<?xi32>
        memref.store %v, %b[%c1] : memref<?xi32>""", "same element"),
])
def test_refusals_name_the_reason(body: str, reason: str) -> None:
    src = f"""
    func.func @f(%a: memref<?xi32>, %b: memref<?xi32>, %n: index) {{
      %c1 = arith.constant 1 : index
      scf.for %i = %c1 to %n step %c1 {{
        {body}
      }}
      return
    }}"""
    with pytest.raises(Refusal) as e:
        _analyse(src)
    assert reason in e.value.reason
    assert e.value.location
