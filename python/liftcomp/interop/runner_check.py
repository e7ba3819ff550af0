"""Original against raised, natively, through upstream's own tools: `mlir-opt-22` lowers (the
ordinary pipeline: one-shot-bufferize, linalg to loops, lower-affine, LLVM) and `mlir-runner-22`
runs a generated `@main` that fills each kernel's inputs (bit for bit, from `memref.global`s),
calls the original and the raised function on copies of them, and prints, per kernel, how many
output elements and scalar results differ under each kernel's float model (`float_model`, as
lift/floats.py spells it): floats compared by their bits, any NaN equal to any NaN; with `nsz`
-0.0 equal to +0.0; with `nnan` / `ninf` an output that is NaN / infinite in the original is poison
there (the source says no such value arises), so any value of the raised function is right; under
`fast` (real-number proofs: reassociation) within a relative 1e-4. Many kernels share one
module, one compilation and one process; when the batch fails as a whole (a kernel that does not
lower), each kernel is run alone to tell which one.
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from io import StringIO
from pathlib import Path
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    IndexType,
    IntegerType,
    MemRefType,
    ModuleOp,
    StringAttr,
    SymbolRefAttr,
)
from xdsl.ir import Attribute, Operation
from xdsl.printer import Printer

from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import find_tool
from liftcomp.lift import floats

LOWER = (
    "builtin.module("
    "eliminate-empty-tensors,"
    "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},"
    "func.func(convert-linalg-to-loops),"
    "expand-strided-metadata,"
    "lower-affine,"
    "convert-scf-to-cf,"
    "finalize-memref-to-llvm,"
    "convert-math-to-llvm,"
    "convert-arith-to-llvm,"
    "convert-index-to-llvm,"
    "convert-cf-to-llvm,"
    "convert-func-to-llvm,"
    "reconcile-unrealized-casts)"
)
RUNNER_UTILS = "/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so"
RUNNER_UTILS_CXX = "/usr/lib/llvm-22/lib/libmlir_runner_utils.so"  # printMemref*, which some kernels' own mains call


@dataclass
class Case:
    """One kernel: `function` of `original` and of `raised` (modules), called on `args` (numpy
    arrays for memrefs, numbers for scalars)."""

    name: str
    original: ModuleOp
    raised: ModuleOp
    function: str
    args: Sequence[Any]
    # How its floats are compared (lift/floats.py: ieee, fast, nnan,nsz, ...); None: compare()'s
    # `exact` says (True: ieee, False: fast).
    float_model: str | None = None


class Unsupported(LiftcompError):
    """A kernel whose inputs the generated main cannot build (the reason says which)."""


def compare(cases: Sequence[Case], exact: bool = True, timeout_s: float = 300) -> dict[str, str | None]:
    """name -> None where the raised function's outputs equal the original's (under the case's
    float model; `exact` for cases that name none), else why not ("not run: ..." where the check
    could not run, e.g. mlir-runner-22 was killed by a signal)."""
    out: dict[str, str | None] = {}
    runnable: list[Case] = []
    for c in cases:
        try:
            _check_args(c)
            runnable.append(c)
        except Unsupported as e:
            out[c.name] = f"not run: {e.message}"
    if not runnable:
        return out
    try:
        out.update(_run_batch(runnable, exact, timeout_s))
    except LiftcompError:
        if len(runnable) == 1:
            raise
        for c in runnable:  # one alone: which kernel broke the batch
            try:
                out.update(_run_batch([c], exact, timeout_s))
            except LiftcompError as e:
                out[c.name] = e.message
    return out


def _check_args(c: Case) -> None:
    fn = _find(c.original, c.function)
    if len(c.args) != len(fn.function_type.inputs):
        raise Unsupported(f"{len(c.args)} inputs for {len(fn.function_type.inputs)} arguments")
    for i, (t, a) in enumerate(zip(fn.function_type.inputs, c.args, strict=True)):
        if isinstance(t, MemRefType):
            et = t.element_type
            if isinstance(et, IntegerType) and et.width.data == 1:
                raise Unsupported(f"argument {i}: a memref of i1")
            if not isinstance(et, IntegerType | IndexType) and str(et) not in _FLOAT_BITS:
                raise Unsupported(f"argument {i}: a memref of {et}")
            if not isinstance(a, np.ndarray) or a.size == 0:
                raise Unsupported(f"argument {i}: an empty or missing array")
        elif not isinstance(t, IntegerType | IndexType) and str(t) not in _FLOAT_BITS:
            raise Unsupported(f"argument {i}: scalar of type {t}")
    for i, t in enumerate(fn.function_type.outputs):
        if not isinstance(t, IntegerType | IndexType) and str(t) not in _FLOAT_BITS:
            raise Unsupported(f"result {i}: of type {t}")


def _find(module: ModuleOp, name: str) -> func.FuncOp:
    for op in module.ops:
        if isinstance(op, func.FuncOp) and op.sym_name.data == name:
            return op
    raise LiftcompError(f"no function @{name}")


_FLOAT_BITS = {"f16": (np.uint16, "i16"), "bf16": (np.uint16, "i16"), "f32": (np.uint32, "i32"), "f64": (np.uint64, "i64")}


def _renamed(module: ModuleOp, suffix: str) -> list[Operation]:
    """The module's top-level ops with every symbol renamed `<name><suffix>` (uses too)."""
    copy = module.clone()
    names = {op.sym_name.data for op in copy.ops if isinstance(getattr(op, "sym_name", None), StringAttr)}  # pyright: ignore[reportAttributeAccessIssue]

    def rename(attr: Attribute) -> Attribute:
        if isinstance(attr, SymbolRefAttr) and attr.root_reference.data in names and not attr.nested_references.data:
            return SymbolRefAttr(attr.root_reference.data + suffix)
        return attr

    # External declarations (runtime functions such as printMemrefI32) keep their names.
    names -= {op.sym_name.data for op in copy.ops if isinstance(op, func.FuncOp) and op.is_declaration}
    for op in copy.walk():
        for key, val in list(op.properties.items()):
            op.properties[key] = rename(val)
        for key, val in list(op.attributes.items()):
            op.attributes[key] = rename(val)
        if op.parent_op() is copy and isinstance(getattr(op, "sym_name", None), StringAttr) and op.sym_name.data in names:  # pyright: ignore[reportAttributeAccessIssue]
            op.sym_name = StringAttr(op.sym_name.data + suffix)  # pyright: ignore[reportAttributeAccessIssue]
    ops = list(copy.ops)
    for op in ops:
        op.detach()
    return ops


