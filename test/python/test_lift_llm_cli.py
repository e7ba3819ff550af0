"""`liftcomp lift --proposer llm` as a user runs it (a separate process, the loopback server as the
endpoint): record then replay gives the same bytes with the server gone; the cache committed for
the lit test still matches the prompts; without an endpoint the error says what to set."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from liftcomp.llm.testing import LoopbackLLMServer, Reply

REPO = Path(__file__).resolve().parents[2]
LIFTCOMP = str(Path(sys.executable).parent / "liftcomp")
REPLAY_DIR = REPO / "test" / "transforms" / "llm"

KERNEL = """\
// relu on f32, out-of-place: out[i] = max(x[i], 0)
func.func @relu(%x: memref<?xf32>, %out: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %v = memref.load %x[%i] : memref<?xf32>
    %r = arith.maximumf %v, %zero : f32
    memref.store %r, %out[%i] : memref<?xf32>
  }
  return
}
"""
WRONG = "```python\nout[0:n] = np.abs(x[0:n])\n```"
RIGHT = "```python\nout[0:n] = np.maximum(x[0:n], np.float32(0.0))\n```"


def clean_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment without any LLM settings of the person running the tests."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "LIFTCOMP_"))}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")  # no user llm.toml
    env["XDG_CACHE_HOME"] = str(tmp_path / "xdg-cache")
    env.update(extra)
    return env


def lift(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run([LIFTCOMP, "lift", *args], env=env, capture_output=True, timeout=120)


def test_record_then_replay_is_byte_identical(tmp_path: Path) -> None:
    src = tmp_path / "relu.mlir"
    src.write_text(KERNEL)
    cache = tmp_path / "cache"
    common = [
        str(src),
        "--proposer",
        "llm",
        "--strategy",
        "llm-only",
        "--llm-model",
        "m",
        "--llm-cache-dir",
        str(cache),
        "-q",
    ]
    with LoopbackLLMServer() as server:
        server.script(Reply([WRONG, RIGHT, RIGHT, WRONG]))  # the CLI asks for 4 samples
        env = clean_env(tmp_path, OPENAI_BASE_URL=server.base_url, OPENAI_API_KEY="k")
        recorded = lift(
            [*common, "--llm-cache", "record", "--report", str(tmp_path / "r1.json")], env
        )
        assert recorded.returncode == 0, recorded.stderr.decode()
        requests = len(server.requests)
    assert requests == 1
    assert b"linalg.map" in recorded.stdout and b"scf.for" not in recorded.stdout

    # The server is stopped and no endpoint is configured: replay needs neither.
    replayed = lift(
        [*common, "--llm-cache", "replay", "--report", str(tmp_path / "r2.json")],
        clean_env(tmp_path),
    )
    assert replayed.returncode == 0, replayed.stderr.decode()
    assert replayed.stdout == recorded.stdout

    r1, r2 = (json.loads((tmp_path / f).read_text())["functions"][0] for f in ("r1.json", "r2.json"))
    assert (r1["proposer"], r1["program"], r1["llm_calls"]) == (
        "llm",
        "out[0:n] = np.maximum(x[0:n], np.float32(0.0))",
        1,
    )
    assert (r2["proposer"], r2["program"], r2["llm_calls"]) == ("llm", r1["program"], 0)

    # The recorded answer is what the replay used: change it, and the replayed program changes.
    [entry] = cache.rglob("*.json")
    data = json.loads(entry.read_text())
    data["response"]["texts"] = [
        "```python\nout[0:n] = np.maximum(np.float32(0.0), x[0:n])\n```"  # (np.where(x > 0, ...) differs on NaN)
    ] * 4
    entry.write_text(json.dumps(data))
    edited = lift(
        [*common, "--llm-cache", "replay", "--report", str(tmp_path / "r3.json")],
        clean_env(tmp_path),
    )
    assert edited.returncode == 0, edited.stderr.decode()
    assert "np.maximum(np.float32(0.0)" in json.loads((tmp_path / "r3.json").read_text())["functions"][0]["program"]


def test_no_endpoint_is_an_error_with_instructions(tmp_path: Path) -> None:
    src = tmp_path / "relu.mlir"
    src.write_text(KERNEL)
    out = lift([str(src), "--proposer", "llm", "-q"], clean_env(tmp_path))
    assert out.returncode == 1
    err = out.stderr.decode()
    assert "LIFTCOMP_MODEL" in err and "OPENAI_BASE_URL" in err and "--llm-cache replay" in err
    assert "Traceback" not in err
    # The default proposer needs none of it.
    assert lift([str(src), "-q"], clean_env(tmp_path)).returncode == 0


@pytest.mark.parametrize("proposer", ["cli", "pass"])
def test_committed_cache_still_matches_the_prompts(tmp_path: Path, proposer: str) -> None:
    """The lit test's cache: if the prompt changes, re-record it (test/transforms/llm/record_cache.py)."""
    kernel = REPLAY_DIR / "lift-replay.mlir"
    cache = REPLAY_DIR / "cache"
    report = tmp_path / "report.json"
    if proposer == "cli":
        args = [LIFTCOMP, "lift", str(kernel), "--proposer", "llm", "--strategy", "llm-only", "--llm-model", "scripted-loopback",
                "--llm-cache", "replay", "--llm-cache-dir", str(cache), "--report", str(report), "-q"]  # fmt: skip
    else:
        options = (f'proposer=llm strategy=llm-only llm-model=scripted-loopback llm-cache=replay '
                   f'llm-cache-dir="{cache}" report="{report}"')  # fmt: skip
        args = [
            str(Path(sys.executable).parent / "xdsl-opt"),
            str(kernel),
            "-p",
            f"liftcomp-raise{{{options}}}",
        ]
    out = subprocess.run(args, env=clean_env(tmp_path), capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr.decode()
    [entry] = json.loads(report.read_text())["functions"]
    assert (entry["status"], entry["proposer"]) == ("lifted", "llm"), entry
