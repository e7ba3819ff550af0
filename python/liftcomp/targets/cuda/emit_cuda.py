"""CUDA C++ emission: one self-contained .cu per kernel, a C ABI entry each, compile commands.

sm_90a GEMMs are built on CUTLASS 3.x / CuTe headers (the `nvidia-cutlass` wheel ships them):
TMA loads with mbarriers, wgmma, producer/consumer warp specialisation and the persistent tile
scheduler are NVIDIA's maintained implementation, which reaches cuBLAS speed and follows new
toolkits; our schedule (tile, cluster, policy, stages, swizzle, raster, split-K) picks its template
and run-time parameters, and epilogues map to its epilogue visitor trees. Everything else
(the sm_80 GEMM with cp.async + WMMA, row kernels, elementwise chains, reductions, transposes) is
plain CUDA written here: short, and it compiles in seconds for both architectures.

The C ABI of every kernel (declared in kernels.h):
    int lc_<name>(void* const* buffers, const int64_t* dims, const double* scalars, void* stream)
buffers are device pointers in `KernelSpec.buffer_names()` order, dims as spec.py lists them per
kind; 0 is success, anything else an error whose text `lc_<name>_error()` returns.
"""

from __future__ import annotations

import hashlib
import json
import shlex
from importlib.util import find_spec
from pathlib import Path

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.cuda.scalar import C_HELPERS
from liftcomp.targets.cuda.spec import DTYPES, KernelSpec

_CUTLASS_TYPES = {"bf16": "cutlass::bfloat16_t", "f16": "cutlass::half_t", "i8": "int8_t", "i32": "int32_t",
                  "f32": "float"}


def cutlass_include_dirs() -> list[Path]:
    """The CUTLASS/CuTe include folders of the installed `nvidia-cutlass` wheel."""
    spec = find_spec("cutlass_library")
    if spec is None or not spec.submodule_search_locations:
        raise LiftcompError("the sm_90a GEMM needs CUTLASS headers: pip install 'liftcomp[cuda]' (nvidia-cutlass)")
    root = Path(next(iter(spec.submodule_search_locations))) / "source"
    return [root / "include", root / "tools" / "util" / "include"]


def nvcc_command(src: str, out: str, arch: str, shared: bool = True, includes: list[str] | None = None,
                 fmad: bool = True) -> list[str]:
    """The exact nvcc command that builds one emitted file (also written to compile_commands.json).
    `includes` replaces the CUTLASS include folders of the installed wheel; fmad=False keeps nvcc
    from fusing a multiply and an add (KernelSpec.fmad: an IEEE-proved kernel)."""
    # sm_80 libraries also carry PTX, which the driver compiles for newer GPUs (the H100 runs them)
    gencode = ("-gencode=arch=compute_90a,code=sm_90a" if arch == "sm_90a"
               else "-gencode=arch=compute_80,code=[sm_80,compute_80]" if shared
               else "-gencode=arch=compute_80,code=sm_80")
    cmd = ["nvcc", "-std=c++17", "-O3", "-DNDEBUG", gencode, "--expt-relaxed-constexpr", "-Xcompiler", "-fPIC"]
    if not fmad:
        cmd.append("-fmad=false")
    if arch == "sm_90a":
        cmd += [f"-I{p}" for p in (includes if includes is not None else cutlass_include_dirs())]
    cmd += ["-shared", "-o", out, src] if shared else ["-cubin", "-o", out, src]
    return cmd


def source_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


_PRELUDE = """\
// Emitted by liftcomp (liftcomp-lower-cuda + emit). Kernel: {name}, kind {kind}, arch {arch}.
// Schedule: {schedule}
#include <cuda_runtime.h>
#include <cuda_bf16.h>
#include <cuda_fp16.h>
#include <stdint.h>
#include <math.h>
#include <string.h>
static const char* lc_err = "";
extern "C" const char* lc_{name}_error() {{ return lc_err; }}
#define LC_CHECK(x) do {{ cudaError_t e_ = (x); if (e_ != cudaSuccess) {{ lc_err = cudaGetErrorString(e_); return 10; }} }} while (0)
__device__ __forceinline__ float lc_to_f(float x) {{ return x; }}
__device__ __forceinline__ float lc_to_f(__nv_bfloat16 x) {{ return __bfloat162float(x); }}
__device__ __forceinline__ float lc_to_f(__half x) {{ return __half2float(x); }}
__device__ __forceinline__ float lc_to_f(int8_t x) {{ return (float)x; }}
__device__ __forceinline__ float lc_to_f(int32_t x) {{ return (float)x; }}
template <class T> __device__ __forceinline__ T lc_from_f(float x);
template <> __device__ __forceinline__ float lc_from_f<float>(float x) {{ return x; }}
template <> __device__ __forceinline__ __nv_bfloat16 lc_from_f<__nv_bfloat16>(float x) {{ return __float2bfloat16_rn(x); }}
template <> __device__ __forceinline__ __half lc_from_f<__half>(float x) {{ return __float2half_rn(x); }}
template <> __device__ __forceinline__ int32_t lc_from_f<int32_t>(float x) {{ return (int32_t)x; }}
"""


def _prelude(spec: KernelSpec) -> str:
    return _PRELUDE.format(name=spec.name, kind=spec.kind, arch=spec.arch,
                           schedule=json.dumps(spec.schedule_json(), sort_keys=True)) + C_HELPERS


def emit_kernel(spec: KernelSpec) -> str:
    """The .cu text of one kernel."""
    if spec.ordered:
        return _emit_gemm_ordered(spec) if spec.kind == "gemm" else _emit_reduce_ordered(spec)
    if spec.kind == "gemm":
        return _emit_gemm_sm90(spec) if spec.arch == "sm_90a" and spec.a_type != "f32" else _emit_gemm_portable(spec)
    if spec.kind == "row":
        return _emit_row(spec)
    if spec.kind == "eltwise":
        return _emit_eltwise(spec)
    if spec.kind == "reduce":
        return _emit_reduce(spec)
    if spec.kind == "transpose":
        return _emit_transpose(spec)
    raise LiftcompError(f"cuda emit: unknown kernel kind '{spec.kind}' ({spec.name})")


# ---------------------------------------------------------------------------------------------
# sm_90a GEMM on CUTLASS 3.x


def _fusion(spec: KernelSpec) -> tuple[str, str]:
    """(CUTLASS fusion operation, ElementC): act(alpha * acc + beta * C + bias) in that order."""
    ed = _CUTLASS_TYPES[spec.out_type]
    comp = "int32_t" if spec.acc_type == "i32" else "float"
    ec = ed if "residual" in spec.epilogue else "void"
    bias = "bias" in spec.epilogue
    relu = "relu" in spec.epilogue
    if bias and relu:
        return (f"cutlass::epilogue::fusion::LinCombPerColBiasEltAct<LcRelu, {ed}, {comp}, "
                f"{ed}, {ec}, {comp}>", ec)
    if bias:
        return f"cutlass::epilogue::fusion::LinCombPerColBias<{ed}, {comp}, {ed}, {ec}, {comp}>", ec
    if relu:
        return f"cutlass::epilogue::fusion::LinCombEltAct<LcRelu, {ed}, {comp}, {ec}, {comp}>", ec
    return f"cutlass::epilogue::fusion::LinearCombination<{ed}, {comp}, {ec}, {comp}>", ec


