"""The C versions of corpus kernels (test/corpus/<suite>/<kernel>.c/.cc) against their MLIR versions.

For each C kernel: it is translated by the C frontend and lifted; the lifted program is proved
equal (z3, for all sizes) to the loops of the corpus' MLIR version and the MLIR version's lifted
program to the C version's loops; both versions run in the reference executor on the same random
inputs; and the C source itself, compiled with gcc/g++ (one harness for all kernels), gives the
same outputs. Used by test/python/test_c_corpus.py and tools/c_corpus_check.py.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from liftcomp.diagnostics import LiftcompError

# libm and numpy may round these differently by a few ulps.
INEXACT_CALLS = ("exp", "log", "tanh", "pow", "sin", "cos", "erf")


@dataclass
class CKernel:
    path: Path
    name: str
    spec: Any  # corpus KernelSpec of the MLIR version
    program: Any = None  # CProgram
    c_module: Any = None
    mlir_module: Any = None
    inputs: list[dict[str, Any]] = field(default_factory=list)  # per seed, by argument name
    executor_out: list[dict[str, Any]] = field(default_factory=list)  # per seed: C version in the executor
    problems: list[str] = field(default_factory=list)
    proofs: list[str] = field(default_factory=list)
    gcc_compared: int = 0  # outputs compared with the compiled C

    @property
    def inexact(self) -> bool:
        text = self.path.read_text()
        return any(f"{f}f(" in text or f"{f}(" in text for f in INEXACT_CALLS)


def c_kernels(root: Path | None = None) -> list[CKernel]:
    from liftcomp.corpus import default_root, load_corpus

    root = root or default_root()
    specs = {k.name: k for k in load_corpus(root)}
    out: list[CKernel] = []
    for p in sorted([*root.glob("*/*.c"), *root.glob("*/*.cc")]):
        if p.stem not in specs:
            raise LiftcompError(f"{p}: no corpus kernel named '{p.stem}' for this C version")
        out.append(CKernel(p, p.stem, specs[p.stem]))
    return out


def lift_and_prove(k: CKernel) -> None:
    """Translate, lift both versions, and prove each lifted program against the other's loops."""
    from liftcomp.corpus.check import find_func
    from liftcomp.frontends import read_mlir
    from liftcomp.frontends.c import read_c, translate_c
    from liftcomp.lift import tensorspec as TS
    from liftcomp.lift.analysis import analyse
    from liftcomp.lift.liftcomp_raise import raise_module
    from liftcomp.lift.raising import RaiseOptions
    from liftcomp.lift.verify import decls_of, prove

    k.program = translate_c(k.path)
    c_src = read_c(k.path, k.program)
    m_src = read_mlir(k.spec.mlir_path)
    k.c_module, k.mlir_module = c_src.module.clone(), m_src.module.clone()
    lifted = {}
    for side, src in (("C", c_src), ("MLIR", m_src)):
        _, reports = raise_module(src.module, RaiseOptions(require="proved"), src.arg_names)
        r = next(r for r in reports if r.name == k.name)
        if r.status != "lifted" or r.program is None:
            k.problems.append(f"{side} version not lifted: {r.reason}")
            return
        lifted[side] = r.program
    for loops_side, module, names, prog_side in (("MLIR", k.mlir_module, m_src.arg_names, "C"), ("C", k.c_module, c_src.arg_names, "MLIR")):
        summary = analyse(find_func(module, k.name), names.get(k.name))
        try:
            prog = TS.parse_program(lifted[prog_side], decls_of(summary))
        except TS.SpecError as e:
            k.problems.append(f"the {prog_side} version's program does not fit the {loops_side} version's arguments: {e.message}")
            continue
        v = prove(summary, prog)
        if v.level != "proved":
            k.problems.append(f"the {prog_side} version's program is not proved equal to the {loops_side} loops: {v.reason}")
        else:
            k.proofs.append(f"{prog_side} program == {loops_side} loops")


