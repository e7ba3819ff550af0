#!/usr/bin/env python3
"""Run every corpus and example file through mlir-opt-22 with the liftcomp plugin and compare each
function's outcome with `liftcomp lift`'s (issue 13: the plugin never crashes mlir-opt, and gives the
same result as the CLI).

    .venv/bin/python tools/plugin_sweep.py [-j JOBS] [FILE_OR_DIR ...]   (default: test/corpus examples)

Per file, as a user would run them (separate processes):
  liftcomp lift FILE -q -o A.mlir --report A.json
  mlir-opt-22 --load-pass-plugin=$(liftcomp plugin-path) \\
      --pass-pipeline='builtin.module(liftcomp-raise{report="B.json"})' FILE.mlir -o B.mlir
C, C++ and Python files go to the plugin as the MLIR their frontend makes (what `liftcomp lift` lifts).
Compared: the exit statuses (a signal or an exit status other than 0/1 is a crash), each function's
report entry (status, proof, program, scope, reason, nests; not timings), and the raised IR once both
are printed by mlir-opt-22 (SSA names and formatting normalised). Exit status 1 if anything differs.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_INPUTS = (ROOT / "test" / "corpus", ROOT / "examples")
SUFFIXES = {".mlir", ".c", ".cc", ".cpp", ".cxx", ".py"}
# Fields of a report entry that must agree; timings and the float-model blurb need not.
COMPARED = ("name", "status", "proof", "program", "scope", "reason")
NEST_COMPARED = ("status", "proof", "program", "reason")


@dataclass
class Outcome:
    path: Path
    kind: str  # "same", "different", "crash", "skipped"
    detail: str = ""
    functions: int = 0
    seconds: float = 0.0


def mlir_opt() -> str:
    found = shutil.which("mlir-opt-22") or "/usr/lib/llvm-22/bin/mlir-opt"
    if not Path(found).exists():
        sys.exit("plugin_sweep: mlir-opt-22 not found")
    return found


def liftcomp_bin() -> str:
    here = Path(sys.executable).parent / "liftcomp"
    return str(here) if here.exists() else "liftcomp"


def collect(inputs: list[Path]) -> list[Path]:
    files: list[Path] = []
    for item in inputs:
        candidates = sorted(item.rglob("*")) if item.is_dir() else [item]
        files += [f for f in candidates if f.is_file() and f.suffix in SUFFIXES]
    return files


def as_mlir(path: Path, tmp: Path) -> Path | None:
    if path.suffix == ".mlir":
        return path
    from liftcomp.frontends import translate_to_mlir

    text = translate_to_mlir(path)
    if text is None:
        return None
    out = tmp / (path.stem + ".mlir")
    out.write_text(text)
    return out


def entries(report: Path) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for fn in json.loads(report.read_text())["functions"]:
        entry = {k: fn.get(k) for k in COMPARED}
        entry["nests"] = [{k: n.get(k) for k in NEST_COMPARED} for n in fn.get("nests") or []]
        result.append(entry)
    return result


def positional_names(entry: dict[str, Any], mlir: str) -> dict[str, Any]:
    """`entry` with its function's argument names spelled arg0, arg1, ... in program texts."""
    signature = re.search(rf"func\.func @{re.escape(entry['name'])}\((.*?)\)\s*(->|{{|attributes)", mlir)
    if signature is None:
        return entry
    names = re.findall(r"%([\w$.]+)\s*:", signature.group(1))
    if not names:
        return entry
    pattern = re.compile(r"\b(" + "|".join(re.escape(n) for n in names) + r")\b")
    renamed = {n: f"arg{i}" for i, n in enumerate(names)}

    def rename(text: Any) -> Any:
        return pattern.sub(lambda m: renamed[m.group(1)], text) if isinstance(text, str) else text

    nests = [{k: rename(v) if k == "program" else v for k, v in n.items()} for n in entry["nests"]]
    return entry | {"program": rename(entry["program"]), "nests": nests}


def crashed(rc: int) -> bool:
    return rc not in (0, 1)


