"""The one helper every stage uses to run upstream MLIR 22 on xDSL modules.

Text crosses the boundary in the generic form, the only one both sides read the same way
(xDSL 0.74's custom parser mis-reads some upstream syntax, e.g. affine.load indices).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from functools import cache
from io import StringIO

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp
from xdsl.parser import Parser
from xdsl.printer import Printer
from xdsl.utils.exceptions import ParseError

from liftcomp.diagnostics import LiftcompError

_TOOL_NAMES = {
    "mlir-opt": ("mlir-opt-22", "/usr/lib/llvm-22/bin/mlir-opt"),
    "mlir-runner": ("mlir-runner-22", "/usr/lib/llvm-22/bin/mlir-runner"),
    "FileCheck": ("FileCheck-22", "/usr/lib/llvm-22/bin/FileCheck"),
}



@cache
def find_tool(name: str) -> str:
    """Absolute path of an MLIR 22 tool, or a clear error saying how to install it."""
    env_override = os.environ.get("LIFTCOMP_" + name.upper().replace("-", "_"))
    if env_override:
        return env_override
    for candidate in _TOOL_NAMES[name]:
        path = shutil.which(candidate) or (candidate if os.path.isfile(candidate) else None)
        if path:
            return path
    raise LiftcompError(
        f"{name} (MLIR 22) not found; run tools/setup.sh or `apt-get install mlir-22-tools llvm-22-tools`"
    )


@cache
def default_context() -> Context:
    """An xDSL context that knows every upstream dialect xDSL has plus liftcomp's own."""
    from xdsl.dialects import get_all_dialects

    from liftcomp.interop import xdsl_compat
    from liftcomp.targets import get_target, target_names

    xdsl_compat.apply()  # MLIR 22's output parses with xDSL 0.74
    ctx = Context(allow_unregistered=False)
    for name, factory in get_all_dialects().items():
        ctx.register_dialect(name, factory)
    for target in target_names():
        for name, factory in get_target(target).dialects().items():
            if name not in ctx.registered_dialect_names:
                ctx.register_dialect(name, factory)
    return ctx


def print_generic(module: ModuleOp) -> str:
    out = StringIO()
    Printer(stream=out, print_generic_format=True).print_op(module)
    return out.getvalue() + "\n"


def print_custom(module: ModuleOp) -> str:
    out = StringIO()
    Printer(stream=out).print_op(module)
    return out.getvalue() + "\n"


def parse_xdsl(text: str, source_name: str = "<input>") -> ModuleOp:
    """Parse MLIR text with xDSL (any form it reads); errors become LiftcompError with a location."""
    try:
        module = Parser(default_context(), text, source_name).parse_module()
    except ParseError as e:
        raise LiftcompError(f"xDSL could not parse the module:\n{e}") from None
    return module


def run_mlir_opt_text(text: str, args: list[str], source_name: str = "<input>") -> str:
    """Run mlir-opt-22 on text with extra arguments; failures raise with mlir-opt's diagnostics."""
    tool = find_tool("mlir-opt")
    proc = subprocess.run(
        [tool, *args, "-"], input=text, capture_output=True, text=True, check=False
    )
    if proc.returncode != 0:
        diag = proc.stderr.replace("<stdin>", source_name).strip()
        raise LiftcompError(f"mlir-opt-22 failed:\n{diag}")
    return proc.stdout


def parse_mlir(text: str, source_name: str = "<input>") -> ModuleOp:
    """Parse any MLIR text upstream accepts: mlir-opt-22 normalises it to generic form first."""
    generic = run_mlir_opt_text(
        text, ["--mlir-print-op-generic", "--mlir-print-local-scope", "--mlir-print-debuginfo"], source_name
    )
    # mlir-opt read stdin: point locations at the user's file.
    generic = generic.replace('loc("<stdin>"', "loc(" + json.dumps(source_name))
    return parse_xdsl(generic, source_name)


def run_pipeline(module: ModuleOp, pipeline: str, extra_args: list[str] | None = None) -> ModuleOp:
    """Run an upstream pass pipeline (e.g. 'builtin.module(canonicalize)') and get xDSL IR back."""
    args = [f"--pass-pipeline={pipeline}", "--mlir-print-op-generic", "--mlir-print-local-scope"]
    out = run_mlir_opt_text(print_generic(module), args + (extra_args or []))
    return parse_xdsl(out)


def to_upstream_text(module: ModuleOp) -> str:
    """Pretty (custom-form) text as mlir-opt-22 prints it: what users read and FileCheck sees."""
    return run_mlir_opt_text(print_generic(module), [])
