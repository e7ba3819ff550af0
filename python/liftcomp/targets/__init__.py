"""The registry of accelerator targets: each implements `base.Target` in its own folder.

Adding a target is one line in `TARGETS` ("name": "module:Class"); a package outside liftcomp
registers through the `liftcomp.targets` entry-point group, the `LIFTCOMP_TARGETS` environment
variable ("name=module:Class,..."), or `register_target` at run time. Targets are imported only
when first asked for (`get_target`), so listing names stays cheap.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from importlib import import_module
from importlib.metadata import entry_points

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.base import KernelSpace, Lowered, Target

TARGETS: dict[str, str] = {
    "gemmini": "liftcomp.targets.gemmini.target:GemminiTarget",
    "cuda": "liftcomp.targets.cuda.target:CudaTarget",
    "nki": "liftcomp.targets.nki.target:NkiTarget",
}

_registered: dict[str, str | Callable[[], Target]] = {}
_instances: dict[str, Target] = {}


def register_target(name: str, factory: str | Callable[[], Target]) -> None:
    """Register a target from outside liftcomp: "module:Class" or a callable returning a Target."""
    _registered[name] = factory
    _instances.pop(name, None)


def _env_targets() -> dict[str, str]:
    out: dict[str, str] = {}
    for item in filter(None, (s.strip() for s in os.environ.get("LIFTCOMP_TARGETS", "").split(","))):
        name, sep, spec = item.partition("=")
        if not sep or ":" not in spec:
            raise LiftcompError(f"LIFTCOMP_TARGETS: expected name=module:Class, got '{item}'")
        out[name.strip()] = spec.strip()
    return out


def _all() -> dict[str, str | Callable[[], Target]]:
    found: dict[str, str | Callable[[], Target]] = dict(TARGETS)
    for ep in entry_points(group="liftcomp.targets"):
        found.setdefault(ep.name, ep.value)
    found.update(_env_targets())
    found.update(_registered)
    return found


def target_names() -> list[str]:
    """Every registered target's name, in registration order (built-in ones first)."""
    return list(_all())


def get_target(name: str) -> Target:
    """The target registered as `name` (one instance per process)."""
    if name in _instances:
        return _instances[name]
    factory = _all().get(name)
    if factory is None:
        raise LiftcompError(f"unknown target '{name}' (known: {', '.join(target_names())})")
    if isinstance(factory, str):
        module_name, _, attr = factory.partition(":")
        try:
            factory = getattr(import_module(module_name), attr)
        except (ImportError, AttributeError) as e:
            raise LiftcompError(f"target '{name}': cannot load {factory}: {e}") from None
    target = factory()
    if not isinstance(target, Target):
        raise LiftcompError(f"target '{name}': {factory!r} made a {type(target).__name__}, not a targets.base.Target")
    _instances[name] = target
    return target


__all__ = ["TARGETS", "KernelSpace", "Lowered", "Target", "get_target", "register_target", "target_names"]
