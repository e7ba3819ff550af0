"""Lowering: tensor-level modules (from lift/) to a target's IR, through the target interface.

Each accelerator lives in its own folder under targets/ and implements targets.base.Target;
this stage only picks the target by name, so adding an accelerator never touches it.
"""

from __future__ import annotations

from typing import Any

from xdsl.dialects.builtin import ModuleOp

from liftcomp.targets import TARGET_NAMES, get_target
from liftcomp.targets.base import Lowered


def lower_to_target(module: ModuleOp, target: str, options: Any = None) -> Lowered:
    """Lower a raised module to `target`'s IR (the input is not modified)."""
    return get_target(target).lower(module, options)


__all__ = ["TARGET_NAMES", "lower_to_target"]
