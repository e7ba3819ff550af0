"""Progress bars of `liftcomp corpus` (and `examples`, the same helper): shown on stderr when it is
a terminal, absent when it is not (pipes, logs, tests)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest
from liftcomp.cli import main as liftcomp_main

KERNELS = ["--kernel", "dot", "--kernel", "gemv", "--seeds", "1"]
BIN = Path(sys.executable).parent


def test_no_bar_when_stderr_is_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    assert liftcomp_main(["corpus", *KERNELS]) == 0
    captured = capsys.readouterr()
    assert "2/2 kernels match" in captured.out
    assert captured.err == ""


def test_bar_on_a_terminal() -> None:
    leader, follower = pty.openpty()
    env = dict(os.environ, COLUMNS="120", TERM="xterm")
    proc = subprocess.Popen([str(BIN / "liftcomp"), "corpus", *KERNELS], stdout=subprocess.PIPE,
                            stderr=follower, env=env)
    os.close(follower)
    shown = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the follower side closed: the process ended
            break
        if not chunk:
            break
        shown += chunk
    out, _ = proc.communicate(timeout=120)
    os.close(leader)
    assert proc.returncode == 0 and b"2/2 kernels match" in out
    text = shown.decode(errors="replace")
    assert "corpus" in text and "/2" in text, text[-2000:]