def _emit_gemm_sm90(spec: KernelSpec) -> str:
    g = spec.gemm
    ea, eb, ed = (_CUTLASS_TYPES[t] for t in (spec.a_type, spec.b_type, spec.out_type))
    acc = "int32_t" if spec.acc_type == "i32" else "float"
    lb = "cutlass::layout::RowMajor" if spec.b_layout == "row" else "cutlass::layout::ColumnMajor"
    align_ab = 16 // DTYPES[spec.a_type][1]
    align_d = 16 // DTYPES[spec.out_type][1]
    fusion, ec = _fusion(spec)
    if not g.persistent:
        mainloop, epi_sched = "cutlass::gemm::KernelTmaWarpSpecialized", "cutlass::epilogue::TmaWarpSpecialized"
    elif g.policy == "pingpong":
        mainloop, epi_sched = "cutlass::gemm::KernelTmaWarpSpecializedPingpong", "cutlass::epilogue::TmaWarpSpecialized"
    else:
        mainloop = "cutlass::gemm::KernelTmaWarpSpecializedCooperative"
        epi_sched = "cutlass::epilogue::TmaWarpSpecializedCooperative"
    scheduler = "cutlass::gemm::StreamKScheduler" if g.split_k > 1 else "cutlass::gemm::PersistentScheduler"
    stages = (f"cutlass::gemm::collective::StageCount<{g.stages}>" if g.stages else
              "cutlass::gemm::collective::StageCountAutoCarveout<static_cast<int>(sizeof(typename Epi::SharedStorage))>")
    raster_code = {"m": 1, "n": 2}.get(g.raster, 0)
    tm, tn, tk = g.tile
    cm, cn = g.cluster
    alpha = "(" + acc + ")scalars[0]" if "scale" in spec.epilogue else "(" + acc + ")1"
    bufs = spec.buffer_names()
    idx = {n: i for i, n in enumerate(bufs)}
    c_ptr = f"({ec} const*)buffers[{idx['residual']}]" if ec != "void" else "nullptr"
    beta = f"({acc})1" if ec != "void" else f"({acc})0"
    bias_set = (f"  args.epilogue.thread.bias_ptr = ({ed} const*)buffers[{idx['bias']}];\n"
                if "bias" in spec.epilogue else "")
    split = (f"  args.scheduler.splits = {g.split_k};\n"
             "  args.scheduler.decomposition_mode = cutlass::gemm::kernel::detail::DecompositionMode::SplitK;\n"
             if g.split_k > 1 else "")
    return _prelude(spec) + f"""\
#include "cutlass/cutlass.h"
#include "cute/tensor.hpp"
#include "cutlass/gemm/dispatch_policy.hpp"
#include "cutlass/gemm/collective/collective_builder.hpp"
#include "cutlass/epilogue/collective/collective_builder.hpp"
#include "cutlass/epilogue/fusion/operations.hpp"
#include "cutlass/epilogue/thread/activation.h"
#include "cutlass/gemm/device/gemm_universal_adapter.h"
#include "cutlass/gemm/kernel/gemm_universal.hpp"
#include "cutlass/gemm/kernel/tile_scheduler.hpp"
#include "cutlass/util/packed_stride.hpp"
using namespace cute;
// The epilogue's relu as the lowering fuses it (and the portable kernels compute it): v > 0 ? v : 0,
// NaN -> 0 and -0.0 -> +0.0. CUTLASS's ReLu is max.NaN (NaN -> NaN): a different op.
template <class T> struct LcRelu {{
  static const bool kIsHeavy = false;
  CUTLASS_HOST_DEVICE T operator()(T const& v) const {{ return v > T(0) ? v : T(0); }}
}};
template <class T, int N> struct LcRelu<cutlass::Array<T, N>> {{
  static const bool kIsHeavy = false;
  CUTLASS_HOST_DEVICE cutlass::Array<T, N> operator()(cutlass::Array<T, N> const& v) const {{
    cutlass::Array<T, N> r;
    CUTLASS_PRAGMA_UNROLL
    for (int i = 0; i < N; ++i) r[i] = v[i] > T(0) ? v[i] : T(0);
    return r;
  }}
}};
namespace lcns_{spec.name} {{
using Tile = Shape<_{tm}, _{tn}, _{tk}>;
using Cluster = Shape<_{cm}, _{cn}, _1>;
using Epi = typename cutlass::epilogue::collective::CollectiveBuilder<
    cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp, Tile, Cluster,
    cutlass::epilogue::collective::EpilogueTileAuto, {acc}, {acc},
    {ec}, cutlass::layout::RowMajor, {align_d}, {ed}, cutlass::layout::RowMajor, {align_d},
    {epi_sched}, {fusion}>::CollectiveOp;
using Main = typename cutlass::gemm::collective::CollectiveBuilder<
    cutlass::arch::Sm90, cutlass::arch::OpClassTensorOp,
    {ea}, cutlass::layout::RowMajor, {align_ab}, {eb}, {lb}, {align_ab}, {acc}, Tile, Cluster,
    {stages}, {mainloop}>::CollectiveOp;
using Kernel = cutlass::gemm::kernel::GemmUniversal<Shape<int, int, int, int>, Main, Epi, {scheduler}>;
using Gemm = cutlass::gemm::device::GemmUniversalAdapter<Kernel>;
static void* workspace = nullptr;
static size_t workspace_bytes = 0;
static int sm_count = 0;
static int swizzle = {g.swizzle};
static int raster = {raster_code};  // 0 heuristic, 1 along M, 2 along N
}}

// The tile order is a run-time parameter of CUTLASS's persistent scheduler: the search can try
// orders without recompiling; the emitted values are the schedule's.
extern "C" void lc_{spec.name}_tile_order(int swizzle, int raster) {{
  lcns_{spec.name}::swizzle = swizzle;
  lcns_{spec.name}::raster = raster;
}}

extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  using namespace lcns_{spec.name};
  (void)scalars;
  int M = (int)dims[0], N = (int)dims[1], K = (int)dims[2], L = (int)dims[3];
  if (sm_count == 0) sm_count = cutlass::KernelHardwareInfo::query_device_multiprocessor_count(0);
  cutlass::KernelHardwareInfo hw;
  hw.device_id = 0;
  hw.sm_count = sm_count;
  auto sA = cutlass::make_cute_packed_stride(Gemm::GemmKernel::StrideA{{}}, cute::make_shape(M, K, L));
  auto sB = cutlass::make_cute_packed_stride(Gemm::GemmKernel::StrideB{{}}, cute::make_shape(N, K, L));
  auto sC = cutlass::make_cute_packed_stride(Gemm::GemmKernel::StrideC{{}}, cute::make_shape(M, N, L));
  auto sD = cutlass::make_cute_packed_stride(Gemm::GemmKernel::StrideD{{}}, cute::make_shape(M, N, L));
  Gemm::Arguments args{{cutlass::gemm::GemmUniversalMode::kGemm, {{M, N, K, L}},
      {{({ea} const*)buffers[0], sA, ({eb} const*)buffers[1], sB}},
      {{{{}}, {c_ptr}, sC, ({ed}*)buffers[{idx['D']}], sD}}, hw}};
  args.epilogue.thread.alpha = {alpha};
  args.epilogue.thread.beta = {beta};
{bias_set}  args.scheduler.max_swizzle_size = swizzle;
  using RO = cutlass::gemm::kernel::detail::RasterOrderOptions;
  args.scheduler.raster_order = raster == 1 ? RO::AlongM : raster == 2 ? RO::AlongN : RO::Heuristic;
{split}  Gemm op;
  if (op.can_implement(args) != cutlass::Status::kSuccess) {{ lc_err = "CUTLASS cannot implement this problem (alignment or shape)"; return 1; }}
  size_t need = Gemm::get_workspace_size(args);
  if (need > workspace_bytes) {{
    if (workspace) cudaFree(workspace);
    LC_CHECK(cudaMalloc(&workspace, need));
    workspace_bytes = need;
  }}
  if (op.initialize(args, workspace, (cudaStream_t)stream) != cutlass::Status::kSuccess) {{ lc_err = "CUTLASS initialize failed"; return 2; }}
  if (op.run((cudaStream_t)stream) != cutlass::Status::kSuccess) {{ lc_err = "CUTLASS launch failed"; return 3; }}
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


# ---------------------------------------------------------------------------------------------
# portable GEMM (sm_80 and later): cp.async double buffering into shared memory + WMMA


def _emit_gemm_portable(spec: KernelSpec) -> str:
    if spec.a_type == "f32":
        return _emit_gemm_simt(spec)
    ta, tb, to = (DTYPES[t][0] for t in (spec.a_type, spec.b_type, spec.out_type))
    integer = spec.acc_type == "i32"
    acc = "int" if integer else "float"
    frag_t = "signed char" if integer else ta
    idx = {n: i for i, n in enumerate(spec.buffer_names())}
    col_b = spec.b_layout == "col"
    epi = []
    if "scale" in spec.epilogue:
        epi.append("v = v * alpha;")
    if "residual" in spec.epilogue:
        epi.append(f"v = v + ({acc})lc_to_f(R[(size_t)l * M * N + (size_t)gm * N + gn]);")
    if "bias" in spec.epilogue:
        epi.append(f"v = v + ({acc})lc_to_f(bias[gn]);")
    if "relu" in spec.epilogue:
        epi.append("v = v > 0 ? v : 0;")
    store = "(int32_t)v" if spec.out_type == "i32" else f"lc_from_f<{to}>((float)v)"
    if col_b:
        b_load = "lc_load_chunked(Bs_(buf ^ 0), B, BN, ((size_t)l * N + gn0) * K + k0, K, N - gn0, K - k0);"
        b_frag = (f"wmma::load_matrix_sync(b[j], (const {frag_t}*)&Bs[(kk / 16) * BN * LDK + (wn * 32 + j * 16) * LDK], "
                  "LDK);")
        b_layout, b_bytes = "wmma::col_major", "(BK / 16) * BN * LDK * (int)sizeof(TB)"
    else:
        b_load = "lc_load_rows(Bs_(buf ^ 0), B, BK, BN, BN + PAD, ((size_t)l * K + k0) * N + gn0, N, K - k0, N - gn0);"
        b_frag = f"wmma::load_matrix_sync(b[j], (const {frag_t}*)&Bs[kk * (BN + PAD) + wn * 32 + j * 16], BN + PAD);"
        b_layout, b_bytes = "wmma::row_major", "BK * (BN + PAD) * (int)sizeof(TB)"
    return _prelude(spec) + f"""\
