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


SCRATCH = """
func.func @f(%A: memref<4x6xi32>, %B: memref<4x6xi32>, %tmp: memref<6xi32>) {
  %c2 = arith.constant 2 : i32
  affine.for %i = 0 to UB {
    FIRST
    SECOND
  }
  return
}"""
WRITE_TMP = """affine.for %j = 0 to 6 {
      %a = affine.load %A[%i, %j] : memref<4x6xi32>
      %t = arith.muli %a, %c2 : i32
      affine.store %t, %tmp[%j] : memref<6xi32>
    }"""
READ_TMP = """affine.for %j = 0 to 6 {
      %t = affine.load %tmp[%j] : memref<6xi32>
      affine.store %t, %B[%i, %j] : memref<4x6xi32>
    }"""


def test_scratch_written_before_read_is_private_to_each_iteration() -> None:
    """tmp is rewritten by every i before B reads it: B sees this iteration's tmp, and after the
    loop tmp holds the last iteration's values (A[3] * 2)."""
    s = _analyse(SCRATCH.replace("UB", "4").replace("FIRST", WRITE_TMP).replace("SECOND", READ_TMP))
    recs = {r.buf: r for r in s.records}  # type: ignore[attr-defined]
    assert sorted(recs) == ["arg1", "arg2"]
    assert [str(p) for p in recs["arg2"].idx] == [recs["arg2"].domain[0].name] and len(recs["arg2"].domain) == 1
    reads = [t for t in walk(recs["arg2"].value) if isinstance(t, Read)]
    assert [(r.buf, r.idx[0]) for r in reads] == [("arg0", Poly.const(3))]
    b_reads = [t for t in walk(recs["arg1"].value) if isinstance(t, Read)]
    assert [r.buf for r in b_reads] == ["arg0"]  # B = A * 2: tmp resolved within the iteration


@pytest.mark.parametrize("ub,first,second,reason", [
    # B reads tmp before this iteration writes it: the previous iteration's values.
    ("4", READ_TMP, WRITE_TMP, "partial reduction"),
    # A loop of a dynamic trip count may not run: tmp would keep its entry values.
    ("%n", WRITE_TMP, READ_TMP, "overwrites the same element"),
])
def test_scratch_not_private(ub: str, first: str, second: str, reason: str) -> None:
    src = SCRATCH.replace("UB", ub).replace("FIRST", first).replace("SECOND", second)
    src = src.replace("%tmp: memref<6xi32>)", "%tmp: memref<6xi32>, %n: index)").replace("to %n {", "to %n {")
    with pytest.raises(Refusal) as e:
        _analyse(src.replace("affine.for %i = 0 to %n", "affine.for %i = 0 to %n"))
    assert reason in e.value.reason
