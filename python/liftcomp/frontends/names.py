"""Argument names as the user wrote them, read back from the file a module's locations name.

mlir-opt keeps locations but not SSA names, so the pass looks the names up in the source file:
MLIR text, or the C/C++ or Python file a frontend translated. This module reads Python with `ast`
alone (not the Python frontend, which itself calls the raising: an import cycle).
"""

from __future__ import annotations

import ast
from pathlib import Path

from liftcomp.diagnostics import LiftcompError
from liftcomp.frontends.mlir import arg_names_from_source

C_SUFFIXES = (".c", ".cc", ".cpp", ".cxx")
PY_SUFFIXES = (".py",)


def arg_names_in_file(path: str, function: str) -> list[str] | None:
    """The argument names of `function` as written in the file `path`; None if it cannot tell."""
    if Path(path).suffix in C_SUFFIXES:
        return _c_arg_names(path, function)  # the C frontend reads the file itself
    try:
        text = Path(path).read_text(errors="replace")
    except OSError:
        return None
    if Path(path).suffix in PY_SUFFIXES:
        return _python_arg_names(text, function)
    return arg_names_from_source(text).get(function)


def _python_arg_names(text: str, function: str) -> list[str] | None:
    try:
        tree = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            return [a.arg for a in node.args.posonlyargs + node.args.args]
    return None


def _c_arg_names(path: str, function: str) -> list[str] | None:
    from liftcomp.frontends.c import read_c

    try:
        return read_c(path).arg_names.get(function)
    except (LiftcompError, OSError):
        return None
