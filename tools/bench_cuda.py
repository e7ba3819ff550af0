#!/usr/bin/env python3
"""Benchmark liftcomp's emitted CUDA kernels against PyTorch (cuBLAS) on one GPU, in one process.

Two steps, because the GPU machine has no liftcomp (and compiling there spends GPU time):

  python tools/bench_cuda.py build DIR [--jobs N]   # here: emit every kernel variant, nvcc them, write DIR/plan.json
  python3 bench_cuda.py run DIR [--out OUT] [--reps 30]   # on the GPU machine: needs torch only

`run` measures, with the same inputs for both sides: bf16 GEMM 4096^3, 8192^3, 8192x8192x2048 and
4096x14336x4096; fp16 8192^3; int8 8192^3 (against torch._int_mm); GEMM + bias + ReLU fused (against
torch.matmul + add + relu); softmax, rmsnorm, layernorm over 8192 x 8192 bf16 (against torch and the
measured device-to-device copy bandwidth). Each kernel runs under every schedule in the plan: the
"default" one (what `liftcomp-lower-cuda` picks without search) and the alternatives the search menu
offers; the best measured one is the "searched" schedule, written to OUT/records.json (tuning records
the compiler replays without a GPU).

Method: CUDA events around each run, 5 warm-up runs, median of --reps (>= 20) timed runs; the L2
(50 MB) is flushed by writing a 256 MB buffer before every run of a memory-bound kernel; the output
is filled with NaN (int32: a sentinel) before every run and checked against the reference after it
(bf16/fp16 within a relative Frobenius error of 1e-2 of a float32 reference; int8 exactly); a
second, fresh set of random inputs is checked before timing; a rate above the card's datasheet peak
is flagged as a measurement error instead of reported.
"""

# ruff: noqa: B023  (closures are called inside the iteration that defines them)
from __future__ import annotations

import argparse
import ctypes
import json
import os
import statistics
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

# datasheet peaks of the H100 SXM (dense): anything above is a measurement error
PEAK_TFLOPS = {"bf16": 989.0, "f16": 989.0, "i8": 1979.0}
PEAK_HBM_GBS = 3350.0

GEMM_SHAPES = {
    "bf16": [(4096, 4096, 4096), (8192, 8192, 8192), (8192, 8192, 2048), (4096, 14336, 4096)],
    "f16": [(8192, 8192, 8192)],
    "i8": [(8192, 8192, 8192)],
    "bf16_bias_relu": [(8192, 8192, 8192)],
}
ROW_SHAPE = (8192, 8192)


# ------------------------------------------------------------------------------------------------
# build (here, with liftcomp)


GEMM_TYPES = {"bf16": ("bf16", "bf16", "f32", "row", ()), "f16": ("f16", "f16", "f32", "row", ()),
              "i8": ("i8", "i32", "i32", "col", ()), "bf16_bias_relu": ("bf16", "bf16", "f32", "row", ("bias", "relu"))}
TILE_ORDERS = [(1, "auto"), (2, "m"), (4, "m"), (8, "m"), (2, "n"), (4, "n"), (8, "n")]


