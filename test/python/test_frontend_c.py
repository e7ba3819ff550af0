"""The C/C++ frontend: `liftcomp lift K.c`, C's conversions exactly (executor vs gcc on random
inputs, edge values included), and one-line refusals with file:line:col that write nothing."""

import shutil
from pathlib import Path

import numpy as np
import pytest
from liftcomp.cli import main
from liftcomp.executor import Interpreter
from liftcomp.frontends.c import read_c, translate_c
from liftcomp.testing.c_corpus import CKernel, run_gcc

# Every function exercises conversions a careless translation gets wrong; each is compared with
# the same source compiled by gcc on random inputs that include the types' extreme values.
SEMANTICS = r"""
#include <stdint.h>
#include <stdbool.h>
#include <math.h>

void promote(const uint8_t *a, const int8_t *b, uint8_t *o8, int16_t *o16, int n) {
  for (int i = 0; i < n; i++) {
    o8[i] = a[i] * 3 + b[i];             /* int arithmetic, truncated on store */
    o16[i] = (a[i] << 7) >> 2;           /* shifts after promotion */
  }
}
void compares(const int *a, const unsigned *u, int *o, int n) {
  for (int i = 0; i < n; i++)
    o[i] = (a[i] < u[i]) + 2 * (a[i] < 0) + 4 * (u[i] > 7u) + 8 * (-1 < (int)u[i]);  /* a[i] < u[i] compares unsigned */
}
void divmod(const int *a, const int *b, const unsigned *u, int *q, int *r, unsigned *uq, int n) {
  for (int i = 0; i < n; i++) {
    int d = b[i] == 0 || (a[i] == -2147483647 - 1 && b[i] == -1) ? 7 : b[i];
    q[i] = a[i] / d;                     /* toward zero */
    r[i] = a[i] % d;                     /* sign of the dividend */
    uq[i] = u[i] / (unsigned)(d | 1) % 1000u;
  }
}
void floats(const float *x, const double *y, const int *k, int *ti, uint8_t *tu, float *f, int n) {
  for (int i = 0; i < n; i++) {
    float s = x[i] * 2.5f + (float)k[i];
    ti[i] = (int)(s / 1024.0f);          /* truncation toward zero */
    tu[i] = (uint8_t)(fabsf(x[i]) > 200.0f ? 200.0f : fabsf(x[i]));
    f[i] = (float)(y[i] * 0.5) + sqrtf(fabsf(x[i])) + fmaxf(x[i], 0.0f) + rintf((float)(k[i] % 64) * 0.5f);  /* halves to even */
  }
}
int guarded(const int *a, int n, int limit) {
  int count = 0;
  int i = 0;
  while (i < n) {
    if (i + 1 < n && a[i + 1] > limit)  /* the load runs only when i + 1 < n */
      count += 2;
    else if (!(a[i] & 1))
      count++;
    i++;
  }
  return count;
}
static inline int clamp255(int v) { return v < 0 ? 0 : (v > 255 ? 255 : v); }
static float sq(float x) { float y = x * x; return y; }
void helpers(const uint8_t *a, const int8_t *b, uint8_t *o, float *f, int n) {
  for (int i = 0; i < n; i++) {           /* helpers are inlined, arguments converted */
    o[i] = clamp255(a[i] + 2 * b[i]);
    f[i] = sq(b[i]) + sq(0.5f * a[i]);
  }
}
void unsigned_size(const uint8_t *a, uint16_t *o, unsigned n) {
  for (unsigned i = 0; i < n; i++) o[i] = a[i] * 300u + i;   /* an unsigned size and counter */
}
void bytes(uint8_t *a, const uint8_t *b, int n) {
  for (int i = 0; i < n; i++) {
    a[i] += 200;                         /* wraps modulo 256 */
    a[i] = ~a[i] ^ b[i];
    a[i]--;
  }
}
"""


