"""The CUDA target computes what MLIR's float ops define, NaN and signed zeros included:
arith.maximumf / minimumf (NaN wins, -0.0 < +0.0), maxnumf / minnumf (a NaN operand is dropped),
every arith.cmpf predicate (ordered ones false on NaN, unordered ones true), reductions by each
combiner, and the GEMM epilogue's relu. The emitted scalar C is compiled with nvcc for the host and
run here (no GPU needed): one build for every case."""

from __future__ import annotations

import math
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.targets.cuda import dialect as cu
from liftcomp.targets.cuda import rowfuse
from liftcomp.targets.cuda.emit_cuda import (  # pyright: ignore[reportPrivateUsage]
    _reduce_identity,
    _reduce_step,
    emit_kernel,
)
from liftcomp.targets.cuda.interp import _fold, eval_map, run_cuda  # pyright: ignore[reportPrivateUsage]
from liftcomp.targets.cuda.kernels import body_ops, spec_of
from liftcomp.targets.cuda.lowering import lower_module
from liftcomp.targets.cuda.policy import default_spec
from liftcomp.targets.cuda.scalar import C_HELPERS, c_expr
from liftcomp.targets.cuda.spec import KernelSpec
from xdsl.dialects import func

SPECIAL = [math.nan, math.inf, -math.inf, 0.0, -0.0, 1.0, -1.0]
PREDICATES = ["false", "oeq", "ogt", "oge", "olt", "ole", "one", "ord", "ueq", "ugt", "uge", "ult", "ule", "une",
              "uno", "true"]
FLOAT_OPS = ["maximumf", "minimumf", "maxnumf", "minnumf"]


def _maps() -> list[tuple[str, func.FuncOp]]:
    """Map functions (what the lowering makes of a generic's body) of each op on (x0, x1)."""
    text = []
    for op in FLOAT_OPS:
        text.append(f"func.func private @{op}(%a: f32, %b: f32) -> f32 attributes {{cuda.inputs = 2 : i64}} {{\n"
                    f"  %r = arith.{op} %a, %b : f32\n  func.return %r : f32\n}}")
    for p in PREDICATES:
        text.append(f"func.func private @cmp_{p}(%a: f32, %b: f32) -> i1 attributes {{cuda.inputs = 2 : i64}} {{\n"
                    f"  %r = arith.cmpf {p}, %a, %b : f32\n  func.return %r : i1\n}}")
    module = parse_mlir("\n".join(text), "maps.mlir")
    return [(f.sym_name.data, f) for f in module.body.block.ops if isinstance(f, func.FuncOp)]


def _bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def _expected_minmax(op: str, a: float, b: float) -> float | None:
    """MLIR's definition, written out (None: either zero may come back)."""
    if op in ("maximumf", "minimumf"):
        if math.isnan(a) or math.isnan(b):
            return math.nan
        if a == b == 0:  # -0.0 < +0.0
            neg = (math.copysign(1, a) < 0) and (math.copysign(1, b) < 0) if op == "maximumf" else \
                (math.copysign(1, a) < 0) or (math.copysign(1, b) < 0)
            return -0.0 if neg else 0.0
        return max(a, b) if op == "maximumf" else min(a, b)
    if math.isnan(a) or math.isnan(b):  # maxnumf / minnumf: the other operand (NaN if both are)
        return b if math.isnan(a) else a
    if a == b == 0:
        return None
    return max(a, b) if op == "maxnumf" else min(a, b)


def _expected_cmp(p: str, a: float, b: float) -> bool:
    unordered = math.isnan(a) or math.isnan(b)
    rel = {"eq": a == b, "gt": a > b, "ge": a >= b, "lt": a < b, "le": a <= b, "ne": a != b}
    if p in ("false", "true"):
        return p == "true"
    if p in ("ord", "uno"):
        return unordered == (p == "uno")
    return rel[p[1:]] and not unordered if p[0] == "o" else rel[p[1:]] or unordered


def _loop_fold(kind: str, values: list[float], start: float) -> float:
    """A reduction in the loop's order, from its start value, by MLIR's definition of each step."""
    acc = start
    for x in values:
        if kind in ("max", "min", "maxnum", "minnum"):
            r = _expected_minmax({"max": "maximumf", "min": "minimumf"}.get(kind, kind + "f"), acc, x)
            acc = acc if r is None else r  # a tied zero: either (compared with its sign open)
        else:  # select(x ogt acc, x, acc) / select(x olt acc, x, acc)
            acc = x if (x > acc if kind == "selmax" else x < acc) else acc
    return acc


