"""`liftcomp lift --jit-check` (issue 10 part 4): each function compared natively under its own
float model, on inputs on which the reference executor runs the original without undefined
behaviour (in bounds, no division by zero), nest-by-nest functions as a whole; a real difference
is an error and writes nothing; a comparison under a float model masks exactly the poison that
model allows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
from liftcomp.cli import main
from liftcomp.interop import runner_check
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.lift import cli as lift_cli

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
KERNELS = ("nki/rmsnorm_rows", "extra_loops/diag_add_trace_i32_dyn", "extra_int/div_rem_i32", "extra_loops/jacobi1d_f32")

pytestmark = pytest.mark.skipif(not runner_check.available(), reason="mlir-opt-22 / mlir-runner-22 not installed")


def test_jit_check_finds_the_lifted_kernels_equal(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """rmsnorm_rows (every op fastmath<fast>: ordinary values, within a tolerance), diag_add_trace
    (A[i, i] for i < len(x): A grows with x), div_rem_i32 (no zero divisor, no INT_MIN / -1: no
    SIGFPE), jacobi1d_f32 (lifted nest by nest: compared as a whole) are all equal; -o is written."""
    src = tmp_path / "k.mlir"
    src.write_text("\n".join((CORPUS / f"{k}.mlir").read_text() for k in KERNELS))
    out = tmp_path / "o.mlir"
    rc = main(["lift", str(src), "--jit-check", "--jit-scale", "2", "-q", "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 0, err
    for k in KERNELS:
        assert f"jit-check @{k.split('/')[1]}: equal on native runs (mlir-runner-22)" in err, err
    assert "@rmsnorm_rows: equal on native runs (mlir-runner-22) at its static sizes (ordinary float values)" in err, err
    assert "Stack dump" not in err and "PLEASE submit" not in err and "not run" not in err
    assert out.read_text().count("linalg.") >= 4


def test_sized_inputs_keep_the_original_defined() -> None:
    """The sizes scale together (A is at least len(x) square) and every input set is one the
    reference executor runs: no zero or INT_MIN / -1 divisor for div_rem_i32."""
    m = parse_mlir((CORPUS / "extra_loops/diag_add_trace_i32_dyn.mlir").read_text())
    a, x = lift_cli.sized_args(m, "diag_add_trace_i32_dyn", 8)
    assert min(a.shape) >= x.shape[0] >= 8 * 7
    m = parse_mlir((CORPUS / "extra_int/div_rem_i32.mlir").read_text())
    sized = lift_cli.size_inputs(m, "div_rem_i32", 4)
    b, c = sized.args[1], sized.args[2]
    assert sized.scale == 4 and np.all(b != 0) and np.all(c != 0) and sized.ints != "edge"


def test_a_real_difference_fails_and_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """A raised module that is wrong (its multiplication made an addition) is found different:
    exit 1, no -o."""
    real = lift_cli.jit_check

    def wrong(original: str, raised: str, *args: Any) -> Any:
        assert '"arith.mulf"' in raised
        return real(original, raised.replace('"arith.mulf"', '"arith.addf"'), *args)

    monkeypatch.setattr(lift_cli, "jit_check", wrong)
    out = tmp_path / "o.mlir"
    rc = main(["lift", str(CORPUS / "dsp/vscal.mlir"), "--jit-check", "--jit-scale", "2", "-q", "-o", str(out)])
    err = capsys.readouterr().err
    assert rc == 1 and not out.exists(), err
    assert "jit-check @vscal: differs: the raised function differs from the original under mlir-runner-22" in err, err


POISON = """
func.func @k(%x: memref<?xf32>, %y: memref<?xf32>, %out: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.load %x[%i] : memref<?xf32>
    %b = memref.load %y[%i] : memref<?xf32>
    %r = arith.OP %a, %b : f32
    memref.store %r, %out[%i] : memref<?xf32>
  }
  return
}
"""


@pytest.mark.parametrize("model", ["ieee", "nsz", "nnan", "ninf", "fast"])
def test_comparison_under_each_float_model(model: str) -> None:
    """The generated main and same_under agree: -0.0 vs +0.0 differs unless nsz; the original's
    NaN (inf) against a number differs unless nnan (ninf); 1 vs 1 + 1e-6 differs unless fast."""
    orig, other = parse_mlir(POISON.replace("OP", "addf")), parse_mlir(POISON.replace("OP", "subf"))
    # x + y (original) against x - y (raised): y = 0 or -0 gives equal numbers, signed zeros differ
    cases = {
        "zero": ([np.float32(-0.0)], [np.float32(-0.0)], "nsz"),  # -0 + -0 = -0 vs -0 - -0 = +0
        "nan": ([np.float32(np.nan)], [np.float32(1.0)], "nnan"),  # NaN vs NaN: equal anyway
        "inf": ([np.float32(np.inf)], [np.float32(-np.inf)], "nnan"),  # inf + -inf = NaN vs inf: poison under nnan
        "infout": ([np.float32(3e38)], [np.float32(3e38)], "ninf"),  # inf vs 0
        "close": ([np.float32(1.0)], [np.float32(1e-6)], "fast"),  # 1.000001 vs 0.999999
    }
    run = [runner_check.Case(k, orig, other, "k", [np.array(x, np.float32), np.array(y, np.float32), np.zeros(1, np.float32), 1], model)
           for k, (x, y, _) in cases.items()]
    got = runner_check.compare(run)
    for k, (x, y, needs) in cases.items():
        allowed = k == "nan" or needs in ("nsz", "nnan", "ninf") and needs in model or model == "fast"
        with np.errstate(all="ignore"):
            o, r = np.float32(x[0]) + np.float32(y[0]), np.float32(x[0]) - np.float32(y[0])
            assert bool(runner_check.same_under(np.array([o]), np.array([r]), model).all()) == allowed, (k, model)
        assert (got[k] is None) == allowed, (k, model, got[k])