def _generic(op: Operation) -> str:
    s = StringIO()
    Printer(stream=s, print_generic_format=True).print_op(op)
    return s.getvalue()


def _run_batch(cases: Sequence[Case], exact: bool, timeout_s: float) -> dict[str, str | None]:
    parts: list[str] = ["module {"]
    main = _Main("ieee" if exact else "fast")
    declared: set[str] = {"printI64", "printNewline"}
    for k, c in enumerate(cases):
        for tag, mod in (("o", c.original), ("r", c.raised)):
            for op in _renamed(mod, f"__{k}{tag}"):
                if isinstance(op, func.FuncOp) and op.is_declaration:
                    if op.sym_name.data in declared:
                        continue  # one declaration for every module that uses it
                    declared.add(op.sym_name.data)
                parts.append(_generic(op))
        main.kernel(k, c, _find(c.original, c.function))
    parts.append(main.text())
    parts.append("}")
    text = "\n".join(parts)
    lowered = _tool(["mlir-opt", f"--pass-pipeline={LOWER}"], text, timeout_s, "mlir-opt-22 (lowering)")
    ran = _tool(["mlir-runner", "-e", "main", "-entry-point-result=void", f"-shared-libs={RUNNER_UTILS},{RUNNER_UTILS_CXX}"], lowered, timeout_s,
                "mlir-runner-22")
    lines = [ln.strip() for ln in ran.splitlines() if ln.strip()]
    if len(lines) != len(cases):
        raise LiftcompError(f"mlir-runner-22 printed {len(lines)} results for {len(cases)} kernels")
    out: dict[str, str | None] = {}
    for c, line in zip(cases, lines, strict=True):
        n = int(line)
        out[c.name] = None if n == 0 else f"{n} output element(s) or result(s) differ"
    return out


