"""Gemmini behind the common target interface (targets/base.py).

Kept light: the lowering, simulator and emitter are imported inside the methods that use them,
so that listing targets (`liftcomp compile --help`, the xDSL universe) loads none of them.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.utils.target import Target as XdslTarget

from liftcomp.search.measure import Evaluator
from liftcomp.targets.base import KernelSpace, Lowered, Target, TargetConfig
from liftcomp.targets.gemmini.config import CONFIGS, GemminiConfig


class GemminiTarget(Target):
    name = "gemmini"
    summary = "Gemmini systolic array (RoCC instructions or loop_ws; cycle model; C with gemmini.h)"

    def configs(self) -> Mapping[str, GemminiConfig]:
        return CONFIGS

    def add_arguments(self, group: argparse._ArgumentGroup) -> None:  # pyright: ignore[reportPrivateUsage]
        from liftcomp.pass_support import add_pass_arguments
        from liftcomp.targets.gemmini.liftcomp_lower_gemmini import LiftcompLowerGemminiPass
        from liftcomp.targets.schedule_options import ScheduleOptions

        # --form and --dram-latency: liftcomp-lower-gemmini's options (the search ones are compile's own).
        add_pass_arguments(group, LiftcompLowerGemminiPass, skip=_fields(ScheduleOptions))

    def options_from_args(self, ns: argparse.Namespace) -> dict[str, Any]:
        from liftcomp.pass_support import pass_from_args
        from liftcomp.targets.gemmini.liftcomp_lower_gemmini import LiftcompLowerGemminiPass

        p: LiftcompLowerGemminiPass = pass_from_args(LiftcompLowerGemminiPass, ns)  # the pass's checks
        return {"form": p.form, "dram_latency": p.dram_latency}

    def config_for(self, name: str = "default", options: Mapping[str, Any] | None = None) -> GemminiConfig:
        cfg = super().config_for(name, options)
        assert isinstance(cfg, GemminiConfig)
        latency = (options or {}).get("dram_latency")
        return cfg if latency is None else cfg.with_(dram_latency=latency)

    def lower(self, module: ModuleOp, config: TargetConfig, options: Mapping[str, Any],
              schedules: Mapping[str, Any] | None = None, originals: Mapping[str, func.FuncOp] | None = None
              ) -> Lowered:
        from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report

        assert isinstance(config, GemminiConfig)
        opts = LowerOptions(form=options.get("form", "explicit"), config=config,
                            func_schedules=dict(schedules or {}), originals=dict(originals or {}) or None)
        out, report = lower_module_with_report(module, opts)
        return Lowered(out, [k.to_json() for k in report.kernels], report.remarks)

    def kernel_space(self, fn: func.FuncOp, config: TargetConfig, options: Mapping[str, Any]) -> KernelSpace[Any]:
        from liftcomp.targets.gemmini.conv_space import GemminiConvSpace
        from liftcomp.targets.gemmini.space import GemminiSpace

        assert isinstance(config, GemminiConfig)
        conv = GemminiConvSpace.from_function(fn, config)
        if conv is not None:
            return conv
        return GemminiSpace.from_function(fn, config, form=options.get("form", "explicit"))

    def evaluator(self, config: TargetConfig) -> Evaluator:
        from liftcomp.targets.gemmini.sim.evaluator import GemminiSimulator

        assert isinstance(config, GemminiConfig)
        return GemminiSimulator(config)

    def emit(self, module: ModuleOp, config: TargetConfig) -> dict[str, str]:
        from liftcomp.targets.gemmini.emit_c import emit_c, header_path

        return {"kernels.c": emit_c(module), "gemmini_host.h": header_path().read_text()}

    def check_emitted(self, files: Mapping[str, str], fn: func.FuncOp, args: list[Any],
                      shapes: list[tuple[int, ...] | None], expected: list[Any]) -> bool:
        from liftcomp.targets.gemmini.check_c import check_c

        return check_c(files["kernels.c"], files["gemmini_host.h"], fn, args, shapes, expected)

    def dialects(self) -> dict[str, Callable[[], Dialect]]:
        def gemmini() -> Dialect:
            from liftcomp.targets.gemmini.dialect import Gemmini

            return Gemmini

        return {"gemmini": gemmini}

    def passes(self) -> dict[str, Callable[[], type[ModulePass]]]:
        def lower() -> type[ModulePass]:
            from liftcomp.targets.gemmini.liftcomp_lower_gemmini import LiftcompLowerGemminiPass

            return LiftcompLowerGemminiPass

        def cleanup() -> type[ModulePass]:
            from liftcomp.targets.gemmini.liftcomp_gemmini_cleanup import LiftcompGemminiCleanupPass

            return LiftcompGemminiCleanupPass

        return {"liftcomp-lower-gemmini": lower, "liftcomp-gemmini-cleanup": cleanup}

    def emitters(self) -> dict[str, Callable[[], type[XdslTarget]]]:
        def gemmini_c() -> type[XdslTarget]:
            from liftcomp.targets.gemmini.emit_c import GemminiCTarget

            return GemminiCTarget

        return {"gemmini-c": gemmini_c}


def _fields(cls: type) -> tuple[str, ...]:
    from dataclasses import fields

    return tuple(f.name for f in fields(cls))
