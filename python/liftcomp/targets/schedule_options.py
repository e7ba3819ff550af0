"""The schedule options that `liftcomp compile` shares with the lowering passes.

One definition: the fields below (`pass_support.option`: default, help, checks), which
liftcomp-lower-gemmini inherits as pass options and `liftcomp compile` turns into its flags
(`pass_support.add_pass_arguments`); one set of checks: `__post_init__`, which runs when the pass
is built and when compile's flags are read (`pass_support.pass_from_args`). The targets' own
options (Gemmini's form and DRAM latency, the CUDA arch and records, the NKI chip) are likewise
the fields of their lowering passes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from liftcomp.pass_support import LiftcompPass, option


@dataclass(frozen=True)
class ScheduleOptions(LiftcompPass):
    """The options of a schedule search or replay (a base class: not a pass of its own)."""

    name = "schedule-options"

    search: str = option("none", "search schedules (beam search scored by the target's evaluator) instead of the "
                         "library's", choices=("none", "beam"))
    budget: int = option(0, "most schedules the search evaluates per kernel (0: no limit)", at_least=0)
    planner: str = option("builtin", "who plans the rewrites of the search", choices=("builtin", "llm"))
    schedule: str = option("", "replay the rewrite steps of a report.json or search trace", metavar="FILE")
    database: str = option("", "tuning records (JSON lines): with a search every measurement is appended as it is "
                           "taken; without, the best record of the same function, target and configuration is replayed",
                           metavar="FILE")
    seed: int = option(0, "seed of the random inputs", at_least=0)
    dyn_size: int = option(64, "size used for dynamic dimensions", at_least=1)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.search != "none" and self.schedule:
            raise self.option_error("options 'search' and 'schedule' exclude each other (a schedule file replays a search)")
        if self.search == "none" and self.budget:
            raise self.option_error("option 'budget' needs search=beam", "budget", "needs search=beam")
        if self.search == "none" and self.planner != "builtin":
            raise self.option_error("option 'planner' needs search=beam", "planner", "needs search=beam")
        if self.schedule and self.database:
            raise self.option_error("options 'schedule' and 'database' exclude each other (both replay records)")
        if self.database and not Path(self.database).expanduser().resolve().parent.is_dir():
            raise self.option_error(f"option 'database': no such directory for {self.database}", "database",
                                    f"no such directory for {self.database}")
        if self.schedule and not Path(self.schedule).expanduser().is_file():
            raise self.option_error(f"option 'schedule': no such file: {self.schedule}", "schedule",
                                    f"no such file: {self.schedule}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        raise NotImplementedError("ScheduleOptions is the options of passes, not a pass")