def build(out: Path, jobs: int, emit_only: bool, top: int) -> None:
    """The plan: per benchmark, the default schedule and the `top` best distinct programs the
    search ranks with the cost model (tile orders are run-time parameters of one program: the best
    program is also measured under every tile order)."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "python"))
    from dataclasses import replace

    from liftcomp.targets.cuda.emit_cuda import emit_kernel, nvcc_command
    from liftcomp.targets.cuda.kernels import spec_to_json
    from liftcomp.targets.cuda.policy import default_spec
    from liftcomp.targets.cuda.search import search_spec
    from liftcomp.targets.cuda.spec import KernelSpec
    from liftcomp.targets.cuda.tuning import record_key

    out.mkdir(parents=True, exist_ok=True)
    plan: list[dict[str, Any]] = []
    libs: dict[str, KernelSpec] = {}  # library name -> spec (tile order at its default)
    keys: dict[str, str] = {}

    def program(spec: KernelSpec) -> str:
        return replace(spec, name="x", static_dims=(), gemm=replace(spec.gemm, swizzle=1, raster="auto")).key()

    for group, (a, o, acc, bl, epi) in GEMM_TYPES.items():
        programs: dict[str, KernelSpec] = {}
        orders: dict[str, set[tuple[int, str]]] = {}
        for (m, n, k) in GEMM_SHAPES[group]:
            dims = (m, n, k, 1)
            base = default_spec(KernelSpec(f"gemm_{group}", "gemm", a_type=a, b_type=a, out_type=o, acc_type=acc,
                                           b_layout=bl, epilogue=epi, static_dims=dims))
            keys[f"{group}:{m}x{n}x{k}"] = record_key(base, dims)
            ranked = search_spec(base, dims)
            chosen = [base] + [s for s, _ in ranked]
            distinct: list[str] = []
            for s in chosen:
                pk = program(s)
                if pk not in distinct:
                    distinct.append(pk)
                    programs.setdefault(pk, s)
                orders.setdefault(pk, set()).add((s.gemm.swizzle, s.gemm.raster))
                if len(distinct) > top:
                    break
        for i, (pk, s) in enumerate(programs.items()):
            name = f"gemm_{group}_p{i}"
            spec = replace(s, name=name, static_dims=(), gemm=replace(s.gemm, swizzle=1, raster="auto"))
            libs[name] = spec
            todo = sorted(orders[pk] | ({*TILE_ORDERS} if i == 0 else set()), key=lambda t: (t[0], t[1]))
            for sw, ras in todo:
                sched = {**spec.schedule_json(), "swizzle": sw, "raster": ras}
                plan.append({"group": group, "label": f"p{i}" + ("" if (sw, ras) == (1, "auto") else f"_sw{sw}{ras}"),
                             "name": name, "kind": "gemm", "schedule": sched, "epilogue": list(epi), "b_layout": bl,
                             "default": i == 0 and (sw, ras) == (1, "auto"),
                             "tile_order": [sw, {"m": 1, "n": 2}.get(ras, 0)], "spec": spec_to_json(spec)})
    portable = KernelSpec("gemm_bf16_sm80", "gemm", arch="sm_80")
    libs[portable.name] = portable
    plan.append({"group": "bf16", "label": "sm80_portable", "name": portable.name, "kind": "gemm",
                 "schedule": {"path": "sm_80 cp.async + WMMA 128x128x32"}, "epilogue": [], "b_layout": "row",
                 "not_a_candidate": True})
    for op in ("softmax", "rmsnorm", "layernorm"):
        base = default_spec(KernelSpec(f"row_{op}", "row", row_op=op, static_dims=ROW_SHAPE))
        keys[f"{op}:{ROW_SHAPE[0]}x{ROW_SHAPE[1]}"] = record_key(base, ROW_SHAPE)
        for i, (s, _) in enumerate([(base, 0.0)] + [x for x in search_spec(base, ROW_SHAPE) if x[0] != base]):
            name = f"row_{op}_v{i}"
            spec = replace(s, name=name)
            libs[name] = spec
            plan.append({"group": op, "label": "default" if i == 0 else f"t{s.row.threads}_v{s.row.vec}",
                         "name": name, "kind": "row", "schedule": spec.schedule_json(), "default": i == 0,
                         "spec": spec_to_json(spec)})
    # the same row kernels as the compiler makes them from loop nests (raise, then the row fusion)
    from liftcomp.interop.mlir_tool import parse_mlir
    from liftcomp.targets.cli import _raise
    from liftcomp.targets.cuda import dialect as cu
    from liftcomp.targets.cuda.kernels import spec_of
    from liftcomp.targets.cuda.lowering import lower_module

    src = (Path(__file__).resolve().parents[1] / "test" / "python" / "Inputs" / "cuda_row_kernels.mlir").read_text()
    r, c = ROW_SHAPE
    src = (src.replace("16x64", f"{r}x{c}").replace("memref<64x", f"memref<{c}x").replace("to 16 ", f"to {r} ")
           .replace("to 64 ", f"to {c} ").replace("64.0 : f32", f"{float(c)} : f32"))
    raised, _ = _raise(parse_mlir(src, "cuda_row_kernels.mlir"), src)
    lowered = lower_module(raised)
    for k in [o for o in lowered.module.body.block.ops if isinstance(o, cu.KernelOp)]:
        base = spec_of(k)
        op = base.name.split("_rows")[0]
        for label, threads in (("lowered", 256), ("lowered_t512", 512)):
            name = f"row_{op}_{label}"
            spec = replace(base.with_row(threads=threads), name=name)
            libs[name] = spec
            plan.append({"group": op, "label": label, "name": name, "kind": "row", "schedule": spec.schedule_json(),
                         "default": False, "spec": spec_to_json(spec), "from_loops": True})
    (out / "plan.json").write_text(json.dumps({"plan": plan, "keys": keys}, indent=1))
    lines = []
    for name, spec in libs.items():
        (out / f"{name}.cu").write_text(emit_kernel(spec))
        cmd = nvcc_command(f"{name}.cu", f"lib{name}.so", spec.arch, includes=["$CUTLASS_INC"] if emit_only else None,
                           fmad=spec.fmad)
        lines.append(" ".join(cmd) + f" > {name}.log 2>&1 || echo FAILED {name}")
    (out / "commands.txt").write_text("\n".join(lines) + "\n")
    print(f"{len(libs)} kernel sources, {len(plan)} measurements planned; commands.txt in {out}")
    if emit_only:
        return
    with ThreadPoolExecutor(jobs) as pool:
        for line in pool.map(lambda c: subprocess.run(c, shell=True, cwd=out, capture_output=True, text=True).stdout,
                             lines):
            print(line, end="", flush=True)


# ------------------------------------------------------------------------------------------------
# run (on the GPU machine: torch only)


class Lib:
    def __init__(self, path: Path, name: str):
        self.lib = ctypes.CDLL(str(path))
        self.name = name
        self.fn = getattr(self.lib, f"lc_{name}")
        self.fn.restype = ctypes.c_int
        self.err = getattr(self.lib, f"lc_{name}_error")
        self.err.restype = ctypes.c_char_p

    def tile_order(self, swizzle: int, raster: int) -> None:
        getattr(self.lib, f"lc_{self.name}_tile_order")(ctypes.c_int(swizzle), ctypes.c_int(raster))

    def __call__(self, tensors: list[Any], dims: list[int], scalars: list[float], stream: int) -> None:
        bufs = (ctypes.c_void_p * len(tensors))(*[t.data_ptr() for t in tensors])
        d = (ctypes.c_int64 * 4)(*(dims + [0] * (4 - len(dims))))
        s = (ctypes.c_double * max(1, len(scalars)))(*scalars)
        rc = self.fn(bufs, d, s, ctypes.c_void_p(stream))
        if rc != 0:
            raise RuntimeError(f"kernel failed ({rc}): {self.err().decode()}")


def run(libdir: Path, out: Path, reps: int) -> None:
    import torch  # pyright: ignore[reportMissingImports]

    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    dev = torch.device("cuda")
    props = torch.cuda.get_device_properties(0)
    card = f"{props.name}, {props.multi_processor_count} SMs, {props.total_memory >> 30} GiB"
    print(f"card: {card}; torch {torch.__version__}; CUDA {torch.version.cuda}", flush=True)
    libdir = libdir.resolve()
    planfile = json.loads((libdir / "plan.json").read_text())
    plan, keys = planfile["plan"], planfile["keys"]
    flush_buf = torch.empty(256 << 20, dtype=torch.uint8, device=dev)
    stream = torch.cuda.current_stream().cuda_stream
    results: list[dict[str, Any]] = []

    def timeit(fn: Any, flush: bool, before: Any = None, after: Any = None) -> float:
        for _ in range(5):
            if before:
                before()
            fn()
            if after:
                after()
        times = []
        for _ in range(reps):
            if before:
                before()
            if flush:
                flush_buf.zero_()
            s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            s.record()
            fn()
            e.record()
            torch.cuda.synchronize()
            times.append(s.elapsed_time(e) * 1e-3)
            if after:
                after()
        return statistics.median(times)

    def relerr(x: Any, ref: Any) -> float:
        x = x.float()
        if not torch.isfinite(x).all():
            return float("inf")
        return float(torch.linalg.vector_norm(x - ref) / torch.linalg.vector_norm(ref))

    # copy bandwidth (bytes read + written)
    src = torch.randn(1 << 29, dtype=torch.bfloat16, device=dev)
    dst = torch.empty_like(src)
    t = timeit(lambda: dst.copy_(src), flush=True)
    copy_gbs = 2 * src.numel() * 2 / t / 1e9
    print(f"device-to-device copy: {copy_gbs:.0f} GB/s", flush=True)
    results.append({"bench": "copy", "GB/s": copy_gbs})

    # --- GEMMs
    for group in ("bf16", "f16", "i8", "bf16_bias_relu"):
        entries = [p for p in plan if p["group"] == group and p["kind"] == "gemm"]
        for (m, n, k) in GEMM_SHAPES[group]:
            flops = 2.0 * m * n * k
            g = torch.Generator(device=dev)

            def inputs(seed: int) -> tuple[Any, ...]:
                g.manual_seed(seed)
                if group == "i8":
                    a = torch.randint(-128, 128, (m, k), dtype=torch.int8, device=dev, generator=g)
                    bt = torch.randint(-128, 128, (n, k), dtype=torch.int8, device=dev, generator=g)
                    return a, bt, None
                dt = torch.float16 if group == "f16" else torch.bfloat16
                a = torch.randn(m, k, device=dev, generator=g).to(dt)
                b = torch.randn(k, n, device=dev, generator=g).to(dt)
                bias = torch.randn(n, device=dev, generator=g).to(dt) if "bias" in group else None
                return a, b, bias

            def reference(a: Any, b: Any, bias: Any) -> Any:
                if group == "i8":
                    return torch._int_mm(a, b.t())
                r = torch.matmul(a.float(), b.float())
                return torch.relu(r + bias.float()) if bias is not None else r

            def torch_fn(a: Any, b: Any, bias: Any) -> Any:
                if group == "i8":
                    return lambda: torch._int_mm(a, b.t())
                if bias is not None:
                    return lambda: torch.relu(torch.matmul(a, b) + bias)
                return lambda: torch.matmul(a, b)

            a, b, bias = inputs(1)
            ref = reference(a, b, bias)
            base_t = timeit(torch_fn(a, b, bias), flush=False)
            base_out = torch_fn(a, b, bias)()
            base_err = 0.0 if group == "i8" else relerr(base_out, ref)
            base_rate = flops / base_t / 1e12
            print(f"{group} {m}x{n}x{k}: torch {base_rate:.0f} TFLOP/s (err {base_err:.1e})", flush=True)
            row = {"bench": f"gemm_{group}", "shape": [m, n, k], "torch_tflops": base_rate, "torch_err": base_err,
                   "key": keys[f"{group}:{m}x{n}x{k}"], "dims": [m, n, k, 1], "flops": flops, "variants": []}
            odt = torch.int32 if group == "i8" else a.dtype
            for p in entries:
                if not (libdir / f"lib{p['name']}.so").exists():
                    print(f"  {p['label']}: not built", flush=True)
                    row["variants"].append({"label": p["label"], "name": p["name"], "error": "not built"})
                    continue
                lib = Lib(libdir / f"lib{p['name']}.so", p["name"])
                if "tile_order" in p:
                    lib.tile_order(*p["tile_order"])
                d = torch.empty(m, n, dtype=odt, device=dev)
                bufs = [a, b] + ([bias] if bias is not None else []) + [d]

                def call(bufs: list[Any] = bufs, lib: Lib = lib) -> None:
                    lib(bufs, [m, n, k, 1], [], stream)

                def poison(d: Any = d) -> None:
                    d.fill_(-2147483647 if group == "i8" else float("nan"))

                errs: list[float] = []

                def check(d: Any = d, errs: list[float] = errs) -> None:
                    errs.append(float((d != ref).sum()) if group == "i8" else relerr(d, ref))

                v: dict[str, Any] = {"label": p["label"], "name": p["name"], "schedule": p["schedule"],
                                     "default": p.get("default", False)}
                try:
                    # a second, fresh input set first
                    a2, b2, bias2 = inputs(2)
                    ref2 = reference(a2, b2, bias2)
                    d.fill_(-2147483647 if group == "i8" else float("nan"))
                    lib([a2, b2] + ([bias2] if bias2 is not None else []) + [d], [m, n, k, 1], [], stream)
                    torch.cuda.synchronize()
                    v["err_fresh"] = float((d != ref2).sum()) if group == "i8" else relerr(d, ref2)
                    t = timeit(call, flush=False, before=poison, after=check)
                except RuntimeError as e:
                    v["error"] = str(e)
                    print(f"  {p['label']}: {e}", flush=True)
                    row["variants"].append(v)
                    continue
                rate = flops / t / 1e12
                bad = max(errs + [v["err_fresh"]]) > (0 if group == "i8" else 1e-2)
                v.update({"tflops": rate, "ns": t * 1e9, "ratio": rate / base_rate, "max_err": max(errs), "correct": not bad,
                          "above_peak": rate > PEAK_TFLOPS[group.split("_")[0]]})
                print(f"  {p['label']:>14}: {rate:6.0f} TFLOP/s  {rate / base_rate:5.2f}x torch  "
                      f"err {max(errs):.1e}{'  WRONG' if bad else ''}{'  ABOVE PEAK' if v['above_peak'] else ''}",
                      flush=True)
                row["variants"].append(v)
            results.append(row)
            torch.cuda.empty_cache()

    # --- row kernels
    rows, cols = ROW_SHAPE
    nbytes = 2 * rows * cols * 2
    for op in ("softmax", "rmsnorm", "layernorm"):
        g = torch.Generator(device=dev)
        g.manual_seed(3)
        x = (torch.randn(rows, cols, device=dev, generator=g) * 2).to(torch.bfloat16)
        w = torch.randn(cols, device=dev, generator=g).to(torch.bfloat16)
        bb = torch.randn(cols, device=dev, generator=g).to(torch.bfloat16)
        eps = 1e-5
        F = torch.nn.functional
        refs = {"softmax": lambda x: torch.softmax(x.float(), -1),
                "rmsnorm": lambda x: F.rms_norm(x.float(), (cols,), w.float(), eps),
                "layernorm": lambda x: F.layer_norm(x.float(), (cols,), w.float(), bb.float(), eps)}
        tfn = {"softmax": lambda: torch.softmax(x, -1), "rmsnorm": lambda: F.rms_norm(x, (cols,), w, eps),
               "layernorm": lambda: F.layer_norm(x, (cols,), w, bb, eps)}[op]
        ref = refs[op](x)
        base_t = timeit(tfn, flush=True)
        base_gbs = nbytes / base_t / 1e9
        print(f"{op} {rows}x{cols} bf16: torch {base_gbs:.0f} GB/s ({base_gbs / copy_gbs:.0%} of copy)", flush=True)
        row = {"bench": op, "shape": [rows, cols], "torch_GB/s": base_gbs, "torch_err": relerr(tfn(), ref),
               "copy_GB/s": copy_gbs, "key": keys[f"{op}:{rows}x{cols}"], "dims": [rows, cols], "bytes": nbytes,
               "variants": []}
        extra = {"softmax": [], "rmsnorm": [w], "layernorm": [w, bb]}[op]
        for p in [p for p in plan if p["group"] == op]:
            if not (libdir / f"lib{p['name']}.so").exists():
                print(f"  {p['label']}: not built", flush=True)
                continue
            lib = Lib(libdir / f"lib{p['name']}.so", p["name"])
            y = torch.empty_like(x)
            errs = []
            x2 = (torch.randn(rows, cols, device=dev) * 2).to(torch.bfloat16)
            y.fill_(float("nan"))
            lib([x2] + extra + [y], [rows, cols], [], stream)
            torch.cuda.synchronize()
            err_fresh = relerr(y, refs[op](x2))
            t = timeit(lambda: lib([x] + extra + [y], [rows, cols], [], stream), flush=True,
                       before=lambda: y.fill_(float("nan")), after=lambda: errs.append(relerr(y, ref)))
            gbs = nbytes / t / 1e9
            bad = max(errs + [err_fresh]) > 1e-2
            v = {"label": p["label"], "name": p["name"], "schedule": p["schedule"], "GB/s": gbs, "ns": t * 1e9,
                 "default": p.get("default", False),
                 "ratio_torch": gbs / base_gbs, "ratio_copy": gbs / copy_gbs, "max_err": max(errs),
                 "err_fresh": err_fresh, "correct": not bad, "above_peak": gbs > PEAK_HBM_GBS}
            print(f"  {p['label']:>8}: {gbs:5.0f} GB/s  {gbs / copy_gbs:4.0%} of copy  {gbs / base_gbs:4.2f}x torch  "
                  f"err {max(errs):.1e}{'  WRONG' if bad else ''}{'  ABOVE PEAK' if v['above_peak'] else ''}",
                  flush=True)
            row["variants"].append(v)
        results.append(row)

    out.mkdir(parents=True, exist_ok=True)
    (out / "bench_cuda.json").write_text(json.dumps({"card": card, "torch": torch.__version__, "results": results},
                                                    indent=1))
    records = []
    for r in results:
        good = [v for v in r.get("variants", []) if v.get("correct") and not v.get("above_peak")
                and "sm80" not in v["name"]]
        if not good:
            continue
        key = "tflops" if "tflops" in good[0] else "GB/s"
        best = max(good, key=lambda v: v[key])
        default = next((v for v in good if v.get("default")), None)
        records.append({"key": r["key"], "bench": r["bench"], "shape": r["shape"], "card": card, "source": "gpu",
                        "label": best["label"], "schedule": best["schedule"], "ns": best["ns"], key: best[key],
                        "default_ns": default["ns"] if default else None,
                        "default_" + key: default[key] if default else None})
    (out / "records.json").write_text(json.dumps(records, indent=1))
    print("\nsummary (best correct schedule per benchmark):")
    for rec in records:
        key = "tflops" if "tflops" in rec else "GB/s"
        print(f"  {rec['bench']:>20} {str(rec['shape']):>20}: {rec['label']:>12} {rec[key]:7.0f} {key} "
              f"(default {rec['default_' + key] or 0:.0f})")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    b = sub.add_parser("build", help="emit and compile every kernel variant (needs liftcomp, nvcc, nvidia-cutlass)")
    b.add_argument("dir", type=Path)
    b.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    b.add_argument("--emit-only", action="store_true", help="write sources and commands.txt, compile nothing")
    b.add_argument("--top", type=int, default=4, help="distinct programs per benchmark from the search (default 4)")
    r = sub.add_parser("run", help="measure on the GPU (needs torch)")
    r.add_argument("dir", type=Path)
    r.add_argument("--out", type=Path, default=None)
    r.add_argument("--reps", type=int, default=30)
    ns = ap.parse_args()
    if ns.cmd == "build":
        build(ns.dir, ns.jobs, ns.emit_only, ns.top)
        return 0
    if ns.reps < 20:
        ap.error("--reps must be at least 20")
    run(ns.dir, ns.out or ns.dir, ns.reps)
    return 0


if __name__ == "__main__":
    sys.exit(main())
