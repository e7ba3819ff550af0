"""`liftcomp compile IN.mlir --target T -o OUTDIR`: raise -> lower -> (search) -> emit, for any
registered target (liftcomp.targets).

Writes the target's files (Gemmini: kernels.c with gemmini.h calls and gemmini_host.h, a CPU
implementation for tests), OUTDIR/<stem>.<target>.mlir (target IR) and OUTDIR/report.json with,
per function: name, cost and unit (and the cost under the unit's name, e.g. "cycles"),
utilization, the baseline, speedup (vs the library schedule), correct (evaluated result == numpy
reference of the raised program on random inputs) and schedule. Nothing is written when any step
fails.
"""

from __future__ import annotations

import argparse
import json
import math
import shutil
import tempfile
from dataclasses import fields
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp
from xdsl.ir import Attribute, Operation

from liftcomp.diagnostics import LiftcompError
from liftcomp.pass_support import int_at_least

if TYPE_CHECKING:
    from liftcomp.lift.raising import RaiseOptions


def _raise(module: ModuleOp, source: str, options: RaiseOptions | None) -> tuple[ModuleOp, list[Any]]:
    """Raise loop nests to verified tensor ops (tensor-level input passes through unchanged)."""
    from liftcomp.frontends import arg_names_from_source
    from liftcomp.lift.liftcomp_raise import raise_module

    return raise_module(module, options, arg_names_from_source(source))


def _copy_args(args: list[Any]) -> list[Any]:
    return [a.copy() if isinstance(a, np.ndarray) else a for a in args]


# Steps of the reference executor (about a few seconds) when it checks a partly lifted function.
REFERENCE_MAX_STEPS = 20_000_000


