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

import argparse
import math
import re
import sys
import types
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import Field, dataclass, field, fields
from typing import Any, Self, Union, get_args, get_origin, get_type_hints

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.utils.arg_spec import ArgSpec

from liftcomp.diagnostics import LiftcompError, UsageError


class PassOptionError(LiftcompError):
    """A pass option that is unknown, of the wrong type, or out of range. `detail` is the
    message without the pass name (the mlir-opt bridge adds the option text itself); `option`
    (the field name) and `complaint` let a command line name its own flag instead."""

    def __init__(self, pass_name: str, detail: str, option: str | None = None, complaint: str | None = None):
        super().__init__(f"{pass_name}: {detail}")
        self.pass_name = pass_name
        self.detail = detail
        self.option = option
        self.complaint = complaint


def option(default: Any, help: str, *, choices: tuple[str, ...] | None = None, at_least: float | None = None,
           above: float | None = None, at_most: float | None = None, cli: bool = True, metavar: str | None = None) -> Any:
    """A pass option: its default, its help, and the checks of its value. The pass checks them
    when it is built (`LiftcompPass.__post_init__`), and `add_pass_arguments` makes the same
    option a command-line flag whose value goes through the same checks: one definition.
    A float option must be finite unless a bound says otherwise. `cli=False`: a pass option only."""
    meta = {"help": help, "choices": choices, "at_least": at_least, "above": above, "at_most": at_most, "cli": cli,
            "metavar": metavar}
    return field(default=default, metadata=meta)


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

    def __post_init__(self) -> None:
        """The checks each `option(...)` declares; subclasses add their own after calling this."""
        for f in fields(self):
            if f.metadata.get("help") is None:
                continue
            complaint = _complaint(f, getattr(self, f.name))
            if complaint is not None:
                raise self.option_error(f"option '{dashed(f.name)}' {complaint}", f.name, complaint)

    def option_error(self, detail: str, option: str | None = None, complaint: str | None = None) -> PassOptionError:
        return PassOptionError(self.name, detail, option, complaint)

    def check_choice(self, option: str, value: str, choices: tuple[str, ...]) -> None:
        if value not in choices:
            complaint = f"must be one of {', '.join(choices)}, got '{value}'"
            raise self.option_error(f"option '{option}' {complaint}", option.replace("-", "_"), complaint)

    def check_at_least(self, option: str, value: float | None, low: float) -> None:
        if value is not None and not value >= low:
            complaint = f"must be >= {low:g}, got {value:g}"
            raise self.option_error(f"option '{option}' {complaint}", option.replace("-", "_"), complaint)


def _complaint(f: Field[Any], value: Any) -> str | None:
    """What is wrong with `value` for the option declared by field `f`, or None."""
    meta = f.metadata
    if value is None or isinstance(value, bool):
        return None
    choices = meta.get("choices")
    if choices and value not in choices:
        return f"must be one of {', '.join(c for c in choices if c)}, got '{value}'"
    if not isinstance(value, int | float):
        return None
    low, above, high = meta.get("at_least"), meta.get("above"), meta.get("at_most")
    if isinstance(value, float) and math.isnan(value):
        return "must be a number, got nan"
    if isinstance(value, float) and math.isinf(value) and high is None and not (low is None and above is None):
        return f"must be finite, got {value:g}"
    if low is not None and high is not None and not low <= value <= high:
        return f"must be between {low:g} and {high:g}, got {value:g}"
    if low is not None and not value >= low:
        return f"must be >= {low:g}, got {value:g}"
    if above is not None and not value > above:
        return f"must be > {above:g}, got {value:g}"
    if high is not None and not value <= high:
        return f"must be <= {high:g}, got {value:g}"
    return None


# ------------------------------------------------------------------- the same options as flags --


def _base_type(hint: Any) -> Any:
    if get_origin(hint) in (Union, types.UnionType):
        return next(a for a in get_args(hint) if a is not type(None))
    return hint


def add_pass_arguments(parser: argparse.ArgumentParser | argparse._ArgumentGroup, pass_cls: type[LiftcompPass],
                       flags: dict[str, str] | None = None, skip: tuple[str, ...] = (),
                       defaults: dict[str, Any] | None = None) -> None:
    """One `--flag` per option of `pass_cls` (its dashed name, or `flags[field]`), with the
    option's help, type, default (or `defaults[field]`: None for "decided elsewhere") and
    choices. `pass_from_args` checks the values."""
    hints = get_type_hints(pass_cls)
    for f in fields(pass_cls):
        meta = f.metadata
        if meta.get("help") is None or not meta.get("cli") or f.name in skip:
            continue
        flag = "--" + (flags or {}).get(f.name, dashed(f.name))
        base = _base_type(hints[f.name])
        default = (defaults or {}).get(f.name, f.default)
        if base is bool:
            parser.add_argument(flag, dest=f.name, action="store_true", default=default, help=meta["help"])
            continue
        shown = "" if default in (None, "") else f" (default: {default})"
        choices = [c for c in meta.get("choices") or () if c != ""] or None  # "": unset
        parser.add_argument(flag, dest=f.name, type=base, default=default, choices=choices,
                            metavar=None if choices else meta.get("metavar") or f.name.split("_")[-1].upper(),
                            help=meta["help"] + shown)


def int_at_least(low: int) -> Any:
    """An argparse `type=` for integer flags with a lower bound (argparse then exits 2)."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expects an integer, got '{text}'") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be >= {low}, got {value}")
        return value

    return parse


def pass_from_args(pass_cls: type[LiftcompPass], ns: argparse.Namespace, flags: dict[str, str] | None = None,
                   **fixed: Any) -> Any:
    """The pass configured by the command line's flags (plus `fixed` values), through the pass's
    own checks; a bad value is a usage error naming the flag."""
    names = {f.name for f in fields(pass_cls) if f.init and f.name != "name" and f.metadata.get("cli", True)}
    kwargs = {n: getattr(ns, n) for n in names if hasattr(ns, n)}
    kwargs.update(fixed)
    try:
        return pass_cls(**kwargs)
    except PassOptionError as e:
        if e.option is None or e.complaint is None or e.option not in kwargs or e.option in fixed:
            raise UsageError(e.detail) from None
        flag = "--" + (flags or {}).get(e.option, dashed(e.option))
        raise UsageError(f"argument {flag}: {e.complaint}") from None


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
