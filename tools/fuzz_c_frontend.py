#!/usr/bin/env python3
"""Differential fuzzing of the C frontend's arithmetic: random expressions over mixed C types
(all integer widths and signedness, float, double; casts, promotions, compares, division,
shifts, ?:, !, ~, &&), each in a loop kernel, run in the reference executor after translation and
compiled by gcc (-fwrapv -ffp-contract=off) on random inputs; any byte of difference is reported.

    .venv/bin/python tools/fuzz_c_frontend.py [--seeds 5] [--kernels 40]

Undefined behaviour is avoided by construction where it is easy (divisors made non-zero, shift
amounts masked); a float-to-int conversion out of range is skipped (poison in the executor).
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np
from liftcomp.diagnostics import LiftcompError
from liftcomp.executor import Interpreter
from liftcomp.frontends.c import read_c, translate_c
from liftcomp.testing.c_corpus import CKernel, run_gcc

TYPES = ["uint8_t", "int8_t", "int16_t", "uint16_t", "int32_t", "uint32_t", "int64_t", "uint64_t", "float", "double"]
INTS = TYPES[:8]
LEAVES = ["a[i]", "b[i]", "c[i]", "i", "s"]
CONSTS = ["0", "1", "2", "7", "100", "255", "256", "65535", "-1", "-128", "2147483647", "3u", "255u", "9L",
          "0.5f", "1.5", "-2.25f", "3.0"]


def expr(rng: random.Random, depth: int) -> str:
    if depth == 0 or rng.random() < 0.25:
        return rng.choice(LEAVES) if rng.random() < 0.6 else rng.choice(CONSTS)
    op = rng.choice(["+", "-", "*", "/", "%", "<", ">=", "==", "&", "|", "^", ">>", "<<", "?:", "cast", "neg", "!", "~", "&&"])
    a, b = expr(rng, depth - 1), expr(rng, depth - 1)
    if op == "?:":
        return f"(({a}) ? ({b}) : ({expr(rng, depth - 1)}))"
    if op == "cast":
        return f"(({rng.choice(TYPES)})({a}))"
    if op == "neg":
        return f"(-({a}))"
    if op == "!":
        return f"(!({a}))"
    if op == "~":
        return f"(~(int)({a}))"
    if op == "%":
        return f"((long)({a}) % ((long)(({rng.choice(INTS)})({b})) | 1))"
    if op == "/":
        return f"(({a}) / ((({b}) != 0) ? ({b}) : 3))"
    if op in ("<<", ">>"):
        return f"((int)({a}) {op} ((int)({b}) & 7))"
    if op in ("&", "|", "^"):
        return f"((long)({a}) {op} (long)({b}))"
    return f"(({a}) {op} ({b}))"


def source(rng: random.Random, count: int) -> str:
    out = ["#include <stdint.h>"]
    for i in range(count):
        ta, tb, tc, to = (rng.choice(TYPES) for _ in range(4))
        out.append(f"void k{i}(const {ta} *a, const {tb} *b, const {tc} *c, {to} *o, int s, int n) {{\n"
                   f"  for (int i = 0; i < n; i++) o[i] = ({to})({expr(rng, 3)});\n}}")
    return "\n".join(out) + "\n"


def run(seed: int, count: int, tmp: Path) -> tuple[int, int, list[str]]:
    path = tmp / f"fuzz{seed}.c"
    path.write_text(source(random.Random(seed), count))
    prog = translate_c(path)
    module = read_c(path, prog).module
    rng = np.random.default_rng(seed)
    kernels: list[CKernel] = []
    skipped = 0
    for name, params in prog.params.items():
        k = CKernel(path, name, None, program=prog)
        inputs: dict[str, object] = {}
        for p in params:
            if p.kind == "scalar":
                inputs[p.name] = 9 if p.name == "n" else int(rng.integers(-5, 5))
                continue
            t = p.ctype
            dt = np.dtype({"float": np.float32, "double": np.float64}.get(str(t)) or f"{'i' if t.signed else 'u'}{t.width // 8}")
            if dt.kind == "f":
                inputs[p.name] = (rng.standard_normal(9) * 100).astype(dt)
            else:
                info = np.iinfo(dt)
                inputs[p.name] = rng.integers(info.min, info.max, 9, dtype=dt, endpoint=True)
        k.inputs.append({a: (v.copy() if isinstance(v, np.ndarray) else v) for a, v in inputs.items()})
        args = [inputs[p.name] for p in params]
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                Interpreter(module).call(name, args)
        except LiftcompError:
            skipped += 1  # poison (an out-of-range float-to-int conversion): undefined in C too
            continue
        k.executor_out.append({p.name: a for p, a in zip(params, args, strict=True)})
        kernels.append(k)
    run_gcc(kernels)
    unchecked = [k.name for k in kernels if not k.problems and k.gcc_compared == 0]
    if unchecked:
        raise SystemExit(f"gcc outputs missing for {unchecked}")
    return len(kernels), skipped, [f"{path}: {k.name}: {k.problems[0]}" for k in kernels if k.problems]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--kernels", type=int, default=40, help="kernels per seed")
    ns = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="liftcomp-fuzz-"))
    total, skipped, problems = 0, 0, []
    for seed in range(ns.seeds):
        n, s, bad = run(seed, ns.kernels, tmp)
        total, skipped, problems = total + n, skipped + s, problems + bad
    for p in problems:
        print(p)
    print(f"{total} kernels equal to gcc on random inputs, {len(problems)} differ, {skipped} skipped (poison); sources in {tmp}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