def _gcc_vs_executor(tmp_path: Path, source: str, suffix: str, sizes: dict[str, int]) -> list[CKernel]:
    path = tmp_path / f"k{suffix}"
    path.write_text(source)
    prog = translate_c(path)
    module = read_c(path).module
    kernels = []
    for name, params in prog.params.items():
        k = CKernel(path, name, None, program=prog)
        for seed in range(3):
            rng = np.random.default_rng(seed)
            inputs = {}
            n = sizes.get(name, 17)
            for p in params:
                dt = np.dtype({"float": np.float32, "double": np.float64}.get(str(p.ctype), None) or f"{'i' if p.ctype.signed else 'u'}{p.ctype.width // 8}")
                if p.kind == "scalar":
                    inputs[p.name] = n if p.name == "n" else int(rng.integers(-50, 50))
                elif dt.kind == "f":
                    inputs[p.name] = (rng.standard_normal(n) * 300).astype(dt)
                else:
                    info = np.iinfo(dt)
                    vals = rng.integers(info.min, info.max, size=n, dtype=dt, endpoint=True)
                    vals[: 3] = [info.min, info.max, 0]  # extreme values
                    inputs[p.name] = vals
            k.inputs.append({a: (v.copy() if isinstance(v, np.ndarray) else v) for a, v in inputs.items()})
            args = [inputs[p.name] for p in params]
            with np.errstate(all="ignore"):
                ret = Interpreter(module).call(name, args)
            k.executor_out.append({**{p.name: a for p, a in zip(params, args, strict=True)}, "return": ret[0] if ret else None})
        kernels.append(k)
    run_gcc(kernels)
    return kernels


@pytest.mark.skipif(shutil.which("gcc") is None, reason="needs gcc")
def test_c_conversions_match_gcc(tmp_path):
    kernels = _gcc_vs_executor(tmp_path, SEMANTICS, ".c", {})
    assert {k.name for k in kernels} == {"promote", "compares", "divmod", "floats", "guarded", "bytes", "helpers", "clamp255", "sq", "unsigned_size"}
    for k in kernels:
        assert not k.problems, (k.name, k.problems)
        assert k.gcc_compared >= 3, k.name


def test_lift_c_file_cli(tmp_path, capsys):
    src = tmp_path / "blend.c"
    src.write_text(
        "#include <stdint.h>\n"
        "void darken(const uint8_t *base, const uint8_t *active, uint8_t *out, int n) {\n"
        "  for (int i = 0; i < n; i++) out[i] = base[i] > active[i] ? active[i] : base[i];\n"
        "}\n"
        "float sumsq(const float *x, int n) {\n"
        "  float s = 0.0f;\n"
        "  for (int i = 0; i < n; i++) s += x[i] * x[i];\n"
        "  return s;\n"
        "}\n")
    out, report = tmp_path / "out.mlir", tmp_path / "r.json"
    assert main(["lift", str(src), "-o", str(out), "--report", str(report), "-q"]) == 0
    text = out.read_text()
    assert "linalg." in text and "scf.for" not in text
    import json

    rows = {r["name"]: r for r in json.loads(report.read_text())["functions"]}
    assert rows["darken"]["status"] == "lifted" and rows["darken"]["proof"] == "proved"
    assert "np.where" in rows["darken"]["program"] and "base[0:n]" in rows["darken"]["program"]
    assert rows["sumsq"]["program"] == "return np.dot(x[0:n], x[0:n])"


REFUSED = [
    ("#include <stdio.h>\nvoid f(int *a) { a[0] = 1; }\n", 1, 10, "'stdio.h' file not found"),
    ("void f(float *a, int n) {\n  for (int i = 0; i < n; i++) {\n    if (a[i] < 0) break;\n  }\n}\n", 3, 19, "'break' statements"),
    ("void f(float *a, int n) {\n  for (int i = n; i > 0; i--) a[i] = 0;\n}\n", 2, 26, "descending loops are not supported"),
    ("void f(float *a, int n) {\n  for (int i = 0; i < n; i++) *(a + i) = 0;\n}\n", 2, 31, "pointer dereference is not supported"),
    ("void f(float *a, int n) {\n  for (int i = 0; i < n; i++) { a[i] = 0; i += 1; }\n}\n", 2, 31, "counter 'i' is assigned in the loop body"),
    ("void f(float *a, const int *m, int n) {\n  for (int i = 0; i < m[0]; i++) a[i] = 0;\n}\n", 2, 23, "data-dependent bound"),
    ("int g;\nvoid f(int *a) { a[0] = g; }\n", 1, 5, "global variable 'g' is not supported"),
    ("void f(float **a, int n) { a[0][0] = 1; }\n", 1, 16, "'float **' is not supported"),
    ("float f(const float *a, int n) {\n  for (int i = 0; i < n; i++) if (a[i] > 0) return a[i];\n  return 0;\n}\n", 2, 45, "'return' inside a loop"),
    ("void f(long double *a) { a[0] = 1; }\n", 1, 21, "long double"),
]


