"""`liftcomp plugin-path`: where the mlir-opt pass plugin is, for `--load-pass-plugin=`."""

from __future__ import annotations

import argparse
from pathlib import Path

from liftcomp.diagnostics import LiftcompError

# python/liftcomp/interop/cli.py -> the repository root (the package is installed editable).
REPO_ROOT = Path(__file__).resolve().parents[3]
PLUGIN_PATH = REPO_ROOT / "build" / "passes" / "LiftcompPlugin.so"
# Every liftcomp dialect as IRDL, written by tools/gen_irdl.py (mlir-opt-22 takes one --irdl-file).
IRDL_PATH = REPO_ROOT / "dialects" / "all.irdl.mlir"


def plugin_path() -> Path:
    """The built plugin, or a clear error saying how to build it."""
    if not PLUGIN_PATH.is_file():
        raise LiftcompError(
            f"the mlir-opt plugin is not built ({PLUGIN_PATH} missing); run tools/build-plugin.sh"
        )
    return PLUGIN_PATH


def _cmd_plugin_path(ns: argparse.Namespace) -> int:
    if ns.irdl:
        if not IRDL_PATH.is_file():
            raise LiftcompError(f"{IRDL_PATH} missing; run tools/gen_irdl.py")
        print(IRDL_PATH)
        return 0
    print(plugin_path())
    return 0


def add_subcommands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "plugin-path",
        help="print the absolute path of the mlir-opt pass plugin",
        description="Print the absolute path of LiftcompPlugin.so, for "
        "mlir-opt-22 --load-pass-plugin=$(liftcomp plugin-path) "
        "--pass-pipeline='builtin.module(liftcomp-raise)'. Fails if it is not built "
        "(tools/build-plugin.sh builds it).",
    )
    p.add_argument(
        "--irdl",
        action="store_true",
        help="print instead the IRDL file of liftcomp's dialects, for mlir-opt-22 --irdl-file=",
    )
    p.set_defaults(func=_cmd_plugin_path)
