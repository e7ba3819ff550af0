"""Shared fixtures for lifting tests: corpus kernels parsed and analysed once per session."""

from __future__ import annotations

from functools import cache

from liftcomp.corpus import KernelSpec, load_corpus
from liftcomp.corpus.check import find_func
from liftcomp.frontends import arg_names_from_source
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.lift.raising import FunctionReport, Lifted, RaiseOptions, lift_function
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp


@cache
def corpus() -> dict[str, KernelSpec]:
    return {k.name: k for k in load_corpus()}


@cache
def parsed(name: str) -> tuple[ModuleOp, func.FuncOp, list[str] | None]:
    k = corpus()[name]
    m = parse_mlir(k.mlir_text, str(k.mlir_path))
    return m, find_func(m, name), arg_names_from_source(k.mlir_text).get(name)


@cache
def lifted(name: str) -> tuple[FunctionReport, Lifted | None]:
    """lift_function on a corpus kernel with default options, once per session (three test
    files need every kernel's program)."""
    m, fn, names = parsed(name)
    return lift_function(m, fn, RaiseOptions(), names)
