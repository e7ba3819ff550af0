"""The Python side of the mlir-opt pass plugin (passes/LiftcompPlugin.cpp).

The plugin embeds this venv's interpreter and calls the functions below with plain strings.
Each returns `(ok, text)` and never raises: on success `text` is the result, otherwise it is
the message mlir-opt reports as an error, on the module or, when the error names a source
location, there: then the tuple is `(False, message, file, line, column)`. Modules cross in the generic form,
with locations, the only form both sides read the same way.
"""

from __future__ import annotations

import contextlib
import ctypes
import importlib.util
import json
import os
import sys
import threading
import time
import traceback
from collections.abc import Callable
from functools import cache
from io import StringIO
from pathlib import Path

from xdsl.dialects.builtin import ModuleOp
from xdsl.passes import ModulePass
from xdsl.printer import Printer
from xdsl.utils.arg_spec import parse_spec
from xdsl.utils.exceptions import ArgSpecParseError

from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import default_context, parse_xdsl
from liftcomp.pass_support import PassOptionError, Remark, collect_remarks, parse_location

BridgeReply = tuple[bool, str] | tuple[bool, str, str, int, int]


def _load_own_z3() -> None:
    """Bind the venv's libz3 to itself before the z3 package loads it.

    mlir-opt's libLLVM already loaded the system libz3 (another z3 version, same C symbol
    names) into the global scope; the venv's libz3, loaded by ctypes, would then resolve its own
    internal calls (Z3_mk_bv2int -> Z3_mk_int_sort) to the system copy and crash. RTLD_DEEPBIND
    makes it prefer its own symbols; the z3 package's later dlopen of the same file gets this
    handle back."""
    if "z3" in sys.modules or not hasattr(os, "RTLD_DEEPBIND"):
        return
    spec = importlib.util.find_spec("z3")
    if spec is None or spec.origin is None:
        return
    lib_dir = Path(spec.origin).parent / "lib"
    for lib in sorted(lib_dir.glob("libz3.so*"), reverse=True):  # libz3.so.5.4 first, as z3core
        ctypes.CDLL(str(lib), mode=os.RTLD_NOW | os.RTLD_LOCAL | os.RTLD_DEEPBIND)
        return


_load_own_z3()

_REPORT_TIME = os.environ.get("LIFTCOMP_BRIDGE_TIMES") == "1"

# The remarks of the last run_pass, per thread (mlir-opt asks for them right after the run, on
# the thread that ran it).
_RUN_LOCK = threading.Lock()

# Keyed by the OS thread: mlir-opt's worker threads get a fresh Python thread state for every
# call (PyGILState_Ensure/Release), so a threading.local would not survive from one to the next.
_last: dict[int, list[Remark]] = {}


# Passes that work function by function: the plugin also schedules them on func.func
# (`builtin.module(func.func(liftcomp-raise))`), handing Python one function at a time.
NESTABLE = frozenset({"liftcomp-raise"})


def pass_names_text() -> tuple[bool, str]:
    """liftcomp's passes, one a line as `name<TAB>nestable (0/1)`: the plugin registers one
    mlir-opt pass each (nestable ones also run on func.func)."""
    from liftcomp.universe import liftcomp_passes

    return True, "\n".join(f"{name}\t{int(name in NESTABLE)}" for name in sorted(liftcomp_passes()))


def check_options(pass_name: str, options: str) -> BridgeReply:
    """Whether `options` (the text between the braces of `name{...}`) suit the pass."""

    def check() -> str:
        make_pass(pass_name, options)
        return ""

    return _guarded(pass_name, check)


