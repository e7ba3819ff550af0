"""The CUDA target: verifiers, lowering + tile-level interpreter against numpy, search and records,
`liftcomp compile --target cuda`, and nvcc builds of every kind of emitted kernel for sm_90a and
sm_80 (CI has nvcc and no GPU; the GPU measurements are tools/bench_cuda.py's)."""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import ml_dtypes
import numpy as np
import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.targets.cuda import dialect as cu
from liftcomp.targets.cuda.config import CONFIGS
from liftcomp.targets.cuda.emit_cuda import emit_kernel, nvcc_command, source_hash
from liftcomp.targets.cuda.interp import run_cuda
from liftcomp.targets.cuda.kernels import body_ops, build_kernel, spec_of
from liftcomp.targets.cuda.lowering import LowerOptions, lower_module
from liftcomp.targets.cuda.policy import default_spec
from liftcomp.targets.cuda.search import search
from liftcomp.targets.cuda.space import CudaSpace
from liftcomp.targets.cuda.spec import KernelSpec, problem_dims
from liftcomp.targets.cuda.tuning import record_key
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import VerifyException

REPO = Path(__file__).resolve().parents[2]
BF16 = np.dtype(ml_dtypes.bfloat16)

MATMUL_BIAS_RELU = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @mm(%a: memref<{m}x{k}xbf16>, %b: memref<{k}x{n}xbf16>, %bias: memref<{n}xbf16>, %d: memref<{m}x{n}xbf16>) {{
  %ta = bufferization.to_tensor %a restrict : memref<{m}x{k}xbf16> to tensor<{m}x{k}xbf16>
  %tb = bufferization.to_tensor %b restrict : memref<{k}x{n}xbf16> to tensor<{k}x{n}xbf16>
  %tc = bufferization.to_tensor %bias restrict : memref<{n}xbf16> to tensor<{n}xbf16>
  %zero = arith.constant 0.0 : bf16
  %e = tensor.empty() : tensor<{m}x{n}xbf16>
  %z = linalg.fill ins(%zero : bf16) outs(%e : tensor<{m}x{n}xbf16>) -> tensor<{m}x{n}xbf16>
  %p = linalg.matmul ins(%ta, %tb : tensor<{m}x{k}xbf16>, tensor<{k}x{n}xbf16>) outs(%z : tensor<{m}x{n}xbf16>) -> tensor<{m}x{n}xbf16>
  %e2 = tensor.empty() : tensor<{m}x{n}xbf16>
  %r = linalg.generic {{indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%p, %tc : tensor<{m}x{n}xbf16>, tensor<{n}xbf16>) outs(%e2 : tensor<{m}x{n}xbf16>) {{
  ^bb0(%x: bf16, %y: bf16, %o: bf16):
    %s = arith.addf %x, %y : bf16
    %q = arith.maximumf %s, %zero fastmath<nnan> : bf16
    linalg.yield %q : bf16
  }} -> tensor<{m}x{n}xbf16>
  bufferization.materialize_in_destination %r in restrict writable %d : (tensor<{m}x{n}xbf16>, memref<{m}x{n}xbf16>) -> ()
  return
}}
"""


def _module(m: int, n: int, k: int):  # noqa: ANN202
    return parse_mlir(MATMUL_BIAS_RELU.format(m=m, n=n, k=k), "mm.mlir")


def _fn(module):  # noqa: ANN001, ANN202
    return next(op for op in module.body.block.ops if isinstance(op, func.FuncOp))


# ---------------------------------------------------------------- verifiers


@pytest.mark.parametrize(("change", "message"), [
    ({"tile": (256, 256, 128), "stages": 8}, "shared memory per block"),
    ({"cluster": (4, 4)}, "cluster of 16 blocks"),
])
def test_verifiers_name_the_limit(change: dict[str, object], message: str) -> None:
    spec = default_spec(KernelSpec("k", "gemm")).with_gemm(**change)
    with pytest.raises(VerifyException, match=message):
        ModuleOp(build_kernel(spec)).verify()


def test_wgmma_and_tma_verifiers() -> None:
    bad_n = cu.WgmmaOp.create(attributes={"shape": cu.ints_attr([64, 260, 16]), "a_type": cu.StringAttr("bf16"),
                                          "acc_type": cu.StringAttr("f32"), "a_major": cu.StringAttr("k"),
                                          "b_major": cu.StringAttr("mn")})
    with pytest.raises(VerifyException, match="cuda.wgmma.*not a wgmma shape"):
        bad_n.verify()
    mn_i8 = cu.WgmmaOp.create(attributes={"shape": cu.ints_attr([64, 128, 32]), "a_type": cu.StringAttr("i8"),
                                          "acc_type": cu.StringAttr("i32"), "a_major": cu.StringAttr("k"),
                                          "b_major": cu.StringAttr("mn")})
    with pytest.raises(VerifyException, match="K-major"):
        mn_i8.verify()
    box = cu.TmaLoadOp.create(attributes={"operand": cu.IntegerAttr(0, 64), "box": cu.ints_attr([512, 64]),
                                          "elem_bytes": cu.IntegerAttr(2, 64), "multicast": cu.IntegerAttr(1, 64)})
    with pytest.raises(VerifyException, match="cuda.tma_load.*\\[1, 256\\]"):
        box.verify()


# ---------------------------------------------------------------- lowering + interpreter


def _bf16_reference(a: np.ndarray, b: np.ndarray, bias: np.ndarray) -> np.ndarray:
    r = a.astype(np.float32) @ b.astype(np.float32) + bias.astype(np.float32)
    return np.maximum(r, 0).astype(BF16).astype(np.float32)


@pytest.mark.parametrize("sched", [{}, {"tile": (128, 128, 64), "split_k": 2}, {"tile": (128, 128, 64), "policy": "pingpong"}])
def test_fused_bf16_gemm_interpreted_per_schedule(sched: dict[str, object]) -> None:
    m, n, k = 200, 136, 160  # edge tiles in M, N and K
    module = _module(m, n, k)
    low = lower_module(module, LowerOptions(schedules={"mm_gemm1": sched} if sched else {}))
    low.module.verify()
    (kernel,) = [op for op in low.module.body.block.ops if isinstance(op, cu.KernelOp)]
    spec = spec_of(kernel)
    assert spec.epilogue == ("bias", "relu") and spec.a_type == "bf16"
    assert [o.op.data for o in body_ops(kernel) if isinstance(o, cu.EpilogueOp)] == ["bias", "relu", "convert"]
    rng = np.random.default_rng(1)
    a = rng.standard_normal((m, k)).astype(BF16)
    b = rng.standard_normal((k, n)).astype(BF16)
    bias = rng.standard_normal(n).astype(BF16)
    d = np.full((m, n), np.nan, dtype=BF16)
    run_cuda(low.module, _fn(low.module), [a, b, bias, d])
    ref = _bf16_reference(a, b, bias)
    err = np.linalg.norm(d.astype(np.float32) - ref) / np.linalg.norm(ref)
    assert err < 1e-2
    # the interpreter runs the body: without the relu op the result changes
    relu = next(o for o in body_ops(kernel) if isinstance(o, cu.EpilogueOp) and o.op.data == "relu")
    relu.detach()
    run_cuda(low.module, _fn(low.module), [a, b, bias, d])
    assert (d.astype(np.float32) < 0).any()


CORPUS = ["extra_linalg/gemm_nn_f32", "extra_linalg/batched_matmul_f32", "extra_linalg/bias_relu_f32",
          "extra_linalg/row_sums_f32", "llama/softmax_part1", "llama/rmsnorm_part2", "dsp/vadd",
          "extra_gemmini/matmul_requant_i8", "extra_control/argmax_i32"]


def test_corpus_kernels_compile_and_match_the_reference(tmp_path: Path) -> None:
    from liftcomp.targets.cli import compile_file

    kinds = set()
    for name in CORPUS:
        out = tmp_path / name.replace("/", "_")
        report = compile_file(REPO / "test" / "corpus" / f"{name}.mlir", out, "cuda", dyn_size=32)
        (f,) = report["kernels"]
        assert f["correct"] is True, (name, f)
        kinds |= {k["kind"] for k in f["schedule"]}
        if name.endswith("argmax_i32"):  # not lowered: the input loops stay on the host, with a remark
            assert [k["kind"] for k in f["schedule"]] == ["host"] and "loop nests" in f["schedule"][0]["remark"]
            continue
        assert f["schedule"] and f["unit"] == "ns" and f["cost"] > 0, name
        cc = json.loads((out / "compile_commands.json").read_text())
        assert {c["file"] for c in cc} == {p.name for p in out.glob("*.cu")}
        assert {c["file"].rsplit(".", 2)[1] for c in cc} == {"sm_90a", "sm_80"}
        assert (out / "launcher.py").is_file() and (out / "kernels.h").is_file()
    assert kinds == {"gemm", "eltwise", "reduce", "transpose", "host"}


def test_cli_error_writes_nothing(tmp_path: Path) -> None:
    p = subprocess.run([str(Path(shutil.which("liftcomp") or "liftcomp")), "compile", str(tmp_path / "none.mlir"),
                        "--target", "cuda", "-o", str(tmp_path / "out")], capture_output=True, text=True)
    assert p.returncode != 0 and "no such file" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "out").exists()


# ---------------------------------------------------------------- search and records


def test_search_is_never_worse_than_default_and_records_replay(tmp_path: Path) -> None:
    module = _module(8192, 8192, 8192)
    space = CudaSpace(module, "mm", CONFIGS["h100"])
    ranked = search(space, iterations=2)
    best, cost = ranked[0]
    assert cost <= space.cost_model().predict(space.initial())
    assert len(ranked) > 5
    # every candidate passed the verifiers; a refused rewrite names the limit
    from liftcomp.search.space import Refused, Step

    with pytest.raises(Refused, match="shared memory"):
        space.menu.apply(space.initial(), Step("stages", {"n": 8}), space.context)
    with pytest.raises(Refused, match="registers"):
        space.menu.apply(space.initial(), Step("gemm_tile", {"m": "256", "n": "256"}), space.context)
    # a record for this kernel and size replaces the default schedule in the lowering
    (spec,) = space.initial().specs
    rec = {"key": record_key(spec, problem_dims(spec, 0)), "schedule": {**spec.schedule_json(), "swizzle": 8,
                                                                       "raster": "n"}, "ns": 1.0}
    low = lower_module(module, LowerOptions(records=[rec]))
    (k,) = [spec_of(op) for op in low.module.body.block.ops if isinstance(op, cu.KernelOp)]
    assert (k.gemm.swizzle, k.gemm.raster) == (8, "n")
    assert low.kernels[0]["schedule_source"] == "records"


def test_shipped_h100_records_replay_the_measured_schedules() -> None:
    from liftcomp.targets.cuda.tuning import default_records_path, load_records

    records = load_records(default_records_path())
    gemm = [r for r in records if json.loads(r["key"])["spec"]["kind"] == "gemm"]
    assert gemm, "no GEMM records"
    for r in gemm:
        assert r["ns"] <= r["default_ns"] * 1.0001, r  # the searched schedule is not slower than the default
    module = _module(8192, 8192, 8192)
    low = lower_module(module, LowerOptions(records=records))
    assert low.kernels[0]["schedule_source"] == "records"


# ---------------------------------------------------------------- nvcc builds (no GPU needed)


def _representative() -> list[KernelSpec]:
    base = [
        default_spec(KernelSpec("g_bias_relu", "gemm", epilogue=("bias", "relu"))),
        KernelSpec("g_i8", "gemm", a_type="i8", b_type="i8", out_type="i32", acc_type="i32", b_layout="col"),
        KernelSpec("g_f32", "gemm", a_type="f32", b_type="f32", out_type="f32", epilogue=("scale", "residual")),
        default_spec(KernelSpec("softmax", "row", row_op="softmax", static_dims=(8192, 8192))),
        default_spec(KernelSpec("layernorm", "row", row_op="layernorm")),
        KernelSpec("ew", "eltwise", a_type="f32", out_type="f32", n_inputs=2, n_scalars=1, input_kinds=("full", "col"),
                   in_types=("f32", "f32"), body="lc_minimumf(x0 + x1, (float)s0)"),
        # a maximumf max (lc_maximumf in each step and the tree) from the output's initial value (rowb)
        KernelSpec("rd", "reduce", a_type="f32", out_type="f32", n_inputs=3, input_kinds=("row", "col", "rowb"),
                   in_types=("f32", "f32", "f32"), body="x0 * x1", combine="max"),
        KernelSpec("tr", "transpose", a_type="bf16", out_type="bf16"),
        # the ordered (IEEE-proved) GEMM's shared-memory tiles: f32 with a residual and a col-major B,
        # bf16 (each step rounded to bf16) with a row-major B
        KernelSpec("g_ord", "gemm", a_type="f32", b_type="f32", out_type="f32", ordered=True, b_layout="col",
                   epilogue=("residual",)),
        KernelSpec("g_ord_bf16", "gemm", a_type="bf16", b_type="bf16", out_type="bf16", ordered=True),
        KernelSpec("fused", "row", row_op="fused", a_type="bf16", out_type="bf16", n_inputs=2,
                   input_kinds=("row", "col"), in_types=("bf16", "bf16"), static_dims=(8192, 8192), body=json.dumps({
                       "lines": ["float v1; { float a = 0.f; for (int j = 0; j < N; j++) if (lc_valid(j, cols)) "
                                 "{ float x = in0[j] * in0[j]; a += x; } a = lc_block_reduce<0>(a, red); v1 = a; }",
                                 "float v3; { float a = -INFINITY; for (int j = 0; j < N; j++) if (lc_valid(j, cols)) "
                                 "{ float x = in0[j]; a = lc_maximumf(a, x); } a = lc_block_reduce<2>(a, red); "
                                 "v3 = lc_maximumf(0.0f, a); }",
                                 "float v2[N]; for (int j = 0; j < N; j++) v2[j] = in0[j] * rsqrtf(v1 / 8192.0f + 1e-5f)"
                                 " * in1[j] + v3;"],
                       "out": "v2", "reductions": ["sum", "max"]})),
    ]
    sm80 = [replace(s, arch="sm_80") for s in base]
    # sm_90a GEMMs are CUTLASS instantiations (25-45 s of one core each): the fused bf16 epilogue
    # (cooperative, 2x1 cluster), the int8 GEMM, and fp16 with the other policy and no cluster
    # (pingpong, 1x1) cover each template path the lowering emits.
    f16_pingpong = KernelSpec("g_f16_pp", "gemm", a_type="f16", b_type="f16", out_type="f16").with_gemm(
        policy="pingpong", cluster=(1, 1), tile=(128, 128, 64))
    return base[:2] + [f16_pingpong] + [replace(s, arch="sm_90a") for s in base[2:]] + sm80


@pytest.mark.skipif(shutil.which("nvcc") is None, reason="nvcc not installed")
def test_emitted_kernels_compile_for_sm90a_and_sm80(tmp_path: Path) -> None:
    cache = Path.home() / ".cache" / "liftcomp" / "cuda-test-builds"
    cache.mkdir(parents=True, exist_ok=True)

    def build(spec: KernelSpec) -> str:
        src = emit_kernel(spec)
        done = cache / f"{spec.name}.{spec.arch}.{source_hash(src)}.ok"
        if done.exists():
            return ""
        cu_file = tmp_path / f"{spec.name}.{spec.arch}.cu"
        cu_file.write_text(src)
        cmd = nvcc_command(str(cu_file), str(tmp_path / f"{spec.name}.{spec.arch}.cubin"), spec.arch, shared=False)
        r = subprocess.run(cmd, capture_output=True, text=True)
        if r.returncode == 0:
            done.write_text("")
            return ""
        return f"{spec.name} ({spec.arch}):\n{r.stderr[-1500:]}"

    specs = _representative()
    with ThreadPoolExecutor(2) as pool:
        errors = [e for e in pool.map(build, specs) if e]
    assert not errors, "\n".join(errors)


def test_gpu_evaluator_says_when_there_is_no_gpu() -> None:
    if shutil.which("nvidia-smi") is not None:
        pytest.skip("a GPU is present")
    from liftcomp.targets.cuda.evaluate import CudaGpuEvaluator

    low = lower_module(_module(64, 64, 64))
    with pytest.raises(LiftcompError, match="no NVIDIA GPU"):
        CudaGpuEvaluator(CONFIGS["h100"]).run(low.module, "mm", [])


def test_bf16_lifts_with_a_proof_and_compiles_for_cuda(tmp_path: Path) -> None:
    """bf16 end to end: z3 semantics (FPSort(8, 8)), numpy evaluation through ml_dtypes, the
    raised IR in bf16, the CUDA lowering and the interpreter against the reference."""
    from liftcomp.lift.liftcomp_raise import raise_module
    from liftcomp.targets.cli import compile_file

    src = REPO / "test" / "python" / "Inputs" / "cuda_bf16_kernels.mlir"
    module = parse_mlir(src.read_text(), str(src))
    _, reports = raise_module(module, None, None)
    assert {r.name: r.proof for r in reports} == {"mm_bf16": "proved", "scale_bf16": "proved"}
    assert "tensor<8x4xbf16>" in str(module)
    report = compile_file(src, tmp_path / "out", "cuda", search={"search": "beam", "budget": 12})
    assert [f["correct"] for f in report["kernels"]] == [True, True]
    kinds = {k["kind"] for f in report["kernels"] for k in f["schedule"]}
    assert "gemm" in kinds and "eltwise" in kinds


def test_target_ir_round_trips_through_mlir_opt_with_the_irdl_export(tmp_path: Path) -> None:
    from liftcomp.interop.mlir_tool import run_mlir_opt_text
    from liftcomp.targets.cli import compile_file

    compile_file(REPO / "test" / "corpus" / "extra_linalg" / "bias_relu_f32.mlir", tmp_path, "cuda")
    irdl = f"--irdl-file={REPO / 'dialects' / 'all.irdl.mlir'}"
    once = run_mlir_opt_text((tmp_path / "bias_relu_f32.cuda.mlir").read_text(), [irdl])
    assert '"cuda.kernel"' in once and "@bias_relu_f32_eltwise1.body" in once and "cuda.store_tile" in once
    assert run_mlir_opt_text(once, [irdl]) == once


def test_llm_planner_and_builtin_planner_search_the_cuda_menu(llm_server) -> None:  # noqa: ANN001
    from liftcomp.llm import LLMClient
    from liftcomp.llm.testing import Reply
    from liftcomp.search.beam import SearchOptions, beam_search
    from liftcomp.search.driver import make_planner
    from liftcomp.search.llm_planner import LLMPlanner
    from liftcomp.search.problem import Problem

    fn = _fn(_module(256, 512, 128))
    problem = Problem.for_function("cuda", fn, workers=1)
    opts = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=1, impls_per_plan=1)
    plan = '{"rewrite": "gemm_tile", "params": {"m": "256", "n": "128"}, "reason": "taller tiles"}'
    llm_server.script(Reply([plan]), Reply(['{"params": {"m": "256", "n": "128", "kernel": 0}}']))
    r = beam_search(problem, LLMPlanner(LLMClient(llm_server.config()), dropout=0.0, off_menu=0.0), opts)
    (kid,) = [c for c in r.candidates if c.parent is not None]
    assert [str(s) for s in kid.steps] == ["gemm_tile(kernel=0, m=256, n=128)"]
    assert kid.metrics is not None and kid.metrics.correct, kid.status
    text = llm_server.requests[0].text
    assert "H100" in text and "gemm_tile(" in text and "tile_order(" in text
    # the built-in (cost-model) planner improves on the default schedule of this small problem
    r2 = beam_search(problem, make_planner(problem, "builtin"), SearchOptions(beam_width=1, iterations=1, budget=6))
    assert r2.best is not None and r2.best.cost < r2.root.cost


def test_row_kernels_written_as_loops_fuse_into_one_kernel(tmp_path: Path) -> None:
    from liftcomp.targets.cli import compile_file

    src = REPO / "test" / "python" / "Inputs" / "cuda_row_kernels.mlir"
    report = compile_file(src, tmp_path, "cuda")
    for f in report["kernels"]:
        assert f["correct"] is True, f
        (k,) = f["schedule"]  # softmax: max, exp, sum, divide; rmsnorm: sum of squares, scale: one kernel
        assert k["kind"] == "row", k
    text = (tmp_path / "softmax_rows_rows1.sm_90a.cu").read_text()
    # the raiser's repeated max is computed once; the source's fastmath<fast> is recorded on the
    # raised ops with its nnan and nsz, so the max may be fmaxf (NaN and a zero's sign don't matter)
    assert text.count("lc_block_reduce<1>(a, red)") == 1 and "a = fmaxf(a, x);" in text and "lc_maximumf(a" not in text
    assert text.count("lc_block_reduce<0>(a, red)") == 1


def test_cost_model_refits_to_measured_records() -> None:
    from liftcomp.targets.cuda.cost_model import kernel_ns, refit
    from liftcomp.targets.cuda.kernels import spec_to_json

    spec = default_spec(KernelSpec("g", "gemm", static_dims=(8192, 8192, 8192, 1)))
    dims = (8192, 8192, 8192, 1)
    before = kernel_ns(spec, dims)
    measured = 1.25 * before
    params = refit([{"spec": spec_to_json(spec), "dims": list(dims), "ns": measured}])
    assert params.wgmma_efficiency < CONFIGS["h100"].params.wgmma_efficiency
    assert abs(kernel_ns(spec, dims, params) - measured) / measured < 0.05
    # the shipped GPU tuning records refit both efficiencies
    from liftcomp.targets.cuda.tuning import default_records_path, load_records

    fitted = refit(load_records(default_records_path()))
    assert fitted.wgmma_efficiency != params.wgmma_efficiency and 0.3 < fitted.hbm_efficiency <= 1.0


def test_host_fallback_runs_the_input_loops_of_a_function_lifted_body_by_body(tmp_path: Path) -> None:
    from liftcomp.targets.cli import compile_file

    # Without fastmath flags the raising keeps rmsnorm's row loop and lifts its body: loops around
    # tensor ops, which neither the GPU path nor the reference executor runs. The host fallback
    # must run the input loop nest instead (it ran the partly lifted function: 'tensor.empty').
    src = (REPO / "test" / "python" / "Inputs" / "cuda_row_kernels.mlir").read_text()
    start = src.index("func.func @rmsnorm_rows")
    (tmp_path / "rows.mlir").write_text(src[start:].replace(" fastmath<fast>", ""))
    report = compile_file(tmp_path / "rows.mlir", tmp_path / "out", "cuda")
    (f,) = report["kernels"]
    assert f["correct"] is True, f
    assert [k["kind"] for k in f["schedule"]] == ["host"] and "input loop nests" in f["schedule"][0]["remark"]
    lowered = (tmp_path / "out" / "rows.cuda.mlir").read_text()
    assert "scf.for" in lowered and "tensor." not in lowered and "linalg." not in lowered


# The ordered GEMM's kernel text run on the host: each CUDA thread a std::thread, __syncthreads a
# std::barrier, __shared__ one static array per instantiation (blocks run one after another),
# __fmul_rn / __fadd_rn plain f32 operations built without contraction. It checks the tiles' k order,
# bounds and indexing bit for bit (any NaN equal) against the interpreter; nvcc builds the same text above.
_HOST_SHIM = """\
#include <barrier>
#include <cstddef>
#include <cstdint>
#include <thread>
#include <vector>
struct lc_dim3 { unsigned x, y, z; };
thread_local lc_dim3 threadIdx, blockIdx;
static std::barrier<>* lc_bar;
static inline void __syncthreads() { lc_bar->arrive_and_wait(); }
#define __global__
#define __device__
#define __forceinline__ inline
#define __restrict__
#define __launch_bounds__(x)
#define __shared__ static
static inline float __fmul_rn(float a, float b) { return a * b; }
static inline float __fadd_rn(float a, float b) { return a + b; }
static inline float lc_to_f(float x) { return x; }
template <class T> T lc_from_f(float x);
template <> inline float lc_from_f<float>(float x) { return x; }
"""

_HOST_LAUNCH = """
template <int T> static void lc_launch(const float* A, const float* B, const float* R, float* D, int M, int N, int K, int L) {
  unsigned blocks = (unsigned)(((N + 16 * T - 1) / (16 * T)) * ((M + 16 * T - 1) / (16 * T)));
  std::barrier<> bar(256);
  lc_bar = &bar;
  for (unsigned l = 0; l < (unsigned)L; l++)
    for (unsigned b = 0; b < blocks; b++) {
      std::vector<std::thread> th;
      for (unsigned t = 0; t < 256; t++)
        th.emplace_back([=] { threadIdx = {t % 16, t / 16, 0}; blockIdx = {b, 0, l}; KERNEL<T>(A, B, R, D, M, N, K); });
      for (auto& x : th) x.join();
    }
}
extern "C" void lc_host(int t, const float* A, const float* B, const float* R, float* D, int M, int N, int K, int L) {
  if (t == 4) lc_launch<4>(A, B, R, D, M, N, K, L);
  else if (t == 2) lc_launch<2>(A, B, R, D, M, N, K, L);
  else lc_launch<1>(A, B, R, D, M, N, K, L);
}
"""


@pytest.mark.skipif(shutil.which("g++") is None, reason="g++ not installed")
def test_ordered_gemm_tiles_run_on_the_host_bit_for_bit(tmp_path: Path) -> None:
    import ctypes

    from liftcomp.targets.base import same_bits
    from liftcomp.targets.cuda.interp import run_ordered_gemm

    specs = [KernelSpec("ord_res_col", "gemm", a_type="f32", b_type="f32", out_type="f32", ordered=True,
                        b_layout="col", epilogue=("residual",)),
             KernelSpec("ord_row", "gemm", a_type="f32", b_type="f32", out_type="f32", ordered=True)]
    rng = np.random.default_rng(7)
    m, n, k, batch = 37, 45, 53, 2  # none a multiple of a tile (16, 32, 64) or of BK = 16

    def operand(shape: tuple[int, ...]) -> np.ndarray:
        x = rng.standard_normal(shape).astype(np.float32) * np.float32(3)
        flat = x.reshape(-1)  # a few NaN, inf and signed zeros: a padded or reordered term shows
        flat[rng.integers(0, flat.size, flat.size // 40)] = rng.choice(
            np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, 3e38], np.float32), flat.size // 40)
        return x

    for spec in specs:
        src = emit_kernel(spec)
        body = src[src.index("__device__ __forceinline__ float lc_r"):src.index('extern "C" int lc_')]
        cpp = tmp_path / f"{spec.name}.cpp"
        cpp.write_text(_HOST_SHIM + body + _HOST_LAUNCH.replace("KERNEL", f"lc_{spec.name}_kernel"))
        lib = tmp_path / f"lib{spec.name}.so"
        r = subprocess.run(["g++", "-std=c++20", "-O1", "-ffp-contract=off", "-fPIC", "-shared", "-pthread",
                            "-o", str(lib), str(cpp)], capture_output=True, text=True)
        assert r.returncode == 0, r.stderr[-2000:]
        fn = ctypes.CDLL(str(lib)).lc_host
        col = spec.b_layout == "col"
        a = operand((batch, m, k))
        b = operand((batch, n, k) if col else (batch, k, n))
        res = operand((batch, m, n)) if "residual" in spec.epilogue else None
        if res is not None:  # rows of -0.0 terms from a -0.0 start: a padded +0.0 term would make them +0.0
            a[:, :5], res[:, :5], b = np.float32(-0.0), np.float32(-0.0), np.abs(b)
        want = run_ordered_gemm(spec, [a, b] + ([res] if res is not None else []) + [np.zeros((batch, m, n), np.float32)])
        f32p = ctypes.POINTER(ctypes.c_float)
        for t in (1, 2, 4):
            d = np.full((batch, m, n), np.nan, np.float32)
            fn(t, a.ctypes.data_as(f32p), b.ctypes.data_as(f32p), None if res is None else res.ctypes.data_as(f32p),
               d.ctypes.data_as(f32p), m, n, k, batch)
            # bit for bit, any NaN equal to any NaN (x86 and numpy pick a NaN's sign by operand order)
            assert same_bits([d], [want]), (spec.name, t)
