#!/usr/bin/env python3
"""Run `liftcomp compile --target T` for every corpus and example file and every target, and sort
the outcomes (issue 13: a compile failure is a diagnostic, never an internal error or a traceback,
and never a wrong result).

    .venv/bin/python tools/compile_sweep.py [-j JOBS] [--target T ...] [FILE_OR_DIR ...]
                                            (default: test/corpus examples; gemmini nki cuda)

Each run is `liftcomp.cli.main(["compile", FILE, "--target", T, "-o", DIR])` in a worker process
(what the command runs, exit status included, without a process start per run) under a wall-clock
limit. Outcomes: ok (exit 0, every kernel correct or with no reference), refused (exit 1 with a
diagnostic), wrong (a kernel's result differs from the reference), internal (exit 70, an exception
or a traceback), crash (the worker died), timeout. Exit status 1 if any run is wrong, internal,
a crash or a timeout.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import multiprocessing
import os
import signal
import sys
import tempfile
import time
import traceback
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUTS = (ROOT / "test" / "corpus", ROOT / "examples")
SUFFIXES = {".mlir", ".c", ".cc", ".cpp", ".cxx", ".py"}
TARGETS = ("gemmini", "nki", "cuda")
BAD = ("wrong", "internal", "crash", "timeout")


@dataclass
class Outcome:
    path: str
    target: str
    kind: str
    detail: str
    seconds: float


class _Timeout(BaseException):  # not an Exception: the CLI's own handlers must not catch it
    pass


def _alarm(signum: int, frame: object) -> None:
    raise _Timeout


def collect(inputs: list[Path]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        candidates = sorted(item.rglob("*")) if item.is_dir() else [item]
        files += [f for f in candidates if f.is_file() and f.suffix in SUFFIXES]
    return files


def compile_one(job: tuple[str, str, float]) -> Outcome:
    path, target, timeout = job
    os.environ["LIFTCOMP_DEBUG"] = "1"  # an internal error raises: its traceback is the detail
    from liftcomp.cli import main

    out, err = io.StringIO(), io.StringIO()
    start = time.monotonic()
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, timeout)
    with tempfile.TemporaryDirectory(prefix="compile-sweep-") as tmp:
        outdir = Path(tmp) / "out"
        try:
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                rc = main(["compile", path, "--target", target, "-o", str(outdir)])
        except _Timeout:
            return Outcome(path, target, "timeout", f"over {timeout:.0f} s", time.monotonic() - start)
        except SystemExit as e:
            rc = e.code if isinstance(e.code, int) else 2
        except BaseException:
            signal.setitimer(signal.ITIMER_REAL, 0)
            return Outcome(path, target, "internal", traceback.format_exc(limit=-6), time.monotonic() - start)
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        seconds = time.monotonic() - start
        text = err.getvalue()
        report = outdir / "report.json"
        kernels = json.loads(report.read_text())["kernels"] if report.exists() else []
    if rc == 70 or "Traceback" in text or "internal error" in text:
        return Outcome(path, target, "internal", text[-1500:], seconds)
    wrong = [k["name"] for k in kernels if k.get("correct") is False]
    if wrong or "correct: False" in out.getvalue():
        return Outcome(path, target, "wrong", f"incorrect: {', '.join(wrong)} {text[-300:]}", seconds)
    if rc == 0:
        unchecked = [k["name"] for k in kernels if k.get("correct") is None]
        return Outcome(path, target, "ok", f"no reference for {', '.join(unchecked)}" if unchecked else "", seconds)
    if rc in (1, 2) and "error" in text:
        return Outcome(path, target, "refused", text.strip().splitlines()[-1][:300], seconds)
    return Outcome(path, target, "internal", f"exit {rc} without a diagnostic: {text[-500:]}", seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="files or directories (default: test/corpus examples)")
    parser.add_argument("--target", action="append", choices=TARGETS, help="target (repeatable; default: all three)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="runs in parallel (default: 1)")
    parser.add_argument("--timeout", type=float, default=300, help="wall-clock seconds per run (default: 300)")
    parser.add_argument("--json", type=Path, help="also write every outcome to this JSON file")
    args = parser.parse_args(argv)
    files = collect(args.inputs or list(DEFAULT_INPUTS))
    jobs = [(str(f), t, args.timeout) for f in files for t in args.target or TARGETS]
    start = time.monotonic()
    outcomes: list[Outcome] = []
    # A fresh worker per run: no state (caches, a timer) carries from one run to the next.
    with multiprocessing.get_context("fork").Pool(max(1, args.jobs), maxtasksperchild=1) as pool:
        pending = [(job, pool.apply_async(compile_one, (job,))) for job in jobs]
        for job, result in pending:
            try:
                o = result.get(timeout=job[2] + 120)
            except Exception as e:  # the worker died (a signal) or hung past its own alarm
                o = Outcome(job[0], job[1], "crash", f"{type(e).__name__}: {e}", 0.0)
            outcomes.append(o)
            rel = os.path.relpath(o.path, ROOT)
            if o.kind != "ok" or o.detail:
                print(f"{o.kind:8} {o.target:7} {rel}: {o.detail.strip()[-600:]}", flush=True)
    counts = {k: sum(o.kind == k for o in outcomes) for k in ("ok", "refused", *BAD)}
    print(f"{len(files)} files x {len(args.target or TARGETS)} targets = {len(outcomes)} runs: "
          + ", ".join(f"{n} {k}" for k, n in counts.items()) + f" in {time.monotonic() - start:.0f} s")
    if args.json:
        args.json.write_text(json.dumps([o.__dict__ for o in outcomes], indent=1) + "\n")
    return 1 if any(counts[k] for k in BAD) else 0


if __name__ == "__main__":
    sys.exit(main())