def run_executor(k: CKernel, seeds: range = range(2)) -> None:
    """Both versions in the reference executor on the same random inputs (by argument name)."""
    from liftcomp.corpus.check import find_func, make_inputs, values_equal
    from liftcomp.executor import Interpreter

    m_fn = find_func(k.mlir_module, k.name)
    m_names = [a.name for a in k.spec.args]
    c_names = k.program.arg_names[k.name]
    if sorted(m_names) != sorted(c_names):
        k.problems.append(f"argument names differ: C {c_names}, MLIR {m_names}")
        return
    for seed in seeds:
        args = make_inputs(k.spec, m_fn, k.spec.sizes, np.random.default_rng(seed), edge=seed % 2 == 1)
        by_name = dict(zip(m_names, args, strict=True))
        k.inputs.append({n: (v.copy() if isinstance(v, np.ndarray) else v) for n, v in by_name.items()})
        m_args = [_copy(by_name[n]) for n in m_names]
        c_args = [_copy(by_name[n]) for n in c_names]
        with np.errstate(all="ignore"):
            m_ret = Interpreter(k.mlir_module).call(k.name, m_args)
            c_ret = Interpreter(k.c_module).call(k.name, c_args)
        c_out = dict(zip(c_names, c_args, strict=True))
        m_out = dict(zip(m_names, m_args, strict=True))
        k.executor_out.append({**c_out, "return": c_ret[0] if c_ret else None})
        for n in m_names:
            if isinstance(m_out[n], np.ndarray) and not values_equal(m_out[n], c_out[n], rtol=1e-6, atol=0):
                k.problems.append(f"seed {seed}: executor: '{n}' differs between the C and MLIR versions")
        if len(m_ret) != len(c_ret) or any(not values_equal(a, b, rtol=1e-6, atol=0) for a, b in zip(m_ret, c_ret, strict=False)):
            k.problems.append(f"seed {seed}: executor: results differ: C {c_ret}, MLIR {m_ret}")


def _copy(v: Any) -> Any:
    return v.copy() if isinstance(v, np.ndarray) else v


# ---------------------------------------------------------------- gcc


def _c_literal(v: Any, ctype: str) -> str:
    if ctype in ("float", "double"):
        return f"({ctype}){float(v).hex()}"
    return f"({ctype}){int(v)}{'ULL' if ctype.startswith('u') else 'LL'}"


def _harness(kernels: list[CKernel], cxx: bool) -> str:
    """One program calling every kernel on every seed's inputs; it prints outputs as hex bytes."""
    lines = ["#include <stdio.h>", "#include <stdint.h>", "#include <stdbool.h>"]
    if cxx:
        lines += ["#include <vector>", "#include <cstring>"]
    else:
        lines += ["#include <string.h>"]
    for path in dict.fromkeys(k.path.resolve() for k in kernels):
        lines.append(f'#include "{path}"')
    lines += ["static void dump(const char *tag, const void *p, size_t n) {",
              '  const unsigned char *b = (const unsigned char *)p; printf("%s ", tag);',
              '  for (size_t i = 0; i < n; i++) printf("%02x", b[i]); printf("\\n"); }',
              "int main(void) {"]
    for k in kernels:
        params = k.program.params[k.name]
        result = k.program.results[k.name]
        for s, inputs in enumerate(k.inputs):
            lines.append("  {")
            call_args: list[str] = []
            after: list[str] = []
            for i, p in enumerate(params):
                v = inputs[p.name]
                if p.kind == "scalar":
                    call_args.append(_c_literal(v, p.c_name))
                    continue
                arr = np.ascontiguousarray(v)
                data = ", ".join(str(b) for b in arr.tobytes())
                lines.append(f"    static unsigned char a{i}[{max(arr.nbytes, 1)}] __attribute__((aligned(16))) = {{{data}}};")
                tag = f"{k.name} {s} {p.name}"
                count = arr.size
                if p.kind == "array":
                    call_args.append(f"(void *)a{i}" if not cxx else f"({p.c_name} *)a{i}")
                    after.append(f'    dump("{tag}", a{i}, {arr.nbytes});')
                elif p.kind == "vector":
                    lines.append(f"    std::vector<{p.c_name}> v{i}(({p.c_name} *)a{i}, ({p.c_name} *)a{i} + {count});")
                    call_args.append(f"v{i}")
                    after.append(f'    std::memcpy(a{i}, v{i}.data_ptr(), {arr.nbytes}); dump("{tag}", a{i}, {arr.nbytes});'.replace(".data_ptr()", ".data()"))
                else:  # the returned vector
                    after.append(f'    if (r.size() != {count}) printf("{tag} length %zu\\n", r.size()); else dump("{tag}", r.data(), {arr.nbytes});')
            call = f"{k.name}({', '.join(call_args)})"
            if result is not None:
                ctype = "double" if result.kind == "float" and result.width == 64 else ("float" if result.kind == "float" else "long long")
                lines.append(f"    {ctype} r = ({ctype}){call};")
                lines.append(f'    dump("{k.name} {s} return", &r, sizeof r);')
            elif any(p.kind == "out_vector" for p in params):
                lines.append(f"    auto r = {call};")
            else:
                lines.append(f"    {call};")
            lines += after
            lines.append("  }")
    lines += ["  return 0;", "}"]
    return "\n".join(lines) + "\n"


