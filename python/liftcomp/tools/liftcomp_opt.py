"""`liftcomp-opt`: xdsl-opt with liftcomp's dialects and passes loaded, and user errors reported
as diagnostics (`file:line:col: error: ...`, exit status 1), never as a traceback.

    liftcomp-opt IN.mlir -p 'liftcomp-raise{strict=true},liftcomp-lower-gemmini{form=loop_ws}'
    liftcomp-opt -f upstream IN.mlir -p liftcomp-raise   # any form mlir-opt-22 reads, with the
                                                         # file's locations (remarks, errors)

Every xdsl-opt flag works the same (`--print-op-generic`, `--split-input-file`, `-o`, ...).
The liftcomp universe is registered even without the package's `xdsl.universe` entry point, so
an uninstalled checkout (PYTHONPATH=python) gets the same tool.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from io import BytesIO, StringIO
from typing import IO

from xdsl.dialects.builtin import ModuleOp
from xdsl.utils.exceptions import ArgSpecParseError, DiagnosticException, ParseError
from xdsl.xdsl_opt_main import xDSLOptMain

from liftcomp.diagnostics import LiftcompError
from liftcomp.universe import format_error, liftcomp_dialects, liftcomp_passes

PROG = "liftcomp-opt"


class _KeptOpen(StringIO):
    """xDSL closes its output stream when the run ends: keep the text readable after that."""

    def close(self) -> None:
        pass


class LiftcompOptMain(xDSLOptMain):
    pending_output: StringIO | None = None

    def register_all_dialects(self) -> None:
        super().register_all_dialects()
        known = set(self.ctx.registered_dialect_names)
        for name, factory in liftcomp_dialects().items():
            if name not in known:
                self.ctx.register_dialect(name, factory)

    def register_all_passes(self) -> None:
        super().register_all_passes()
        for name, factory in liftcomp_passes().items():
            self.register_pass(name, factory)

    def register_all_frontends(self) -> None:
        super().register_all_frontends()

        def upstream(io: IO[bytes]) -> ModuleOp:
            from liftcomp.interop.mlir_tool import parse_mlir

            return parse_mlir(io.read().decode(), self.get_input_name())

        self.available_frontends["upstream"] = upstream

    def get_input_stream(self) -> tuple[IO[bytes], str]:
        """The input, checked: UTF-8, no absurd literals (located errors, not xDSL exceptions)."""
        from liftcomp.frontends.mlir import check_source

        stream, extension = super().get_input_stream()
        with stream:
            data = stream.read()
        check_source(data, self.get_input_name())
        return BytesIO(data), extension

    def prepare_output(self) -> IO[str]:
        """Output is kept in memory and written by `main` only when the whole run succeeded."""
        if self.args.output_file is None:
            return sys.stdout
        from liftcomp.output import check_writable

        check_writable(self.args.output_file)  # before any work
        self.pending_output = _KeptOpen()
        return self.pending_output

    def setup_pipeline(self) -> None:
        try:
            super().setup_pipeline()
        except ArgSpecParseError as e:  # a BaseException in xDSL 0.74
            raise LiftcompError(f"invalid pass pipeline: {e}") from None
        except ValueError as e:  # xDSL's own passes: an unknown pass or option
            raise LiftcompError(f"invalid pass pipeline: {e}") from None


def main(argv: Sequence[str] | None = None) -> int:
    try:
        tool = LiftcompOptMain(description=f"{PROG}: xdsl-opt with liftcomp's dialects and passes", args=argv)
        tool.run()
        if tool.pending_output is not None:
            from liftcomp.output import write_outputs

            write_outputs({tool.args.output_file: tool.pending_output.getvalue()})
    except LiftcompError as e:
        print(format_error(e, PROG), file=sys.stderr)
        return 1
    except (ParseError, DiagnosticException) as e:  # input that does not parse or verify
        print(f"{PROG}: error: {e}", file=sys.stderr)
        return 1
    except OSError as e:
        print(f"{PROG}: error: {e.filename or ''}: {e.strerror}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as e:  # a bug, not a user error: say so, briefly
        if os.environ.get("LIFTCOMP_DEBUG"):
            raise
        print(f"{PROG}: internal error: {type(e).__name__}: {e} (set LIFTCOMP_DEBUG=1 for a traceback)",
              file=sys.stderr)
        return 70
    return 0


if __name__ == "__main__":
    sys.exit(main())
