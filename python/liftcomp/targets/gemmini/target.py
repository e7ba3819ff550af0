"""Gemmini behind the common target interface."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from liftcomp.targets.base import Evaluation, Lowered, Target
from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.emit_c import emit_c, header_path
from liftcomp.targets.gemmini.lowering import LowerOptions, lower_module_with_report
from liftcomp.targets.gemmini.sim import simulate


class GemminiTarget(Target):
    name = "gemmini"

    def __init__(self, config: GemminiConfig = DEFAULT_CONFIG):
        self.config = config

    def lower(self, module: ModuleOp, options: Any = None) -> Lowered:
        opts = options if isinstance(options, LowerOptions) else LowerOptions(config=self.config)
        out, report = lower_module_with_report(module, opts)
        return Lowered(out, [k.to_json() for k in report.kernels], report.remarks)

    def evaluate(
        self,
        module: ModuleOp,
        inputs: Mapping[str, Any] | Sequence[Any],
        func_name: str | None = None,
        functional: bool = True,
    ) -> Evaluation:
        r = simulate(module, inputs, self.config, functional=functional, func_name=func_name)
        return Evaluation(r.name, r.cycles, r.utilization, r.outputs, r.summary())

    def emit(self, module: ModuleOp) -> dict[str, str]:
        return {"kernels.c": emit_c(module), "gemmini_host.h": header_path().read_text()}
