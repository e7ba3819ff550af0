"""The mlir-opt bridge: its Python side directly, and the built plugin inside mlir-opt-22."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from liftcomp.cli import main as liftcomp_main
from liftcomp.interop import bridge
from liftcomp.interop.cli import IRDL_PATH, PLUGIN_PATH
from liftcomp.interop.mlir_tool import find_tool, parse_xdsl, run_mlir_opt_text

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO / "test" / "corpus"

ADD = """\
func.func @add(%a: i32, %b: i32) -> i32 {
  %c0 = arith.constant 0 : i32
  %x = arith.addi %a, %c0 : i32
  %y = arith.addi %x, %b : i32
  return %y : i32
}
"""


def generic(text: str) -> str:
    # locations read loc("<stdin>":line:col)
    return run_mlir_opt_text(text, ["--mlir-print-op-generic", "--mlir-print-debuginfo", "--mlir-print-local-scope"])


# --- Python side -------------------------------------------------------------------------------


def test_pass_names_lists_the_universe() -> None:
    from liftcomp.universe import liftcomp_passes

    ok, text = bridge.pass_names_text()
    assert ok
    rows = [line.split("\t") for line in text.splitlines()]
    assert [name for name, _ in rows] == sorted(liftcomp_passes())
    assert dict(rows)["liftcomp-test-bridge"] == "0" and dict(rows)["liftcomp-raise"] == "1"


def test_run_pass_applies_options_through_xdsl_parsing() -> None:
    reply = bridge.run_pass("liftcomp-test-bridge", 'tag="a b" count-ops=true', generic(ADD))
    assert reply[0], reply[1]
    func = parse_xdsl(reply[1]).body.block.first_op
    assert func is not None
    assert func.attributes["liftcomp.tag"].data == "a b"  # pyright: ignore[reportAttributeAccessIssue]
    # constant + 2 addi + return, counted by walking what mlir-opt sent
    assert func.attributes["liftcomp.num_ops"].value.data == 4  # pyright: ignore[reportAttributeAccessIssue]


def test_run_pass_output_keeps_locations_and_reads_back_in_mlir_opt() -> None:
    ok, text = bridge.run_pass("liftcomp-test-bridge", "", generic(ADD))[:2]
    assert ok
    assert 'loc("<stdin>":3:' in text  # the first addi's location survived the round trip
    assert "<{" not in text  # properties travel as attributes (IRDL dialects need that)
    assert run_mlir_opt_text(text, []) == run_mlir_opt_text(ADD, [])


def test_user_error_carries_its_source_location() -> None:
    reply = bridge.run_pass("liftcomp-test-bridge", 'fail="nope"', generic(ADD))
    assert reply == (False, "nope", "<stdin>", 1, 1)


def test_internal_error_is_a_reply_with_traceback_not_an_exception() -> None:
    ok, text = bridge.run_pass("liftcomp-test-bridge", "crash=true", generic(ADD))[:2]
    assert not ok
    assert "internal error in liftcomp pass 'liftcomp-test-bridge'" in text
    assert "RuntimeError: liftcomp-test-bridge crashed on request" in text


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("colour=red", "invalid options 'colour=red': unknown option 'colour'"),
        ("tag=", "wrap argument in quotes"),
        ("count-ops=maybe", "invalid options"),
    ],
)
def test_bad_options_are_reported(options: str, expected: str) -> None:
    ok, text = bridge.check_options("liftcomp-test-bridge", options)[:2]
    assert not ok
    assert expected in text


def test_unknown_pass_and_unparsable_module_are_errors() -> None:
    ok, text = bridge.run_pass("liftcomp-nonexistent", "", generic(ADD))[:2]
    assert not ok and "unknown liftcomp pass 'liftcomp-nonexistent'" in text
    ok, text = bridge.run_pass("liftcomp-test-bridge", "", '"builtin.module"() ({')[:2]
    assert not ok and "xDSL could not parse the module" in text


def test_python_output_goes_to_stderr_not_mlir_opts_stdout(capsys: pytest.CaptureFixture[str]) -> None:
    def noisy() -> str:
        print("chatter")
        return "result"

    assert bridge._guarded("p", noisy) == (True, "result")  # pyright: ignore[reportPrivateUsage]
    captured = capsys.readouterr()
    assert captured.out == ""
    assert "chatter" in captured.err


# --- the plugin in mlir-opt-22 -----------------------------------------------------------------

needs_plugin = pytest.mark.skipif(not PLUGIN_PATH.is_file(), reason="plugin not built")


def mlir_opt(args: list[str], stdin: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [find_tool("mlir-opt"), f"--load-pass-plugin={PLUGIN_PATH}", *args, "-"],
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


def test_plugin_path_command(capsys: pytest.CaptureFixture[str]) -> None:
    rc = liftcomp_main(["plugin-path"])
    out, err = capsys.readouterr()
    if PLUGIN_PATH.is_file():
        assert rc == 0 and out.strip() == str(PLUGIN_PATH) and Path(out.strip()).is_absolute()
    else:
        assert rc == 1 and "tools/build-plugin.sh" in err


def test_plugin_path_irdl_names_a_file_with_every_dialect(capsys: pytest.CaptureFixture[str]) -> None:
    from liftcomp.universe import liftcomp_dialects

    assert liftcomp_main(["plugin-path", "--irdl"]) == 0
    path = Path(capsys.readouterr().out.strip())
    assert path == IRDL_PATH and path.is_absolute()
    text = path.read_text()
    for name in liftcomp_dialects():
        assert f"irdl.dialect @{name} {{" in text


@needs_plugin
def test_plugin_ignores_the_callers_python_environment() -> None:
    # The embedded interpreter is the venv's, whatever PYTHON* variables the shell has.
    env = dict(os.environ, PYTHONHOME="/nonexistent", PYTHONPATH="/nonexistent", PYTHONNOUSERSITE="")
    proc = mlir_opt(["--pass-pipeline=builtin.module(liftcomp-test-bridge{tag=venv})"], ADD, env)
    assert proc.returncode == 0, proc.stderr
    assert 'liftcomp.tag = "venv"' in proc.stdout


@needs_plugin
def test_identity_round_trip_on_the_whole_corpus() -> None:
    # Every corpus kernel through the bridge with no option must print exactly as mlir-opt-22
    # prints it alone: one process, one module per kernel (--split-input-file).
    kernels = sorted(CORPUS.glob("*/*.mlir"))
    assert len(kernels) > 20
    text = "\n// -----\n".join(k.read_text() for k in kernels)
    plain = subprocess.run(
        [find_tool("mlir-opt"), "--split-input-file", "-"], input=text, capture_output=True, text=True, check=True
    )
    bridged = mlir_opt(["--split-input-file", "--pass-pipeline=builtin.module(liftcomp-test-bridge)"], text)
    assert bridged.returncode == 0, bridged.stderr[-3000:]
    assert bridged.stdout == plain.stdout