def run_gcc(kernels: list[CKernel]) -> None:
    """Compile every kernel's C/C++ source with one gcc and one g++ harness and compare with the executor."""
    ready = [k for k in kernels if not k.problems and k.inputs]
    for cxx in (False, True):
        group = [k for k in ready if (k.path.suffix == ".cc") == cxx]
        if not group:
            continue
        compiler = shutil.which("g++" if cxx else "gcc")
        if compiler is None:
            raise LiftcompError("g++ not found" if cxx else "gcc not found")
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / ("h.cc" if cxx else "h.c")
            src.write_text(_harness(group, cxx))
            flags = ["-O2", "-fwrapv", "-ffp-contract=off", "-w"] + (["-std=c++17"] if cxx else ["-std=c11"])
            proc = subprocess.run([compiler, *flags, "-o", str(Path(tmp) / "h"), str(src), "-lm"], capture_output=True, text=True, timeout=120)
            if proc.returncode != 0:
                for k in group:
                    k.problems.append(f"{Path(compiler).name} failed: {proc.stderr[-1500:]}")
                continue
            run = subprocess.run([str(Path(tmp) / "h")], capture_output=True, text=True, timeout=60)
        got: dict[tuple[str, int, str], str] = {}
        for line in run.stdout.splitlines():
            name, seed, arg, data = line.split(" ", 3)
            got[(name, int(seed), arg)] = data
        for k in group:
            _compare_gcc(k, got)


def _compare_gcc(k: CKernel, got: dict[tuple[str, int, str], str]) -> None:
    for s, expected in enumerate(k.executor_out):
        for name, e in expected.items():
            if name != "return" and not isinstance(e, np.ndarray):
                continue
            if name == "return":
                if e is None:
                    continue
                res = k.program.results[k.name]
                dt = np.dtype(np.float64 if res.kind == "float" and res.width == 64 else np.float32 if res.kind == "float" else np.int64)
                e = np.asarray(e).astype(dt) if res.kind == "float" else np.asarray(int(e), dtype=np.int64)
            data = got.get((k.name, s, name))
            if data is None:
                k.problems.append(f"seed {s}: gcc run printed no '{name}'")
                continue
            if " " in data:
                k.problems.append(f"seed {s}: gcc run: '{name}' has the wrong {data}")
                continue
            g = np.frombuffer(bytes.fromhex(data), dtype=e.dtype).reshape(np.shape(e))
            if e.dtype.kind == "f" and k.inexact:
                eps = float(np.finfo(np.float32 if e.dtype == np.float32 else np.float64).eps)
                ok = np.allclose(g, e, rtol=64 * eps, atol=0, equal_nan=True)
            else:
                ok = np.array_equal(g, e, equal_nan=e.dtype.kind == "f")
            k.gcc_compared += 1
            if not ok:
                k.problems.append(f"seed {s}: gcc and the executor differ on '{name}': {g.ravel()[:6]} vs {np.ravel(e)[:6]}")
