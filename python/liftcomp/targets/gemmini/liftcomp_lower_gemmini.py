"""The `liftcomp-lower-gemmini` pass: tensor-level kernels -> gemmini dialect + host scf loops."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.pass_support import emit_remark, option, parse_location, replace_module_body
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.lowering import KernelRecord, LowerOptions, lower_in_place
from liftcomp.targets.gemmini.schedule import MatmulSchedule
from liftcomp.targets.schedule_options import ScheduleOptions


@dataclass(frozen=True)
class LiftcompLowerGemminiPass(ScheduleOptions):
    """Lower linalg/tensor kernels to Gemmini (gemmini dialect + host scf loops).

    Options (the search ones, from `ScheduleOptions`, are also `liftcomp compile`'s flags, as are
    form and dram-latency):
    - form = explicit (default) | loop_ws: the form of the library schedule;
    - dram-latency = N: the DRAM latency (cycles) of the timing model the search scores with;
    - search = none (default) | beam: search each kernel's schedule with the simulator
      (`liftcomp compile --search`), at most `budget` schedules per kernel (0: no limit), rewrites
      planned by `planner` = builtin | llm, inputs from `seed`, dynamic sizes as `dyn-size`;
    - schedule = FILE: replay the rewrite steps of a search (a `liftcomp compile` report.json, a
      search trace, or what `search-report` wrote); exclusive with search=beam;
    - search-report = FILE: write the chosen steps per kernel (replayable with schedule=FILE);
    - database = FILE: tuning records (search.database): with search=beam each measurement is
      appended; without, the best record of each kernel (same function, target, configuration)
      is replayed;
    - strict = true: an op that would stay on the host is an error at its location (the module is
      then left as it was); remarks = true: one remark per lowered op.
    """

    name = "liftcomp-lower-gemmini"

    form: str = option("explicit", "the library schedule as explicit instructions in loops or as loop_ws FSM calls",
                       choices=("explicit", "loop_ws"))
    dram_latency: int | None = option(None, "DRAM latency of the timing model (cycles; default: the configuration's)",
                                      at_least=0)
    search_report: str = option("", "write the chosen rewrite steps per kernel (replayable with schedule=FILE)",
                                cli=False, metavar="FILE")
    strict: bool = option(False, "an op that would stay on the host is an error at its location", cli=False)
    remarks: bool = option(False, "one remark per lowered op", cli=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.search_report and self.search == "none" and not (self.schedule or self.database):
            raise self.option_error("option 'search-report' needs search=beam, schedule=FILE or database=FILE")
        if self.search_report and not Path(self.search_report).expanduser().resolve().parent.is_dir():
            raise self.option_error(f"option 'search-report': no such directory for {self.search_report}")

    def config(self) -> GemminiConfig:
        return DEFAULT_CONFIG if self.dram_latency is None else DEFAULT_CONFIG.with_(dram_latency=self.dram_latency)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = {f.sym_name.data: f for f in op.ops if isinstance(f, func.FuncOp)}
        # Lower a copy: a failure (strict, a search error) must leave the module as it was.
        work = op.clone()
        choices, problems = self._choose_schedules(work)
        from liftcomp.search.driver import func_schedules

        form: Any = self.form  # checked in __post_init__
        report = lower_in_place(work, LowerOptions(form=form, config=self.config(), func_schedules=func_schedules(choices)))
        if any(c.ir for c in choices.values()):
            # A replayed free-form result (target IR an LLM planner wrote) replaces its function.
            from liftcomp.search.driver import substitute_freeform

            substitute_freeform(work, choices, problems)
        if self.remarks:
            for k in report.kernels:
                emit_remark(_remark_text(k, choices.get(k.func)), _where(k, functions.get(k.func)))
        if self.strict:
            kept = [k for k in report.kernels if k.kind == "host" or k.epilogue_refused]
            if kept:
                k = kept[0]
                what = "op stays on the host" if k.kind == "host" else "epilogue stays on the host"
                raise LiftcompError(f"liftcomp-lower-gemmini: @{k.func}: {what} (strict=true): "
                                    f"{k.epilogue_refused or k.remark.removeprefix('kept on the host: ')}",
                                    _where(k, functions.get(k.func)))
        if self.search_report:
            kernels = [_recorded(c) for c in choices.values()]
            Path(self.search_report).write_text(json.dumps({"kernels": kernels}, indent=1) + "\n")
        replace_module_body(op, work)

    def _choose_schedules(self, module: ModuleOp) -> tuple[dict[str, Any], dict[str, Any]]:
        if self.search == "none" and not self.schedule and not self.database:
            return {}, {}
        from liftcomp.search.driver import SearchSettings, choose_schedules

        settings = SearchSettings(
            search=None if self.search == "none" else self.search, budget=self.budget, planner=self.planner,
            schedule_file=Path(self.schedule) if self.schedule else None,
            database=Path(self.database).expanduser() if self.database else None,
            seed=self.seed, dyn_size=self.dyn_size, show_progress=False)
        return choose_schedules(module, "gemmini", self.config(), {"form": self.form}, settings)


def _where(k: KernelRecord, fn: func.FuncOp | None) -> str | None:
    """The op kept on the host when it has a source location, else the function."""
    if k.host_location and parse_location(k.host_location) is not None:
        return k.host_location
    return op_location(fn) if fn is not None else (k.host_location or None)


def _remark_text(k: KernelRecord, choice: Any) -> str:
    head = f"liftcomp-lower-gemmini: @{k.func}: "
    if k.kind == "host":
        return head + k.remark
    shape = f" {k.shape.m}x{k.shape.k}x{k.shape.n}" if k.shape is not None else ""
    sched = f", {_describe(k.schedule)}" if k.schedule is not None else ""
    searched = ""
    if choice is not None and not choice.skipped:
        searched = f" ({len(choice.steps)} rewrite steps from the search)" if choice.steps else " (the search kept the library schedule)"
    elif choice is not None:
        searched = f" (search skipped: {choice.skipped})"
    notes = f"; {k.remark}" if k.remark else ""
    return f"{head}{k.kind}{shape} on Gemmini{sched}{searched}{notes}"


def _describe(s: Any) -> str:
    if not isinstance(s, MatmulSchedule):
        return s.describe()  # a convolution's ConvSchedule
    flags = [name for name, on in (("double-buffered", s.double_buffer), ("A hoisted", s.hoist_a),
                                   ("B hoisted", s.hoist_b)) if on]
    return f"{s.form} tiles {s.tile_i}x{s.tile_j}x{s.tile_k} order {s.loop_order}" + "".join(f", {f}" for f in flags)


def _recorded(c: Any) -> dict[str, Any]:
    """A kernel's entry in search-report: what schedule=FILE (search.driver) replays."""
    d: dict[str, Any] = {"name": c.func, "steps": [s.to_json() for s in c.steps]}
    if getattr(c, "ir", ""):
        d["ir"] = c.ir
    if c.skipped:
        d["search_skipped"] = c.skipped
    return d
