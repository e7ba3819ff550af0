"""TensorSpec -> linalg/tensor lowering (lift/to_linalg.py), checked by a round trip.

Each case is a hand-written program with its argument declarations. The lowered function must
verify in xDSL and in mlir-opt-22, bufferize and lower to loops with upstream passes, and the
loops, run by the reference executor, must compute what `tensorspec.evaluate` (numpy) computes
on random inputs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pytest
from liftcomp.executor.interpreter import Interpreter
from liftcomp.interop.mlir_tool import (
    default_context,
    print_generic,
    run_mlir_opt_text,
    run_pipeline,
)
from liftcomp.lift.tensorspec import ArgDecl, DType, evaluate, parse_program, set_sizes
from liftcomp.lift.terms import Poly
from liftcomp.lift.to_linalg import LoweringError, emit_program
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerType, MemRefType, ModuleOp
from xdsl.parser import Parser

PIPELINE = (
    "builtin.module(one-shot-bufferize{bufferize-function-boundaries}, func.func(convert-linalg-to-loops), canonicalize)"
)
# What a compiler would run: values computed in place in their destination, self-copies folded.
INPLACE_PIPELINE = (
    "builtin.module(eliminate-empty-tensors, one-shot-bufferize{bufferize-function-boundaries}, "
    "func.func(convert-linalg-to-loops), cse, canonicalize)"
)
LOOP_DIALECTS = {"func", "scf", "memref", "arith", "math", "affine"}


def P(name: str) -> Poly:
    return Poly.var(name)


def C(v: int) -> Poly:
    return Poly.const(v)


@dataclass
class Arg:
    name: str
    mlir: str  # MLIR type of the function argument
    dtype: str  # TensorSpec dtype (signedness lives here)
    shape: tuple[Poly, ...] | None = None  # None: scalar
    size: bool = False  # a size argument (usable in slices)
    array: tuple[int, ...] | None = None  # concrete shape of the test array
    value: int | float | None = None  # concrete value of a scalar
    domain: str = "any"  # any | nonzero | small | zeros


@dataclass
class Case:
    name: str
    args: list[Arg]
    program: str
    results: list[str] = field(default_factory=list)
    ops: tuple[str, ...] = ()  # ops that must appear in the emitted (tensor-level) IR


def _decls(case: Case) -> list[ArgDecl]:
    return [ArgDecl(a.name, DType(a.dtype), a.shape, is_size=a.size) for a in case.args]


def _make_func(case: Case) -> func.FuncOp:
    ctx = default_context()
    ins = [Parser(ctx, a.mlir).parse_type() for a in case.args]
    outs = [Parser(ctx, t).parse_type() for t in case.results]
    return func.FuncOp(case.name, (ins, outs))


def _random(dt: DType, shape: tuple[int, ...], domain: str, rng: np.random.Generator) -> np.ndarray[Any, Any]:
    if dt.is_float:
        return rng.normal(0.0, 2.0, size=shape).astype(dt.np)
    if dt.name == "bool":
        return rng.integers(0, 2, size=shape).astype(np.bool_)
    info = np.iinfo(dt.np)
    lo, hi = int(info.min), int(info.max)
    if domain == "small":
        lo, hi = max(lo, -9), min(hi, 9)
    v = rng.integers(lo, hi, size=shape, endpoint=True, dtype=np.int64 if dt.np.itemsize < 8 or lo < 0 else np.uint64)
    if domain == "nonzero":
        v[v == 0] = 1
    if domain == "zeros":
        v[rng.random(size=shape) < 0.3] = 0
    return v.astype(dt.np)


def lower(case: Case, pipeline: str = PIPELINE) -> tuple[ModuleOp, ModuleOp]:
    """Emit the program into a fresh function; returns (tensor-level, loop-level) modules."""
    fn = _make_func(case)
    prog = parse_program(case.program, _decls(case))
    emit_program(fn, prog, _decls(case))
    module = ModuleOp([fn])
    module.verify()
    run_mlir_opt_text(print_generic(module), ["--verify-diagnostics"])  # upstream verifier
    loops = run_pipeline(module, pipeline)
    return module, loops


def roundtrip(case: Case, pipeline: str, seeds: int = 3) -> None:
    module, loops = lower(case, pipeline)
    names = {op.name for op in module.walk()}
    for want in case.ops:
        assert want in names, f"{want} not emitted:\n{print_generic(module)}"
    leftovers = {op.name for op in loops.walk() if op.name.split(".")[0] not in LOOP_DIALECTS and op.name != "builtin.module"}
    assert not leftovers, f"not lowered to loops: {leftovers}"
    prog = parse_program(case.program, _decls(case))
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        sizes: dict[str, int] = {}
        inputs: dict[str, Any] = {}
        for a in case.args:
            dt = DType(a.dtype)
            if a.shape is None:
                v = a.value if a.value is not None else _random(dt, (), a.domain, rng)[()]
                inputs[a.name] = dt.np.type(v) if dt.is_float else int(v)
                if a.size:
                    sizes[a.name] = int(v)
            else:
                assert a.array is not None
                inputs[a.name] = _random(dt, a.array, a.domain, rng)
                for k, s in enumerate(a.array):
                    sizes[f"{a.name}.shape[{k}]"] = s
        set_sizes(sizes)
        outs, rets = evaluate(prog, {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in inputs.items()})
        run_args = [inputs[a.name].copy() if isinstance(inputs[a.name], np.ndarray) else inputs[a.name] for a in case.args]
        got = Interpreter(loops).call(case.name, run_args)
        for a, arr in zip(case.args, run_args, strict=True):
            if a.shape is None:
                continue
            expect = outs[a.name] if a.name in outs else inputs[a.name]
            _assert_same(arr, expect, f"{case.name}: buffer {a.name} (seed {seed})")
        ctx = default_context()
        for r, (t, e) in enumerate(zip(case.results, rets, strict=True)):
            rt = Parser(ctx, t).parse_type()
            if isinstance(rt, IntegerType):
                mask = (1 << rt.width.data) - 1
                assert int(got[r]) & mask == int(np.asarray(e).astype(np.int64) if np.asarray(e).dtype.kind != "u" else e) & mask, (
                    f"{case.name}: result {r} (seed {seed}): {got[r]} vs {e}"
                )
            else:
                np.testing.assert_allclose(float(got[r]), float(e), rtol=2e-5, atol=1e-5, err_msg=f"{case.name}: result {r}")


def _assert_same(got: np.ndarray[Any, Any], expect: np.ndarray[Any, Any], what: str) -> None:
    assert got.shape == expect.shape, what
    if expect.dtype.kind == "f":
        np.testing.assert_allclose(got, expect, rtol=2e-5, atol=1e-5, err_msg=what)
    else:
        assert np.array_equal(got.view(expect.dtype) if got.dtype.itemsize == expect.dtype.itemsize else got, expect), (
            f"{what}:\n{got}\n!=\n{expect}"
        )


n, m, k, d = P("n"), P("m"), P("k"), P("d")


def size(name: str, value: int, mlir: str = "index") -> Arg:
    return Arg(name, mlir, "i64" if mlir == "index" else mlir.replace("i", "i"), None, size=True, value=value)


CASES = [
    Case(
        "multiply_blend_u8",  # widening to u16, unsigned floor division, truncation
        [Arg("base", "memref<?xi8>", "u8", (n,), array=(11,)), Arg("active", "memref<?xi8>", "u8", (n,), array=(11,)),
         Arg("out", "memref<?xi8>", "u8", (n,), array=(11,)), size("n", 9)],
        "out[0:n] = ((base[0:n].astype(np.uint16) * active[0:n].astype(np.uint16)) // 255).astype(np.uint8)",
        ops=("linalg.map", "arith.divui", "arith.extui", "arith.trunci", "tensor.insert_slice"),
    ),
    Case(
        "darken_blend_u8_i32_size",  # where/select on u8 (cmpi ugt), i32 size argument
        [Arg("base", "memref<?xi8>", "u8", (n,), array=(8,)), Arg("active", "memref<?xi8>", "u8", (n,), array=(8,)),
         Arg("out", "memref<?xi8>", "u8", (n,), array=(8,)), Arg("n", "i32", "i32", None, size=True, value=8)],
        "out[0:n] = np.where(base[0:n] > active[0:n], active[0:n], base[0:n])",
        ops=("arith.cmpi", "arith.select", "arith.index_cast"),
    ),
    Case(
        "screen_blend_2d_shape_symbols",  # signed floordiv, sizes from memref.dim
        [Arg("base", "memref<?x?xi8>", "u8", (P("base.shape[0]"), P("base.shape[1]")), array=(3, 5)),
         Arg("active", "memref<?x?xi8>", "u8", (P("base.shape[0]"), P("base.shape[1]")), array=(3, 5)),
         Arg("out", "memref<?x?xi8>", "u8", (P("base.shape[0]"), P("base.shape[1]")), array=(3, 5))],
        "out[:, :] = (255 - ((255 - base.astype(np.int32)) * (255 - active.astype(np.int32))) // 255).astype(np.uint8)",
        ops=("memref.dim", "arith.floordivsi"),
    ),
    Case(
        "color_burn_guarded_division",  # the zero divisor only occurs in the discarded branch
        [Arg("base", "memref<?xi8>", "u8", (n,), array=(16,)), Arg("active", "memref<?xi8>", "u8", (n,), array=(16,), domain="zeros"),
         Arg("out", "memref<?xi8>", "u8", (n,), array=(16,)), size("n", 16)],
        "out[0:n] = np.where(active[0:n] == 0, 255, 255 - (255 - base[0:n].astype(np.int32)) // active[0:n].astype(np.int32)).astype(np.uint8)",
    ),
    Case(
        "leaky_relu_f32",
        [Arg("a", "memref<?xf32>", "f32", (n,), array=(7,)), Arg("out", "memref<?xf32>", "f32", (n,), array=(7,)), size("n", 7)],
        "out[0:n] = np.where(a[0:n] > 0, a[0:n], np.float32(0.1) * a[0:n])",
        ops=("arith.cmpf",),
    ),
    Case(
        "scalar_broadcast_f32",
        [Arg("a", "memref<?xf32>", "f32", (n,), array=(6,)), Arg("s", "f32", "f32"), Arg("out", "memref<?xf32>", "f32", (n,), array=(6,)),
         size("n", 5)],
        "out[0:n] = a[0:n] * s + 1.0",
    ),
    Case(
        "int_scalar_clip_u8",  # integer scalar data argument, clip to [0, 255]
        [Arg("a", "memref<?xi8>", "u8", (n,), array=(10,)), Arg("b", "i32", "i32", domain="small"),
         Arg("out", "memref<?xi8>", "u8", (n,), array=(10,)), size("n", 10)],
        "out[0:n] = np.clip(a[0:n].astype(np.int32) + b * 20, 0, 255).astype(np.uint8)",
        ops=("arith.maxsi", "arith.minsi"),
    ),
    Case(
        "bias_relu_2d_broadcast",  # A + b[None, :]
        [Arg("A", "memref<?x?xf32>", "f32", (m, n), array=(3, 4)), Arg("b", "memref<?xf32>", "f32", (n,), array=(4,)),
         Arg("out", "memref<?x?xf32>", "f32", (m, n), array=(3, 4)), size("m", 3), size("n", 4)],
        "out[0:m, 0:n] = np.maximum(A[0:m, 0:n] + b[None, 0:n], 0.0)",
        ops=("tensor.expand_shape", "arith.maximumf"),
    ),
    Case(
        "column_broadcast_static",  # b[:, None] on static shapes
        [Arg("A", "memref<3x4xf32>", "f32", (C(3), C(4)), array=(3, 4)), Arg("b", "memref<3xf32>", "f32", (C(3),), array=(3,)),
         Arg("out", "memref<3x4xf32>", "f32", (C(3), C(4)), array=(3, 4))],
        "out[:, :] = A - b[:, None]",
    ),
    Case(
        "downsample_step2_offset",  # steps and offsets on both sides
        [Arg("a", "memref<?xi32>", "i32", (P("a.shape[0]"),), array=(13,)), Arg("out", "memref<?xi32>", "i32", (P("out.shape[0]"),), array=(8,)),
         size("n", 6)],
        "out[1:n+1] = a[0:2*n:2] + a[1:2*n+1:2]",
    ),
    Case(
        "stencil_2d",
        [Arg("A", "memref<?x?xf32>", "f32", (m, n), array=(5, 6)), Arg("out", "memref<?x?xf32>", "f32", (m, n), array=(5, 6)),
         size("m", 5), size("n", 6)],
        "out[1:m-1, 1:n-1] = (A[0:m-2, 1:n-1] + A[2:m, 1:n-1] + A[1:m-1, 0:n-2] + A[1:m-1, 2:n]) * 0.25",
    ),
    Case(
        "flat_matvec",  # w[0:d*n].reshape(d, n) @ x[0:n]
        [Arg("w", "memref<?xf32>", "f32", (P("w.shape[0]"),), array=(15,)), Arg("x", "memref<?xf32>", "f32", (P("x.shape[0]"),), array=(5,)),
         Arg("y", "memref<?xf32>", "f32", (P("y.shape[0]"),), array=(3,)), size("d", 3), size("n", 5)],
        "y[0:d] = w[0:d*n].reshape(d, n) @ x[0:n]",
        # Two dynamic sizes: a gather, not one expand_shape group (upstream cannot lower that).
        ops=("linalg.index", "linalg.matvec"),
    ),
    Case(
        "matmul_f32",
        [Arg("A", "memref<?x?xf32>", "f32", (m, k), array=(3, 5)), Arg("B", "memref<?x?xf32>", "f32", (k, n), array=(5, 4)),
         Arg("C", "memref<?x?xf32>", "f32", (m, n), array=(3, 4)), size("m", 3), size("n", 4), size("k", 5)],
        "C[0:m, 0:n] = A[0:m, 0:k] @ B[0:k, 0:n]",
        ops=("linalg.matmul", "linalg.fill"),
    ),
    Case(
        "matmul_i8_i32_static",
        [Arg("A", "memref<4x6xi8>", "i8", (C(4), C(6)), array=(4, 6)), Arg("B", "memref<6x5xi8>", "i8", (C(6), C(5)), array=(6, 5)),
         Arg("C", "memref<4x5xi32>", "i32", (C(4), C(5)), array=(4, 5))],
        "C[:, :] = A.astype(np.int32) @ B.astype(np.int32)",
        ops=("linalg.matmul", "arith.extsi"),
    ),
    Case(
        "matmul_acc_transposed",  # C += A.T @ B
        [Arg("A", "memref<?x?xf32>", "f32", (k, m), array=(5, 3)), Arg("B", "memref<?x?xf32>", "f32", (k, n), array=(5, 4)),
         Arg("C", "memref<?x?xf32>", "f32", (m, n), array=(3, 4)), size("m", 3), size("n", 4), size("k", 5)],
        "C[0:m, 0:n] = C[0:m, 0:n] + A[0:k, 0:m].T @ B[0:k, 0:n]",
        ops=("linalg.matmul", "memref.copy"),
    ),
    Case(
        "vecmat_and_dot",  # 1-D @ 2-D and 1-D @ 1-D
        [Arg("x", "memref<?xf32>", "f32", (k,), array=(5,)), Arg("B", "memref<?x?xf32>", "f32", (k, n), array=(5, 3)),
         Arg("y", "memref<?xf32>", "f32", (n,), array=(3,)), size("n", 3), size("k", 5)],
        "y[0:n] = x[0:k] @ B[0:k, 0:n]\nreturn x[0:k] @ x[0:k]",
        results=["f32"],
    ),
    Case(
        "transpose_copy",
        [Arg("A", "memref<?x?xi16>", "i16", (m, n), array=(3, 4)), Arg("out", "memref<?x?xi16>", "i16", (n, m), array=(4, 3)),
         size("m", 3), size("n", 4)],
        "out[0:n, 0:m] = A[0:m, 0:n].T",
        ops=("linalg.transpose",),
    ),
    Case(
        "outer_ger",
        [Arg("x", "memref<?xf64>", "f64", (m,), array=(3,)), Arg("y", "memref<?xf64>", "f64", (n,), array=(4,)),
         Arg("A", "memref<?x?xf64>", "f64", (m, n), array=(3, 4)), size("m", 3), size("n", 4)],
        "A[0:m, 0:n] = A[0:m, 0:n] + np.outer(x[0:m], y[0:n])",
    ),
    Case(
        "dot_sum_return_f32",
        [Arg("a", "memref<?xf32>", "f32", (n,), array=(9,)), Arg("b", "memref<?xf32>", "f32", (n,), array=(9,)), size("n", 9)],
        "return np.sum(a[0:n] * b[0:n])",
        results=["f32"],
    ),
    Case(
        "sum_i8_return_i32",  # numpy sums i8 in i64; the i32 result truncates
        [Arg("a", "memref<?xi8>", "i8", (n,), array=(9,)), size("n", 9)],
        "return np.sum(a[0:n])",
        results=["i32"],
    ),
    Case(
        "max_min_return_i32",  # max/min start from the first element
        [Arg("a", "memref<?xi32>", "i32", (n,), array=(6,)), Arg("B", "memref<?x?xu8>".replace("u8", "i8"), "u8", (m, n), array=(3, 6)),
         size("m", 3), size("n", 6)],
        "return (np.max(a[0:n]), np.min(a[0:n]), np.max(B[0:m, 0:n]).astype(np.int32))",
        results=["i32", "i32", "i32"],
        ops=("arith.maxsi", "arith.minsi", "arith.maxui"),
    ),
    Case(
        "row_sums_and_col_max",
        [Arg("A", "memref<?x?xf32>", "f32", (m, n), array=(3, 5)), Arg("rows", "memref<?xf32>", "f32", (m,), array=(3,)),
         Arg("cols", "memref<?xf32>", "f32", (n,), array=(5,)), size("m", 3), size("n", 5)],
        "rows[0:m] = np.sum(A[0:m, 0:n], axis=1)\ncols[0:n] = np.max(A[0:m, 0:n], axis=0)",
        ops=("arith.maximumf",),
    ),
    Case(
        "col_sums_i32",
        [Arg("A", "memref<?x?xi32>", "i32", (m, n), array=(4, 3)), Arg("out", "memref<?xi32>", "i32", (n,), array=(3,)),
         size("m", 4), size("n", 3)],
        "out[0:n] = np.sum(A[0:m, 0:n], axis=0, dtype=np.int32)",
    ),
    Case(
        "full_and_fill",
        [Arg("out", "memref<?x?xf32>", "f32", (m, n), array=(3, 4)), Arg("v", "memref<?xi32>", "i32", (n,), array=(4,)),
         Arg("s", "f32", "f32"), size("m", 3), size("n", 4)],
        "out[0:m, 0:n] = np.full((m, n), s, dtype=np.float32)\nv[0:n] = 7",
        ops=("linalg.fill",),
    ),
    Case(
        "inplace_scale_and_shift",  # reads see the entry values
        [Arg("a", "memref<?xf32>", "f32", (n,), array=(6,)), Arg("b", "memref<?xi32>", "i32", (n,), array=(6,)), Arg("s", "f32", "f32"),
         size("n", 6)],
        "a[0:n] = a[0:n] * s\nb[1:n] = b[0:n-1]",
        ops=("memref.alloc", "memref.copy"),
    ),
    Case(
        "two_outputs",
        [Arg("a", "memref<?xi16>", "i16", (n,), array=(5,)), Arg("b", "memref<?xi16>", "i16", (n,), array=(5,)),
         Arg("lo", "memref<?xi16>", "i16", (n,), array=(5,)), Arg("hi", "memref<?xi16>", "i16", (n,), array=(5,)), size("n", 5)],
        "lo[0:n] = np.minimum(a[0:n], b[0:n])\nhi[0:n] = np.maximum(a[0:n], b[0:n])",
    ),
    Case(
        "output_and_return",
        [Arg("a", "memref<?xf32>", "f32", (n,), array=(5,)), Arg("out", "memref<?xf32>", "f32", (n,), array=(5,)), size("n", 5)],
        "out[0:n] = a[0:n] * 2\nreturn np.sum(a[0:n])",
        results=["f32"],
    ),
    Case(
        "signed_div_mod_shifts",  # floordivsi, numpy's modulo, arithmetic and logical shifts
        [Arg("a", "memref<?xi32>", "i32", (n,), array=(12,)), Arg("b", "memref<?xi32>", "i32", (n,), array=(12,), domain="small"),
         Arg("u", "memref<?xi8>", "u8", (n,), array=(12,)), Arg("q", "memref<?xi32>", "i32", (n,), array=(12,)),
         Arg("r", "memref<?xi32>", "i32", (n,), array=(12,)), Arg("sh", "memref<?xi8>", "u8", (n,), array=(12,)),
         Arg("ss", "memref<?xi32>", "i32", (n,), array=(12,)), size("n", 12)],
        "q[0:n] = a[0:n] // b[0:n]\nr[0:n] = a[0:n] % b[0:n]\nsh[0:n] = u[0:n] >> 3\nss[0:n] = a[0:n] >> 5",
        ops=("arith.floordivsi", "arith.remsi", "arith.shrui", "arith.shrsi"),
    ),
    Case(
        "mixed_int_float_casts",  # sitofp / uitofp / fptosi / extf / truncf
        [Arg("u", "memref<?xi8>", "u8", (n,), array=(6,)), Arg("x", "memref<?xf32>", "f32", (n,), array=(6,)),
         Arg("f", "memref<?xf64>", "f64", (n,), array=(6,)), Arg("i", "memref<?xi16>", "i16", (n,), array=(6,)), size("n", 6)],
        "f[0:n] = u[0:n].astype(np.float64) * x[0:n]\ni[0:n] = (x[0:n] * 10).astype(np.int16)",
        ops=("arith.uitofp", "arith.extf", "arith.fptosi"),
    ),
    Case(
        "math_and_unary",
        [Arg("x", "memref<?xf32>", "f32", (n,), array=(6,)), Arg("y", "memref<?xf32>", "f32", (n,), array=(6,)),
         Arg("i", "memref<?xi32>", "i32", (n,), array=(6,)), Arg("j", "memref<?xi32>", "i32", (n,), array=(6,)), size("n", 6)],
        "y[0:n] = np.exp(-np.abs(x[0:n])) + np.sqrt(np.abs(x[0:n])) + np.tanh(x[0:n])\nj[0:n] = np.abs(i[0:n]) ^ ~i[0:n]",
        ops=("math.exp", "math.sqrt", "math.tanh", "math.absf", "math.absi", "arith.negf"),
    ),
    Case(
        "scalar_write_and_size_value",  # rank-0 target (tensor.insert), a size used as data
        [Arg("a", "memref<?xi64>", "i64", (n,), array=(5,)), Arg("out", "memref<?xi64>", "i64", (n,), array=(5,)), size("n", 4)],
        "out[0:n] = a[0:n] + n\nout[n] = np.sum(a[0:n])",
        ops=("tensor.insert",),
    ),
    Case(
        "reshaped_target",  # write through a reshape of a flat buffer
        [Arg("A", "memref<?x?xf32>", "f32", (m, n), array=(3, 4)), Arg("out", "memref<?xf32>", "f32", (m * n,), array=(12,)),
         size("m", 3), size("n", 4)],
        "out.reshape(m, n)[0:m, 1:n] = A[0:m, 0:n-1]",
        ops=("tensor.collapse_shape", "linalg.index"),
    ),
    Case(
        "conv_tap_scalar_newaxes",  # k[0, 1][None, None]: an element of a buffer broadcast over a 2-D slice
        [Arg("img", "memref<4x5xf32>", "f32", (C(4), C(5)), array=(4, 5)), Arg("k", "memref<2x2xf32>", "f32", (C(2), C(2)), array=(2, 2)),
         Arg("out", "memref<3x4xf32>", "f32", (C(3), C(4)), array=(3, 4))],
        "out[0:3, 0:4] = img[0:3, 0:4] * k[0, 0][None, None] + img[1:4, 1:5] * k[1, 1][None, None] + k[0, 1][None, None]",
        ops=("tensor.extract",),
    ),
    Case(
        "rint_fmod_requant",  # np.rint (math.roundeven), np.fmod on ints (C's %)
        [Arg("x", "memref<?xf32>", "f32", (n,), array=(8,)), Arg("a", "memref<?xi32>", "i32", (n,), array=(8,)),
         Arg("b", "memref<?xi32>", "i32", (n,), array=(8,), domain="zeros"), Arg("y", "memref<?xi8>", "i8", (n,), array=(8,)),
         Arg("r", "memref<?xi32>", "i32", (n,), array=(8,)), size("n", 8)],
        "y[0:n] = np.clip(np.rint(x[0:n] * 30), -128, 127).astype(np.int8)\nr[0:n] = np.fmod(a[0:n], b[0:n])",
        ops=("math.roundeven", "arith.remsi"),
    ),
    Case(
        "prod_and_total_sum",  # prod per axis (muli), sum over all axes of a 2-D slice
        [Arg("A", "memref<?x?xi32>", "i32", (m, n), array=(3, 4), domain="small"), Arg("p", "memref<?xi32>", "i32", (n,), array=(4,)),
         size("m", 3), size("n", 4)],
        "p[0:n] = np.prod(A[0:m, 0:n], axis=0, dtype=np.int32)\nreturn np.sum(A[0:m, 0:n], dtype=np.int32)",
        results=["i32"],
        ops=("arith.muli",),
    ),
    Case(
        "bool_logic_and_bool_result",  # i1 element ops, a comparison returned as i1
        [Arg("a", "memref<?xf32>", "f32", (n,), array=(6,)), Arg("b", "memref<?xi32>", "i32", (n,), array=(6,)),
         Arg("out", "memref<?xi8>", "u8", (n,), array=(6,)), size("n", 6)],
        "out[0:n] = np.where((a[0:n] > 0) & (b[0:n] < 0) | (a[0:n] < -1), 1, 0).astype(np.uint8)\nreturn np.sum(b[0:n]) > 0",
        results=["i1"],
        ops=("arith.andi", "arith.ori"),
    ),
    Case(
        "reshape_3d_transpose_flatten",  # 1-D -> 3-D reshape, 3-D transpose, written through a 3-D reshape
        [Arg("w", "memref<24xf32>", "f32", (C(24),), array=(24,)), Arg("out", "memref<24xf32>", "f32", (C(24),), array=(24,))],
        "out.reshape(4, 3, 2)[:, :, :] = w.reshape(2, 3, 4).T * 2",
        ops=("tensor.expand_shape", "tensor.collapse_shape", "linalg.transpose"),
    ),
    Case(
        "float_into_int_buffer_and_transposed_matvec",  # cast at the write (fptosi), A.T @ x
        [Arg("A", "memref<?x?xf32>", "f32", (k, m), array=(4, 3)), Arg("x", "memref<?xf32>", "f32", (k,), array=(4,)),
         Arg("y", "memref<?xi32>", "i32", (m,), array=(3,)), size("m", 3), size("k", 4)],
        "y[0:m] = (A[0:k, 0:m].T @ x[0:k]) * 100",
        ops=("arith.fptosi", "linalg.vecmat"),
    ),
    Case(
        "u8_max_per_row",
        [Arg("A", "memref<?x?xi8>", "u8", (m, n), array=(4, 5)), Arg("out", "memref<?xi8>", "u8", (m,), array=(4,)), size("m", 4), size("n", 5)],
        "out[0:m] = np.max(A[0:m, 0:n], axis=1)",
        ops=("arith.maxui",),
    ),
    Case(
        "row_and_column_views",  # integer indices: rank-reducing slices (a strided column)
        [Arg("A", "memref<?x?xi32>", "i32", (m, n), array=(5, 4)), Arg("out", "memref<?x?xi32>", "i32", (m, n), array=(5, 4)),
         size("m", 5), size("n", 4)],
        "out[1, 0:n] = A[2, 0:n] * 3\nout[0:m, 3] = A[0:m, 0] - A[0:m, 1]",
    ),
    Case(
        "flatten_min_all",  # min over all axes of a 2-D view (flattened, first element first)
        [Arg("A", "memref<?x?xf32>", "f32", (m, n), array=(3, 4)), size("m", 2), size("n", 3)],
        "return np.min(A[0:m, 1:n+1])",
        results=["f32"],
    ),
]


@pytest.mark.parametrize("pipeline", [PIPELINE, INPLACE_PIPELINE], ids=["plain", "inplace"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_roundtrip(case: Case, pipeline: str) -> None:
    roundtrip(case, pipeline)


def test_inplace_pipeline_needs_no_temporaries() -> None:
    # Destinations dominate the computed values, so element-wise results and matmul
    # accumulators are computed in the output buffer itself.
    for case in (CASES[0], next(c for c in CASES if c.name == "matmul_f32")):
        _, loops = lower(case, INPLACE_PIPELINE)
        names = [op.name for op in loops.walk()]
        assert "memref.alloc" not in names and "memref.copy" not in names, print_generic(loops)


def test_keeps_signature_and_replaces_body() -> None:
    case = CASES[0]
    module, _ = lower(case)
    fn = next(op for op in module.ops if isinstance(op, func.FuncOp))
    assert [str(t) for t in fn.function_type.inputs] == [a.mlir for a in case.args]
    assert all(isinstance(a.type, MemRefType) for a in fn.body.block.args[:3])
    assert not any(op.name.startswith("scf.") for op in module.walk())


def test_wrong_declarations_are_refused() -> None:
    case = CASES[0]
    fn = _make_func(case)
    prog = parse_program(case.program, _decls(case))
    with pytest.raises(LoweringError, match="argument declarations"):
        emit_program(fn, prog, _decls(case)[:-1])
    with pytest.raises(LoweringError, match="returns"):
        bad = Case("bad", case.args, case.program, results=["i32"])
        emit_program(_make_func(bad), prog, _decls(case))


def test_float_fmod_is_refused() -> None:
    # xDSL 0.74 has no arith.remf: refused with a reason rather than emitted wrongly.
    case = Case("fmod", [Arg("x", "memref<?xf32>", "f32", (n,)), size("n", 4)], "x[0:n] = np.fmod(x[0:n], 0.5)")
    with pytest.raises(LoweringError, match="arith.remf"):
        emit_program(_make_func(case), parse_program(case.program, _decls(case)), _decls(case))


VIEWS = """
func.func @views(%a: memref<6x8xi32>, %off: index, %len: index, %st: index) -> (i32, i32, i32, i32) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %row = memref.subview %a[2, %off] [1, %len] [1, %st] : memref<6x8xi32> to memref<?xi32, strided<[?], offset: ?>>
  %x = memref.load %row[%c1] : memref<?xi32, strided<[?], offset: ?>>
  %col = memref.subview %a[1, 3] [4, 1] [1, 1] : memref<6x8xi32> to memref<4xi32, strided<[8], offset: 11>>
  %y = memref.load %col[%c1] : memref<4xi32, strided<[8], offset: 11>>
  %flat = memref.collapse_shape %a [[0, 1]] : memref<6x8xi32> into memref<48xi32>
  %cube = memref.expand_shape %flat [[0, 1, 2]] output_shape [2, 3, 8] : memref<48xi32> into memref<2x3x8xi32>
  %z = memref.load %cube[%c1, %c1, %c1] : memref<2x3x8xi32>
  %c7 = arith.constant 7 : i32
  memref.store %c7, %col[%c0] : memref<4xi32, strided<[8], offset: 11>>
  %w = memref.load %a[%c1, %c1] : memref<6x8xi32>
  return %x, %y, %z, %w : i32, i32, i32, i32
}
"""


def test_executor_views() -> None:
    from liftcomp.executor.interpreter import ExecutionError
    from liftcomp.interop.mlir_tool import parse_mlir

    module = parse_mlir(VIEWS)
    a = np.arange(48, dtype=np.int32).reshape(6, 8)
    # row 2 from column 1, stride 2: element 1 is a[2, 3]; column 3 from row 1: a[2, 3];
    # the 2x3x8 view of the flat buffer: [1, 1, 1] is 24 + 8 + 1.
    assert Interpreter(module).call("views", [a, 1, 3, 2]) == [a[2, 3], a[2, 3], 33, 9]
    assert a[1, 3] == 7  # written through the column view
    with pytest.raises(ExecutionError, match="out of bounds"):
        Interpreter(module).call("views", [np.zeros((6, 8), np.int32), 4, 3, 2])  # columns 4, 6, 8


def test_float_sum_over_all_axes_is_one_row_major_fold() -> None:
    # The proof's semantics of a float np.sum over several axes is one left fold in row-major
    # order (the loop's), not a sum of per-row partial sums: with cancellation they differ.
    case = Case("s", [Arg("A", "memref<?x?xf32>", "f32", (m, n), array=(3, 4)), size("m", 3), size("n", 4)],
                "return np.sum(A[0:m, 0:n])", results=["f32"], ops=("linalg.reduce",))
    _, loops = lower(case)
    a = np.array([[1e8, 1, 1, 1], [-1e8, 1, 1, 1], [1, 1, 1, 1]], dtype=np.float32)
    acc = np.float32(0)
    for v in a.reshape(-1):
        acc = np.float32(acc + v)
    prog = parse_program(case.program, _decls(case))
    set_sizes({"m": 3, "n": 4, "A.shape[0]": 3, "A.shape[1]": 4})
    _, rets = evaluate(prog, {"A": a.copy(), "m": 3, "n": 4})
    got = Interpreter(loops).call("s", [a.copy(), 3, 4])
    assert float(acc) == 7.0 and float(rets[0]) == float(acc) and float(got[0]) == float(acc)
