"""`liftcomp compile IN.mlir --target gemmini -o OUTDIR`: raise -> lower -> (search) -> emit.

Writes OUTDIR/kernels.c (gemmini.h calls), OUTDIR/gemmini_host.h (CPU implementation for tests),
OUTDIR/<stem>.gemmini.mlir (target IR) and OUTDIR/report.json with, per function: name, cycles,
utilization, baseline_cycles, speedup (vs the library schedule), correct (simulated result ==
numpy reference of the raised program on random inputs) and schedule. Nothing is written when
any step fails.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
)

from liftcomp.diagnostics import LiftcompError


def _raise(module: ModuleOp, source: str) -> tuple[ModuleOp, list[Any]]:
    """Raise loop nests to verified tensor ops (tensor-level input passes through unchanged)."""
    from liftcomp.frontends import arg_names_from_source
    from liftcomp.lift.liftcomp_raise import raise_module

    return raise_module(module, None, arg_names_from_source(source))


def random_inputs(fn: func.FuncOp, dyn_size: int, rng: np.random.Generator) -> tuple[list[Any], list[tuple[int, ...] | None]]:
    """Random arguments for `fn`: integers over their whole range, dynamic dims = dyn_size."""
    args: list[Any] = []
    shapes: list[tuple[int, ...] | None] = []
    for a in fn.body.block.args:
        t = a.type
        if isinstance(t, IndexType):
            # Index arguments are sizes in the corpus's kernels: give them the dynamic size.
            args.append(dyn_size)
            shapes.append(None)
            continue
        if isinstance(t, (Float32Type, Float64Type)):
            # A float scalar is typically a scale: random sign, magnitude log-uniform in [1e-4, 1].
            v = rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-4.0, 0.0)
            args.append(np.float32(v) if isinstance(t, Float32Type) else np.float64(v))
            shapes.append(None)
            continue
        if isinstance(t, IntegerType) and t.width.data > 1:
            # Integer scalars are lengths or small factors in the corpus's kernels (an i32 n, a
            # pixel value): the dynamic size too, within the type's range.
            args.append(min(dyn_size, (1 << (t.width.data - 1)) - 1))
            shapes.append(None)
            continue
        if not isinstance(t, MemRefType):
            raise LiftcompError(f"@{fn.sym_name.data}: scalar arguments of type {t} are not supported by compile yet")
        shape = tuple(d.data if d.data >= 0 else dyn_size for d in t.shape.data)
        et = t.element_type
        if isinstance(et, IntegerType):
            w = et.width.data
            dt = np.dtype(f"i{w // 8}")
            info = np.iinfo(dt)
            args.append(rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True))
        else:
            from liftcomp.targets.gemmini.sim.simulate import dtype_of

            args.append(rng.uniform(-1, 1, size=shape).astype(dtype_of(et)))
        shapes.append(shape)
    return args, shapes


def _copy_args(args: list[Any]) -> list[Any]:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


# Steps of the reference executor (about a few seconds) when it checks a partly lifted function.
REFERENCE_MAX_STEPS = 20_000_000


def compile_file(
    in_path: Path,
    outdir: Path,
    target: str = "gemmini",
    form: str = "explicit",
    dyn_size: int = 64,
    seed: int = 0,
    check_c: bool = False,
    dram_latency: int | None = None,
    search: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The whole `compile` command; returns the report (also written to OUTDIR/report.json)."""
    from liftcomp.interop.mlir_tool import parse_mlir, print_custom, run_pipeline
    from liftcomp.targets import get_target
    from liftcomp.targets.gemmini.check_c import check_c
    from liftcomp.targets.gemmini.config import DEFAULT_CONFIG
    from liftcomp.targets.gemmini.emit_c import emit_c, header_path
    from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
    from liftcomp.targets.gemmini.sim import simulate
    from liftcomp.targets.reference import run_reference

    if target != "gemmini":
        get_target(target)  # raises for unknown targets
    if not in_path.is_file():
        raise LiftcompError(f"no such file: {in_path}")
    module = parse_mlir(in_path.read_text(), str(in_path))
    source = module.clone()  # raising works in place; the input program stays the last-resort reference
    raised, raise_reports = _raise(module, in_path.read_text())
    # Loops that stay on the host are scf loops for the simulator and the C emitter.
    if any(op.name.startswith("affine.") for op in raised.walk()):
        raised = run_pipeline(raised, "builtin.module(lower-affine)")
    proofs = {r.name: r.proof for r in raise_reports}
    cfg = DEFAULT_CONFIG if dram_latency is None else DEFAULT_CONFIG.with_(dram_latency=dram_latency)
    # Schedule search / replay (liftcomp.search): the chosen schedules replace the library's.
    choices: dict[str, Any] = {}
    staging: Path | None = None
    sched = None
    if search:
        from liftcomp.search.driver import choose_schedules, schedule_fn

        # Traces and plots go to a staging folder, moved into OUTDIR only if everything succeeds.
        staging = Path(tempfile.mkdtemp(prefix="liftcomp-search-"))
        try:
            choices = choose_schedules(raised, cfg, form=form, seed=seed, dyn_size=dyn_size, outdir=staging, **search)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        sched = schedule_fn(choices, cfg) if choices else None
    # Input loops kept on the host are scf loops for the simulator and the C emitter.
    host_source = run_pipeline(source, "builtin.module(lower-affine)")
    originals = {op.sym_name.data: op for op in host_source.ops if isinstance(op, func.FuncOp)}
    lowered, lreport = lower_module_with_report(
        raised, LowerOptions(form=form, config=cfg, schedule=sched, originals=originals))  # type: ignore[arg-type]
    if choices:
        from liftcomp.search.driver import substitute_freeform

        substitute_freeform(lowered, choices)  # free-form (LLM-edited) IR replaces its lowered function
    lowered.verify()
    c_src = emit_c(lowered)
    header = header_path().read_text()
    rng = np.random.default_rng(seed)
    kernels: list[dict[str, Any]] = []
    for fn in [op for op in raised.ops if isinstance(op, func.FuncOp) and op.body.blocks]:
        name = fn.sym_name.data
        args, shapes = random_inputs(fn, dyn_size, rng)
        expected = _copy_args(args)
        ref_error = None
        try:
            run_reference(fn, expected)
        except LiftcompError as e:
            # Loops left by a partial lift: the original loop nest itself is the reference.
            expected, ref_error = _reference_from_source(source, name, args, str(e))
        sim = simulate(lowered, _copy_args(args), cfg, functional=True, func_name=name)
        outs = list(sim.outputs.values())
        arrays = [e for e in expected if isinstance(e, np.ndarray)]
        correct = None if ref_error else all(np.array_equal(o, e) for o, e in zip(outs, arrays, strict=True))
        entry: dict[str, Any] = {
            "name": name,
            "proof": proofs.get(name),
            "cycles": sim.cycles,
            "utilization": round(sim.utilization, 6),
            # The library schedule; with --search, report_fields below replaces these with the searched ones.
            "baseline_cycles": sim.cycles,
            "speedup": 1.0,
            "correct": correct,
            "schedule": [k.to_json() for k in lreport.kernels if k.func == name],
            "sim": sim.summary(),
            "remarks": [k.remark for k in lreport.kernels if k.func == name and k.remark],
        }
        if name in choices:
            entry.update(choices[name].report_fields(sim.cycles))
        if ref_error:
            entry["reference_error"] = ref_error
        if check_c:
            entry["c_correct"] = None if ref_error else check_c(c_src, header, fn, args, shapes, expected)
        kernels.append(entry)
    report = {"target": target, "input": str(in_path), "form": form, "dram_latency": cfg.dram_latency,
              "kernels": kernels}
    # Everything succeeded: now write.
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / "kernels.c").write_text(c_src)
    (outdir / "gemmini_host.h").write_text(header)
    (outdir / f"{in_path.stem}.gemmini.mlir").write_text(print_custom(lowered))
    (outdir / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    if staging is not None:
        for f in sorted(staging.iterdir()):
            shutil.move(str(f), outdir / f.name)
        shutil.rmtree(staging, ignore_errors=True)
    return report


def _reference_from_source(source: ModuleOp, name: str, args: list[Any], why: str) -> tuple[list[Any], str | None]:
    """Expected outputs from running the input program itself in the reference executor, for a
    function whose raised form the numpy reference cannot run; (args, reason) if that fails too."""
    from liftcomp.executor import Interpreter

    expected = _copy_args(args)
    try:
        Interpreter(source, max_steps=REFERENCE_MAX_STEPS).call(name, expected)
    except LiftcompError as e:
        return _copy_args(args), f"{why}; the input program in the reference executor: {e}"
    return expected, None


def _cmd_compile(ns: argparse.Namespace) -> int:
    if ns.target == "cuda":
        from liftcomp.targets.cuda.compile import main as compile_cuda_main

        return compile_cuda_main(ns)
    search = None
    if ns.search or ns.schedule:
        from liftcomp.llm.options import config_from_args

        search = {"search": ns.search, "budget": ns.budget, "planner": ns.planner,
                  "schedule_file": Path(ns.schedule) if ns.schedule else None,
                  "llm_config": config_from_args(ns) if ns.planner == "llm" else None, "llm_mode": ns.llm_mode}
    report = compile_file(Path(ns.input), Path(ns.output), ns.target, ns.form, ns.dyn_size, ns.seed, ns.check_c,
                          ns.dram_latency, search)
    for k in report["kernels"]:
        print(f"{k['name']}: {k['cycles']} cycles, utilization {k['utilization']:.1%}, "
              f"speedup {k['speedup']:.2f}x, correct: {k['correct']}"
              + (f", C correct: {k['c_correct']}" if "c_correct" in k else ""))
    print(f"wrote {ns.output}/kernels.c and {ns.output}/report.json")
    bad = [k for k in report["kernels"] if k["correct"] is False or k.get("c_correct") is False]
    return 1 if bad else 0


def add_subcommands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "compile",
        help="raise, lower to an accelerator, simulate and emit code",
        description="Raise loop nests to tensor ops, lower them to the target with the library "
        "schedule, check the simulated result against a numpy reference on random inputs, and "
        "emit C. Writes OUTDIR/kernels.c, gemmini_host.h, the target IR and report.json.",
    )
    p.add_argument("input", help="input .mlir (loop nests, or tensor-level linalg)")
    p.add_argument("--target", default="gemmini", choices=["gemmini", "cuda"])
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--form", default="explicit", choices=["explicit", "loop_ws"],
                   help="library schedule as explicit instructions in loops (default) or loop_ws FSM calls")
    p.add_argument("--dyn-size", type=int, default=64, help="size used for dynamic dimensions (default 64)")
    p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
    p.add_argument("--check-c", action="store_true", help="also compile the C with gcc and the host header and run it")
    p.add_argument("--dram-latency", type=int, default=None, help="DRAM latency of the timing model (cycles)")
    p.add_argument("--search", choices=["beam"], default=None, help="search schedules (beam search) instead of the library's")
    p.add_argument("--budget", type=int, default=0, help="most schedules the search simulates per kernel (0: no limit)")
    p.add_argument("--planner", choices=["builtin", "llm"], default="builtin", help="who plans the rewrites (default builtin)")
    p.add_argument("--schedule", metavar="FILE", help="replay the rewrite steps of a report.json or search trace")
    p.add_argument("--llm-mode", choices=["menu", "freeform", "mixed"], default="menu",
                   help="with --planner llm: implement plans with menu parameters (default), by editing the target "
                   "IR (freeform: parsed, verified, simulated, never run), or either (mixed)")
    from liftcomp.llm.options import add_llm_arguments

    add_llm_arguments(p)
    from liftcomp.targets.cuda.target import CudaTarget

    CudaTarget().add_arguments(p.add_argument_group("cuda target"))
    p.set_defaults(func=_cmd_compile)
