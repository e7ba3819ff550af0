"""The `liftcomp` command line.

Every user error ends as `liftcomp: error: ...` on stderr with a non-zero exit, never a traceback;
nothing is written when a command fails.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from liftcomp.diagnostics import LiftcompError, UsageError

Command = Callable[[argparse.Namespace], int]

DESCRIPTION = """\
liftcomp: raise loop nests to verified tensor programs and compile them for accelerators.

stages:
  loop nests (func + scf/affine + memref + arith/math)
    -> lift:    tensor ops (linalg/tensor), each proven equal to its loop nest (z3)
    -> lower:   target IR (gemmini)
    -> search:  schedules scored by the target's simulator
    -> emit:    code for the target's toolchain (C with gemmini.h)
"""


def _cmd_corpus(ns: argparse.Namespace) -> int:
    from liftcomp.corpus.report import run_corpus_table

    return run_corpus_table(
        root=Path(ns.root) if ns.root else None, only=ns.kernel, seeds=ns.seeds, as_json=ns.json, lift=ns.lift
    )


def _add_corpus(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "corpus",
        help="parse, verify and execute the kernel corpus; print a table",
        description="Parse every corpus kernel with mlir-opt-22 and xDSL, run it in the reference "
        "executor on random inputs (with edge values) and compare with its numpy reference.",
    )
    p.add_argument("--root", help="corpus directory (default: the bundled test/corpus)")
    p.add_argument("--kernel", action="append", help="only this kernel (repeatable)")
    p.add_argument("--seeds", type=int, default=3, help="random input sets per kernel (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--lift", action="store_true",
                   help="also lift each kernel (as `liftcomp lift` does) and show its status and proof level")
    p.set_defaults(func=_cmd_corpus)


def _register_optional(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Subcommands of later stages register themselves here when their modules exist."""
    from importlib import import_module

    for module_name in ("liftcomp.lift.cli", "liftcomp.targets.cli", "liftcomp.interop.cli", "liftcomp.examples"):
        try:
            mod = import_module(module_name)
        except ModuleNotFoundError as e:
            if e.name == module_name:
                continue
            raise
        mod.add_subcommands(sub)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="liftcomp", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    from liftcomp import __version__

    parser.add_argument("--version", action="version", version=f"liftcomp {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_corpus(sub)
    _register_optional(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    ns = parser.parse_args(argv)
    if not getattr(ns, "func", None):
        parser.print_help()
        return 2
    try:
        return int(ns.func(ns))
    except UsageError as e:  # a flag's value, as argparse reports its own usage errors
        print(f"liftcomp {ns.command}: error: {e.message}", file=sys.stderr)
        return 2
    except LiftcompError as e:
        print(f"liftcomp: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("liftcomp: interrupted", file=sys.stderr)
        return 130
    except MemoryError:  # the input asks for more than this machine has
        print("liftcomp: error: out of memory (sizes in the input too large for this machine)", file=sys.stderr)
        return 1
    except OSError as e:  # the environment: a file that cannot be read or written, a full disk
        where = f"{e.filename}: " if e.filename else ""
        print(f"liftcomp: error: {where}{e.strerror or e}", file=sys.stderr)
        return 1
    except Exception as e:  # a bug in liftcomp, not a user error: say so, briefly
        if os.environ.get("LIFTCOMP_DEBUG"):
            raise
        print(f"liftcomp: internal error: {type(e).__name__}: {e} (set LIFTCOMP_DEBUG=1 for a traceback)", file=sys.stderr)
        return 70


if __name__ == "__main__":
    sys.exit(main())