#include <mma.h>
using namespace nvcuda;
// 128x128x32 block tile, 8 warps (2 along M x 4 along N), 16x16x16 WMMA fragments, two cp.async
// stages. A (and a K-major B) sit in shared memory as 16-wide K chunks, so every fragment pointer
// is 32-byte aligned for 8- and 16-bit types alike.
typedef {ta} TA;
typedef {tb} TB;
#define BM 128
#define BN 128
#define BK 32
#define PAD (16 / (int)sizeof(TB))
#define LDK (16 + 16 / (int)sizeof(TA))
#define A_BYTES ((BK / 16) * BM * LDK * (int)sizeof(TA))
#define B_BYTES ({b_bytes})
__device__ __forceinline__ void lc_cp16(void* smem, const void* gmem, bool pred) {{
  unsigned s = (unsigned)__cvta_generic_to_shared(smem);
  int n = pred ? 16 : 0;  // src-size 0 zero-fills: out-of-bounds chunks read as zeros
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\\n" :: "r"(s), "l"(gmem), "r"(n));
}}
// rows x BK tile of a K-major matrix into [BK/16][rows][LDK]
template <class T>
__device__ __forceinline__ void lc_load_chunked(T* dst, const T* src, int rows, size_t base, int64_t ld,
                                                int row_lim, int col_lim) {{
  const int per = 16 / sizeof(T);
  for (int i = threadIdx.x; i < rows * BK / per; i += blockDim.x) {{
    int r = (i * per) / BK, c = (i * per) % BK;
    bool ok = r < row_lim && c + per <= col_lim;
    lc_cp16(dst + (c / 16) * rows * LDK + r * LDK + c % 16, ok ? src + base + (size_t)r * ld + c : src, ok);
  }}
}}
// rows x cols tile of a row-major matrix into [rows][ld_dst]
template <class T>
__device__ __forceinline__ void lc_load_rows(T* dst, const T* src, int rows, int cols, int ld_dst, size_t base,
                                             int64_t ld, int row_lim, int col_lim) {{
  const int per = 16 / sizeof(T);
  for (int i = threadIdx.x; i < rows * cols / per; i += blockDim.x) {{
    int r = (i * per) / cols, c = (i * per) % cols;
    bool ok = r < row_lim && c + per <= col_lim;
    lc_cp16(dst + r * ld_dst + c, ok ? src + base + (size_t)r * ld + c : src, ok);
  }}
}}
__global__ void __launch_bounds__(256) lc_{spec.name}_kernel(const TA* __restrict__ A, const TB* __restrict__ B,
    const {to}* __restrict__ bias, const {to}* __restrict__ R, {to}* __restrict__ D, int M, int N, int K, {acc} alpha) {{
  __shared__ __align__(128) unsigned char smem[2 * A_BYTES + 2 * B_BYTES];
  int l = blockIdx.z, gm0 = blockIdx.y * BM, gn0 = blockIdx.x * BN;
  int warp = threadIdx.x / 32, wm = warp / 4, wn = warp % 4;
  auto As_ = [&](int buf) {{ return (TA*)(smem + buf * A_BYTES); }};
  auto Bs_ = [&](int buf) {{ return (TB*)(smem + 2 * A_BYTES + buf * B_BYTES); }};
  wmma::fragment<wmma::accumulator, 16, 16, 16, {acc}> c[4][2];
  for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) wmma::fill_fragment(c[i][j], ({acc})0);
  int ktiles = (K + BK - 1) / BK;
  auto load = [&](int buf, int kt) {{
    int k0 = kt * BK;
    lc_load_chunked(As_(buf), A, BM, ((size_t)l * M + gm0) * K + k0, K, M - gm0, K - k0);
    {b_load.replace("Bs_(buf ^ 0)", "Bs_(buf)")}
    asm volatile("cp.async.commit_group;\\n");
  }};
  load(0, 0);
  for (int kt = 0; kt < ktiles; kt++) {{
    int buf = kt & 1;
    if (kt + 1 < ktiles) {{ load(buf ^ 1, kt + 1); asm volatile("cp.async.wait_group 1;\\n"); }}
    else {{ asm volatile("cp.async.wait_group 0;\\n"); }}
    __syncthreads();
    TA* As = As_(buf);
    TB* Bs = Bs_(buf);
    for (int kk = 0; kk < BK; kk += 16) {{
      wmma::fragment<wmma::matrix_a, 16, 16, 16, {frag_t}, wmma::row_major> a[4];
      wmma::fragment<wmma::matrix_b, 16, 16, 16, {frag_t}, {b_layout}> b[2];
      for (int i = 0; i < 4; i++)
        wmma::load_matrix_sync(a[i], (const {frag_t}*)&As[(kk / 16) * BM * LDK + (wm * 64 + i * 16) * LDK], LDK);
      for (int j = 0; j < 2; j++) {b_frag}
      for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) wmma::mma_sync(c[i][j], a[i], b[j], c[i][j]);
    }}
    __syncthreads();
  }}
  // epilogue: each warp stages one 16x16 fragment at a time in (now free) shared memory
  {acc}* Cs = ({acc}*)smem + warp * 256;
  int lane = threadIdx.x % 32;
  for (int i = 0; i < 4; i++) for (int j = 0; j < 2; j++) {{
    wmma::store_matrix_sync(Cs, c[i][j], 16, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < 256; e += 32) {{
      int gm = gm0 + wm * 64 + i * 16 + e / 16, gn = gn0 + wn * 32 + j * 16 + e % 16;
      if (gm < M && gn < N) {{
        {acc} v = Cs[e];
        {" ".join(epi)}
        D[(size_t)l * M * N + (size_t)gm * N + gn] = {store};
      }}
    }}
    __syncwarp();
  }}
}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  int M = (int)dims[0], N = (int)dims[1], K = (int)dims[2], L = (int)dims[3];
  if (K % (16 / (int)sizeof(TA)) != 0 || {"K" if col_b else "N"} % (16 / (int)sizeof(TB)) != 0) {{
    lc_err = "the portable GEMM needs 16-byte aligned rows (K, and N for a row-major B)"; return 1; }}
  {acc} alpha = {"(" + acc + ")scalars[0]" if "scale" in spec.epilogue else "(" + acc + ")1"};
  dim3 grid((N + BN - 1) / BN, (M + BM - 1) / BM, L);
  lc_{spec.name}_kernel<<<grid, 256, 0, (cudaStream_t)stream>>>((const TA*)buffers[0], (const TB*)buffers[1],
      {f"(const {to}*)buffers[{idx['bias']}]" if "bias" in idx else "nullptr"},
      {f"(const {to}*)buffers[{idx['residual']}]" if "residual" in idx else "nullptr"},
      ({to}*)buffers[{idx['D']}], M, N, K, alpha);
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