# select-style combiners of reductions, folded by the emitted steps from a start value
FOLD_CASES = [[1.0, math.nan, 3.0], [-0.0, 0.0, -0.0], [0.0, -0.0], [-0.0, -0.0], [math.nan, math.nan],
              [-1.0, -math.inf, 2.5], []]
FOLD_STARTS = [-math.inf, math.nan, 0.0, -0.0, 5.0]
KINDS = ["max", "min", "maxnum", "minnum", "selmax", "selmin"]


def _host_program(maps: list[tuple[str, func.FuncOp]]) -> str:
    fns = []
    for name, mp in maps:
        rt = "int" if name.startswith("cmp_") else "float"
        fns.append(f"static {rt} f_{name}(float x0, float x1) {{ return {c_expr(mp)}; }}")
    for kind in KINDS:
        # the reduce kernel's step (each thread, then the tree), then the start combined first
        step = _reduce_step(kind, integer=False)
        ident = _reduce_identity(kind, integer=False)
        fns.append(f"static float fold_{kind}(const float* v, int n, float start) {{ float a = {ident}, b; "
                   f"for (int i = 0; i < n; i++) {{ b = v[i]; {step} }} b = a; a = start; {step} return a; }}")
    for kind, (ident, step, _, fin) in rowfuse._ROW_STEP.items():  # pyright: ignore[reportPrivateUsage]
        if kind == "sum":
            continue
        fns.append(f"static float row_{kind}(const float* v, int n, float start) {{ float a = {ident}; "
                   f"for (int j = 0; j < n; j++) {{ float x = v[j]; {step} }} return {fin.format(init='start')}; }}")
    calls = []
    for name, _ in maps:
        fmt = "%d" if name.startswith("cmp_") else "%08x"
        val = f"f_{name}(s[i], s[j])" if name.startswith("cmp_") else f"bits(f_{name}(s[i], s[j]))"
        calls.append(f'  for (int i = 0; i < NS; i++) for (int j = 0; j < NS; j++) printf("{name} {fmt}\\n", {val});')
    cases = "".join(f"static const float c{i}[] = {{{', '.join(_c_float(x) for x in c) or '0'}}};\n"
                    for i, c in enumerate(FOLD_CASES))
    for kind in KINDS:
        for i, c in enumerate(FOLD_CASES):
            for st in FOLD_STARTS:
                calls.append(f'  printf("fold_{kind} %08x\\n", bits(fold_{kind}(c{i}, {len(c)}, {_c_float(st)})));')
    for kind in rowfuse._ROW_STEP:  # pyright: ignore[reportPrivateUsage]
        if kind == "sum":
            continue
        for i, c in enumerate(FOLD_CASES):
            for st in FOLD_STARTS:
                calls.append(f'  printf("row_{kind} %08x\\n", bits(row_{kind}(c{i}, {len(c)}, {_c_float(st)})));')
    return ("#include <stdio.h>\n#include <stdint.h>\n#include <string.h>\n#include <math.h>\n" + C_HELPERS +
            "static unsigned bits(float x) { unsigned u; memcpy(&u, &x, 4); return u; }\n" + "\n".join(fns) + "\n" +
            cases + f"static const float s[] = {{{', '.join(_c_float(x) for x in SPECIAL)}}};\n#define NS {len(SPECIAL)}\n"
            "int main() {\n" + "\n".join(calls) + "\n  return 0;\n}\n")


def _c_float(x: float) -> str:
    if math.isnan(x):
        return "NAN"
    if math.isinf(x):
        return "INFINITY" if x > 0 else "(-INFINITY)"
    return f"{x!r}f"


