"""The corpus kernels lifted by strided views, np.argmax and round_away (issue 3):

- transformer_part1/2/2_accum read the key/value cache of one head as rows of `hs` elements at
  stride `kv_dim` (`strided(...)`): lifted and proved, and the lowering reads only the elements
  the loop reads, also when the rows overlap and the buffer ends at the last element read;
- argmax_i32 (`np.argmax`, first index on ties) and matmul_requant_round_away (`round_away`,
  math.round): lifted and proved.
Each is run through the reference executor before and after raising + lowering back to loops by
mlir-opt-22, and wrong programs are rejected with a counterexample.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest
import z3
from lift_helpers import corpus, parsed
from liftcomp.corpus.check import make_inputs
from liftcomp.executor import Interpreter
from liftcomp.interop.mlir_tool import parse_mlir, run_pipeline
from liftcomp.lift import tensorspec as TS
from liftcomp.lift import terms as T
from liftcomp.lift.analysis import Refusal, analyse
from liftcomp.lift.raising import RaiseOptions, check_candidate, lift_function
from liftcomp.lift.smt import Encoder
from liftcomp.lift.to_linalg import emit_program
from liftcomp.lift.verify import decls_of
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

TO_LOOPS = (
    "builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, "
    "func.func(convert-linalg-to-loops), cse, canonicalize)"
)

# kernel -> what its accepted program must use
KERNELS = {
    "transformer_part1": "strided(key_cache, h*hs, (1 + pos, hs), (kv_dim, 1))",
    "transformer_part2": "strided(value_cache, h*hs, (1 + pos, hs), (kv_dim, 1))",
    "transformer_part2_accum": "strided(value_cache, h*hs, (1 + pos, hs), (kv_dim, 1))",
    "argmax_i32": "np.argmax(a[0:a.shape[0]])",
    "matmul_requant_round_away": "round_away(",
}

# kernel -> wrong programs (each must be rejected with a counterexample)
WRONG = {
    "transformer_part1": [
        "att[0:1 + pos] = ((q[h*hs:h*hs + hs] @ strided(key_cache, h*hs + 1, (1 + pos, hs), (kv_dim, 1)).T) / np.sqrt((np.int32(hs)).astype(np.float32)))",
        "att[0:1 + pos] = ((q[h*hs:h*hs + hs] @ strided(key_cache, h*hs, (1 + pos, hs), (hs, 1)).T) / np.sqrt((np.int32(hs)).astype(np.float32)))",
    ],
    "transformer_part2": [
        "xb[h*hs:h*hs + hs] = (att[0:1 + pos] @ strided(value_cache, h*hs, (1 + pos, hs), (kv_dim + 1, 1)))",
        "xb[h*hs:h*hs + hs] = (att[0:1 + pos] @ strided(value_cache, 0, (1 + pos, hs), (kv_dim, 1)))",
    ],
    "transformer_part2_accum": [
        "xb[h*hs:h*hs + hs] = (att[0:1 + pos] @ strided(value_cache, h*hs, (1 + pos, hs), (kv_dim, 2)))",
    ],
    "argmax_i32": [
        "return np.argmin(a[0:a.shape[0]])",
        "return np.argmax((a[0:a.shape[0]]).astype(np.uint32))",
        "return (np.argmax(a[1:a.shape[0]]) + 1)",
    ],
    "matmul_requant_round_away": [
        "C[0:16, 0:16] = (np.minimum(np.maximum(np.floor(((((A[0:16, 0:32]).astype(np.int32) @ (B[0:32, 0:16]).astype(np.int32))).astype(np.float32)"
        " * np.float32(0.0010000000474974513))), np.float32(-128.0)), np.float32(127.0))).astype(np.int8)",
    ],
}


def _lift(module: ModuleOp, fn: func.FuncOp, names: list[str] | None) -> Any:
    report, lifted = lift_function(module, fn, RaiseOptions(), names)
    assert lifted is not None, report.reason
    assert report.status == "lifted" and report.proof == "proved", report.reason
    return lifted


def _lowered(module: ModuleOp, name: str, lifted: Any) -> ModuleOp:
    copy = module.clone()
    target = next(op for op in copy.ops if isinstance(op, func.FuncOp) and op.sym_name.data == name)
    emit_program(target, lifted.program, lifted.decls)
    copy.verify()
    loops = run_pipeline(copy, TO_LOOPS)
    assert not any(op.name.split(".")[0] in ("linalg", "tensor", "bufferization") for op in loops.walk())
    return loops


def _run(module: ModuleOp, name: str, args: list[Any]) -> tuple[list[Any], list[Any]]:
    """Results and final argument values of one executor run (the arguments are copied)."""
    mine = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
    return Interpreter(module).call(name, mine), mine


def _same(a: Any, b: Any) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f":
        return bool(np.allclose(a, b, rtol=1e-5, atol=1e-6))
    return bool(np.array_equal(a, b))


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_lifted_proved_and_equal_after_lowering(name: str) -> None:
    k = corpus()[name]
    assert k.form
    module, fn, names = parsed(name)
    lifted = _lift(module, fn, names)
    assert KERNELS[name] in str(lifted.program)
    loops = _lowered(module, name, lifted)
    for seed in range(4):
        args = make_inputs(k, fn, k.sizes, np.random.default_rng(seed), edge=seed % 2 == 1)
        exp_ret, exp_args = _run(module, name, args)
        got_ret, got_args = _run(loops, name, args)
        assert len(exp_ret) == len(got_ret) and all(_same(e, g) for e, g in zip(exp_ret, got_ret, strict=True)), (exp_ret, got_ret)
        assert all(_same(e, g) for e, g in zip(exp_args, got_args, strict=True))


@pytest.mark.parametrize(("name", "text"), [(n, t) for n, ts in WRONG.items() for t in ts])
def test_wrong_program_rejected_with_counterexample(name: str, text: str) -> None:
    module, fn, names = parsed(name)
    lifted = _lift(module, fn, names)
    verdict, prog = check_candidate(module, fn, lifted.summary, text, RaiseOptions(), time.monotonic() + 30)
    assert prog is not None, verdict.reason  # well-typed: rejected for its values, not its spelling
    assert verdict.level is None, verdict.reason
    assert verdict.counterexample is not None, verdict.reason
    assert verdict.counterexample.describe()


# ---------------------------------------------------------------- strided views


@pytest.mark.parametrize("name", ["transformer_part1", "transformer_part2"])
def test_strided_view_reads_only_what_the_loop_reads(name: str) -> None:
    """kv_dim < (h+1)*hs: the rows of one head overlap, and the cache ends at the last element
    the loop reads. A reshape of whole rows would read past it; the lowered gather does not (the
    executor raises OutOfBounds on any access outside a buffer)."""
    module, fn, names = parsed(name)
    loops = _lowered(module, name, _lift(module, fn, names))
    pos, h, hs, kv_dim = 3, 2, 4, 5
    cache = (np.arange(pos * kv_dim + h * hs + hs) % 7 - 3).astype(np.float32)
    rng = np.random.default_rng(0)
    if name == "transformer_part1":
        args: list[Any] = [np.zeros(pos + 1, np.float32), rng.standard_normal((h + 1) * hs).astype(np.float32), cache, pos, h, hs, kv_dim]
    else:
        args = [np.zeros((h + 1) * hs, np.float32), rng.standard_normal(pos + 1).astype(np.float32), cache, pos, h, hs, kv_dim]
    _, exp_args = _run(module, name, args)
    _, got_args = _run(loops, name, args)
    assert _same(exp_args[0], got_args[0])
    # The old proposal's view is out of bounds here: numpy evaluation of TensorSpec refuses it.
    decls = decls_of(_lift(module, fn, names).summary)
    buf = "key_cache" if name == "transformer_part1" else "value_cache"
    reshaped = TS.parse_program(f"return np.sum({buf}[0:(1 + pos)*kv_dim].reshape(1 + pos, kv_dim)[0:1 + pos, h*hs:h*hs + hs])", decls)
    TS.set_sizes({"pos": pos, "h": h, "hs": hs, "kv_dim": kv_dim, f"{buf}.shape[0]": cache.size, "att.shape[0]": 4, "q.shape[0]": 12, "xb.shape[0]": 12})
    with pytest.raises(TS.SpecError):
        TS.evaluate(reshaped, {d.name: v for d, v in zip(decls, args, strict=True)})


def test_strided_semantics_match_numpy() -> None:
    decls = [TS.ArgDecl("x", TS.DType("i32"), (T.Poly.var("n"),)), TS.ArgDecl("n", TS.DType("i64"), None, is_size=True)]
    prog = TS.parse_program("return np.sum(strided(x, 2, (3, 4), (5, 1)) * np.int32(1), dtype=np.int32)", decls)
    x = np.arange(20, dtype=np.int32)
    TS.set_sizes({"n": 20})
    _, rets = TS.evaluate(prog, {"x": x, "n": 20})
    expected = np.lib.stride_tricks.as_strided(x[2:], shape=(3, 4), strides=(5 * 4, 4)).sum()
    assert int(rets[0]) == int(expected)
    # Element semantics: element (1, 3) is x[2 + 1*5 + 3].
    view = TS.parse_program("return strided(x, 2, (3, 4), (5, 1))[1, 3]", decls).returns[0]
    assert TS.elem(view, ()) == T.Read("x", (T.Poly.const(10),), T.EType("i", 32))
    # The last element read is x[2 + 2*5 + 3] = x[15]: 16 elements suffice, 15 do not.
    TS.set_sizes({"n": 16})
    TS.evaluate(prog, {"x": x[:16], "n": 16})
    TS.set_sizes({"n": 15})
    with pytest.raises(TS.SpecError, match="strided view"):
        TS.evaluate(prog, {"x": x[:15], "n": 15})


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("return np.sum(strided(x, 0, (2, 2), (1,)))", "one stride per dimension"),
        ("return np.sum(strided(x, 0, (2, 2)))", "four arguments"),
        ("return np.sum(strided(x, -1, (2, 2), (2, 1)))", "negative"),
        ("return round_away(x)", "integer array"),
        ("return np.argmax(x.astype(np.float32))", "integer arrays only"),
        ("return np.argmax(x, axis=0)", "no keyword"),
    ],
)
def test_bad_uses_are_spec_errors(text: str, message: str) -> None:
    decls = [TS.ArgDecl("x", TS.DType("i32"), (T.Poly.var("n"),)), TS.ArgDecl("n", TS.DType("i64"), None, is_size=True)]
    with pytest.raises(TS.SpecError, match=message):
        TS.parse_program(text, decls)


# ---------------------------------------------------------------- round_away


def test_round_away_numpy_semantics() -> None:
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.49999997, -0.49999997, 2.4, -2.6, 0.0, np.inf, -np.inf], np.float32)
    decls = [TS.ArgDecl("x", TS.DType("f32"), (T.Poly.var("n"),)), TS.ArgDecl("y", TS.DType("f32"), (T.Poly.var("n"),), output=True),
             TS.ArgDecl("n", TS.DType("i64"), None, is_size=True)]
    TS.set_sizes({"n": x.size})
    outs, _ = TS.evaluate(TS.parse_program("y[0:n] = round_away(x[0:n])", decls), {"x": x, "y": np.zeros_like(x), "n": x.size})
    assert outs["y"].tolist() == [1.0, 2.0, 3.0, -1.0, -3.0, 0.0, -0.0, 2.0, -3.0, 0.0, np.inf, -np.inf]
    # np.rint stays half-to-even
    outs, _ = TS.evaluate(TS.parse_program("y[0:n] = np.rint(x[0:n])", decls), {"x": x, "y": np.zeros_like(x), "n": x.size})
    assert outs["y"][:5].tolist() == [0.0, 2.0, 2.0, -0.0, -2.0]


@pytest.mark.parametrize("model", ["real", "ieee"])
def test_round_smt_semantics(model: str) -> None:
    f32 = T.EType("f", 32)
    enc = Encoder(model)
    for v, away, even in [(2.5, 3.0, 2.0), (-2.5, -3.0, -2.0), (0.5, 1.0, 0.0), (1.5, 2.0, 2.0), (-0.25, 0.0, 0.0), (3.75, 4.0, 4.0)]:
        for op, want in (("round", away), ("roundeven", even)):
            got = z3.simplify(enc.enc(T.Op(op, (T.Const(v, f32),), f32)))
            if model == "ieee":
                got = z3.simplify(z3.fpToReal(got))
            assert float(got.as_fraction()) == want, (op, v, got)  # type: ignore[attr-defined]


ROUND_HALVES = """
func.func @halves(%x: memref<?xi32>, %y: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %half = arith.constant 0.5 : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xi32>
    %f = arith.sitofp %v : i32 to f32
    %h = arith.mulf %f, %half : f32
    %r = math.round %h : f32
    memref.store %r, %y[%i] : memref<?xf32>
  }
  return
}
"""


def test_round_away_vs_rint_counterexample() -> None:
    """Halves are common here (odd integers / 2), so np.rint in place of round_away is caught
    by the differential test, and the proof alone also refutes it."""
    m = parse_mlir(ROUND_HALVES)
    fn = next(op for op in m.ops if isinstance(op, func.FuncOp))
    lifted = _lift(m, fn, ["x", "y", "n"])
    assert "round_away(" in str(lifted.program)
    wrong = str(lifted.program).replace("round_away(", "np.rint(")
    verdict, _ = check_candidate(m, fn, lifted.summary, wrong, RaiseOptions(), time.monotonic() + 30)
    assert verdict.level is None and verdict.counterexample is not None, verdict.reason
    loops = _lowered(m, "halves", lifted)
    x = np.arange(-9, 10, dtype=np.int32)
    _, exp = _run(m, "halves", [x, np.zeros(x.size, np.float32), x.size])
    _, got = _run(loops, "halves", [x, np.zeros(x.size, np.float32), x.size])
    assert exp[1].tolist() == got[1].tolist() == [float(np.sign(v) * np.floor(abs(v) / 2 + 0.5)) for v in x]


# ---------------------------------------------------------------- argmax


ARGLOOP = """
func.func @arg(%a: memref<?x{t}>) -> index {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = memref.dim %a, %c0 : memref<?x{t}>
  %first = memref.load %a[%c0] : memref<?x{t}>
  %r:2 = scf.for %i = %c1 to %n step %c1 iter_args(%best = %first, %bi = %c0) -> ({t}, index) {{
    %x = memref.load %a[%i] : memref<?x{t}>
    %gt = {cmp} %x, %best : {t}
    %nb = arith.select %gt, %x, %best : {t}
    %ni = arith.select %gt, %i, %bi : index
    scf.yield %nb, %ni : {t}, index
  }}
  return %r#1 : index
}}
"""


def _arg_module(t: str, cmp: str) -> tuple[ModuleOp, func.FuncOp]:
    m = parse_mlir(ARGLOOP.format(t=t, cmp=cmp))
    return m, next(op for op in m.ops if isinstance(op, func.FuncOp))


@pytest.mark.parametrize(("cmp", "spelling", "dtype"), [("arith.cmpi slt,", "np.argmin", "i8"), ("arith.cmpi ugt,", "np.argmax", "u8")])
def test_argmin_and_unsigned_argmax(cmp: str, spelling: str, dtype: str) -> None:
    m, fn = _arg_module("i8", cmp)
    lifted = _lift(m, fn, ["a"])
    assert str(lifted.program) == f"return {spelling}(a[0:a.shape[0]])"
    assert [d.dtype.name for d in lifted.decls] == [dtype]  # an unsigned compare reads a as u8
    loops = _lowered(m, "arg", lifted)
    rng = np.random.default_rng(1)
    for n in (1, 2, 9, 40):
        a = rng.integers(-3, 4, n).astype(np.int8)  # ties are common
        a[rng.integers(0, n)] = -128
        assert _run(m, "arg", [a])[0] == _run(loops, "arg", [a])[0]


@pytest.mark.parametrize(
    ("t", "cmp", "why"),
    [
        ("i32", "arith.cmpi sge,", "argmax/argmin"),  # last index on ties: not numpy's argmax
        ("f32", "arith.cmpf ogt,", "argmax/argmin"),  # floats: NaN handling differs from numpy
    ],
)
def test_other_index_carries_refused(t: str, cmp: str, why: str) -> None:
    m, fn = _arg_module(t, cmp)
    with pytest.raises(Refusal, match=why):
        analyse(fn)


def test_argmax_needs_the_first_load() -> None:
    """Without the unconditional `a[0]` load nothing says the array is not empty: np.argmax is
    not proved (numpy raises on an empty array, the loop would return 0)."""
    text = ARGLOOP.format(t="i32", cmp="arith.cmpi sgt,").replace(
        "%first = memref.load %a[%c0] : memref<?xi32>", "%first = arith.constant -2147483648 : i32"
    ).replace("%c1 to %n", "%c0 to %n")
    m = parse_mlir(text)
    fn = next(op for op in m.ops if isinstance(op, func.FuncOp))
    summary = analyse(fn)
    assert summary.in_bounds == []
    verdict, _ = check_candidate(m, fn, summary, "return np.argmax(a[0:a.shape[0]])", RaiseOptions(), time.monotonic() + 30)
    assert verdict.level != "proved"