def _emit_gemm_simt(spec: KernelSpec) -> str:
    """f32 GEMM on the FMA units (exact f32 results; tf32 tensor cores change them)."""
    bufs = spec.buffer_names()
    idx = {n: i for i, n in enumerate(bufs)}
    col_b = spec.b_layout == "col"
    epi = []
    if "scale" in spec.epilogue:
        epi.append("v = v * alpha;")
    if "residual" in spec.epilogue:
        epi.append("v = v + R[(size_t)l * M * N + (size_t)gm * N + gn];")
    if "bias" in spec.epilogue:
        epi.append("v = v + bias[gn];")
    if "relu" in spec.epilogue:
        epi.append("v = v > 0.f ? v : 0.f;")
    b_load = ("B[((size_t)l * N + gn0 + tx) * K + k0 + ty]" if col_b else "B[((size_t)l * K + k0 + ty) * N + gn0 + tx]")
    b_ok = "gn0 + tx < N && k0 + ty < K"
    return _prelude(spec) + f"""\
#define T 16
__global__ void lc_{spec.name}_kernel(const float* __restrict__ A, const float* __restrict__ B,
    const float* __restrict__ bias, const float* __restrict__ R, float* __restrict__ D, int M, int N, int K, float alpha) {{
  __shared__ float As[T][T + 1], Bs[T][T + 1];
  int l = blockIdx.z, tx = threadIdx.x, ty = threadIdx.y;
  int gm = blockIdx.y * T + ty, gn = blockIdx.x * T + tx, gn0 = blockIdx.x * T;
  float v = 0.f;
  for (int k0 = 0; k0 < K; k0 += T) {{
    As[ty][tx] = (gm < M && k0 + tx < K) ? A[((size_t)l * M + gm) * K + k0 + tx] : 0.f;
    Bs[ty][tx] = ({b_ok}) ? {b_load} : 0.f;
    __syncthreads();
    for (int kk = 0; kk < T; kk++) v = fmaf(As[ty][kk], Bs[kk][tx], v);
    __syncthreads();
  }}
  if (gm < M && gn < N) {{
    {" ".join(epi)}
    D[(size_t)l * M * N + (size_t)gm * N + gn] = v;
  }}
}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  int M = (int)dims[0], N = (int)dims[1], K = (int)dims[2], L = (int)dims[3];
  float alpha = {"(float)scalars[0]" if "scale" in spec.epilogue else "1.f"};
  dim3 grid((N + T - 1) / T, (M + T - 1) / T, L);
  lc_{spec.name}_kernel<<<grid, dim3(T, T), 0, (cudaStream_t)stream>>>((const float*)buffers[0], (const float*)buffers[1],
      {f"(const float*)buffers[{idx['bias']}]" if "bias" in idx else "nullptr"},
      {f"(const float*)buffers[{idx['residual']}]" if "residual" in idx else "nullptr"},
      (float*)buffers[{idx['D']}], M, N, K, alpha);
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


# ---------------------------------------------------------------------------------------------
# row kernels: one block per row, the row held in registers (one pass over HBM) when it fits

_ROW_MATH = {
    "softmax": """\
  float m = -INFINITY;
  for (int i = 0; i < ITEMS * VEC; i++) m = fmaxf(m, v[i]);
  m = lc_block_reduce<1>(m, red);
  float s = 0.f;
  for (int i = 0; i < ITEMS * VEC; i++) { v[i] = __expf(v[i] - m); s += v[i]; }
  s = lc_block_reduce<0>(s, red);
  float inv = 1.f / s;
  for (int i = 0; i < ITEMS * VEC; i++) v[i] *= inv;
""",
    "rmsnorm": """\
  float ss = 0.f;
  for (int i = 0; i < ITEMS * VEC; i++) ss += v[i] * v[i];
  ss = lc_block_reduce<0>(ss, red);
  float r = rsqrtf(ss / (float)cols + EPS);
  for (int it = 0; it < ITEMS; it++) {
    int c = (it * THREADS + threadIdx.x) * VEC;
    if (c < cols) { float wv[VEC]; lc_load_vec(w + c, wv); for (int j = 0; j < VEC; j++) v[it * VEC + j] = v[it * VEC + j] * r * wv[j]; }
  }
""",
    "layernorm": """\
  float s = 0.f;
  for (int i = 0; i < ITEMS * VEC; i++) s += v[i];
  float mean = lc_block_reduce<0>(s, red) / (float)cols;
  float q = 0.f;
  for (int it = 0; it < ITEMS; it++) {
    int c = (it * THREADS + threadIdx.x) * VEC;
    if (c < cols) for (int j = 0; j < VEC; j++) { float d = v[it * VEC + j] - mean; q += d * d; }
  }
  float r = rsqrtf(lc_block_reduce<0>(q, red) / (float)cols + EPS);
  for (int it = 0; it < ITEMS; it++) {
    int c = (it * THREADS + threadIdx.x) * VEC;
    if (c < cols) { float wv[VEC], bv[VEC]; lc_load_vec(w + c, wv); lc_load_vec(b + c, bv);
      for (int j = 0; j < VEC; j++) v[it * VEC + j] = (v[it * VEC + j] - mean) * r * wv[j] + bv[j]; }
  }
