"""xDSL plugin registration: `xdsl-opt -p liftcomp-raise` works once the package is installed.

Factories import lazily so that `xdsl-opt --help` stays fast. Loading the universe also makes
an uncaught LiftcompError (a user error: a bad pass option, input a pass refuses) end the
process as `file:line:col: error: message`, without a traceback: xdsl-opt lets a pass's
exception escape to the interpreter.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.universe import Universe
from xdsl.utils.target import Target as XdslTarget

from liftcomp.diagnostics import LiftcompError
from liftcomp.interop import xdsl_compat
from liftcomp.pass_support import parse_location

xdsl_compat.apply()


def format_error(e: LiftcompError, prog: str = "") -> str:
    """`file:line:col: error: message` (as mlir-opt writes it) when the error has a file
    position, else the error's own text (after `prog: ` when given)."""
    flc = parse_location(e.location)
    if flc is None:
        return f"{prog}: {e}" if prog else str(e)
    return f"{flc[0]}:{flc[1]}:{flc[2]}: error: {e.message}"


def _remove_empty_output(argv: list[str]) -> None:
    """xdsl-opt opens its `-o` file before it runs the passes: a failed run leaves it empty.
    Remove it (only when empty: nothing of this run's output is lost), so a failure writes nothing."""
    for i, arg in enumerate(argv):
        name = None
        if arg in ("-o", "--output-file") and i + 1 < len(argv):
            name = argv[i + 1]
        elif arg.startswith("--output-file="):
            name = arg.split("=", 1)[1]
        if name is None:
            continue
        out = Path(name)
        if out.is_file() and out.stat().st_size == 0:
            out.unlink(missing_ok=True)


def _install_error_hook() -> None:
    previous = sys.excepthook

    def hook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        from xdsl.utils.exceptions import DiagnosticException, ParseError

        if Path(sys.argv[0]).name == "xdsl-opt":
            _remove_empty_output(sys.argv[1:])
        if isinstance(value, LiftcompError):
            print(format_error(value), file=sys.stderr)
            return
        prog = Path(sys.argv[0]).name
        if isinstance(value, ParseError | DiagnosticException):  # input that does not parse or verify
            print(f"{prog}: error: {value}", file=sys.stderr)
            return
        # What xDSL's parser raises for input it cannot even tokenize: still the input's fault.
        if isinstance(value, UnicodeDecodeError):
            print(f"{prog}: error: the input is not UTF-8 text ({value.reason} at byte {value.start})", file=sys.stderr)
            return
        if isinstance(value, ValueError) and "integer string conversion" in str(value):
            print(f"{prog}: error: an integer literal in the input is too long ({value})", file=sys.stderr)
            return
        previous(kind, value, tb)

    sys.excepthook = hook


_install_error_hook()


def liftcomp_dialects() -> dict[str, Callable[[], Dialect]]:
    from liftcomp.targets import get_target, target_names

    out: dict[str, Callable[[], Dialect]] = {}
    for name in target_names():
        out.update(get_target(name).dialects())
    return out


def liftcomp_passes() -> dict[str, Callable[[], type[ModulePass]]]:
    from liftcomp.targets import get_target, target_names

    def raise_pass() -> type[ModulePass]:
        from liftcomp.lift.liftcomp_raise import LiftcompRaisePass

        return LiftcompRaisePass

    def test_bridge() -> type[ModulePass]:
        from liftcomp.interop.liftcomp_test_bridge import LiftcompTestBridgePass

        return LiftcompTestBridgePass

    out: dict[str, Callable[[], type[ModulePass]]] = {"liftcomp-raise": raise_pass}
    for name in target_names():
        out.update(get_target(name).passes())
    # The plugin's test pass exists for liftcomp's own tests (lit and pytest set the variable).
    if os.environ.get("LIFTCOMP_TEST_PASSES") == "1":
        out["liftcomp-test-bridge"] = test_bridge
    return out


def liftcomp_emitters() -> dict[str, Callable[[], type[XdslTarget]]]:
    """Each target's emitters as xDSL emission targets (`xdsl-opt -t gemmini-c`)."""
    from liftcomp.targets import get_target, target_names

    out: dict[str, Callable[[], type[XdslTarget]]] = {}
    for name in target_names():
        out.update(get_target(name).emitters())
    return out


# Built from the target registry (liftcomp.targets): a new target adds its dialects, passes and
# emitters here without an edit to this file.
LIFTCOMP_UNIVERSE = Universe(all_dialects=liftcomp_dialects(), all_passes=liftcomp_passes(),
                             all_targets=liftcomp_emitters())