def _same(got: int, want: float | None, tied_zero_ok: bool = False) -> bool:
    g = struct.unpack("<f", struct.pack("<I", got))[0]
    if want is None or (tied_zero_ok and want == 0 and g == 0):
        return g == 0 or math.isnan(g)  # either zero (NaN never)
    if math.isnan(want):
        return math.isnan(g)
    return got == _bits(want)


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_emitted_scalar_c_runs_ieee_semantics_on_special_values(tmp_path: Path) -> None:
    maps = _maps()
    src = tmp_path / "scalar.cu"
    src.write_text(_host_program(maps))
    exe = tmp_path / "scalar"
    build = subprocess.run(["nvcc", "-std=c++17", "-O2", "-o", str(exe), str(src)], capture_output=True, text=True,
                           timeout=300)
    assert build.returncode == 0, build.stderr[-3000:]
    lines = subprocess.run([str(exe)], capture_output=True, text=True, check=True, timeout=60).stdout.split("\n")
    out: dict[str, list[str]] = {}
    for line in filter(None, lines):
        key, val = line.split()
        out.setdefault(key, []).append(val)
    pairs = [(a, b) for a in SPECIAL for b in SPECIAL]
    xs = np.array([a for a, _ in pairs], np.float32)
    ys = np.array([b for _, b in pairs], np.float32)
    bad = []
    for name, mp in maps:
        got = out[name]
        interp = np.asarray(eval_map(mp, [xs, ys]))  # what the interpreter (compile's `correct`) computes
        for (a, b), g, it in zip(pairs, got, interp, strict=True):
            if name.startswith("cmp_"):
                want = _expected_cmp(name[4:], a, b)
                if int(g) != want or bool(it) != want:
                    bad.append(f"{name}({a}, {b}): C {g}, interpreter {bool(it)}, MLIR {want}")
                continue
            want = _expected_minmax(name, a, b)
            if not _same(int(g, 16), want) or not _same(_bits(float(it)), want):
                bad.append(f"{name}({a}, {b}): C {g}, interpreter {float(it)!r}, MLIR {want!r}")
    # the reduction steps of the reduce kernels and of row fusion against the interpreter's folds
    for prefix, kinds in (("fold", KINDS), ("row", [k for k in rowfuse._ROW_STEP if k != "sum"])):  # pyright: ignore[reportPrivateUsage]
        for kind in kinds:
            got_iter = iter(out[f"{prefix}_{kind}"])
            for c in FOLD_CASES:
                for st in FOLD_STARTS:
                    g = int(next(got_iter), 16)
                    v = np.array([c], np.float32).reshape(1, len(c))
                    want = float(_fold(kind, v, np.array([st], np.float32))[0])
                    loop = _loop_fold(kind, c, st)
                    # maxnum / minnum leave a tied zero's sign open; a select fold's depends on the order
                    open_zero = kind not in ("max", "min")
                    if not _same(g, want, tied_zero_ok=open_zero) or not _same(g, loop, tied_zero_ok=open_zero):
                        bad.append(f"{prefix}_{kind}({c}, start {st}): C {g:08x}, interpreter {want!r}, loop {loop!r}")
    assert not bad, "\n".join(bad)


# ---------------------------------------------------------------- what the lowering chooses

ROW_MAX = """
#in = affine_map<(d0, d1) -> (d0, d1)>
#out = affine_map<(d0, d1) -> (d0)>
func.func @rmax(%x: tensor<4x8xf32>) -> tensor<4xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<4xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#in, #out], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x8xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%v: f32, %m: f32):
    %s = arith.OP %m, %v FM : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
"""


@pytest.mark.parametrize("op,flags,kind,step", [
    ("maximumf", "", "max", "a = lc_maximumf(a, b);"),
    ("maximumf", "fastmath<fast>", "maxnum", "a = fmaxf(a, b);"),  # nnan and nsz: fmaxf is exact
    ("maximumf", "fastmath<nnan>", "max", "a = lc_maximumf(a, b);"),  # nsz missing: -0 < +0 still matters
    ("maxnumf", "", "maxnum", "a = fmaxf(a, b);"),
    ("minimumf", "", "min", "a = lc_minimumf(a, b);"),
])
def test_a_row_max_reduces_with_its_ops_semantics(op: str, flags: str, kind: str, step: str) -> None:
    low = lower_module(parse_mlir(ROW_MAX.replace("OP", op).replace("FM", flags), "rmax.mlir"))
    (k,) = [o for o in low.module.body.block.ops if isinstance(o, cu.KernelOp)]
    spec = spec_of(k)
    assert spec.combine == kind and [o.combine.data for o in body_ops(k) if isinstance(o, cu.BlockReduceOp)] == [kind]
    text = emit_kernel(spec)
    assert text.count(step) == 3  # each thread's step, the tree, the start (the fill) combined first
    x = np.full((4, 8), 2.0, np.float32)
    x[1, 3] = np.nan
    x[2] = -0.0
    x[2, 5] = 0.0
    fn = next(o for o in low.module.body.block.ops if isinstance(o, func.FuncOp) and o.sym_name.data == "rmax")
    (r,) = run_cuda(low.module, fn, [x])
    r = np.asarray(r)
    assert np.isnan(r[1]) == (kind in ("max", "min")), r  # maximumf / minimumf: NaN wins; maxnumf drops it
    if kind == "max":
        assert r[2] == 0 and not np.signbit(r[2])  # max(-0, +0) = +0