""",
}

_BLOCK_REDUCE = """\
// OP: 0 a sum, 1 fmaxf (maxnumf, or a max whose terms hold no NaN; identity NaN), 2 lc_maximumf
// (NaN wins, -0 < +0; identity -inf)
template <int OP>
__device__ __forceinline__ float lc_combine(float x, float y) { return OP == 0 ? x + y : OP == 1 ? fmaxf(x, y) : lc_maximumf(x, y); }
template <int OP>
__device__ __forceinline__ float lc_block_reduce(float x, float* red) {
  for (int o = 16; o > 0; o >>= 1) { float y = __shfl_xor_sync(0xffffffffu, x, o); x = lc_combine<OP>(x, y); }
  int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
  __syncthreads();  // red may still be read by the previous reduction
  if (lane == 0) red[warp] = x;
  __syncthreads();
  x = lane < (int)(blockDim.x / 32) ? red[lane] : (OP == 0 ? 0.f : OP == 1 ? NAN : -INFINITY);  // identities
  for (int o = 16; o > 0; o >>= 1) { float y = __shfl_xor_sync(0xffffffffu, x, o); x = lc_combine<OP>(x, y); }
  return x;
}
"""


def _emit_row_fused(spec: KernelSpec) -> str:
    """A row program (rowfuse.py): every input row loaded once into registers, the program's
    statements over them (block reductions included), the output row written once."""
    prog = json.loads(spec.body)
    sched = spec.row
    types = list(spec.in_types)
    widest = max(DTYPES[t][1] for t in types + [spec.out_type])
    vec = max(1, 16 // widest) if sched.vec > 1 else 1
    cols = spec.static_dims[1] if len(spec.static_dims) > 1 and spec.static_dims[1] else 0
    items = max(1, -(-(cols or 16384) // (sched.threads * vec)))
    to = DTYPES[spec.out_type][0]
    params = ", ".join([f"const {DTYPES[t][0]}* __restrict__ g{i}" for i, t in enumerate(types)] +
                       [f"{to}* __restrict__ y", "int rows", "int cols"] + [f"double s{j}" for j in range(spec.n_scalars)])
    loads = []
    for i, kind in enumerate(spec.input_kinds):
        base = "(size_t)row * cols + c" if kind == "row" else "c"
        loads.append(f"  float in{i}[N];\n  for (int it = 0; it < ITEMS; it++) {{ int c = (it * THREADS + threadIdx.x) * VEC;\n"
                     f"    if (c < cols) lc_load_n(g{i} + {base}, &in{i}[it * VEC]); "
                     f"else for (int v = 0; v < VEC; v++) in{i}[it * VEC + v] = 0.f; }}")
    scal = "".join(f"  float sc{j} = (float)s{j};\n" for j in range(spec.n_scalars))
    args = ", ".join([f"({'const ' + DTYPES[t][0]}*)buffers[{i}]" for i, t in enumerate(types)] +
                     [f"({to}*)buffers[{len(types)}]", "rows", "cols"] + [f"scalars[{j}]" for j in range(spec.n_scalars)])
    body = "\n".join("  " + line for line in prog["lines"])
    return _prelude(spec) + f"""\
