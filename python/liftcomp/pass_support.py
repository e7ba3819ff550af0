"""What liftcomp's passes share: option checking when a pass is constructed, and remarks.

Options. `LiftcompPass.from_spec` turns `name{key=value ...}` into a pass with a readable
`PassOptionError` for an unknown option or a value of the wrong type, and each pass checks its
values (choices, ranges, files) in `__post_init__`. So a bad option fails when the pipeline is
parsed (xdsl-opt, liftcomp-opt, mlir-opt through the plugin) or the pass is constructed in
Python, never halfway through a run.

Remarks. `emit_remark` writes `file:line:col: remark: message` to stderr, unless a caller
collects them (`collect_remarks`): the mlir-opt bridge does, and hands them to mlir-opt as MLIR
remarks at their locations.
"""

from __future__ import annotations

import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import ArgSpec

from liftcomp.diagnostics import LiftcompError


class PassOptionError(LiftcompError):
    """A pass option that is unknown, of the wrong type, or out of range. `detail` is the
    message without the pass name (the mlir-opt bridge adds the option text itself)."""

    def __init__(self, pass_name: str, detail: str):
        super().__init__(f"{pass_name}: {detail}")
        self.pass_name = pass_name
        self.detail = detail


def dashed(field_name: str) -> str:
    """How users spell an option: `kernel_timeout_s` -> `kernel-timeout-s`."""
    return field_name.replace("_", "-")


@dataclass(frozen=True)
class LiftcompPass(ModulePass):
    """A ModulePass whose options are checked with readable messages (see the module doc)."""

    @classmethod
    def from_spec(cls, spec: ArgSpec) -> Self:
        hints = get_type_hints(cls)
        known = [f.name for f in fields(cls) if f.init and f.name != "name"]
        kwargs: dict[str, Any] = {}
        for key, values in spec.normalize_parameter_names().parameters.items():
            if key not in known:
                options = ", ".join(dashed(k) for k in known) or "none"
                raise PassOptionError(cls.name, f"unknown option '{dashed(key)}' (options: {options})")
            kwargs[key] = _convert(cls.name, dashed(key), values, hints[key])
        return cls(**kwargs)

    def option_error(self, detail: str) -> PassOptionError:
        return PassOptionError(self.name, detail)

    def check_choice(self, option: str, value: str, choices: tuple[str, ...]) -> None:
        if value not in choices:
            raise self.option_error(f"option '{option}' must be one of {', '.join(choices)}, got '{value}'")

    def check_at_least(self, option: str, value: float | None, low: float) -> None:
        if value is not None and value < low:
            raise self.option_error(f"option '{option}' must be >= {low:g}, got {value:g}")


_TYPE_NAMES = {bool: "true or false", int: "an integer", float: "a number", str: "a string"}


def _convert(pass_name: str, option: str, values: tuple[Any, ...], hint: Any) -> Any:
    """The value of one option from the parsed spec values, for the field type `hint`
    (bool, int, float, str, or one of these | None)."""
    base = hint
    if get_origin(hint) in (Union, types.UnionType):
        members = [a for a in get_args(hint) if a is not type(None)]
        if not values:
            return None
        base = members[0]
    if len(values) == 1:
        value = values[0]
        if base is float and isinstance(value, int | float) and not isinstance(value, bool):
            return float(value)
        # bool is an int in Python: an int option must not take `true`.
        if isinstance(value, base) and not (base is int and isinstance(value, bool)):
            return value
    given = ",".join(_show(v) for v in values) if values else "no value"
    expected = _TYPE_NAMES.get(base, str(base))
    hint_quotes = " (quote text with spaces or special characters)" if base is str else ""
    raise PassOptionError(pass_name, f"option '{option}' expects {expected}, got {given}{hint_quotes}")


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"'{value}'" if isinstance(value, str) else str(value)


# ---------------------------------------------------------------------------------- remarks --


@dataclass(frozen=True)
class Remark:
    message: str
    location: str | None = None  # what `diagnostics.op_location` returns, or None

    def file_line_col(self) -> tuple[str, int, int] | None:
        return parse_location(self.location)

    def __str__(self) -> str:
        where = self.location
        flc = self.file_line_col()
        if flc is not None:
            where = f"{flc[0]}:{flc[1]}:{flc[2]}"
        return f"{where}: remark: {self.message}" if where else f"remark: {self.message}"


_collector: ContextVar[list[Remark] | None] = ContextVar("liftcomp_remarks", default=None)


def emit_remark(message: str, location: str | None = None) -> None:
    """A remark at a source location (`op_location(op)`): collected, else printed to stderr."""
    remark = Remark(message, location)
    collected = _collector.get()
    if collected is not None:
        collected.append(remark)
        return
    print(remark, file=sys.stderr)


@contextmanager
def collect_remarks() -> Iterator[list[Remark]]:
    """Remarks emitted inside the block go to the yielded list instead of stderr."""
    collected: list[Remark] = []
    token = _collector.set(collected)
    try:
        yield collected
    finally:
        _collector.reset(token)


# What `op_location` makes of an op with a file location: file:line:col ('op.name'); also the
# MLIR spelling loc("file":line:col).
_FILE_LINE_COL = (
    re.compile(r"^(.+):(\d+):(\d+)(?: \('[^']*'\))?$"),
    re.compile(r'^loc\("((?:[^"\\]|\\.)*)":(\d+):(\d+)\)'),
)


def parse_location(location: str | None) -> tuple[str, int, int] | None:
    """(file, line, column) of a location text, or None when it names no file position."""
    if not location:
        return None
    for pattern in _FILE_LINE_COL:
        match = pattern.match(location)
        if match is not None:
            return match[1], int(match[2]), int(match[3])
    return None


def replace_module_body(target: ModuleOp, source: ModuleOp) -> None:
    """Give `target` (a ModuleOp) the body of `source`: passes work on a clone and swap it in
    only when they succeed, so that a failing pass leaves the module as it was."""
    old = target.body.detach_block(0)
    source.body.move_blocks(target.body)
    old.erase(safe_erase=False)
