"""Lowering: tensor-level modules (from lift/) to a target's IR, through the target registry.

Each accelerator lives in its own folder under targets/ and implements targets.base.Target;
this stage only picks the target by name, so adding an accelerator never touches it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from xdsl.dialects.builtin import ModuleOp

from liftcomp.targets import get_target, target_names
from liftcomp.targets.base import Lowered


def lower_to_target(module: ModuleOp, target: str, options: Mapping[str, Any] | None = None,
                    config: str = "default") -> Lowered:
    """Lower a raised module to `target`'s IR with its library schedules (the input is not modified)."""
    t = get_target(target)
    opts = dict(options or {})
    return t.lower(module, t.config_for(config, opts), opts)


__all__ = ["lower_to_target", "target_names"]
