"""MLIR input: any form mlir-opt-22 reads, normalised to xDSL IR through the generic form.

mlir-opt drops SSA names; the argument names the user wrote (`%base`, `%n`) are recovered from
the text so that reports, TensorSpec programs and LLM prompts speak the user's names.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import parse_mlir


@dataclass
class SourceModule:
    module: ModuleOp
    text: str
    name: str  # file name for diagnostics ('<stdin>' for standard input)
    arg_names: dict[str, list[str]]  # function name -> argument names as written


def arg_names_from_source(text: str) -> dict[str, list[str]]:
    """SSA names of function arguments as the user wrote them (mlir-opt drops them)."""
    out: dict[str, list[str]] = {}
    for m in re.finditer(r"func\.func\s+(?:private\s+)?@([\w$.]+)\s*\(([^)]*)\)", text):
        names = [p.split(":")[0].strip().lstrip("%") for p in m.group(2).split(",") if p.strip()]
        if all(n.isidentifier() for n in names):
            out[m.group(1)] = names
    return out


# mlir-opt-22 parses a decimal literal in time quadratic in its length (minutes for 200,000 digits).
MAX_LITERAL_DIGITS = 1000
_LONG_LITERAL = re.compile(rf"(?<![\w.\"])\d{{{MAX_LITERAL_DIGITS + 1},}}")


def read_text(path: str | Path) -> tuple[str, str]:
    """The text of an MLIR file ('-' for standard input) and its name for diagnostics; input that
    is not UTF-8 or has absurdly long literals is an error at its line and column."""
    if str(path) == "-":
        data, name = sys.stdin.buffer.read(), "<stdin>"
    else:
        f = Path(path)
        if not f.is_file():
            raise LiftcompError(f"no such file: {path}")
        try:
            data = f.read_bytes()
        except OSError as e:
            raise LiftcompError(f"cannot read {path}: {e.strerror}") from None
        name = str(path)
    return check_source(data, name), name


def check_source(data: bytes, name: str) -> str:
    """`data` decoded, or a LiftcompError at the first position liftcomp cannot read."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        column = e.start - (data.rfind(b"\n", 0, e.start) + 1) + 1
        raise LiftcompError(f"the input is not UTF-8 text (byte 0x{data[e.start]:02x})", f"{name}:{line}:{column}") from None
    long = _LONG_LITERAL.search(text)
    if long is not None:
        line = text.count("\n", 0, long.start()) + 1
        column = long.start() - (text.rfind("\n", 0, long.start()) + 1) + 1
        raise LiftcompError(f"integer literal of {len(long.group())} digits (liftcomp reads at most {MAX_LITERAL_DIGITS})",
                            f"{name}:{line}:{column}")
    return text


def read_mlir(path: str | Path) -> SourceModule:
    """Read and parse an MLIR file ('-' for standard input); errors name the file and location."""
    text, name = read_text(path)
    return SourceModule(parse_mlir(text, name), text, name, arg_names_from_source(text))