@pytest.mark.parametrize("source,line,col,message", REFUSED, ids=[r[3][:24] for r in REFUSED])
def test_unsupported_c_is_refused_with_location(tmp_path, capsys, source, line, col, message):
    src = tmp_path / "bad.c"
    src.write_text(source)
    out = tmp_path / "out.mlir"
    assert main(["lift", str(src), "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1, err
    assert err.startswith(f"liftcomp: {src}:{line}:{col}: error: "), err
    assert message in err
    assert "internal error" not in err and not out.exists()


@pytest.mark.skipif(shutil.which("g++") is None, reason="needs g++")
def test_cpp_vectors_push_back_match_gxx(tmp_path):
    source = r"""
#include <vector>
#include <cstdint>
std::vector<int> evens_doubled(const std::vector<int> &a, int n) {
  std::vector<int> out;
  for (int i = 0; i < n; i++) {
    out.push_back(a[i] * 2);
    out.push_back(a[i] / 2);
  }
  return out;
}
std::vector<float> outer(const std::vector<float> &x, const std::vector<float> &y) {
  std::vector<float> m;
  for (size_t i = 0; i < x.size(); i++)
    for (size_t j = 0; j < y.size(); j++) m.push_back(x[i] * y[j]);
  return m;
}
"""
    path = tmp_path / "v.cc"
    path.write_text(source)
    prog = translate_c(path)
    assert prog.arg_names == {"evens_doubled": ["a", "n", "out"], "outer": ["x", "y", "m"]}
    module = read_c(path).module
    rng = np.random.default_rng(0)
    kernels = []
    for name, make in (("evens_doubled", lambda: {"a": rng.integers(-1000, 1000, 9).astype(np.int32), "n": 9, "out": np.zeros(18, np.int32)}),
                       ("outer", lambda: {"x": rng.standard_normal(4).astype(np.float32), "y": rng.standard_normal(5).astype(np.float32), "m": np.zeros(20, np.float32)})):
        k = CKernel(path, name, None, program=prog)
        inputs = make()
        k.inputs.append({a: (v.copy() if isinstance(v, np.ndarray) else v) for a, v in inputs.items()})
        params = prog.params[name]
        args = [inputs[p.name] for p in params]
        Interpreter(module).call(name, args)
        k.executor_out.append(dict(zip([p.name for p in params], args, strict=True)))
        kernels.append(k)
    ed = kernels[0].executor_out[0]
    assert np.array_equal(ed["out"][0::2], ed["a"] * 2) and np.array_equal(ed["out"][1::2], ed["a"] // 2 + ((ed["a"] < 0) & (ed["a"] % 2 != 0)))
    run_gcc(kernels)
    for k in kernels:
        assert not k.problems, (k.name, k.problems)
        assert k.gcc_compared >= 2  # inputs and the output vector


def test_compile_c_file_for_gemmini(tmp_path, capsys):
    src = tmp_path / "mm.c"
    src.write_text(
        "#include <stdint.h>\n"
        "void mm(const int8_t A[8][16], const int8_t B[16][8], int32_t C[8][8]) {\n"
        "  for (int i = 0; i < 8; i++)\n"
        "    for (int j = 0; j < 8; j++) {\n"
        "      int32_t acc = 0;\n"
        "      for (int k = 0; k < 16; k++) acc += A[i][k] * B[k][j];\n"
        "      C[i][j] = acc;\n"
        "    }\n"
        "}\n")
    out = tmp_path / "out"
    assert main(["compile", str(src), "--target", "gemmini", "-o", str(out)]) == 0
    import json

    report = json.loads((out / "report.json").read_text())
    assert report["input"] == str(src) and report["kernels"][0]["correct"] is True
    assert "gemmini" in (out / "mm.gemmini.mlir").read_text() and (out / "kernels.c").exists()


def test_modules_through_mlir_opt_name_arguments_as_the_c_source_does() -> None:
    # mlir-opt (the plugin) keeps the frontend's locations but no SSA names: the names come from
    # the C source the locations point to, as `liftcomp lift` has them (were arg0, arg1, ...).
    from liftcomp.frontends.names import arg_names_in_file

    src = Path(__file__).resolve().parents[1] / "corpus" / "dsp" / "vadd.c"
    assert arg_names_in_file(str(src), "vadd") == ["a", "b", "c", "n"]
    assert arg_names_in_file(str(src), "nothing") is None


def test_argument_names_of_a_python_source_come_from_its_def(tmp_path: Path) -> None:
    from liftcomp.frontends.names import arg_names_in_file

    src = tmp_path / "k.py"
    src.write_text("def scale(x, out, n):\n    for i in range(n):\n        out[i] = x[i] * 2.0\n")
    assert arg_names_in_file(str(src), "scale") == ["x", "out", "n"]
    assert arg_names_in_file(str(src), "other") is None
