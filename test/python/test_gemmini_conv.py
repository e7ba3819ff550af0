"""Convolutions on Gemmini: tensor.pad + linalg.conv_2d_nhwc_hwcf + requantisation -> loop_conv_ws
(or im2col + matmul), checked bit for bit against an independent numpy conv, in the simulator and
in the emitted C on the host header; the library's tile choice against gemmini.h's tiled_conv_auto."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest
from liftcomp.interop.mlir_tool import parse_mlir, parse_xdsl
from liftcomp.reference import run_reference
from liftcomp.targets.gemmini import dialect as g
from liftcomp.targets.gemmini.autocomp import conv_requant_text as conv_text
from liftcomp.targets.gemmini.conv import ConvSchedule, ConvShape, library_conv_schedule
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
from liftcomp.targets.gemmini.sim import simulate
from xdsl.dialects import func
from xdsl.utils.exceptions import VerifyException

if TYPE_CHECKING:
    from liftcomp.llm.testing import LoopbackLLMServer


def numpy_conv(X: np.ndarray, W: np.ndarray, pad: int, stride: int, scale: float | None, relu: bool,
               bias: np.ndarray | None = None) -> np.ndarray:
    """The independent oracle: zero padding, direct sum over the kernel, Gemmini's requantisation."""
    xp = np.pad(X.astype(np.int64), ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    k = W.shape[0]
    oh, ow = (xp.shape[1] - k) // stride + 1, (xp.shape[2] - k) // stride + 1
    acc = np.zeros((X.shape[0], oh, ow, W.shape[3]), np.int64)
    for i in range(k):
        for j in range(k):
            win = xp[:, i : i + stride * (oh - 1) + 1 : stride, j : j + stride * (ow - 1) + 1 : stride]
            acc += np.einsum("nhwc,cf->nhwf", win, W[i, j].astype(np.int64))
    if bias is not None:
        acc += bias
    if scale is None:
        return acc.astype(np.int32)
    y = np.rint(acc.astype(np.float32) * np.float32(scale))
    return np.clip(y, 0 if relu else -128, 127).astype(np.int8)


def _run(n: int, h: int, w: int, c: int, f: int, sched: ConvSchedule | None = None, check_c: bool = False,
         **kw: object) -> tuple[str, dict[str, int]]:
    stride = int(kw.get("stride", 1))  # type: ignore[call-overload]
    requant = bool(kw.get("requant", True))
    relu = bool(kw.get("relu", False))
    nchw = kw.get("layout") == "nchw"
    pad = int(kw.get("pad", 1))  # type: ignore[call-overload]
    scale = float(kw.get("scale", 0.01))  # type: ignore[arg-type]
    mod = parse_mlir(conv_text(n, h, w, c, f, **kw))  # type: ignore[arg-type]
    fn = next(op for op in mod.ops if isinstance(op, func.FuncOp))
    rng = np.random.default_rng(h * 100 + c)
    X = rng.integers(-128, 128, (n, h, w, c), dtype=np.int8)
    W = rng.integers(-128, 128, (3, 3, c, f), dtype=np.int8)
    bias = rng.integers(-20000, 20000, (f,), dtype=np.int32) if kw.get("bias") else None
    want = numpy_conv(X, W, pad, stride, scale if requant else None, relu, bias)
    if nchw:  # the same conv on NCHW / FCHW / NFHW buffers
        X, W, want = (np.ascontiguousarray(X.transpose(0, 3, 1, 2)), np.ascontiguousarray(W.transpose(3, 2, 0, 1)),
                      np.ascontiguousarray(want.transpose(0, 3, 1, 2)))
    Y = np.zeros(want.shape, want.dtype)
    args = [X, W, Y] + ([] if bias is None else [bias])
    expected = [a.copy() for a in args]
    run_reference(fn, expected)  # the tensor-level reference agrees with the oracle
    np.testing.assert_array_equal(expected[2], want)
    low, report = lower_module_with_report(mod, LowerOptions(conv_schedule=sched))
    low.verify()
    r = simulate(low, args)
    np.testing.assert_array_equal(r.outputs["arg2"], want)
    (k,) = report.kernels
    assert k.kind == "conv"
    if check_c:
        from liftcomp.targets.gemmini.check_c import check_c as run_c
        from liftcomp.targets.gemmini.emit_c import emit_c, header_path

        src = emit_c(low)
        assert ("gemmini_loop_conv_ws(" in src) == (r.instructions.get("loop_conv_ws", 0) > 0)
        low_fn = next(op for op in low.ops if isinstance(op, func.FuncOp))
        assert run_c(src, header_path().read_text(), low_fn, args, [a.shape for a in args],
                     [X, W, want] + ([] if bias is None else [bias]))
    return k.remark, r.instructions


@pytest.mark.parametrize(("dims", "sched", "kw"), [
    # One tile (tiled_conv_auto's choice for a small problem), generic form, ReLU.
    ((2, 6, 7, 8, 20), None, {"generic": True, "relu": True}),
    # Tiles over every output dim and a kernel split in rows and channels: the first kernel tile
    # zeroes the accumulator, the middle ones accumulate, the last stores; partial edge tiles.
    ((2, 6, 5, 40, 24), ConvSchedule(1, 4, 3, 16, 2, 3, 16), {}),
    # Stride 2: the computes read every other input row (config_ex's A stride).
    ((2, 9, 8, 20, 24), ConvSchedule(2, 2, 3, 24, 3, 2, 20), {"stride": 2}),
])
def test_conv_loop_conv_ws_bit_exact(dims: tuple[int, int, int, int, int], sched: ConvSchedule | None,
                                     kw: dict[str, object]) -> None:
    remark, instrs = _run(*dims, sched=sched, check_c=shutil.which("gcc") is not None, **kw)
    assert "loop_conv_ws tiles" in remark
    assert instrs["loop_conv_ws"] >= 1 and "config_ld" not in instrs  # the FSM issues every mvin


@pytest.mark.parametrize(("kw", "why"), [({"requant": False}, "int32")])
def test_conv_im2col_where_loop_conv_ws_cannot(kw: dict[str, object], why: str) -> None:
    remark, instrs = _run(1, 7, 6, 8, 16, **kw)
    assert "im2col" in remark and why in remark
    assert "loop_conv_ws" not in instrs and instrs["compute_preloaded"] >= 1


@pytest.mark.parametrize("form", ["loop_conv_ws", "im2col"])
def test_autocomp_conv_form_with_bias(form: str) -> None:
    # Autocomp's harness: input pre-padded (no tensor.pad), an int32 bias per output channel, scale
    # 1: the bias goes into the accumulator (loop_conv_ws's bias rows; the matmul's D at row stride 0).
    sched = ConvSchedule(2, 3, 4, 16, 3, 2, 16) if form == "loop_conv_ws" else ConvSchedule(form="im2col")
    remark, instrs = _run(2, 7, 8, 24, 20, sched=sched, check_c=shutil.which("gcc") is not None, pad=0, scale=1.0,
                          bias=True)
    assert (instrs.get("loop_conv_ws", 0) > 0) == (form == "loop_conv_ws")


def test_nchw_conv_runs_im2col_and_matmul_in_c() -> None:
    # NCHW x FCHW: the filter is the matmul's A, im2col^T its B, the rows of C output channels.
    remark, instrs = _run(2, 7, 5, 12, 20, layout="nchw", stride=2, check_c=shutil.which("gcc") is not None)
    assert "NCHW" in remark and "im2col" in remark and instrs["compute_preloaded"] >= 1


def test_im2col_schedule_is_bit_exact_and_emits_matmul_c() -> None:
    remark, instrs = _run(2, 5, 6, 12, 20, sched=ConvSchedule(form="im2col"), check_c=shutil.which("gcc") is not None)
    assert remark.endswith("im2col on the host + tiled matmul")


def test_library_tiles_equal_gemmini_h_tiled_conv_auto() -> None:
    # Reference values: gemmini-rocc-tests include/gemmini.h's tiled_conv_stride_auto (tile choice
    # compiled with gcc, DIM 16, 256 KiB scratchpad, 64 KiB accumulator, no pooling), Autocomp's
    # three conv shapes and two odd ones.
    want = {
        (4, 56, 56, 64, 64): (4, 8, 16, 16, 3, 3, 64),
        (4, 28, 28, 128, 128): (4, 8, 16, 16, 3, 3, 128),
        (4, 14, 14, 256, 256): (4, 9, 14, 16, 3, 3, 144),
        (2, 9, 7, 20, 24): (2, 9, 7, 24, 3, 3, 20),
        (3, 40, 33, 48, 80): (3, 10, 17, 16, 3, 3, 48),
    }
    for (n, h, w, c, f), tiles in want.items():
        s = library_conv_schedule(ConvShape(n, h, w, c, 3, 3, f, h, w, 1, (1, 1, 1, 1)))
        assert (s.batches, s.porows, s.pocols, s.pochs, s.krows, s.kcols, s.kchs) == tiles


def test_loop_conv_ws_verifier() -> None:
    def op_text(stride: int = 1, porows: int = 8, extra: str = "", a_stride: int | None = None) -> str:
        vals = dict.fromkeys(g.CONV_SIZE_FIELDS, 1)
        vals.update(batch_size=4, in_row_dim=56, in_col_dim=56, in_channels=64, out_channels=64, out_row_dim=56,
                    out_col_dim=56, stride=stride, kernel_dim=3, batches=4, porows=porows, pocols=16, pochs=16,
                    krows=3, kcols=3, kchs=64, lpad=0, rpad=0, upad=0, dpad=0, padding=1, in_stride=64,
                    weight_stride=64, out_stride=64)
        consts = "\n".join(f"  %{k} = arith.constant {v} : index" for k, v in vals.items())
        names = ", ".join(f"%{k}" for k in g.CONV_SIZE_FIELDS)
        types = ", ".join(["index"] * len(g.CONV_SIZE_FIELDS))
        return f"""func.func @f(%X: memref<4x56x56x64xi8>, %W: memref<3x3x64x64xi8>, %Y: memref<4x56x56x64xi8>) {{
{consts}
  %o = arith.constant 0 : index
  {"" if a_stride is None else f'"gemmini.config_ex"() <{{dataflow = "WS", a_stride = {a_stride} : i64}}> : () -> ()'}
  "gemmini.loop_conv_ws"({names}, %X, %o, %W, %o, %Y, %o) <{{operandSegmentSizes = array<i32: {", ".join(["1"] * 28)}, 0, 0, 1, 1>, activation = "none"{extra}}}> : ({types}, memref<4x56x56x64xi8>, index, memref<3x3x64x64xi8>, index, memref<4x56x56x64xi8>, index) -> ()
  return
}}"""
    parse_xdsl(op_text()).verify()  # tiled_conv_auto's tile for 56x56x64 fits
    with pytest.raises(VerifyException, match="exceeds half the accumulator"):
        parse_xdsl(op_text(porows=9)).verify()
    parse_xdsl(op_text(stride=2, porows=4, a_stride=2)).verify()
    with pytest.raises(VerifyException, match="a_stride = 2"):
        parse_xdsl(op_text(stride=2, porows=4, a_stride=1)).verify()


def test_conv_search_improves_and_replays(tmp_path: Path) -> None:
    # liftcomp compile --search beam on a conv function: the conv menu and the generic model
    # planner; the result is checked against the reference, then replayed from its report.
    from liftcomp.targets.cli import compile_file

    src = tmp_path / "conv.mlir"
    src.write_text(conv_text(2, 8, 8, 16, 32))
    rep = compile_file(src, tmp_path / "s", search={"search": "beam", "budget": 6, "show_progress": False})
    (k,) = rep["kernels"]
    assert k["correct"] is True and "search_skipped" not in k
    assert k["steps"] and k["speedup"] > 1.0  # one tile of 2 images: loads and computes cannot overlap
    assert k["steps"][0]["rewrite"] in {"batches", "porows", "pocols", "pochs", "krows", "kcols", "kchs", "fit", "form"}
    again = compile_file(src, tmp_path / "r", search={"schedule_file": tmp_path / "s" / "report.json"}, check_c=True)
    (k2,) = again["kernels"]
    assert k2["cycles"] == k["cycles"] and k2["c_correct"] is True
    assert "gemmini_loop_conv_ws(" in (tmp_path / "r" / "kernels.c").read_text()


def test_llm_planner_plans_conv_menu_steps(llm_server: LoopbackLLMServer) -> None:
    # The LLM planner sees the conv menu and description, and its step is simulated and checked.
    from liftcomp.llm import LLMClient
    from liftcomp.llm.testing import Reply
    from liftcomp.search.beam import SearchOptions, beam_search
    from liftcomp.search.llm_planner import LLMPlanner
    from liftcomp.search.problem import Problem

    fn = next(op for op in parse_mlir(conv_text(2, 8, 8, 16, 32)).ops if isinstance(op, func.FuncOp))
    problem = Problem.for_function("gemmini", fn, workers=1)
    plan = '{"rewrite": "batches", "params": {"n": 1}, "reason": "two tiles overlap loads with computes"}'
    llm_server.script(Reply([plan]), Reply(['{"params": {"n": 1}}']))
    opts = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=1, impls_per_plan=1)
    r = beam_search(problem, LLMPlanner(LLMClient(llm_server.config()), dropout=0.0, off_menu=0.0), opts)
    (kid,) = [c for c in r.candidates if c.parent is not None]
    assert [str(s) for s in kid.steps] == ["batches(n=1)"] and kid.accepted
    assert kid.metrics is not None and kid.metrics.correct
    assert "loop_conv_ws" in llm_server.requests[0].text and "fit(keep:" in llm_server.requests[0].text


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
def test_host_header_tiled_conv_auto(tmp_path: Path) -> None:
    # The host header's tiled_conv_auto (gemmini.h's library call, as Autocomp's baseline calls it:
    # pre-padded input, padding 0, an int32 bias, scale 1) computes the conv, and its tile choice
    # equals library_conv_schedule's on Autocomp's shapes and odd ones.
    from liftcomp.targets.gemmini.emit_c import header_path

    shapes = [(4, 56, 64, 64), (4, 28, 128, 128), (4, 14, 256, 256), (2, 9, 20, 24), (3, 33, 48, 80), (1, 5, 300, 40)]
    calls = "\n".join(f'  {{ int a[7] = {{{n}, {hw}, {hw}, {f}, 3, 3, {c}}}; gh_tiled_conv_tiles(a, 1); '
                      'printf("%d %d %d %d %d %d %d\\n", a[0], a[1], a[2], a[3], a[4], a[5], a[6]); }'
                      for n, hw, c, f in shapes)
    n, hw, c, f = 1, 14, 256, 32  # kchs 240 < 256 here: two kernel tiles accumulate
    rng = np.random.default_rng(1)
    X = rng.integers(-128, 128, (n, hw + 2, hw + 2, c), dtype=np.int8)
    W = rng.integers(-128, 128, (3, 3, c, f), dtype=np.int8)
    bias = rng.integers(-5000, 5000, (f,), dtype=np.int32)
    acc = numpy_conv(X, W, 0, 1, None, False).astype(np.int64) + bias
    want = np.clip(acc, -128, 127).astype(np.int8)
    (tmp_path / "in.bin").write_bytes(X.tobytes() + W.tobytes() + bias.tobytes())
    (tmp_path / "main.c").write_text(f"""#include "gemmini_host.h"
static elem_t x[{X.size}], w[{W.size}], y[{want.size}];
static acc_t bias[{f}];
int main(void) {{
{calls}
  FILE *fp = fopen("in.bin", "rb");
  if (fread(x, 1, sizeof x, fp) != sizeof x || fread(w, 1, sizeof w, fp) != sizeof w ||
      fread(bias, 1, sizeof bias, fp) != sizeof bias) return 2;
  fclose(fp);
  {{ int a[7] = {{{n}, {hw}, {hw}, {f}, 3, 3, {c}}}; gh_tiled_conv_tiles(a, 1);
    printf("%d %d %d %d %d %d %d\\n", a[0], a[1], a[2], a[3], a[4], a[5], a[6]); }}
  tiled_conv_auto({n}, {hw + 2}, {hw + 2}, {c}, {f}, {hw}, {hw}, 1, 1, 1, 0, 3, false, false, false, false, false,
                  x, w, bias, y, NO_ACTIVATION, 1.0f, 0, 0, 0, WEIGHT_STATIONARY);
  fp = fopen("out.bin", "wb");
  fwrite(y, 1, sizeof y, fp);
  fclose(fp);
  return 0;
}}
""")
    (tmp_path / "gemmini_host.h").write_text(header_path().read_text())
    subprocess.run(["gcc", "-O2", "-std=c11", "-Wall", "-Werror", "-o", "run", "main.c", "-lm"], cwd=tmp_path,
                   check=True)
    out = subprocess.run(["./run"], cwd=tmp_path, check=True, capture_output=True, text=True).stdout.split("\n")
    for line, (sn, shw, sc, sf) in zip(out, [*shapes, (n, hw + 2, c, f)], strict=False):
        oh = shw if (sn, shw, sc, sf) != (n, hw + 2, c, f) else hw
        s = library_conv_schedule(ConvShape(sn, shw, shw, sc, 3, 3, sf, oh, oh, 1, (1, 1, 1, 1)))
        assert tuple(map(int, line.split())) == (s.batches, s.porows, s.pocols, s.pochs, s.krows, s.kcols, s.kchs)
    assert int(out[len(shapes)].split()[-1]) < c  # the bench case splits the input channels
    got = np.frombuffer((tmp_path / "out.bin").read_bytes(), np.int8).reshape(want.shape)
    np.testing.assert_array_equal(got, want)


CORPUS = Path(__file__).parents[1] / "corpus" / "extra_gemmini"


@pytest.mark.skipif(shutil.which("gcc") is None, reason="gcc not installed")
@pytest.mark.parametrize("kernel", ["conv_pad1_s1_i8", "conv_pad1_s2_i8"])
def test_padded_conv_loop_nest_end_to_end(kernel: str, tmp_path: Path) -> None:
    # A conv loop nest whose padding is guarded loads in scf.if (stride 1 and 2): lifted (proved) to
    # tensor.pad + conv_2d_nhwc_hwcf + requant, lowered to loop_conv_ws; simulated = numpy
    # reference, and the emitted C on the host header agrees.
    from liftcomp.targets.cli import compile_file

    report = compile_file(CORPUS / f"{kernel}.mlir", tmp_path / "out", check_c=True)
    (k,) = report["kernels"]
    assert k["proof"] == "proved"
    assert k["correct"] is True and k["c_correct"] is True
    assert [s["kind"] for s in k["schedule"]] == ["conv"]
    assert k["counters"]["instructions"].get("loop_conv_ws", 0) >= 1
    assert "gemmini_loop_conv_ws(" in (tmp_path / "out" / "kernels.c").read_text()
