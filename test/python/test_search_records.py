"""Tuning records (issue 11): a searched compile killed with Ctrl-C mid-search keeps what it
measured, exits 130 without a traceback and writes nothing else; `--resume` completes it to the
same result as an uninterrupted run; without --search the database replays its best record, and
records of another configuration are never used."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402

LIFTCOMP = [sys.executable, "-m", "liftcomp.cli"]
BUDGET = 10


def _compile(src: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([*LIFTCOMP, "compile", str(src), "-o", str(out), "--search", "beam", "--budget",
                             str(BUDGET), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            start_new_session=True, preexec_fn=_default_sigint)


def _default_sigint() -> None:
    # A child inherits an ignored SIGINT (Python then never installs its KeyboardInterrupt
    # handler): whatever ignored it in this process earlier in the suite, Ctrl-C must reach it.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _lines(path: Path) -> int:
    return len(path.read_text().splitlines()) if path.is_file() else 0


def _result(out: Path) -> tuple[Any, ...]:
    (k,) = json.loads((out / "report.json").read_text())["kernels"]
    return k["cycles"], k["steps"], k["correct"], k["search"]["best_per_iteration"]


def test_interrupted_search_resumes_to_the_same_result(tmp_path: Path) -> None:
    src = tmp_path / "mm.mlir"
    src.write_text(matmul_text(192, 128, 160))
    # Interrupted: Ctrl-C (SIGINT to the whole process group, as a terminal sends it) once a
    # few measurements are recorded.
    db = tmp_path / "records.jsonl"
    proc = _compile(src, tmp_path / "cut", "--database", str(db))
    deadline = time.monotonic() + 120
    while _lines(db) < 3 and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.01)
    assert proc.poll() is None, "the search finished before it could be interrupted"
    os.killpg(proc.pid, signal.SIGINT)
    t0 = time.monotonic()
    _, err = proc.communicate(timeout=60)
    stopped = time.monotonic() - t0
    assert proc.returncode == 130, err
    assert "Traceback" not in err and "interrupted" in err
    assert stopped < 3.0, f"took {stopped:.1f} s to stop"
    assert not (tmp_path / "cut").exists()  # nothing written but the records
    kept = _lines(db)
    assert 3 <= kept < BUDGET + 1
    # Resumed: the recorded measurements are reused, the rest measured and appended.
    resumed = _compile(src, tmp_path / "resumed", "--database", str(db), "--resume")
    _, err = resumed.communicate(timeout=300)
    assert resumed.returncode == 0, err
    report = json.loads((tmp_path / "resumed" / "report.json").read_text())["kernels"][0]
    assert report["search"]["reused"] >= kept - 1  # the one cut short, if any, is measured again
    # Uninterrupted, with a database of its own.
    full = _compile(src, tmp_path / "full", "--database", str(tmp_path / "full.jsonl"))
    _, err = full.communicate(timeout=300)
    assert full.returncode == 0, err
    assert _result(tmp_path / "resumed") == _result(tmp_path / "full")
    assert _lines(db) == _lines(tmp_path / "full.jsonl")
    # Replay: the database's best record, and only for the same configuration.
    from liftcomp.cli import main

    assert main(["compile", str(src), "-o", str(tmp_path / "replay"), "--database", str(db)]) == 0
    replay = json.loads((tmp_path / "replay" / "report.json").read_text())["kernels"][0]
    assert (replay["cycles"], replay["steps"]) == _result(tmp_path / "full")[:2]
    assert replay["schedule_source"] == "database"
    assert main(["compile", str(src), "-o", str(tmp_path / "other"), "--database", str(db),
                 "--dram-latency", "80"]) == 0
    other = json.loads((tmp_path / "other" / "report.json").read_text())["kernels"][0]
    assert "schedule_source" not in other and other["schedule"][0]["schedule"]["notes"] == ["tiled_matmul_auto"]
