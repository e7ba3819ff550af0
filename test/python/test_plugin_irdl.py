"""IRDL generated from the xDSL dialects: up to date, loadable, and as strict as IRDL allows."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.bridge import print_for_mlir
from liftcomp.interop.irdl_gen import dialect_to_irdl_text
from liftcomp.interop.mlir_tool import run_mlir_opt_text
from xdsl.context import Context
from xdsl.dialects.accfg import ACCFG
from xdsl.dialects.arith import Arith
from xdsl.dialects.builtin import Builtin
from xdsl.dialects.func import Func
from xdsl.parser import Parser

REPO = Path(__file__).resolve().parents[2]


def load_gen_irdl() -> ModuleType:
    spec = importlib.util.spec_from_file_location("gen_irdl", REPO / "tools" / "gen_irdl.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_dialect_files_are_up_to_date() -> None:
    files = load_gen_irdl().expected_files()
    assert files, "liftcomp has no dialect to export"
    for path, text in files.items():
        assert path.is_file(), f"{path} missing: run tools/gen_irdl.py"
        assert path.read_text() == text, f"{path} is stale: run tools/gen_irdl.py"


def test_dialect_files_load_in_mlir_opt() -> None:
    for path in load_gen_irdl().expected_files():
        # mlir-opt-22 registers the dialect, then parses the same file as input
        run_mlir_opt_text(path.read_text(), [f"--irdl-file={path}"])


# Any xDSL dialect works, not only ours: accfg has types with parameters, variadic and
# optional operands (operandSegmentSizes) and properties.
ACCFG_IR = """\
"builtin.module"() ({
  "func.func"() <{function_type = (i32) -> (), sym_name = "f"}> ({
  ^bb0(%a: i32):
    %s = "accfg.setup"(%a) <{accelerator = "snax", param_names = ["A"], operandSegmentSizes = array<i32: 1, 0>}> : (i32) -> !accfg.state<"snax">
    %t = "accfg.launch"(%s) <{accelerator = "snax", param_names = []}> : (!accfg.state<"snax">) -> !accfg.token<"snax">
    "accfg.await"(%t) : (!accfg.token<"snax">) -> ()
    "func.return"() : () -> ()
  }) : () -> ()
}) : () -> ()
"""


@pytest.fixture
def accfg_irdl(tmp_path: Path) -> Path:
    path = tmp_path / "accfg.irdl.mlir"
    path.write_text(dialect_to_irdl_text(ACCFG, "xdsl.dialects.accfg"))
    return path


def xdsl_to_mlir(text: str) -> str:
    ctx = Context()
    for dialect in (Builtin, Func, Arith, ACCFG):
        ctx.load_dialect(dialect)
    module = Parser(ctx, text).parse_module()
    module.verify()
    return print_for_mlir(module)


def test_any_xdsl_dialect_round_trips_through_mlir_opt(accfg_irdl: Path) -> None:
    out = run_mlir_opt_text(xdsl_to_mlir(ACCFG_IR), [f"--irdl-file={accfg_irdl}"])
    assert '"accfg.setup"(%arg0) {accelerator = "snax"' in out
    assert '"accfg.await"(%1) : (!accfg.token<"snax">) -> ()' in out


def test_irdl_types_are_types_and_constrain_operands(accfg_irdl: Path) -> None:
    # await wants an !accfg.token: an !accfg.state is refused by mlir-opt's IRDL verifier.
    bad = xdsl_to_mlir(ACCFG_IR).replace(
        '"accfg.await"(%t) : (!accfg.token<"snax">)', '"accfg.await"(%s) : (!accfg.state<"snax">)'
    )
    assert bad != xdsl_to_mlir(ACCFG_IR)
    with pytest.raises(LiftcompError, match="expected base type 'accfg.token' but got 'accfg.state'"):
        run_mlir_opt_text(bad, [f"--irdl-file={accfg_irdl}"])


def test_distinct_slots_get_distinct_constraint_values(accfg_irdl: Path) -> None:
    # One IRDL value used twice would force both slots to hold the same attribute.
    for line in accfg_irdl.read_text().splitlines():
        if "irdl.operands(" in line or "irdl.attributes" in line:
            names = [word.strip(",)}") for word in line.split() if word.startswith("%")]
            assert len(names) == len(set(names)), line
