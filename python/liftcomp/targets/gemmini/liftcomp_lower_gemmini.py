"""The `liftcomp-lower-gemmini` pass: tensor-level kernels -> gemmini dialect + host scf loops."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass

from liftcomp.targets.gemmini.lowering import LowerOptions, lower_in_place


@dataclass(frozen=True)
class LiftcompLowerGemminiPass(ModulePass):
    """Options: form = "explicit" (default) or "loop_ws": the form of the library schedule."""

    name = "liftcomp-lower-gemmini"

    form: str = "explicit"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        if self.form not in ("loop_ws", "explicit"):
            raise ValueError(f"form must be loop_ws or explicit, got '{self.form}'")
        lower_in_place(op, LowerOptions(form=self.form))  # type: ignore[arg-type]
