"""Frontends: reading user programs into xDSL modules (MLIR, C/C++ through libclang, Python
through its `ast`), chosen by the file's suffix."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from liftcomp.frontends.mlir import SourceModule, arg_names_from_source, read_mlir
from liftcomp.frontends.names import C_SUFFIXES, PY_SUFFIXES


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


def translate_to_mlir(path: str | Path) -> str | None:
    """MLIR text of a C/C++ or Python file (None for MLIR input, which needs no translation)."""
    suffix = Path(str(path)).suffix
    if suffix in C_SUFFIXES:
        from liftcomp.frontends.c import translate_c

        return translate_c(path).text
    if suffix in PY_SUFFIXES:
        from liftcomp.frontends.python import translate_python

        return translate_python(path).text
    return None


@contextmanager
def as_mlir_file(path: Path) -> Iterator[Path]:
    """The frontend step before MLIR-only stages: C/C++/Python input becomes a temporary
    `<stem>.mlir` (locations still point into the source); MLIR input is passed through."""
    text = translate_to_mlir(path) if path.is_file() else None
    if text is None:
        yield path
        return
    with tempfile.TemporaryDirectory(prefix="liftcomp-frontend-") as tmp:
        out = Path(tmp) / f"{path.stem}.mlir"
        out.write_text(text)
        yield out


__all__ = ["C_SUFFIXES", "PY_SUFFIXES", "SourceModule", "arg_names_from_source", "as_mlir_file", "read_mlir", "read_source", "translate_to_mlir"]