def compile_file(
    in_path: Path,
    outdir: Path,
    target: str = "gemmini",
    options: dict[str, Any] | None = None,
    dyn_size: int = 64,
    seed: int = 0,
    check_c: bool = False,
    search: dict[str, Any] | None = None,
    config: str = "default",
    raise_options: RaiseOptions | None = None,
) -> dict[str, Any]:
    """The whole `compile` command for any registered target; returns the report (also written
    to OUTDIR/report.json). `options` are the target's own (`Target.options_from_args`);
    `search` holds `search.driver.SearchSettings` fields; `raise_options` the raising's
    (default: the IEEE float model, the symbolic proposer)."""
    from liftcomp.frontends.mlir import read_text
    from liftcomp.interop.mlir_tool import parse_mlir, print_custom, run_pipeline
    from liftcomp.ir import float_order
    from liftcomp.reference import random_inputs
    from liftcomp.search.driver import (
        SearchSettings,
        choose_schedules,
        func_schedules,
        substitute_freeform,
    )
    from liftcomp.targets import get_target
    from liftcomp.targets.base import outputs_match_ordered, with_dyn_size

    t = get_target(target)
    opts = dict(options or {})
    cfg = t.config_for(config, opts)
    if not in_path.is_file():
        raise LiftcompError(f"no such file: {in_path}")
    from liftcomp.output import check_output_dir

    check_output_dir(outdir)  # before any work
    text, _ = read_text(in_path)
    module = parse_mlir(text, str(in_path))
    _check_sizes(module, dyn_size)
    _check_supported(module)
    source = module.clone()  # raising works in place; the input program stays the last-resort reference
    raised, raise_reports = _raise(module, text, raise_options)
    # Loops that stay on the host are scf loops for the simulator and the C emitter.
    if any(op.name.startswith("affine.") for op in raised.walk()):
        raised = run_pipeline(raised, "builtin.module(lower-affine)")
    proofs = {r.name: r.proof for r in raise_reports}
    float_models = {r.name: r.floats for r in raise_reports}
    not_raised = {r.name: _not_raised(r) for r in raise_reports}
    # Schedule search / replay (liftcomp.search): the chosen schedules replace the library's.
    choices: dict[str, Any] = {}
    problems: dict[str, Any] = {}
    staging: Path | None = None
    if search:
        settings = SearchSettings(seed=seed, dyn_size=dyn_size, **search)
        # Traces and plots go to a staging folder, moved into OUTDIR only if everything succeeds.
        staging = Path(tempfile.mkdtemp(prefix="liftcomp-search-"))
        try:
            choices, problems = choose_schedules(raised, target, cfg, opts, settings, outdir=staging)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    # Input loops kept on the host are scf loops for the simulator and the C emitter.
    host_source = run_pipeline(source, "builtin.module(lower-affine)")
    originals = {op.sym_name.data: op for op in host_source.ops if isinstance(op, func.FuncOp)}
    # Targets read the dynamic-dimension size from their options (`with_dyn_size`).
    low = t.lower(raised, cfg, with_dyn_size(opts, dyn_size), func_schedules(choices), originals)
    lowered = low.module
    if any(c.ir for c in choices.values()):
        substitute_freeform(lowered, choices, problems)  # free-form (LLM-edited) IR replaces its lowered function
    lowered.verify()
    _check_host_loops(lowered, dyn_size, source)
    files = t.emit(lowered, cfg)
    evaluator = t.evaluator(cfg)
    rng = np.random.default_rng(seed)
    kernels: list[dict[str, Any]] = []
    for fn in [op for op in raised.ops if isinstance(op, func.FuncOp) and op.body.blocks]:
        name = fn.sym_name.data
        args, shapes = random_inputs(fn, dyn_size, rng)
        args, shapes, expected, ref_error = _expected_outputs(fn, source, args, shapes, rng)
        got = _copy_args(args)
        m = evaluator.run(lowered, name, got)
        arrays = [e for e in expected if isinstance(e, np.ndarray)]
        outs = [a for a in got if isinstance(a, np.ndarray)]
        # A function whose float sums all keep the loop's order (its proof's IEEE model) must
        # give the reference's bits wherever the target's evaluator computes exactly.
        exact = float_order.checks_bits(fn) and t.evaluates_exactly(cfg)
        check = (lambda g, e: outputs_match_ordered(t, g, e)) if exact else t.outputs_match
        correct = None if ref_error else check(outs, arrays)
        entry: dict[str, Any] = {
            "name": name,
            "proof": proofs.get(name),
            "floats": float_models.get(name),  # the float semantics the proof used (None: no float lifted)
            "cost": m.cost,
            "unit": m.unit,
            m.unit: m.cost,
            "utilization": round(m.utilization, 6),
            # The library schedule; with --search, report_fields below replaces these with the searched ones.
            f"baseline_{m.unit}": m.cost,
            "speedup": 1.0,
            "correct": correct,
            "schedule": [k for k in low.kernels if k.get("func") == name],
            "counters": m.counters,
            "remarks": [r for r in [not_raised.get(name)] if r]
            + [k["remark"] for k in low.kernels if k.get("func") == name and k.get("remark")],
        }
        if name in choices:
            entry.update(choices[name].report_fields(m.cost))
        if ref_error:
            entry["reference_error"] = ref_error
        if check_c:
            entry["c_correct"] = None if ref_error else t.check_emitted(files, fn, args, shapes, expected)
        kernels.append(entry)
    from liftcomp import __version__

    report = {"schema": COMPILE_REPORT_SCHEMA, "tool": f"liftcomp {__version__}", "target": target, "config": config,
              "options": opts, "raising": _raising_json(raise_options), "input": str(in_path), "files": sorted(files),
              "kernels": kernels}
    # Everything succeeded: now write (all files or none).
    from liftcomp.output import write_outputs

    created = not outdir.exists()
    try:
        outdir.mkdir(parents=True, exist_ok=True)
        write_outputs({**{outdir / fname: text for fname, text in files.items()},
                       outdir / f"{in_path.stem}.{target}.mlir": print_custom(lowered),
                       outdir / "report.json": json.dumps(report, indent=2) + "\n"})
    except (OSError, LiftcompError) as e:
        if created:
            shutil.rmtree(outdir, ignore_errors=True)
        if staging is not None:
            shutil.rmtree(staging, ignore_errors=True)
        raise e if isinstance(e, LiftcompError) else LiftcompError(f"cannot write into {outdir}: {e.strerror}") from None
    if staging is not None:
        for f in sorted(staging.iterdir()):
            shutil.move(str(f), outdir / f.name)
        shutil.rmtree(staging, ignore_errors=True)
    return report


# compile simulates every kernel on random inputs: arguments past this are refused up front.
MAX_ARGUMENT_BYTES = 1 << 30


