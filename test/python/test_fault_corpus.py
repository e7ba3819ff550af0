"""The fault corpus (issue 13): malformed and unsupported inputs, bad options, unwritable outputs
and hostile LLM replies through every entry point. Each run must end without a crash, a
traceback or an internal error (exit 0, 1, or 2 for usage), write nothing when it fails, and
finish within its time bound.

`liftcomp` and `liftcomp-opt` cases run in-process through their `main` (the same code a process
runs, exit status included); what only a process shows (a crash in mlir-opt-22 with the plugin,
xdsl-opt's excepthook) runs as subprocesses, a few cases each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from liftcomp.cli import main as liftcomp_main
from liftcomp.llm.testing import LoopbackLLMServer, Reply, Trickle
from liftcomp.tools.liftcomp_opt import main as liftcomp_opt_main

HERE = Path(__file__).resolve().parent
FAULTS = HERE / "Inputs" / "faults"
REPO = HERE.parents[1]
PLUGIN = REPO / "build" / "passes" / "LiftcompPlugin.so"
BIN = Path(sys.executable).parent
U8_SUM = next((REPO / "test" / "corpus").glob("*/u8_sum_i32.mlir"))


def generated(tmp: Path) -> dict[str, Path]:
    """The large cases, written at test time rather than committed."""
    out: dict[str, Path] = {}
    out["huge_constant"] = tmp / "huge_constant.mlir"
    out["huge_constant"].write_text("func.func @f() -> i64 {\n  %c = arith.constant " + "9" * 200_000 + " : i64\n"
                                    "  return %c : i64\n}\n")
    lines = ["func.func @chain(%a: memref<?xf32>, %b: memref<?xf32>) {", "  %c0 = arith.constant 0 : index",
             "  %c1 = arith.constant 1 : index", "  %n = memref.dim %a, %c0 : memref<?xf32>",
             "  scf.for %i = %c0 to %n step %c1 {", "    %x0 = memref.load %a[%i] : memref<?xf32>"]
    lines += [f"    %x{k} = arith.addf %x{k - 1}, %x0 : f32" for k in range(1, 1001)]
    lines += ["    memref.store %x1000, %b[%i] : memref<?xf32>", "  }", "  return", "}"]
    out["chain_1000"] = tmp / "chain_1000.mlir"
    out["chain_1000"].write_text("\n".join(lines) + "\n")
    out["loop_free"] = tmp / "loop_free.mlir"  # issue 13: 1000 functions with nothing to lift took 44 s
    out["loop_free"].write_text("".join(f"func.func @f{k}(%x: f32) -> f32 {{\n  %y = arith.addf %x, %x : f32\n"
                                        f"  return %y : f32\n}}\n" for k in range(1000)))
    return out


def check(rc: int, err: str, elapsed: float, bound: float, outputs: list[Path], what: str) -> None:
    assert rc in (0, 1, 2), f"{what}: exit status {rc}\n{err[-2000:]}"
    assert "Traceback" not in err and "internal error" not in err, f"{what}:\n{err[-2000:]}"
    assert elapsed < bound, f"{what}: {elapsed:.1f} s (bound {bound} s)"
    if rc != 0:
        left = [p for p in outputs if p.exists()]
        assert not left, f"{what}: failed (exit {rc}) but wrote {left}"


def run_in_process(entry: str, args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, float]:
    start = time.monotonic()
    try:
        rc = liftcomp_main(args) if entry == "liftcomp" else liftcomp_opt_main(args)
    except SystemExit as e:  # argparse's usage errors
        rc = e.code if isinstance(e.code, int) else 1
    return rc, capsys.readouterr().err, time.monotonic() - start


def test_lift_and_liftcomp_opt_fault_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = generated(tmp_path)
    out, rep, adir = tmp_path / "out.mlir", tmp_path / "r.json", tmp_path / "adir"
    adir.mkdir()
    inputs = {p.stem: p for p in FAULTS.glob("*.mlir")} | big
    # (what, entry point, arguments, expected exit status, time bound in seconds)
    cases: list[tuple[str, str, list[str], int, float]] = []
    for name in ("dim_out_of_range", "multi_block", "i128", "chain_1000", "huge_step", "loop_free"):
        cases.append((f"lift {name}", "liftcomp", ["lift", "-q", str(inputs[name]), "-o", str(out), "--report", str(rep)], 0, 30))
    # A 64x96x128 static affine GEMM took 26 s where the dynamic-size one takes 1 s (lift/shrink.py).
    cases.append(("lift static GEMM", "liftcomp", ["lift", "-q", str(inputs["static_gemm_64x96x128"]), "-o", str(out)], 0, 30))
    for name in ("not_utf8", "huge_constant", "invalid_zip", "invalid_forward"):
        cases.append((f"lift {name}", "liftcomp", ["lift", "-q", str(inputs[name]), "-o", str(out), "--report", str(rep)], 1, 10))
        cases.append((f"liftcomp-opt {name}", "liftcomp-opt", [str(inputs[name]), "-p", "liftcomp-raise", "-o", str(out)], 1, 10))
    # compile on the same inputs: what it cannot run is a located diagnostic (exit 1), never exit 70.
    for name, expected in (("dim_out_of_range", 1), ("multi_block", 1), ("i128", 1), ("chain_1000", 0), ("huge_step", 0),
                           ("not_utf8", 1), ("huge_constant", 1), ("invalid_zip", 1), ("invalid_forward", 1)):
        cases.append((f"compile {name}", "liftcomp", ["compile", str(inputs[name]), "-o", str(tmp_path / "cdir")], expected, 30))
    # ... on every target (the reference's random inputs for i128 were exit 70 on nki and cuda).
    for target in ("nki", "cuda"):
        for name in ("dim_out_of_range", "multi_block", "i128", "huge_constant"):
            cases.append((f"compile --target {target} {name}", "liftcomp",
                          ["compile", str(inputs[name]), "--target", target, "-o", str(tmp_path / "cdir")], 1, 30))
    for name in ("dim_out_of_range", "multi_block", "i128"):
        cases.append((f"liftcomp-opt {name}", "liftcomp-opt", [str(inputs[name]), "-p", "liftcomp-raise{strict=true}", "-o", str(out)], 1, 30))
    # A 20-deep nest of 2-trip loops: --kernel-timeout bounds it (reported as a timeout), the
    # retries nest by nest included (2 s took 8.9 s, 10 s took 33.5 s).
    cases.append(("lift deep nest", "liftcomp", ["lift", "-q", str(inputs["deep_nest_20"]), "--kernel-timeout", "2", "-o", str(out)], 0, 5))
    u8 = str(U8_SUM)
    for bad in (["-o", str(tmp_path / "nodir" / "x")], ["-o", str(adir)], ["-o", "/dev/full"],
                ["--report", str(tmp_path / "nodir" / "r.json")], ["-o", str(out), "--report", str(adir)]):
        cases.append((f"lift {' '.join(bad)}", "liftcomp", ["lift", "-q", u8, *bad], 1, 10))
    for bad in ([str(tmp_path / "nodir" / "x")], [str(adir)], ["/dev/full"]):
        cases.append((f"liftcomp-opt -o {bad[0]}", "liftcomp-opt", [u8, "-p", "liftcomp-raise", "-o", *bad], 1, 10))
    for bad in (["--bound", "0"], ["--bound", "-1"], ["--query-timeout-ms", "0"], ["--jit-scale", "0"],
                ["--kernel-timeout", "nan"], ["--kernel-timeout", "0"], ["--llm-timeout", "0"], ["--llm-samples", "0"]):
        cases.append((f"lift {' '.join(bad)}", "liftcomp", ["lift", "-q", u8, "-o", str(out), *bad], 2, 10))
    for bad in (["--budget", "-1", "--search", "beam"], ["--dram-latency", "-1"], ["--dyn-size", "0"], ["--dyn-size", "-5"],
                ["--seed", "-1"]):
        cases.append((f"compile {' '.join(bad)}", "liftcomp", ["compile", u8, "-o", str(tmp_path / "cdir"), *bad], 2, 10))
    afile = tmp_path / "afile"
    afile.write_text("")
    cases.append(("compile -o a file", "liftcomp", ["compile", u8, "-o", str(afile)], 1, 10))
    cases.append(("compile -o an unwritable path", "liftcomp", ["compile", u8, "-o", "/dev/full/out"], 1, 10))
    cases.append(("compile huge shape", "liftcomp", ["compile", str(inputs["huge_static_shape"]), "-o", str(tmp_path / "hdir")], 1, 20))
    for what, entry, args, expected, bound in cases:
        for p in (out, rep):
            p.unlink(missing_ok=True)
        shutil.rmtree(tmp_path / "cdir", ignore_errors=True)  # a compile that succeeded wrote it
        rc, err, elapsed = run_in_process(entry, args, capsys)
        check(rc, err, elapsed, bound, [out, rep, tmp_path / "nodir", tmp_path / "cdir", tmp_path / "hdir"], what)
        assert rc == expected, f"{what}: exit {rc}, expected {expected}\n{err[-1500:]}"
        if rc == 1:
            assert "error:" in err, f"{what}: no diagnostic\n{err}"
    assert afile.read_text() == ""


def test_located_diagnostics_for_unsupported_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    rc, err, _ = run_in_process("liftcomp", ["lift", "-q", str(FAULTS / "not_utf8.mlir")], capsys)
    assert rc == 1 and "not_utf8.mlir:1:7: error: the input is not UTF-8 text" in err
    # The C and Python frontends too, through lift and compile (nothing written). Written here: ruff
    # refuses a committed .py that is not UTF-8.
    (tmp_path / "not_utf8.c").write_bytes(b"// caf\xe9 \xff\xfe\nvoid zero(float *a, int n) {\n"
                                          b"  for (int i = 0; i < n; i++) a[i] = 0;\n}\n")
    (tmp_path / "not_utf8.py").write_bytes(b"def zero(a: f32[n]):\n    # caf\xe9 \xff\xfe\n"
                                           b"    for i in range(n):\n        a[i] = 0.0\n")
    for source, where in (("not_utf8.c", "not_utf8.c:1:7:"), ("not_utf8.py", "not_utf8.py:2:10:")):
        for args in (["lift", "-q", "-o", str(tmp_path / "o.mlir")], ["compile", "-o", str(tmp_path / "cdir")]):
            rc, err, _ = run_in_process("liftcomp", [*args, str(tmp_path / source)], capsys)
            assert rc == 1 and f"{where} error: the input is not UTF-8 text" in err, (source, args, err[-1500:])
            assert "Traceback" not in err and "internal error" not in err
            assert not (tmp_path / "o.mlir").exists() and not (tmp_path / "cdir").exists()
    rep = tmp_path / "r.json"
    rc, err, _ = run_in_process("liftcomp", ["lift", "-q", str(FAULTS / "dim_out_of_range.mlir"), "--report", str(rep), "--strict"], capsys)
    assert rc == 1 and "dim_out_of_range.mlir:6:8" in err and "memref.dim index 3 out of range" in err
    assert not rep.exists()


def test_hostile_llm_reply_falls_back_to_the_builtin_proposer(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    huge = "```python\nreturn np.sum(np.zeros((100000, 100000, 1000)), dtype=np.int32)\n```"
    rep = tmp_path / "r.json"
    with LoopbackLLMServer() as server:
        server.script(*[Reply([huge] * 4)] * 3)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        rc, err, elapsed = run_in_process("liftcomp", ["lift", "-q", str(U8_SUM), "--proposer", "llm", "--strategy", "llm-first",
                                                       "--llm-model", "m", "--llm-cache", "off", "--report", str(rep)], capsys)
        assert server.requests
    check(rc, err, elapsed, 60, [], "hostile LLM reply")
    import json

    [entry] = json.loads(rep.read_text())["functions"]
    assert (rc, entry["status"], entry["proposer"]) == (0, "lifted", "symbolic")


def test_a_cpu_heavy_llm_reply_leaves_time_to_the_builtin_proposer(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    # A reply whose evaluation is a 3000x3000 float matmul burned the whole --kernel-timeout (36 s
    # for 20, then "unchanged"): it is refused from its shapes before numpy runs it, and each
    # reply is checked within a slice of the time left, so the built-in proposer still lifts.
    heavy = ("```python\nreturn np.sum(np.ones((3000, 3000), dtype=np.float32) @ np.ones((3000, 3000), dtype=np.float32), "
             "dtype=np.int32)\n```")
    rep = tmp_path / "r.json"
    with LoopbackLLMServer() as server:
        server.script(*[Reply([heavy] * 4)] * 3)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        rc, err, elapsed = run_in_process("liftcomp", ["lift", "-q", str(U8_SUM), "--proposer", "llm", "--strategy", "llm-first",
                                                       "--llm-model", "m", "--llm-cache", "off", "--kernel-timeout", "20",
                                                       "--report", str(rep)], capsys)
        assert server.requests
    check(rc, err, elapsed, 10, [], "CPU-heavy LLM reply")
    import json

    [entry] = json.loads(rep.read_text())["functions"]
    assert (rc, entry["status"], entry["proposer"]) == (0, "lifted", "symbolic")


def test_a_reply_slow_to_check_gets_only_its_slice_of_the_kernel_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # What the shape check cannot see (a slow proof, say): checking an LLM's reply stops at its
    # slice of the time left, and the built-in proposer lifts within --kernel-timeout.
    from liftcomp.lift import budget, raising

    real = raising.check_candidate
    stopped: list[float] = []

    def slow(module: Any, fn: Any, summary: Any, text: str, opts: Any, deadline: float) -> Any:
        start = time.monotonic()
        while "a.astype(np.int32), dtype" in text:  # the LLM's reply below, never the built-in proposer's
            wall = budget.current_wall_deadline()
            assert wall is not None
            try:
                wall.check("a slow check")
            except budget.SafetyTimeout:
                stopped.append(time.monotonic() - start)
                raise
            time.sleep(0.02)
        return real(module, fn, summary, text, opts, deadline)

    monkeypatch.setattr(raising, "check_candidate", slow)
    rep = tmp_path / "r.json"
    with LoopbackLLMServer() as server:
        server.script(*[Reply(["```python\nreturn np.sum(a.astype(np.int32), dtype=np.int32)\n```"] * 2)] * 3)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        rc, err, elapsed = run_in_process("liftcomp", ["lift", "-q", str(U8_SUM), "--proposer", "llm", "--strategy", "llm-first",
                                                       "--llm-model", "m", "--llm-cache", "off", "--kernel-timeout", "6",
                                                       "--report", str(rep)], capsys)
    check(rc, err, elapsed, 6 + 2, [], "LLM reply slow to check")
    import json

    [entry] = json.loads(rep.read_text())["functions"]
    assert (rc, entry["status"], entry["proposer"]) == (0, "lifted", "symbolic")
    # The replies ran into their slices: each at most a quarter of the LLM's half of the time left.
    assert stopped and all(t < 0.25 * 3 + 0.5 + 0.5 for t in stopped), stopped


def test_a_trickling_llm_server_is_bounded_by_the_llm_timeout(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # Issue 13: `--llm-timeout 3` let a server that sends one byte a second hold a request for 18 s.
    config = tmp_path / "llm.toml"
    config.write_text("[llm]\nmax_retries = 0\n")
    with LoopbackLLMServer() as server:
        server.script(*[Trickle(Reply(["return np.sum(x, dtype=np.int32)"]), 1.0)] * 4)
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "k")
        rc, err, elapsed = run_in_process("liftcomp", ["lift", "-q", str(U8_SUM), "--proposer", "llm", "--strategy", "llm-only",
                                                       "--llm-model", "m", "--llm-cache", "off", "--llm-config", str(config),
                                                       "--llm-timeout", "1", "-o", str(tmp_path / "o.mlir")], capsys)
        requests = len(server.requests)
    check(rc, err, elapsed, 3 + 2 * requests, [], "trickling LLM server")
    assert rc == 0 and requests >= 1


@pytest.mark.skipif(not PLUGIN.exists(), reason="the mlir-opt plugin is not built (tools/build-plugin.sh)")
def test_mlir_opt_plugin_and_xdsl_opt_never_crash(tmp_path: Path) -> None:
    mlir_opt = "mlir-opt-22" if subprocess.run(["which", "mlir-opt-22"], capture_output=True).returncode == 0 else "/usr/lib/llvm-22/bin/mlir-opt"
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    # The 7 corpus files that crashed (two z3 libraries in one process) and the hand-written faults.
    files = sorted((REPO / "test" / "corpus" / "extra_gemmini").glob("matmul_requant_*.mlir"))[:2]
    files += [REPO / "test" / "corpus" / "llama" / "transformer_part1.mlir"]
    files += [FAULTS / f"{n}.mlir" for n in ("huge_step", "dim_out_of_range", "multi_block", "i128")]
    for f in files:
        start = time.monotonic()
        p = subprocess.run([mlir_opt, f"--load-pass-plugin={PLUGIN}", "--pass-pipeline=builtin.module(liftcomp-raise{remarks=true})",
                            str(f), "-o", str(tmp_path / "o.mlir")], capture_output=True, text=True, env=env, timeout=120)
        check(p.returncode, p.stderr, time.monotonic() - start, 60, [tmp_path / "o.mlir"], f"mlir-opt {f.name}")
        assert p.returncode == 0 and "remark: liftcomp-raise" in p.stderr, p.stderr[-2000:]
    for name in ("invalid_forward", "not_utf8"):
        # xdsl-opt opens -o before it parses: the error hook removes the empty file again.
        p = subprocess.run([str(BIN / "xdsl-opt"), str(FAULTS / f"{name}.mlir"), "-p", "liftcomp-raise",
                            "-o", str(tmp_path / "x.mlir")], capture_output=True, text=True, env=env, timeout=60)
        check(p.returncode, p.stderr, 0, 1, [tmp_path / "x.mlir"], f"xdsl-opt {name}")
        assert p.returncode == 1 and "xdsl-opt: error:" in p.stderr
