"""The interface every accelerator target implements (Gemmini now; NKI and CUDA next).

A target turns a tensor-level module (what `liftcomp-raise` produces) into target IR with a
schedule (`lower`), scores and checks target IR (`evaluate`: its simulator or evaluator), turns
target IR into source files for the target's toolchain (`emit`), and, for schedule search
(issue 6), offers a menu of semantics-preserving rewrites (`rewrite_menu`).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects.builtin import ModuleOp


@dataclass
class Evaluation:
    """What a target's evaluator says about one function of target IR."""

    name: str
    cycles: int
    utilization: float
    outputs: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


@dataclass
class Lowered:
    """Target IR plus what the lowering decided (per-op kinds, schedules, remarks)."""

    module: ModuleOp
    kernels: list[dict[str, Any]] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


class Target(ABC):
    name: str = ""

    @abstractmethod
    def lower(self, module: ModuleOp, options: Any = None) -> Lowered:
        """Tensor-level module -> target IR (the input is not modified)."""

    @abstractmethod
    def evaluate(
        self,
        module: ModuleOp,
        inputs: Mapping[str, Any] | Sequence[Any],
        func_name: str | None = None,
        functional: bool = True,
    ) -> Evaluation:
        """Run one function of target IR: cycles, utilization and (if functional) outputs."""

    @abstractmethod
    def emit(self, module: ModuleOp) -> dict[str, str]:
        """Target IR -> source files (file name -> text)."""

    def rewrite_menu(self) -> list[Any]:
        """Schedule rewrites the search may apply (filled in by the schedule-search issue)."""
        return []