def sweep_one(path: Path, plugin: str, opt: str, timeout: float) -> Outcome:
    start = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="plugin-sweep-") as name:
        tmp = Path(name)
        a_ir, a_rep, b_ir, b_rep = tmp / "a.mlir", tmp / "a.json", tmp / "b.mlir", tmp / "b.json"
        lift = subprocess.run(
            [liftcomp_bin(), "lift", str(path), "-q", "-o", str(a_ir), "--report", str(a_rep)],
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        try:
            source = as_mlir(path, tmp)
        except Exception as e:  # a frontend refusal: the CLI must refuse it too
            if lift.returncode == 1:
                return Outcome(path, "same", "both refuse (frontend)")
            return Outcome(path, "different", f"frontend refuses, lift exit {lift.returncode}: {e}")
        if source is None:
            return Outcome(path, "skipped", "no functions")
        pipeline = f'builtin.module(liftcomp-raise{{report="{b_rep}"}})'
        raise_ = subprocess.run(
            [opt, f"--load-pass-plugin={plugin}", f"--pass-pipeline={pipeline}", str(source), "-o", str(b_ir)],
            capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        seconds = time.monotonic() - start
        if crashed(raise_.returncode) or "Traceback" in raise_.stderr:
            return Outcome(path, "crash", f"mlir-opt exit {raise_.returncode}: {raise_.stderr[-500:]}")
        if crashed(lift.returncode) or "Traceback" in lift.stderr:
            return Outcome(path, "crash", f"liftcomp lift exit {lift.returncode}: {lift.stderr[-500:]}")
        if lift.returncode != raise_.returncode:
            detail = f"exit {lift.returncode} (lift) vs {raise_.returncode} (plugin): {raise_.stderr[-300:]}"
            return Outcome(path, "different", detail, seconds=seconds)
        if lift.returncode != 0:
            return Outcome(path, "same", "both failed", seconds=seconds)
        a, b = entries(a_rep), entries(b_rep)
        note = ""
        if source != path and a != b:
            # mlir-opt keeps no SSA names; the plugin finds the user's names by reading the file a
            # location names, here the C/Python source through its frontend. Where it cannot,
            # it says arg0, arg1, ...
            a = [positional_names(e, source.read_text()) for e in a]
            note = "argument names: arg0, ... (frontend MLIR)" if a == b else ""
        if a != b:
            diff = [(x, y) for x, y in zip(a, b, strict=False) if x != y] or [(len(a), len(b))]
            return Outcome(path, "different", f"report: {diff[0]}", len(a), seconds)
        printed = subprocess.run([opt, str(a_ir)], capture_output=True, text=True, timeout=timeout)
        if printed.returncode != 0 or printed.stdout != b_ir.read_text():
            return Outcome(path, "different", f"raised IR differs {printed.stderr[-300:]}", len(a), seconds)
        return Outcome(path, "same", note, len(a), seconds)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="*", type=Path, help="files or directories (default: test/corpus examples)")
    parser.add_argument("-j", "--jobs", type=int, default=1, help="files in parallel (default: 1)")
    parser.add_argument("--timeout", type=float, default=600, help="seconds per process (default: 600)")
    args = parser.parse_args(argv)
    files = collect(args.inputs or list(DEFAULT_INPUTS))
    plugin = subprocess.run([liftcomp_bin(), "plugin-path"], capture_output=True, text=True, check=True).stdout.strip()
    opt = mlir_opt()
    start = time.monotonic()
    with ThreadPoolExecutor(max(1, args.jobs)) as pool:
        outcomes = list(pool.map(lambda f: sweep_one(f, plugin, opt, args.timeout), files))
    counts = {k: sum(o.kind == k for o in outcomes) for k in ("same", "different", "crash", "skipped")}
    for o in outcomes:
        if o.kind != "same" or o.detail:
            print(f"{o.kind:9} {o.path.relative_to(ROOT) if o.path.is_relative_to(ROOT) else o.path}: {o.detail}")
    functions = sum(o.functions for o in outcomes)
    print(
        f"{len(files)} files ({functions} functions compared): {counts['same']} same, "
        f"{counts['different']} different, {counts['crash']} crashes, {counts['skipped']} skipped "
        f"in {time.monotonic() - start:.0f} s"
    )
    return 0 if counts["different"] == counts["crash"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