def _tool(argv: list[str], stdin: str, timeout_s: float, what: str) -> str:
    exe = find_tool(argv[0])
    try:
        proc = subprocess.run([exe, *argv[1:]], input=stdin, capture_output=True, text=True, timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise LiftcompError(f"{what} did not finish in {timeout_s:.0f} s") from None
    if proc.returncode < 0:
        # A signal (SIGFPE from a division the inputs make undefined, SIGSEGV): the tool's own
        # crash dump (a stack trace of mlir-runner itself) says nothing about the kernel.
        raise LiftcompError(f"{what} was killed by {_signal_name(-proc.returncode)}")
    if proc.returncode != 0:
        raise LiftcompError(f"{what} failed (exit {proc.returncode}): {without_crash_dump(proc.stderr)[-2000:]}")
    return proc.stdout


def _signal_name(n: int) -> str:
    try:
        return signal.Signals(n).name
    except ValueError:
        return f"signal {n}"


def without_crash_dump(text: str) -> str:
    """A tool's stderr without LLVM's crash report (from "PLEASE submit a bug report" or "Stack
    dump:" on), which shows the tool's own stack, not the kernel's problem."""
    lines = text.strip().splitlines()
    for k, line in enumerate(lines):
        if line.startswith(("PLEASE submit a bug report", "Stack dump:")):
            lines = lines[:k]
            break
    return "\n".join(lines).strip() or "(no message)"


class _Main:
    """The text of `@main` and its helpers."""

    def __init__(self, float_model: str) -> None:
        self.float_model = float_model  # the default of cases that name none
        self.globals: list[str] = []
        self.body: list[str] = []
        self.helpers: dict[str, str] = {}
        self.n = 0

    def v(self) -> str:
        self.n += 1
        return f"%v{self.n}"

    def text(self) -> str:
        head = ["func.func private @printI64(i64)", "func.func private @printNewline()"]
        body = "\n    ".join(self.body)
        main = f"func.func @main() {{\n    %c0 = arith.constant 0 : index\n    %c1 = arith.constant 1 : index\n    %z = arith.constant 0 : i64\n    {body}\n    return\n  }}"
        return "\n".join([*head, *self.globals, *self.helpers.values(), main])

    def kernel(self, k: int, c: Case, fn: func.FuncOp) -> None:
        model = c.float_model or self.float_model
        o_args: list[str] = []
        r_args: list[str] = []
        arg_types: list[str] = []
        buffers: list[tuple[str, str, str, tuple[int, ...]]] = []  # (original's, raised's, element type, shape)
        for i, (t, a) in enumerate(zip(fn.function_type.inputs, c.args, strict=True)):
            arg_types.append(str(t))
            if isinstance(t, MemRefType):
                arr = np.ascontiguousarray(a)
                et = str(t.element_type)
                static = f"memref<{'x'.join(map(str, arr.shape))}{'x' if arr.shape else ''}{et}>"
                g = f"@in__{k}_{i}"
                self.globals.append(f'memref.global "private" {g} : {static} = dense<"0x{arr.tobytes().hex().upper()}">')
                src = self.v()
                self.body.append(f"{src} = memref.get_global {g} : {static}")
                pair: list[str] = []
                for dst_list in (o_args, r_args):
                    buf, cast = self.v(), self.v()
                    self.body.append(f"{buf} = memref.alloc() : {static}")
                    self.body.append(f"memref.copy {src}, {buf} : {static} to {static}")
                    self.body.append(f"{cast} = memref.cast {buf} : {static} to {t}")
                    dst_list.append(cast)
                    pair.append(buf)
                buffers.append((pair[0], pair[1], et, arr.shape))
            else:
                cst = self.v()
                self.body.append(f"{cst} = arith.constant {_scalar(a, t)} : {t}")
                o_args.append(cst)
                r_args.append(cst)
        outs = [str(t) for t in fn.function_type.outputs]
        results: list[list[str]] = []
        for tag, args in (("o", o_args), ("r", r_args)):
            res = [self.v() for _ in outs]
            lhs = f"{', '.join(res)} = " if res else ""
            self.body.append(f"{lhs}func.call @{c.function}__{k}{tag}({', '.join(args)}) : ({', '.join(arg_types)}) -> ({', '.join(outs)})")
            results.append(res)
        total = "%z"
        for ob, rb, et, shape in buffers:
            total = self._add(total, self._count(ob, rb, et, shape, model))
        for x, y, t in zip(results[0], results[1], outs, strict=True):
            ne = self.v()
            self.body.append(f"{ne} = func.call @{self._helper(t, model)}({x}, {y}) : ({t}, {t}) -> i64")
            total = self._add(total, ne)
        self.body.append(f"func.call @printI64({total}) : (i64) -> ()")
        self.body.append("func.call @printNewline() : () -> ()")

    def _add(self, a: str, b: str) -> str:
        s = self.v()
        self.body.append(f"{s} = arith.addi {a}, {b} : i64")
        return s

    def _count(self, ob: str, rb: str, et: str, shape: tuple[int, ...], model: str) -> str:
        """How many elements of the two buffers differ (flattened: they are fresh, contiguous)."""
        n = int(np.prod(shape))
        static = f"memref<{'x'.join(map(str, shape))}{'x' if shape else ''}{et}>"
        flat = f"memref<{n}x{et}>"
        views: list[str] = []
        for b in (ob, rb):
            if len(shape) == 1:
                views.append(b)
                continue
            v = self.v()
            if not shape:
                self.body.append(f"{v} = memref.expand_shape {b} [] output_shape [1] : {static} into {flat}")
            else:
                self.body.append(f"{v} = memref.collapse_shape {b} [[{', '.join(map(str, range(len(shape))))}]] : {static} into {flat}")
            views.append(v)
        end, cnt, e, acc, x, y, ne, nxt = (self.v() for _ in range(8))
        self.body += [
            f"{end} = arith.constant {n} : index",
            f"{cnt} = scf.for {e} = %c0 to {end} step %c1 iter_args({acc} = %z) -> (i64) {{",
            f"  {x} = memref.load {views[0]}[{e}] : {flat}",
            f"  {y} = memref.load {views[1]}[{e}] : {flat}",
            f"  {ne} = func.call @{self._helper(et, model)}({x}, {y}) : ({et}, {et}) -> i64",
            f"  {nxt} = arith.addi {acc}, {ne} : i64",
            f"  scf.yield {nxt} : i64",
            "}",
        ]
        return cnt

    def _helper(self, t: str, model: str) -> str:
        """@__ne_<t>_<model>(x, y) -> 1 where the original's x and the raised function's y differ
        under the float model (module docstring), else 0."""
        real, nsz, nnan, ninf = _comparison(model) if t in _FLOAT_BITS else (False, False, False, False)
        tag = "".join(f"_{k}" for k, on in (("real", real), ("nsz", nsz), ("nnan", nnan), ("ninf", ninf)) if on)
        name = f"__ne_{t}{tag}"
        if name in self.helpers:
            return name
        if t in _FLOAT_BITS and real:
            # |x - y| <= 1e-4 * max(|x|, |y|) + 1e-5 (reassociated sums round differently)
            body = (f"%d = arith.subf %x, %y : {t}\n    %ad = math.absf %d : {t}\n    %ax = math.absf %x : {t}\n"
                    f"    %ay = math.absf %y : {t}\n    %m = arith.maximumf %ax, %ay : {t}\n    %r = arith.constant 1.0e-4 : {t}\n"
                    f"    %at = arith.constant 1.0e-5 : {t}\n    %tol0 = arith.mulf %m, %r : {t}\n    %tol = arith.addf %tol0, %at : {t}\n"
                    f"    %eq = arith.cmpf ole, %ad, %tol : {t}\n")
        elif t in _FLOAT_BITS:
            it = _FLOAT_BITS[t][1]
            body = (f"%a = arith.bitcast %x : {t} to {it}\n    %b = arith.bitcast %y : {t} to {it}\n"
                    f"    %eq0 = arith.cmpi eq, %a, %b : {it}\n")
            # nsz: -0.0 == +0.0 (an ordered == also holds for equal numbers, never for NaN)
            body += (f"    %oeq = arith.cmpf oeq, %x, %y : {t}\n    %eq = arith.ori %eq0, %oeq : i1\n" if nsz
                     else "    %eq = arith.ori %eq0, %eq0 : i1\n")
        else:
            body = f"%eq = arith.cmpi eq, %x, %y : {t}\n"
        if t in _FLOAT_BITS:
            body += (f"    %nx = arith.cmpf uno, %x, %x : {t}\n    %ny = arith.cmpf uno, %y, %y : {t}\n"
                     "    %nn = arith.andi %nx, %ny : i1\n    %same0 = arith.ori %eq, %nn : i1\n")
            # Poison in the original (a NaN / infinity the model says never arises): any y is right.
            body += "    %same1 = arith.ori %same0, %nx : i1\n" if nnan else "    %same1 = arith.ori %same0, %same0 : i1\n"
            if ninf:
                # x is infinite: x - x is NaN and x is not
                body += (f"    %xx = arith.subf %x, %x : {t}\n    %nxx = arith.cmpf uno, %xx, %xx : {t}\n"
                         f"    %ox = arith.cmpf ord, %x, %x : {t}\n    %inf = arith.andi %nxx, %ox : i1\n"
                         "    %same = arith.ori %same1, %inf : i1\n")
            else:
                body += "    %same = arith.ori %same1, %same1 : i1\n"
        else:
            body += "    %same = arith.ori %eq, %eq : i1\n"
        self.helpers[name] = (f"func.func private @{name}(%x: {t}, %y: {t}) -> i64 {{\n    {body}"
                              "    %t = arith.constant true\n    %d1 = arith.xori %same, %t : i1\n"
                              "    %r1 = arith.extui %d1 : i1 to i64\n    return %r1 : i64\n  }")
        return name


def _comparison(model: str) -> tuple[bool, bool, bool, bool]:
    """(within a tolerance, -0.0 == +0.0, NaN in the original is poison, an infinity is) under
    a float model."""
    flags = floats.parse(model)
    return floats.FAST <= flags, "nsz" in flags, "nnan" in flags, "ninf" in flags


def same_under(x: Any, y: Any, float_model: str) -> np.ndarray[Any, Any]:
    """Element-wise, as the generated main compares: whether the original's x and the raised
    function's y agree under the float model (module docstring)."""
    a, b = np.asarray(x), np.asarray(y)
    if a.dtype.kind not in "fc" and b.dtype.kind not in "fc":
        return a == b
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    real, nsz, nnan, ninf = _comparison(float_model)
    with np.errstate(all="ignore"):
        if real:
            same = (np.abs(a64 - b64) <= 1e-4 * np.maximum(np.abs(a64), np.abs(b64)) + 1e-5) | (np.isnan(a64) & np.isnan(b64))
        else:
            same = floats.same(a64, b64, nsz)
    if nnan:
        same |= np.isnan(a64)
    if ninf:
        same |= np.isinf(a64)
    return same


def _scalar(a: Any, t: Attribute) -> str:
    ts = str(t)
    if ts in _FLOAT_BITS:
        bits = np.asarray(a).astype(_np_float(ts)).view(_FLOAT_BITS[ts][0])
        return f"0x{int(bits):X}"
    return str(int(a))


def _np_float(t: str) -> Any:
    if t == "bf16":
        import ml_dtypes

        return ml_dtypes.bfloat16
    return {"f16": np.float16, "f32": np.float32, "f64": np.float64}[t]


def available() -> bool:
    """Whether mlir-opt-22, mlir-runner-22 and the runner utilities are on this machine."""
    try:
        find_tool("mlir-runner")
        find_tool("mlir-opt")
    except LiftcompError:
        return False
    return Path(RUNNER_UTILS).is_file() and Path(RUNNER_UTILS_CXX).is_file()
