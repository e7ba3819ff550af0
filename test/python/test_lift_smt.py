"""The verifier's rewrite rules and fold reasoning, checked independently."""

from __future__ import annotations

import z3
from liftcomp.lift import terms as T
from liftcomp.lift.smt import Prover, normalise
from liftcomp.lift.terms import EType, Poly

I8 = EType("i", 8)
F32 = EType("f", 32)


def test_c_division_rewrite_is_an_identity_on_i8() -> None:
    # (a - fmod(a, b)) // b == a / b (truncating) for every i8 a, b != 0 except INT_MIN / -1 (UB).
    a, b = z3.BitVec("a", 8), z3.BitVec("b", 8)
    r = z3.SRem(a, b)
    num = a - r
    q = num / b
    floor = z3.If(z3.And(z3.SRem(num, b) != 0, (z3.SRem(num, b) < 0) != (b < 0)), q - 1, q)
    s = z3.Solver()
    s.add(b != 0, z3.Not(z3.And(a == -128, b == -1)), floor != a / b)
    assert s.check() == z3.unsat


def test_rewrite_fires() -> None:
    a, b = T.Scalar("a", I8), T.Scalar("b", I8)
    spelled = T.Op("floordivsi", (T.Op("subi", (a, T.Op("remsi", (a, b), I8)), I8), b), I8)
    assert normalise(spelled) == T.Op("divsi", (a, b), I8)


def _fold(op: str, init: T.Term, lb: int | str, ub: str, body_buf: str, t: EType = F32) -> T.Fold:
    k = T.fresh("k")
    lbp = Poly.const(lb) if isinstance(lb, int) else Poly.var(lb)
    return T.Fold(op, init, k, lbp, Poly.var(ub), 1, T.Read(body_buf, (Poly.var(k),), t), t)


def test_structurally_equal_folds_for_all_sizes() -> None:
    p = Prover([z3.Int("n") >= 0])
    x = _fold("addf", T.Const(0.0, F32), 0, "n", "a")
    y = _fold("addf", T.Const(0.0, F32), 0, "n", "a")
    assert p.equal(x, y, []).status == "proved"


def test_different_ranges_not_proved() -> None:
    p = Prover([z3.Int("n") >= 0, z3.Int("m") >= 0])
    x = _fold("addf", T.Const(0.0, F32), 0, "n", "a")
    y = _fold("addf", T.Const(0.0, F32), 0, "m", "a")
    assert p.equal(x, y, []).status != "proved"


def test_peeled_max_needs_a_nonempty_range() -> None:
    first = T.Read("a", (Poly.const(0),), F32)
    late = _fold("maximumf", first, 1, "n", "a")
    early = _fold("maximumf", T.Const(float("-inf"), F32), 0, "n", "a")
    # With n >= 0 only, n == 0 makes them differ (-inf vs a[0]): must not be proved.
    assert Prover([z3.Int("n") >= 0]).equal(early, late, []).status != "proved"
    # Loop `m = a[0]; for i in 1..n` against the same spelling is proved for all n.
    assert Prover([z3.Int("n") >= 0]).equal(late, _fold("maximumf", first, 1, "n", "a"), []).status == "proved"


def test_wraparound_is_real() -> None:
    # 200 + 100 in u8 arithmetic is 44, not 300: bit-vectors of the real width.
    c = T.Op("addi", (T.Const(200, I8), T.Const(100, I8)), I8)
    assert Prover([]).equal(c, T.Const(44, I8), []).status == "proved"
    assert Prover([]).equal(c, T.Const(45, I8), []).status == "refuted"


def test_ieee_mode_refuses_reassociation_that_reals_allow() -> None:
    a, b, c = (T.Scalar(n, F32) for n in "abc")
    left = T.Op("addf", (T.Op("addf", (a, b), F32), c), F32)
    right = T.Op("addf", (a, T.Op("addf", (b, c), F32)), F32)
    assert Prover([], "real").equal(left, right, []).status == "proved"
    assert Prover([], "ieee").equal(left, right, []).status != "proved"
    # Commutativity holds in IEEE too.
    assert Prover([], "ieee").equal(T.Op("addf", (a, b), F32), T.Op("addf", (b, a), F32), []).status == "proved"


def test_select_max_is_maximumf_only_without_nan_and_signed_zeros() -> None:
    # `m = select(x > m, x, m)` is max in the real model; in IEEE it differs from maximumf on NaN
    # (maximumf propagates it, the ordered compare never takes it) and on -0.0 vs +0.0.
    a, b = T.Scalar("a", F32), T.Scalar("b", F32)
    sel = T.Op("selectf_ogt", (a, b), F32)
    mx = T.Op("maximumf", (a, b), F32)
    assert Prover([], "fast").equal(sel, mx, []).status == "proved"
    assert Prover([], "nnan,nsz").equal(sel, mx, []).status == "proved"
    assert Prover([], "ieee").equal(sel, mx, []).status == "refuted"
    assert Prover([], "nnan").equal(sel, mx, []).status == "refuted"  # signed zeros
    assert Prover([], "nsz").equal(sel, mx, []).status == "refuted"  # NaN
    # The unordered compare takes a NaN element: equal to the ordered one only under nnan.
    usel = T.Op("selectf_ugt_f", (a, b), F32)
    assert Prover([], "ieee").equal(sel, usel, []).status == "refuted"
    assert Prover([], "nnan").equal(sel, usel, []).status == "proved"


def test_ieee_semantics_of_compares_max_and_zeros() -> None:
    x = T.Scalar("x", F32)
    zero, nzero = T.Const(0.0, F32), T.Const(-0.0, F32)
    assert zero != nzero and T.Const(float("nan"), F32) == T.Const(float("nan"), F32)
    # x + 0.0 is not x (x = -0.0), x + -0.0 is.
    assert Prover([]).equal(T.Op("addf", (x, zero), F32), x, []).status == "refuted"
    assert Prover([]).equal(T.Op("addf", (x, nzero), F32), x, []).status == "proved"
    assert Prover([], "nsz").equal(T.Op("addf", (x, zero), F32), x, []).status == "proved"
    # maximumf(-0.0, +0.0) is +0.0 in either order.
    assert Prover([]).equal(T.Op("maximumf", (nzero, zero), F32), zero, []).status == "proved"
    assert Prover([]).equal(T.Op("minimumf", (zero, nzero), F32), nzero, []).status == "proved"
    # Unordered compares are true on NaN; `x > 0 ? x : 0` is not `x <= 0 ? 0 : x` (NaN).
    gt = T.Op("select", (T.Op("ogt", (x, zero), T.I1), x, zero), F32)
    le = T.Op("select", (T.Op("ole", (x, zero), T.I1), zero, x), F32)
    ugt = T.Op("select", (T.Op("ugt_f", (x, zero), T.I1), x, zero), F32)
    assert Prover([]).equal(gt, le, []).status == "refuted"
    assert Prover([], "nnan").equal(gt, le, []).status == "proved"
    assert Prover([]).equal(le, ugt, []).status == "proved"
    assert Prover([]).equal(T.Op("uno", (x, x), T.I1), T.Op("une", (x, x), T.I1), []).status == "proved"
    # ninf: (x + |x|) * 0.5 still overflows for x near the largest float; only `fast` accepts it.
    relu = T.Op("mulf", (T.Op("addf", (x, T.Op("absf", (x,), F32)), F32), T.Const(0.5, F32)), F32)
    assert Prover([], "nnan,ninf,nsz").equal(gt, relu, []).status == "refuted"
    assert Prover([], "fast").equal(gt, relu, []).status == "proved"