#define THREADS {sched.threads}
#define VEC {vec}
#define ITEMS {items}
#define N (ITEMS * VEC)
{_BLOCK_REDUCE}
template <class T>
__device__ __forceinline__ void lc_load_n(const T* p, float* out) {{
  if (sizeof(T) * VEC == 16) {{
    uint4 raw = *reinterpret_cast<const uint4*>(p);
    const T* e = reinterpret_cast<const T*>(&raw);
    for (int j = 0; j < VEC; j++) out[j] = lc_to_f(e[j]);
  }} else {{
    for (int j = 0; j < VEC; j++) out[j] = lc_to_f(p[j]);
  }}
}}
__device__ __forceinline__ bool lc_valid(int j, int cols) {{
  return ((j / VEC) * THREADS + threadIdx.x) * VEC + j % VEC < cols;
}}
__global__ void __launch_bounds__(THREADS) lc_{spec.name}_kernel({params}) {{
  __shared__ float red[32];
  int row = blockIdx.x;
{chr(10).join(loads)}
{scal}{body}
  for (int it = 0; it < ITEMS; it++) {{
    int c = (it * THREADS + threadIdx.x) * VEC;
    if (c >= cols) continue;
    if (sizeof({to}) * VEC == 16) {{  // one 16-byte store
      uint4 raw;
      {to}* e = reinterpret_cast<{to}*>(&raw);
      for (int v = 0; v < VEC; v++) e[v] = lc_from_f<{to}>({prog["out"]}[it * VEC + v]);
      *reinterpret_cast<uint4*>(y + (size_t)row * cols + c) = raw;
      continue;
    }}
    for (int v = 0; v < VEC; v++) y[(size_t)row * cols + c + v] = lc_from_f<{to}>({prog["out"]}[it * VEC + v]);
  }}
}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  int rows = (int)dims[0], cols = (int)dims[1];
  if (cols > N * THREADS) {{ lc_err = "row longer than this kernel's register plan"; return 1; }}
  if (cols % VEC != 0) {{ lc_err = "row length not a multiple of the vector width"; return 1; }}
  if (rows == 0) return 0;
  lc_{spec.name}_kernel<<<rows, THREADS, 0, (cudaStream_t)stream>>>({args});
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


def _emit_row(spec: KernelSpec) -> str:
    if spec.row_op == "fused":
        return _emit_row_fused(spec)
    t = DTYPES[spec.a_type][0]
    sched = spec.row
    vec = max(1, 16 // DTYPES[spec.a_type][1]) if sched.vec > 1 else 1
    cols = spec.static_dims[1] if len(spec.static_dims) > 1 and spec.static_dims[1] else 0
    # the row lives in registers: ITEMS vectors per thread; dynamic rows get a 16K-element bound
    items = max(1, -(-(cols or 16384) // (sched.threads * vec)))
    bufs = spec.buffer_names()
    ptrs = ", ".join(f"({'const ' if n != 'y' else ''}{t}*)buffers[{i}]" for i, n in enumerate(bufs))
    params = ", ".join(f"{'const ' if n != 'y' else ''}{t}* __restrict__ {n}" for n in bufs)
    return _prelude(spec) + f"""\
#define THREADS {sched.threads}
#define VEC {vec}
#define ITEMS {items}
#define EPS {spec.eps!r}f
{_BLOCK_REDUCE}
__device__ __forceinline__ void lc_load_vec(const {t}* p, float* out) {{
  if (VEC == 1) {{ out[0] = lc_to_f(p[0]); return; }}
  uint4 raw = *reinterpret_cast<const uint4*>(p);
  const {t}* e = reinterpret_cast<const {t}*>(&raw);
  for (int j = 0; j < VEC; j++) out[j] = lc_to_f(e[j]);
}}
__global__ void __launch_bounds__(THREADS) lc_{spec.name}_kernel({params}, int rows, int cols) {{
  __shared__ float red[32];
  int row = blockIdx.x;
  x += (size_t)row * cols;
  y += (size_t)row * cols;
  float v[ITEMS * VEC];
  // all loads issued before any use: ITEMS independent 16-byte loads in flight per thread
  for (int it = 0; it < ITEMS; it++) {{
    int c = (it * THREADS + threadIdx.x) * VEC;
    if (c < cols) lc_load_vec(x + c, &v[it * VEC]);
    else for (int j = 0; j < VEC; j++) v[it * VEC + j] = {"-INFINITY" if spec.row_op == "softmax" else "0.f"};
  }}
{_ROW_MATH[spec.row_op]}
  for (int it = 0; it < ITEMS; it++) {{
    int c = (it * THREADS + threadIdx.x) * VEC;
    if (c >= cols) continue;
    if (VEC == 1) {{ y[c] = lc_from_f<{t}>(v[it]); continue; }}
    uint4 raw;
    {t}* e = reinterpret_cast<{t}*>(&raw);
    for (int j = 0; j < VEC; j++) e[j] = lc_from_f<{t}>(v[it * VEC + j]);
    *reinterpret_cast<uint4*>(y + c) = raw;
  }}
}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  (void)scalars;
  int rows = (int)dims[0], cols = (int)dims[1];
  if (cols > ITEMS * VEC * THREADS) {{ lc_err = "row longer than this kernel's register plan"; return 1; }}
  if (VEC > 1 && cols % VEC != 0) {{ lc_err = "row length not a multiple of the vector width"; return 1; }}
  if (rows == 0) return 0;
  lc_{spec.name}_kernel<<<rows, THREADS, 0, (cudaStream_t)stream>>>({ptrs}, rows, cols);
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


# ---------------------------------------------------------------------------------------------
# elementwise chains, reductions, transposes


def _index(kind: str, full: str, row: str, col: str) -> str:
    return {"col": col, "rowb": row, "scalar": "0"}.get(kind, full)


def _emit_eltwise(spec: KernelSpec) -> str:
    types = list(spec.in_types) or [spec.a_type] * spec.n_inputs
    kinds = list(spec.input_kinds) or ["full"] * spec.n_inputs
    tin = [DTYPES[t][0] for t in types]
    to = DTYPES[spec.out_type][0]
    params = ", ".join([f"const {tin[i]}* __restrict__ in{i}" for i in range(spec.n_inputs)] +
                       [f"{to}* __restrict__ out", "int64_t n", "int64_t cols"] +
                       [f"double s{j}" for j in range(spec.n_scalars)])
    loads = " ".join(f"{tin[i]} x{i} = in{i}[{_index(k, 'i', 'i / cols', 'i % cols')}];" for i, k in enumerate(kinds))
    args = ", ".join([f"(const {tin[i]}*)buffers[{i}]" for i in range(spec.n_inputs)] +
                     [f"({to}*)buffers[{spec.n_inputs}]", "n", "cols"] + [f"scalars[{j}]" for j in range(spec.n_scalars)])
    return _prelude(spec) + f"""\
// a chain of elementwise ops fused into one pass (grid-stride loop)
__global__ void lc_{spec.name}_kernel({params}) {{
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < n; i += (int64_t)gridDim.x * blockDim.x) {{
    {loads}
    out[i] = ({to})({spec.body});
  }}
}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  (void)scalars;
  int64_t n = dims[0], cols = dims[1] > 0 ? dims[1] : 1;
  if (n == 0) return 0;
  int threads = {spec.row.threads};
  int64_t blocks = (n + threads - 1) / threads;
  if (blocks > 132 * 16) blocks = 132 * 16;  // grid-stride beyond a few waves
  lc_{spec.name}_kernel<<<(unsigned)blocks, threads, 0, (cudaStream_t)stream>>>({args});
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


def _reduce_step(combine: str, integer: bool) -> str:
    """`a = combine(a, b)` in C for a reduction's combiner (scalar.COMBINERS): max / min exact
    (lc_maximumf: NaN wins, -0.0 < +0.0), maxnum / minnum fmaxf (NaN dropped), selmax / selmin the
    select that keeps the accumulator on NaN."""
    if integer:
        return {"sum": "a = a + b;"}.get(combine, "a = b > a ? b : a;" if "max" in combine else "a = b < a ? b : a;")
    return {"sum": "a = a + b;", "max": "a = lc_maximumf(a, b);", "min": "a = lc_minimumf(a, b);",
            "maxnum": "a = fmaxf(a, b);", "minnum": "a = fminf(a, b);", "selmax": "a = b > a ? b : a;",
            "selmin": "a = b < a ? b : a;"}[combine]


def _reduce_identity(combine: str, integer: bool, acc: str = "float") -> str:
    """The start of each thread's fold: the combiner's identity. maxNum's is NaN (maxnum(NaN, x) = x,
    NaN when all are NaN; -inf would turn an all-NaN row with a NaN start into -inf)."""
    up = combine in ("max", "maxnum", "selmax")
    if combine == "sum":
        return "0"
    if integer:
        return "(long long)(-9223372036854775807LL - 1)" if up else "9223372036854775807LL"
    if combine in ("maxnum", "minnum"):
        return f"(({acc})NAN)"
    return f"{'-' if up else ''}(({acc})INFINITY)"


def _emit_reduce(spec: KernelSpec) -> str:
    kinds = list(spec.input_kinds) or ["row"] * spec.n_inputs
    types = list(spec.in_types) or [spec.a_type] * spec.n_inputs
    to = DTYPES[spec.out_type][0]
    acc = "double" if spec.acc_type == "f64" else ("long long" if spec.acc_type in ("i32", "i64") else "float")
    params = ", ".join([f"const {DTYPES[types[i]][0]}* __restrict__ in{i}" for i in range(spec.n_inputs)] +
                       [f"{to}* __restrict__ out", "int rows", "int cols"] + [f"double s{j}" for j in range(spec.n_scalars)])
    loads = " ".join(f"{DTYPES[types[i]][0]} x{i} = in{i}[{_index(k, '(size_t)r * cols + c', 'r', 'c')}];"
                     for i, k in enumerate(kinds))
    args = ", ".join([f"(const {DTYPES[types[i]][0]}*)buffers[{i}]" for i in range(spec.n_inputs)] +
                     [f"({to}*)buffers[{spec.n_inputs}]", "rows", "cols"] + [f"scalars[{j}]" for j in range(spec.n_scalars)])
    if spec.combine == "argmax":
        body = f"""\
  {acc} best = 0; int arg = -1;
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {{ {loads} {acc} val = ({acc})({spec.body}); if (arg < 0 || val > best) {{ best = val; arg = c; }} }}
  __shared__ {acc} sb[1024]; __shared__ int sa[1024];
  sb[threadIdx.x] = best; sa[threadIdx.x] = arg; __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {{
    if (threadIdx.x < s) {{ int o = threadIdx.x + s; if (sa[o] >= 0 && (sa[threadIdx.x] < 0 || sb[o] > sb[threadIdx.x] || (sb[o] == sb[threadIdx.x] && sa[o] < sa[threadIdx.x]))) {{ sb[threadIdx.x] = sb[o]; sa[threadIdx.x] = sa[o]; }} }}
    __syncthreads();
  }}
  if (threadIdx.x == 0) out[r] = ({to})sa[0];
"""
    else:
        integer = acc == "long long"
        comb = _reduce_step(spec.combine, integer)
        init = _reduce_identity(spec.combine, integer, acc)
        # a start value that is not the identity (the output's initial value, a trailing per-row
        # input) comes first, as in the loop: a = start; then the tree's result is combined in
        first = f"in{spec.n_inputs - 1}[r]" if integer else f"lc_to_f(in{spec.n_inputs - 1}[r])"
        start = f"a = ({acc}){first}; b = sred[0]; {comb}" if kinds and kinds[-1] == "rowb" else "a = sred[0];"
        body = f"""\
  {acc} a = {init};
  for (int c = threadIdx.x; c < cols; c += blockDim.x) {{ {loads} {acc} b = ({acc})({spec.body}); {comb} }}
  __shared__ {acc} sred[1024];
  sred[threadIdx.x] = a; __syncthreads();
  for (int s = blockDim.x / 2; s > 0; s >>= 1) {{
    if (threadIdx.x < s) {{ {acc} b = sred[threadIdx.x + s]; a = sred[threadIdx.x]; {comb} sred[threadIdx.x] = a; }}
    __syncthreads();
  }}
  if (threadIdx.x == 0) {{ {acc} b; {start} (void)b; out[r] = ({to})a; }}
"""
    return _prelude(spec) + f"""\
// one block per row; the block's partial results are combined in shared memory (a fixed tree,
// so results do not depend on timing)
__global__ void lc_{spec.name}_kernel({params}) {{
  int r = blockIdx.x;
{body}}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  (void)scalars;
  int rows = (int)dims[0], cols = (int)dims[1];
  if (rows == 0) return 0;
  lc_{spec.name}_kernel<<<rows, {spec.row.threads}, 0, (cudaStream_t)stream>>>({args});
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


def _emit_transpose(spec: KernelSpec) -> str:
    t = DTYPES[spec.a_type][0]
    return _prelude(spec) + f"""\
#define TT 32
__global__ void lc_{spec.name}_kernel(const {t}* __restrict__ in, {t}* __restrict__ out, int rows, int cols) {{
  __shared__ {t} tile[TT][TT + 1];  // +1: no bank conflicts on the transposed read
  int b = blockIdx.z;
  in += (size_t)b * rows * cols;
  out += (size_t)b * rows * cols;
  int c = blockIdx.x * TT + threadIdx.x;
  for (int j = threadIdx.y; j < TT; j += 8) {{ int r = blockIdx.y * TT + j; if (r < rows && c < cols) tile[j][threadIdx.x] = in[(size_t)r * cols + c]; }}
  __syncthreads();
  int r = blockIdx.y * TT + threadIdx.x;
  for (int j = threadIdx.y; j < TT; j += 8) {{ int cc = blockIdx.x * TT + j; if (r < rows && cc < cols) out[(size_t)cc * rows + r] = tile[threadIdx.x][j]; }}
}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  (void)scalars;
  int rows = (int)dims[0], cols = (int)dims[1], batch = (int)dims[2];
  if (rows == 0 || cols == 0 || batch == 0) return 0;
  dim3 grid((cols + TT - 1) / TT, (rows + TT - 1) / TT, batch);
  lc_{spec.name}_kernel<<<grid, dim3(TT, 8), 0, (cudaStream_t)stream>>>((const {t}*)buffers[0], ({t}*)buffers[1], rows, cols);
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


# ---------------------------------------------------------------------------------------------
# float sums in the loop's order (an IEEE proof: ir/float_order.py)

_ORDERED_NOTE = """\
// A float sum proved in the loop's order (IEEE, no fastmath<reassoc,contract> in the source):
// one thread per output element adds its terms in order from the output's initial value, each
// product and sum rounded to the element type (__fmul_rn / __fadd_rn are never fused into an
// fma; the file is built with -fmad=false). No tensor cores, split-K or tree reduction.
"""


_ORDERED_GEMM_NOTE = """\
// A float GEMM proved in the loop's order (IEEE, no fastmath<reassoc,contract> in the source): each
// output element starts from its initial value and adds its K products in the order k = 0 .. K-1,
// each product and sum rounded to the element type (__fmul_rn / __fadd_rn are never fused into an
// fma; the file is built with -fmad=false). No tensor cores, split-K or tree reduction. Tiled for
// reuse only: a 16x16 block computes a (16 T) x (16 T) tile, each thread T x T outputs (rows ty + 16 i,
// columns tx + 16 j; T = 4, else 2 or 1 where fewer blocks than SMs would run), A and B staged through shared memory BK = 16 k at a time; k tiles are taken in order
// and each thread walks a tile's k in order, stopping at K (no padded terms enter a sum), so every
// output sees exactly the one-thread-per-element sequence of roundings.
"""


def _emit_gemm_ordered(spec: KernelSpec) -> str:
    t, to = DTYPES[spec.a_type][0], DTYPES[spec.out_type][0]
    names = spec.buffer_names()
    # coalesced B tile loads: along n for a row-major B[k][n], along k for a col-major B[n][k]
    if spec.b_layout == "col":
        b_load = """int nn = e / LC_BK, kk = e % LC_BK, gn = n0 + nn, gk = k0 + kk;
      Bs[kk][nn] = (gn < N && gk < K) ? lc_to_f(Bl[(size_t)gn * K + gk]) : 0.f;"""
    else:
        b_load = """int kk = e / LC_BN, nn = e % LC_BN, gn = n0 + nn, gk = k0 + kk;
      Bs[kk][nn] = (gn < N && gk < K) ? lc_to_f(Bl[(size_t)gk * N + gn]) : 0.f;"""
    residual = f"(const {to}*)buffers[{names.index('residual')}]" if "residual" in spec.epilogue else "nullptr"
    return _prelude(spec) + _ORDERED_GEMM_NOTE + f"""\
__device__ __forceinline__ float lc_r(float x) {{ return lc_to_f(lc_from_f<{to}>(x)); }}  // round to the element type
#define LC_BK 16
template <int T>  // each thread T x T outputs, a block (16 T) x (16 T)
__global__ void __launch_bounds__(256) lc_{spec.name}_kernel(const {t}* __restrict__ A, const {t}* __restrict__ B,
    const {to}* __restrict__ R, {to}* __restrict__ D, int M, int N, int K) {{
  constexpr int LC_BM = 16 * T, LC_BN = 16 * T, LC_TM = T, LC_TN = T;
  __shared__ float As[LC_BK][LC_BM + 4], Bs[LC_BK][LC_BN + 4];  // [k][m], [k][n]: a step's operands are broadcasts
  int l = blockIdx.z, tx = threadIdx.x, ty = threadIdx.y, tid = ty * 16 + tx;
  int nbn = (N + LC_BN - 1) / LC_BN;  // tiles flattened on x (2^31 - 1 blocks), as the one-thread kernel's grid
  int m0 = (int)(blockIdx.x / nbn) * LC_BM, n0 = (int)(blockIdx.x % nbn) * LC_BN;
  const {t}* Al = A + (size_t)l * M * K;
  const {t}* Bl = B + (size_t)l * K * N;
  size_t ob = (size_t)l * M * N;
  float v[LC_TM][LC_TN];
#pragma unroll
  for (int i = 0; i < LC_TM; i++)
#pragma unroll
    for (int j = 0; j < LC_TN; j++) {{
      int m = m0 + ty + 16 * i, n = n0 + tx + 16 * j;
      v[i][j] = (R && m < M && n < N) ? lc_to_f(R[ob + (size_t)m * N + n]) : 0.f;
    }}
  for (int k0 = 0; k0 < K; k0 += LC_BK) {{
#pragma unroll
    for (int r = 0; r < LC_BM * LC_BK / 256; r++) {{  // A[m][k]: consecutive threads read consecutive k
      int e = tid + 256 * r, mm = e / LC_BK, kk = e % LC_BK, gm = m0 + mm, gk = k0 + kk;
      As[kk][mm] = (gm < M && gk < K) ? lc_to_f(Al[(size_t)gm * K + gk]) : 0.f;
    }}
#pragma unroll
    for (int r = 0; r < LC_BN * LC_BK / 256; r++) {{
      int e = tid + 256 * r;
      {b_load}
    }}
    __syncthreads();
    int kn = K - k0 < LC_BK ? K - k0 : LC_BK;
    for (int kk = 0; kk < kn; kk++) {{  // k in order; the padding past K is never summed
      float a[LC_TM], b[LC_TN];
#pragma unroll
      for (int i = 0; i < LC_TM; i++) a[i] = As[kk][ty + 16 * i];
#pragma unroll
      for (int j = 0; j < LC_TN; j++) b[j] = Bs[kk][tx + 16 * j];
#pragma unroll
      for (int i = 0; i < LC_TM; i++)
#pragma unroll
        for (int j = 0; j < LC_TN; j++) v[i][j] = lc_r(__fadd_rn(v[i][j], lc_r(__fmul_rn(a[i], b[j]))));
    }}
    __syncthreads();
  }}
#pragma unroll
  for (int i = 0; i < LC_TM; i++)
#pragma unroll
    for (int j = 0; j < LC_TN; j++) {{
      int m = m0 + ty + 16 * i, n = n0 + tx + 16 * j;
      if (m < M && n < N) D[ob + (size_t)m * N + n] = lc_from_f<{to}>(v[i][j]);
    }}
}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  (void)scalars;
  int M = (int)dims[0], N = (int)dims[1], K = (int)dims[2], L = (int)dims[3];
  if ((int64_t)M * N == 0 || L == 0) return 0;
  static int sms = 0;  // the largest register block that still gives every SM a block
  if (sms == 0) {{ int dev = 0; LC_CHECK(cudaGetDevice(&dev)); LC_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, dev)); }}
  int rb = 4;
  while (rb > 1 && (int64_t)((M + 16 * rb - 1) / (16 * rb)) * ((N + 16 * rb - 1) / (16 * rb)) * L < sms) rb /= 2;
  dim3 grid((unsigned)((int64_t)((N + 16 * rb - 1) / (16 * rb)) * ((M + 16 * rb - 1) / (16 * rb))), 1, L);
  const {t}* a = (const {t}*)buffers[0];
  const {t}* b = (const {t}*)buffers[1];
  const {to}* r = {residual};
  {to}* d = ({to}*)buffers[{names.index('D')}];
  cudaStream_t s = (cudaStream_t)stream;
  if (rb == 4) lc_{spec.name}_kernel<4><<<grid, dim3(16, 16), 0, s>>>(a, b, r, d, M, N, K);
  else if (rb == 2) lc_{spec.name}_kernel<2><<<grid, dim3(16, 16), 0, s>>>(a, b, r, d, M, N, K);
  else lc_{spec.name}_kernel<1><<<grid, dim3(16, 16), 0, s>>>(a, b, r, d, M, N, K);
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


def _emit_reduce_ordered(spec: KernelSpec) -> str:
    kinds = list(spec.input_kinds) or ["row"] * spec.n_inputs
    types = list(spec.in_types) or [spec.a_type] * spec.n_inputs
    to = DTYPES[spec.out_type][0]
    params = ", ".join([f"const {DTYPES[types[i]][0]}* __restrict__ in{i}" for i in range(spec.n_inputs)] +
                       [f"{to}* __restrict__ out", "int rows", "int cols"] + [f"double s{j}" for j in range(spec.n_scalars)])
    mapped = [(i, k) for i, k in enumerate(kinds) if not (k == "rowb" and i == len(kinds) - 1)]
    loads = " ".join(f"{DTYPES[types[i]][0]} x{i} = in{i}[{_index(k, '(size_t)r * cols + c', 'r', 'c')}];" for i, k in mapped)
    args = ", ".join([f"(const {DTYPES[types[i]][0]}*)buffers[{i}]" for i in range(spec.n_inputs)] +
                     [f"({to}*)buffers[{spec.n_inputs}]", "rows", "cols"] + [f"scalars[{j}]" for j in range(spec.n_scalars)])
    init = f"(float)in{spec.n_inputs - 1}[r]" if kinds and kinds[-1] == "rowb" else "0.f"
    # max / min: the loop's select on ogt / olt (lowering._kernel_select), NaN and tied zeros included
    comb = {"sum": "a = __fadd_rn(a, b);", "selmax": "a = b > a ? b : a;", "selmin": "a = b < a ? b : a;"}[spec.combine]
    return _prelude(spec) + _ORDERED_NOTE + f"""\
__global__ void lc_{spec.name}_kernel({params}) {{
  int r = blockIdx.x * blockDim.x + threadIdx.x;
  if (r >= rows) return;
  float a = {init};
  for (int c = 0; c < cols; c++) {{ {loads} float b = (float)({spec.body}); {comb} }}
  out[r] = ({to})a;
}}
extern "C" int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream) {{
  (void)scalars;
  int rows = (int)dims[0], cols = (int)dims[1];
  if (rows == 0) return 0;
  int threads = {spec.row.threads};
  lc_{spec.name}_kernel<<<(rows + threads - 1) / threads, threads, 0, (cudaStream_t)stream>>>({args});
  LC_CHECK(cudaGetLastError());
  return 0;
}}
"""


# ---------------------------------------------------------------------------------------------
# a set of kernels -> files


def emit_files(specs: list[KernelSpec]) -> dict[str, str]:
    """Sources (one .cu per kernel and architecture), kernels.h and compile_commands.json.

    compile_commands.json entries use paths relative to the output folder ("directory": ".");
    `liftcomp compile` rewrites "directory" to the folder it writes."""
    files: dict[str, str] = {}
    header = ["// C ABI of the emitted kernels (see emit_cuda.py for the calling convention).",
              "#pragma once", "#include <stdint.h>", '#ifdef __cplusplus\nextern "C" {\n#endif']
    commands = []
    for spec in specs:
        src = f"{spec.name}.{spec.arch}.cu"
        files[src] = emit_kernel(spec)
        out = f"lib{spec.name}.{spec.arch}.so"
        commands.append({"directory": ".", "file": src, "output": out,
                         "arguments": nvcc_command(src, out, spec.arch, fmad=spec.fmad)})
        header.append(f"int lc_{spec.name}(void* const* buffers, const int64_t* dims, const double* scalars, void* stream);"
                      f"  // {spec.kind}: {', '.join(spec.buffer_names())}")
        header.append(f"const char* lc_{spec.name}_error(void);")
    header.append("#ifdef __cplusplus\n}\n#endif")
    files["kernels.h"] = "\n".join(header) + "\n"
    files["compile_commands.json"] = json.dumps(commands, indent=1) + "\n"
    files["build.sh"] = "#!/bin/sh\nset -e\ncd \"$(dirname \"$0\")\"\n" + "".join(
        " ".join(shlex.quote(a) for a in c["arguments"]) + " &\n" for c in commands) + "wait\n"
    return files
