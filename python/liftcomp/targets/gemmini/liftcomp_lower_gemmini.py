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
from liftcomp.pass_support import LiftcompPass, emit_remark, parse_location, replace_module_body
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG
from liftcomp.targets.gemmini.lowering import KernelRecord, LowerOptions, lower_in_place
from liftcomp.targets.gemmini.schedule import MatmulSchedule


@dataclass(frozen=True)
class LiftcompLowerGemminiPass(LiftcompPass):
    """Lower linalg/tensor kernels to Gemmini (gemmini dialect + host scf loops).

    Options:
    - form = explicit (default) | loop_ws: the form of the library schedule;
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

    form: str = "explicit"
    search: str = "none"
    budget: int = 0
    planner: str = "builtin"
    schedule: str = ""
    search_report: str = ""
    database: str = ""
    seed: int = 0
    dyn_size: int = 64
    strict: bool = False
    remarks: bool = False

    def __post_init__(self) -> None:
        self.check_choice("form", self.form, ("explicit", "loop_ws"))
        self.check_choice("search", self.search, ("none", "beam"))
        self.check_choice("planner", self.planner, ("builtin", "llm"))
        self.check_at_least("budget", self.budget, 0)
        self.check_at_least("dyn-size", self.dyn_size, 1)
        if self.search != "none" and self.schedule:
            raise self.option_error("options 'search' and 'schedule' exclude each other (a schedule file replays a search)")
        if self.search == "none" and self.budget:
            raise self.option_error("option 'budget' needs search=beam")
        if self.search == "none" and self.planner != "builtin":
            raise self.option_error("option 'planner' needs search=beam")
        if self.search_report and self.search == "none" and not (self.schedule or self.database):
            raise self.option_error("option 'search-report' needs search=beam, schedule=FILE or database=FILE")
        if self.schedule and self.database:
            raise self.option_error("options 'schedule' and 'database' exclude each other (both replay records)")
        if self.database and not Path(self.database).expanduser().resolve().parent.is_dir():
            raise self.option_error(f"option 'database': no such directory for {self.database}")
        if self.schedule and not Path(self.schedule).expanduser().is_file():
            raise self.option_error(f"option 'schedule': no such file: {self.schedule}")
        if self.search_report and not Path(self.search_report).expanduser().resolve().parent.is_dir():
            raise self.option_error(f"option 'search-report': no such directory for {self.search_report}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        functions = {f.sym_name.data: f for f in op.ops if isinstance(f, func.FuncOp)}
        # Lower a copy: a failure (strict, a search error) must leave the module as it was.
        work = op.clone()
        choices, problems = self._choose_schedules(work)
        from liftcomp.search.driver import func_schedules

        form: Any = self.form  # checked in __post_init__
        report = lower_in_place(work, LowerOptions(form=form, config=DEFAULT_CONFIG, func_schedules=func_schedules(choices)))
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
        return choose_schedules(module, "gemmini", DEFAULT_CONFIG, {"form": self.form}, settings)


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


def _describe(s: MatmulSchedule) -> str:
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
