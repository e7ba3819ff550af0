"""Frontends: reading user programs into xDSL modules (MLIR, C/C++ through libclang, Python
through its `ast`), chosen by the file's suffix."""

from __future__ import annotations

from pathlib import Path

from liftcomp.frontends.mlir import SourceModule, arg_names_from_source, read_mlir

C_SUFFIXES = (".c", ".cc", ".cpp", ".cxx")
PY_SUFFIXES = (".py",)


def read_source(path: str | Path) -> SourceModule:
    """Read a program by its suffix: .c/.cc/.cpp/.cxx (C/C++), .py (Python), anything else MLIR."""
    suffix = Path(str(path)).suffix
    if suffix in C_SUFFIXES:
        from liftcomp.frontends.c import read_c

        return read_c(path)
    if suffix in PY_SUFFIXES:
        from liftcomp.frontends.python import read_python

        return read_python(path)
    return read_mlir(path)


__all__ = ["SourceModule", "arg_names_from_source", "read_mlir", "read_source"]