def _check_sizes(module: ModuleOp, dyn_size: int) -> None:
    """Refuse functions whose arguments (dynamic dims = dyn_size) the simulator cannot hold."""
    from liftcomp.diagnostics import op_location

    for fn in module.ops:
        if not isinstance(fn, func.FuncOp):
            continue
        total = 0
        for t in fn.function_type.inputs.data:
            if isinstance(t, MemRefType):
                t = cast(MemRefType[Attribute], t)
                width = getattr(t.element_type, "bitwidth", 64)
                total += math.prod(d.data if d.data >= 0 else dyn_size for d in t.shape.data) * max(width // 8, 1)
        if total > MAX_ARGUMENT_BYTES:
            raise LiftcompError(f"@{fn.sym_name.data}: arguments of {total / (1 << 30):.1f} GiB are too large to simulate "
                                f"(at most {MAX_ARGUMENT_BYTES >> 30} GiB)", op_location(fn))


def _halve_sizes(fn: func.FuncOp, args: list[Any]) -> bool:
    """Halve the index arguments (sizes, strides) above 1; False if there are none."""
    from xdsl.dialects.builtin import IndexType

    changed = False
    for k, a in enumerate(fn.body.block.args):
        if isinstance(a.type, IndexType) and isinstance(args[k], int) and args[k] > 1:
            args[k] //= 2
            changed = True
    return changed


# Loop iterations the evaluators may interpret on the host per function (the input loops of what a
# target does not lower): past this a run takes minutes (a 14x14x256 3x3 convolution: 115M).
HOST_LOOP_BUDGET = 10_000_000


def _check_host_loops(lowered: ModuleOp, dyn_size: int, source: ModuleOp) -> None:
    """Refuse, before any run, a function whose loops left on the host would take the simulator
    minutes (dynamic trip counts taken as dyn_size); located at the input function."""
    from liftcomp.diagnostics import op_location

    inputs = {op.sym_name.data: op for op in source.ops if isinstance(op, func.FuncOp)}
    for fn in lowered.ops:
        # Only functions that are plain loops (no target op): what the evaluators interpret.
        if not isinstance(fn, func.FuncOp) or not fn.body.blocks or any(
                op.name.split(".")[0] not in _HOST_DIALECTS for op in fn.walk()):
            continue
        n = _iterations(list(fn.body.block.ops), dyn_size)
        if n > HOST_LOOP_BUDGET:
            raise LiftcompError(f"@{fn.sym_name.data}: the loops kept on the host (what the target does not lower) run "
                                f"about {n:,} iterations: too many to simulate (at most {HOST_LOOP_BUDGET:,}; dynamic sizes are "
                                f"--dyn-size {dyn_size})",
                                op_location(inputs.get(fn.sym_name.data, fn)))


_HOST_DIALECTS = {"func", "scf", "affine", "arith", "math", "memref", "cf", "index"}


def _iterations(ops: list[Operation], dyn_size: int) -> int:
    """Iterations of the innermost loop bodies of `ops`, about."""
    total = 0
    for op in ops:
        inner = sum(_iterations(list(r.blocks[0].ops), dyn_size) for r in op.regions if r.blocks)
        if op.name == "scf.for":
            lb, ub, step = (_constant(v) for v in op.operands[:3])
            if lb is None or ub is None:
                trips = -(-dyn_size // step) if step and step > 0 else dyn_size
            else:
                trips = max(0, -(-(ub - lb) // step)) if step and step > 0 else 1
            total += trips * max(1, inner)
        else:
            total += inner
    return total


def _constant(v: Any) -> int | None:
    owner = v.owner
    value = owner.properties.get("value") if isinstance(owner, Operation) and owner.name == "arith.constant" else None
    return value.value.data if isinstance(value, IntegerAttr) else None


def _check_supported(module: ModuleOp) -> None:
    """Refuse, at its location, what compile's lowerings and simulators cannot run: function bodies
    of several blocks (cf branches) and memref.dim past a buffer's rank (the lift leaves both)."""
    from liftcomp.diagnostics import op_location

    for fn in module.ops:
        if not isinstance(fn, func.FuncOp) or not fn.body.blocks:
            continue
        if len(fn.body.blocks) != 1:
            raise LiftcompError(f"@{fn.sym_name.data}: a function body of {len(fn.body.blocks)} blocks (branches between "
                                "blocks): compile takes structured control flow (scf/affine) only", op_location(fn))
        for op in fn.walk():
            if op.name != "memref.dim" or not isinstance(op.operands[0].type, MemRefType):
                continue
            owner = op.operands[1].owner
            value = owner.properties.get("value") if isinstance(owner, Operation) and owner.name == "arith.constant" else None
            rank = len(op.operands[0].type.get_shape())
            if isinstance(value, IntegerAttr) and not 0 <= value.value.data < rank:
                raise LiftcompError(f"memref.dim index {value.value.data} out of range for a buffer of rank {rank}",
                                    op_location(op))


# Times compile grows a dynamic buffer that the program reads past (see _expected_outputs).
MAX_GROWTHS = 24


def _expected_outputs(fn: func.FuncOp, source: ModuleOp, args: list[Any], shapes: list[Any], rng: np.random.Generator
                      ) -> tuple[list[Any], list[Any], list[Any], str | None]:
    """(args, shapes, expected outputs, None), or (..., the reason) when no reference runs.

    Random inputs give every dynamic dim and every size argument the same value, which a kernel
    such as a FIR filter (x holds n + taps - 1 samples) reads past: the buffer it reads past is
    grown (to the sizes the raised program slices, or doubled for the input loops) and the inputs
    are made again, so that the target runs on inputs the program is defined on."""
    from liftcomp.executor import Interpreter, OutOfBounds
    from liftcomp.reference import run_reference
    from liftcomp.reference.tensor_ir import SliceOutOfBounds

    name = fn.sym_name.data
    original = next((op for op in source.ops if isinstance(op, func.FuncOp) and op.sym_name.data == name), fn)
    small_integers, why = False, ""
    for _ in range(MAX_GROWTHS + 1):
        expected = _copy_args(args)
        where: tuple[int, list[int] | None] | None = None
        try:
            run_reference(fn, expected)
            return args, shapes, expected, None
        except SliceOutOfBounds as e:
            why = str(e)
            if e.argument is not None:
                where = (e.argument, e.sizes)
        except LiftcompError as e:
            why = str(e)
        if where is None:
            # Loops left by a partial lift: the original loop nest itself is the reference.
            expected = _copy_args(args)
            try:
                Interpreter(source, max_steps=REFERENCE_MAX_STEPS).call(name, expected)
                return args, shapes, expected, None
            except OutOfBounds as e:
                why = f"{why}; the input program in the reference executor: {e}"
                # The buffer read past doubles (A of n + 1 elements next to a B of n, say).
                k = next((k for k, a in enumerate(expected) if a is e.array), None)
                if k is not None and _grow(original, k, shapes[k], None, args, shapes, rng) or _halve_sizes(original, args):
                    continue
                # Indices read from random data (a gather, a histogram): small integers instead.
                if not small_integers and _small_integers(original, args):
                    small_integers = True
                    continue
                return args, shapes, _copy_args(args), why
            except LiftcompError as e:
                why = f"{why}; the input program in the reference executor: {e}"
                # Poison on random integers (a shift by a data value past the width): small ones.
                if "(poison)" in why and not small_integers:
                    small_integers = _small_integers(original, args)
                    if small_integers:
                        continue
                return args, shapes, _copy_args(args), why
        assert where is not None
        if not _grow(original, where[0], shapes[where[0]], where[1], args, shapes, rng) and not _halve_sizes(original, args):
            return args, shapes, _copy_args(args), why  # else: smaller sizes (and strides) for a static buffer
    return args, shapes, _copy_args(args), why


def _small_integers(fn: func.FuncOp, args: list[Any]) -> bool:
    """Integer buffers refilled with values in [0, 8) (below every shift width); False if none."""
    changed = False
    for k, a in enumerate(fn.body.block.args):
        if isinstance(args[k], np.ndarray) and args[k].dtype.kind in "iu" and isinstance(a.type, MemRefType):
            args[k] = np.random.default_rng(k).integers(0, 8, size=args[k].shape).astype(args[k].dtype)
            changed = True
    return changed


def _grow(fn: func.FuncOp, k: int, shape: Any, at_least: list[int] | None, args: list[Any], shapes: list[Any],
          rng: np.random.Generator) -> bool:
    """Argument k made anew at a larger shape (`reference.inputs.grown`); False if it cannot grow."""
    from liftcomp.reference.inputs import grown, random_array

    t = fn.body.block.args[k].type
    new = grown(fn, k, shape, at_least) if isinstance(t, MemRefType) and shape is not None else None
    if new is None:
        return False
    args[k], shapes[k] = random_array(cast(MemRefType[Attribute], t), new, rng), new
    return True


def _cmd_compile(ns: argparse.Namespace) -> int:
    from liftcomp.lift.cli import CLI_FLAGS as LIFT_FLAGS
    from liftcomp.lift.liftcomp_raise import LiftcompRaisePass
    from liftcomp.pass_support import pass_from_args
    from liftcomp.targets import get_target
    from liftcomp.targets.schedule_options import ScheduleOptions

    target = get_target(ns.target)
    # The checks of the pass options these flags are (one definition, one set of checks).
    sched: ScheduleOptions = pass_from_args(ScheduleOptions, ns)
    raising = pass_from_args(LiftcompRaisePass, ns, LIFT_FLAGS)  # --float-model, --kernel-timeout and the --llm-* flags
    options = target.options_from_args(ns)  # the target's own, checked by its lowering pass
    search = None
    if sched.search != "none" or sched.schedule or sched.database:
        from liftcomp.llm.options import config_from_args

        search = {"search": None if sched.search == "none" else sched.search, "budget": sched.budget,
                  "planner": sched.planner, "schedule_file": Path(sched.schedule) if sched.schedule else None,
                  "database": Path(sched.database) if sched.database else None, "resume": ns.resume,
                  "executor": ns.executor, "ray_address": ns.ray_address, "workers": ns.workers,
                  "llm_config": config_from_args(ns) if sched.planner == "llm" else None, "llm_mode": ns.llm_mode}
    elif ns.resume:
        raise LiftcompError("--resume needs --search and --database (it continues the search recorded there)")
    from liftcomp.frontends import as_mlir_file

    with as_mlir_file(Path(ns.input)) as mlir_input:  # C/C++/Python sources: the frontend step first
        report = compile_file(mlir_input, Path(ns.output), ns.target, options, sched.dyn_size,
                              sched.seed, ns.check_c, search, ns.config,
                              raising.raise_options())
    if mlir_input != Path(ns.input):  # the report names the user's source, not the temporary MLIR
        report["input"] = ns.input
        (Path(ns.output) / "report.json").write_text(json.dumps(report, indent=2) + "\n")
    for k in report["kernels"]:
        print(f"{k['name']}: {k['cost']} {k['unit']}, utilization {k['utilization']:.1%}, "
              f"speedup {k['speedup']:.2f}x, correct: {k['correct']}"
              + (f", C correct: {k['c_correct']}" if "c_correct" in k else ""))
        for reason in host_fallbacks(k):
            print(f"  {k['name']}: host fallback: {reason}")
    print(f"wrote {', '.join(f'{ns.output}/{f}' for f in report['files'])} and {ns.output}/report.json")
    bad = [k for k in report["kernels"] if k["correct"] is False or k.get("c_correct") is False]
    return 1 if bad else 0


COMPILE_REPORT_SCHEMA = 2  # {schema, tool, target, config, options, raising, input, files, kernels}; 2: raising, kernels' floats


def _raising_json(options: RaiseOptions | None) -> dict[str, Any]:
    from liftcomp.lift.raising import RaiseOptions

    o = options or RaiseOptions()
    return {"float-model": o.float_model, "kernel-timeout": o.kernel_timeout_s}


NOT_RAISED = "kept on the host: not raised"
PARTLY_RAISED = "loop nests left on the host by the raising"


def _not_raised(report: Any) -> str | None:
    """The remark for loops the raising left in a function (they run as host code on every
    target), with the raising's reason; None when everything was raised or nothing had effect."""
    if report.status == "lifted" or not report.reason or report.reason == "the function has no effect to lift":
        return None
    if report.status == "partial":
        return f"{PARTLY_RAISED}: {report.reason}"
    return f"{NOT_RAISED} ({report.reason})"


def host_fallbacks(kernel: dict[str, Any]) -> list[str]:
    """Why parts of a reported function run as host code instead of on the target (loops the
    raising left, schedule entries of kind "host", and remarks that keep something on the host),
    for the summary."""
    raising = [r for r in kernel.get("remarks", []) if r.startswith((NOT_RAISED, PARTLY_RAISED))]
    out = list(raising)
    for s in kernel.get("schedule", []):
        remark = str(s.get("remark") or "")
        if raising and "left by the raising" in remark:
            continue  # the target's own words for the same loops
        if s.get("kind") == "host" or "host" in remark:
            out.append(remark or f"{s.get('kind')} kernel runs as host loops")
    return out


def add_subcommands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from liftcomp.targets import get_target, target_names

    names: list[str] = []
    broken: list[str] = []
    for n in target_names():
        try:
            get_target(n)
            names.append(n)
        except LiftcompError as e:  # a plugin target that fails to load must not break the other commands
            broken.append(e.message)
    p = sub.add_parser(
        "compile",
        help="raise, lower to an accelerator, search schedules, check and emit code",
        description="Raise loop nests to tensor ops, lower them to the target with its library "
        "schedule (or a searched / replayed one), check the evaluated result against a numpy "
        "reference on random inputs, and emit code for the target's toolchain. Writes the target's "
        "files, the target IR and report.json into OUTDIR; nothing when any step fails. "
        "Targets: " + "; ".join(f"{n}: {get_target(n).summary}" for n in names)
        + "".join(f" (not loaded: {m})" for m in broken),
    )
    p.add_argument("input", help="input .mlir (loop nests, or tensor-level linalg), or C/C++ (.c .cc .cpp .cxx) or Python (.py) loop kernels")
    p.add_argument("--target", default="gemmini", choices=names, help="registered target (default gemmini)")
    p.add_argument("--config", default="default",
                   help="named configuration of the target (default: default)")
    p.add_argument("-o", "--output", required=True, help="output directory")
    p.add_argument("--check-c", action="store_true", help="also build the emitted code and run it (where the target can)")
    from liftcomp.lift.cli import CLI_FLAGS as LIFT_FLAGS
    from liftcomp.lift.liftcomp_raise import LiftcompRaisePass
    from liftcomp.pass_support import add_pass_arguments
    from liftcomp.targets.schedule_options import ScheduleOptions

    # --search, --budget, --planner, --schedule, --database, --seed, --dyn-size: the options of the
    # lowering passes that search (liftcomp-lower-gemmini), with their defaults, help and checks.
    add_pass_arguments(p, ScheduleOptions)
    p.add_argument("--resume", action="store_true",
                   help="with --search and --database: reuse the measurements recorded there (an interrupted "
                   "search continues to the same result)")
    p.add_argument("--executor", choices=["local", "ray"], default="local",
                   help="where candidates are evaluated: local worker processes (default) or a Ray cluster "
                   "(pip install 'liftcomp[ray]'; for hardware-in-the-loop search over many boards or GPUs)")
    p.add_argument("--ray-address", default=None,
                   help="Ray cluster to join (default: $RAY_ADDRESS, else a local Ray instance)")
    p.add_argument("--workers", type=int_at_least(0), default=0, help="evaluation workers (0: one per core)")
    p.add_argument("--llm-mode", choices=["menu", "freeform", "mixed"], default="menu",
                   help="with --planner llm: implement plans with menu parameters (default), by editing the target "
                   "IR (freeform: parsed, verified, simulated, never run), or either (mixed)")
    for n in names:
        get_target(n).add_arguments(p.add_argument_group(f"{n} options"))
    # The raising's float model and time limit, as `liftcomp lift` has them.
    raising = p.add_argument_group("raising", "how loop nests are raised before lowering (docs/LIFTING.md)")
    add_pass_arguments(raising, LiftcompRaisePass, flags=LIFT_FLAGS,
                       skip=tuple(f.name for f in fields(LiftcompRaisePass) if f.name not in RAISE_OPTIONS))
    llm = p.add_argument_group("LLM (with --planner llm)", "OpenAI-compatible endpoint from OPENAI_API_KEY / OPENAI_BASE_URL; "
                               "model from LIFTCOMP_MODEL or --llm-model")
    # The liftcomp-raise pass's LLM options (the ones a planner uses), as `liftcomp lift` has them.
    add_pass_arguments(llm, LiftcompRaisePass, skip=(*LIFT_ONLY_OPTIONS, *RAISE_OPTIONS))
    p.set_defaults(func=_cmd_compile)


# Options of liftcomp-raise that are not compile's (the LLM planner asks for one plan at a time).
LIFT_ONLY_OPTIONS = ("proposer", "require", "bound", "query_timeout_ms", "strict", "strategy", "llm_samples", "llm_temperature")
# ... and those compile has for its raising step (the rest of its liftcomp-raise flags are the planner's LLM ones).
RAISE_OPTIONS = ("float_model", "kernel_timeout_s")