MM_RELU = """
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @mm(%a: tensor<64x32xf32>, %b: tensor<32x48xf32>) -> tensor<64x48xf32> {
  %zero = arith.constant ZERO : f32
  %e = tensor.empty() : tensor<64x48xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<64x48xf32>) -> tensor<64x48xf32>
  %p = linalg.matmul ins(%a, %b : tensor<64x32xf32>, tensor<32x48xf32>) outs(%z : tensor<64x48xf32>) -> tensor<64x48xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<64x48xf32>) outs(%e : tensor<64x48xf32>) {
  ^bb0(%x: f32, %o: f32):
    BODY
  } -> tensor<64x48xf32>
  return %r : tensor<64x48xf32>
}
"""
MAXIMUMF = "%q = arith.maximumf %x, %zero FM : f32\n    linalg.yield %q : f32"
SELECT_OGT = "%c = arith.cmpf ogt, %x, %zero : f32\n    %q = arith.select %c, %x, %zero : f32\n    linalg.yield %q : f32"
SELECT_OGE = "%c = arith.cmpf oge, %x, %zero : f32\n    %q = arith.select %c, %x, %zero : f32\n    linalg.yield %q : f32"


@pytest.mark.parametrize("body,zero,fused", [
    (MAXIMUMF.replace("FM", ""), "0.0", False),  # NaN -> NaN, but CUTLASS's ReLu gives 0
    (MAXIMUMF.replace("FM", "fastmath<nnan>"), "0.0", True),
    (MAXIMUMF.replace("FM", "fastmath<nnan>"), "-0.0", False),  # max(-1, -0.0) = -0.0, not the relu's +0
    (MAXIMUMF.replace("maximumf", "maxnumf").replace("FM", ""), "0.0", True),  # maxNum drops the NaN: 0
    (SELECT_OGT, "0.0", True),  # exactly v > 0 ? v : 0
    (SELECT_OGE, "0.0", False),  # v >= 0 ? v : 0 keeps -0.0
])
def test_relu_after_a_matmul_fuses_only_where_the_epilogue_computes_it(body: str, zero: str, fused: bool) -> None:
    low = lower_module(parse_mlir(MM_RELU.replace("BODY", body).replace("ZERO", zero), "mm.mlir"))
    specs = [spec_of(o) for o in low.module.body.block.ops if isinstance(o, cu.KernelOp)]
    gemm = next(s for s in specs if s.kind == "gemm")
    assert ("relu" in gemm.epilogue) == fused, specs
    assert len(specs) == (1 if fused else 2)
    if fused:
        assert "v = v > 0.f ? v : 0.f;" in emit_kernel(gemm)  # the f32 GEMM's epilogue
    if not fused:
        (ew,) = [s for s in specs if s.kind == "eltwise"]
        if "maximumf" in body:
            assert "lc_maximumf(" in ew.body  # the exact helper, in its own element-wise kernel
    # a NaN in A: the fused relu (NaN -> 0) and MLIR agree; an unfused maximumf keeps the NaN
    a = np.ones((64, 32), np.float32)
    a[0, 0] = np.nan
    b = np.ones((32, 48), np.float32)
    fn = next(o for o in low.module.body.block.ops if isinstance(o, func.FuncOp) and o.sym_name.data == "mm")
    (r,) = run_cuda(low.module, fn, [a, b])
    assert np.isnan(np.asarray(r)[0, 0]) == ("maximumf" in body and not fused)


def test_the_cutlass_epilogue_relu_is_v_gt_0_not_max_nan() -> None:
    """CUTLASS's ReLu is max.NaN (NaN -> NaN); the fused relu is `v > 0 ? v : 0` as on the other paths."""
    text = emit_kernel(default_spec(KernelSpec("g", "gemm", epilogue=("bias", "relu"))))
    assert "LinCombPerColBiasEltAct<LcRelu," in text and "r[i] = v[i] > T(0) ? v[i] : T(0);" in text
    assert "thread::ReLu" not in text