def run_pass(pass_name: str, options: str, module_text: str) -> BridgeReply:
    """Run one liftcomp pass on a generic-form module; return the new module in generic form."""
    start = time.perf_counter()
    # One pass at a time: mlir-opt runs nested passes on several threads, and z3's Python API
    # (one shared context; ctypes lets go of the GIL in every z3 call) is not thread-safe.
    with _RUN_LOCK, collect_remarks() as remarks:
        reply = _guarded(pass_name, lambda: _run(pass_name, options, module_text))
    _last[threading.get_ident()] = remarks
    if _REPORT_TIME:  # for tools/bench_bridge.py: Python's share of each bridged pass
        print(f"liftcomp-bridge: {pass_name} python_s={time.perf_counter() - start:.6f}", file=sys.stderr)
    return reply


def take_remarks() -> tuple[bool, str]:
    """The remarks of this thread's last run_pass as a JSON list of {message, file, line,
    column} (file "" when the remark names no file position); forgets them."""
    remarks = _last.pop(threading.get_ident(), [])
    out: list[dict[str, object]] = []
    for r in remarks:
        flc = r.file_line_col()
        message = r.message if flc is not None or not r.location else f"{r.location}: {r.message}"
        file, line, column = flc if flc is not None else ("", 0, 0)
        out.append({"message": message, "file": file, "line": line, "column": column})
    return True, json.dumps(out)


@cache
def _pass_class(pass_name: str) -> type[ModulePass]:
    from liftcomp.universe import liftcomp_passes

    factories = liftcomp_passes()
    if pass_name not in factories:
        known = ", ".join(sorted(factories))
        raise LiftcompError(f"unknown liftcomp pass '{pass_name}'; known: {known}")
    try:
        return factories[pass_name]()
    except ImportError as e:
        raise LiftcompError(f"liftcomp pass '{pass_name}' is not available: {e}") from None


def make_pass(pass_name: str, options: str) -> ModulePass:
    """The configured pass, with xDSL's own option parsing (`key=value key2=v1,v2`)."""
    pass_cls = _pass_class(pass_name)
    spec_text = f"{pass_name}{{{options}}}" if options.strip() else pass_name
    try:
        return pass_cls.from_pass_spec(parse_spec(spec_text))
    except ArgSpecParseError as e:  # a BaseException in xDSL 0.74
        raise LiftcompError(f"invalid options '{options}':\n{e}") from None
    except PassOptionError as e:
        raise LiftcompError(f"invalid options '{options}': {e.detail}") from None
    except (ValueError, TypeError) as e:
        raise LiftcompError(f"invalid options '{options}': {e}") from None


def print_for_mlir(module: ModuleOp) -> str:
    """Generic form with locations; properties as attributes, which mlir-opt accepts for every
    op and which its IRDL-defined dialects (ours) require."""
    out = StringIO()
    Printer(
        stream=out,
        print_generic_format=True,
        print_properties_as_attributes=True,
        print_debuginfo=True,
    ).print_op(module)
    return out.getvalue() + "\n"


def _run(pass_name: str, options: str, module_text: str) -> str:
    the_pass = make_pass(pass_name, options)
    module = parse_xdsl(module_text, "<mlir-opt>")
    the_pass.apply(default_context(), module)
    try:
        module.verify()
    except Exception as e:
        raise LiftcompError(f"the pass produced invalid IR: {e}") from None
    return print_for_mlir(module)


def _error_reply(e: LiftcompError) -> BridgeReply:
    if not e.location:
        return False, e.message
    flc = parse_location(e.location)
    if flc is not None:
        return False, e.message, *flc
    return False, f"{e.location}: {e.message}"


def _guarded(pass_name: str, work: Callable[[], str]) -> BridgeReply:
    # mlir-opt writes its output to stdout: whatever Python prints goes to stderr instead.
    with contextlib.redirect_stdout(sys.stderr):
        try:
            return True, work()
        except LiftcompError as e:
            # mlir-opt names the pass already.
            e.message = e.message.removeprefix(f"{pass_name}: ")
            return _error_reply(e)
        except Exception:
            trace = traceback.format_exc().rstrip()
            return False, f"internal error in liftcomp pass '{pass_name}':\n{trace}"
