"""Accelerator targets behind one interface (`base.Target`); `get_target(name)` finds one."""

from __future__ import annotations

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.base import Evaluation, Lowered, Target

TARGET_NAMES = ("gemmini",)


def get_target(name: str) -> Target:
    if name == "gemmini":
        from liftcomp.targets.gemmini.target import GemminiTarget

        return GemminiTarget()
    raise LiftcompError(f"unknown target '{name}' (known: {', '.join(TARGET_NAMES)})")


__all__ = ["Evaluation", "Lowered", "Target", "TARGET_NAMES", "get_target"]
