"""Out-of-process worker for liftcomp.interop.upstream_jit: upstream MLIR's Python bindings.

    python -m liftcomp.interop.jit_worker <dir>

Reads <dir>/request.json (and <dir>/args.npz), writes <dir>/reply.json (and <dir>/outputs.npz).
It imports the `mlir` package (the optional `mlir` extra), which carries its own LLVM: it runs
in its own process, never inside mlir-opt or next to another LLVM. Nothing else imports it.

Request: {"module": text, "function": name, "verify_only": bool, "repeats": n,
          "args": [{"kind": "memref", "key": "a0"} | {"kind": "scalar", "value": v}]}
(a scalar's type is the function's argument type: index, iN or fN).
Reply: {"error": message} or {"results": [...], "seconds": [...]} with outputs.npz holding every
memref argument after one call (key = the argument's key).
A batch: {"module": text, "calls": [{"function", "repeats", "args"}, ...]} compiles the module
once and makes every call (array keys unique across calls); the reply is {"calls": [{"results",
"seconds"} | {"error"}, ...]}, one per call (a failing call does not stop the others).
"""

from __future__ import annotations

import ctypes
import json
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import numpy as np

# Bufferize (writing results in place where eliminate-empty-tensors can), lower to loops, then to
# LLVM; C wrappers give memref arguments a stable ABI.
LOWER_TO_LLVM = (
    "builtin.module("
    "func.func(llvm-request-c-wrappers),"
    "eliminate-empty-tensors,"
    "one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map},"
    "buffer-deallocation-pipeline,"
    "func.func(convert-linalg-to-loops),"
    # expand-strided-metadata makes affine.apply (subviews of dynamic sizes): lower-affine after it.
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

_CTYPES: dict[str, Any] = {
    "index": ctypes.c_int64,
    "i64": ctypes.c_int64,
    "i32": ctypes.c_int32,
    "i16": ctypes.c_int16,
    "i8": ctypes.c_int8,
    "i1": ctypes.c_bool,
    "f64": ctypes.c_double,
    "f32": ctypes.c_float,
}


# memref.copy between strided buffers (what bufferization leaves for a result that cannot be
# written in place) calls `memrefCopy` from MLIR's C runner utilities, as under mlir-runner's
# -shared-libs; the bindings do not ship it, MLIR 22's packages do (a C ABI: no second LLVM).
RUNTIME_LIBRARIES = ("/usr/lib/llvm-22/lib/libmlir_c_runner_utils.so",)


def _runtime_libraries() -> list[str]:
    return [p for p in RUNTIME_LIBRARIES if Path(p).is_file()]


def _signature(module: Any, function: str) -> tuple[list[str], list[str]]:
    from mlir import ir  # pyright: ignore[reportMissingImports]

    for op in module.body.operations:
        if op.operation.name != "func.func":
            continue
        if ir.StringAttr(op.attributes["sym_name"]).value != function:
            continue
        ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
        return [str(t) for t in ftype.inputs], [str(t) for t in ftype.results]
    raise ValueError(f"function '@{function}' not found")


def _serve(directory: Path) -> dict[str, Any]:
    # the optional extra `mlir`: may be absent where pyright runs
    from mlir import ir  # pyright: ignore[reportMissingImports]
    from mlir.execution_engine import ExecutionEngine  # pyright: ignore[reportMissingImports]
    from mlir.passmanager import PassManager  # pyright: ignore[reportMissingImports]
    from mlir.runtime import get_ranked_memref_descriptor  # pyright: ignore[reportMissingImports]

    request = json.loads((directory / "request.json").read_text())
    with ir.Context(), ir.Location.unknown():
        try:
            module = ir.Module.parse(request["module"])
        except ir.MLIRError as e:  # pyright: ignore[reportAttributeAccessIssue] (defined in _mlir_libs)
            return {"error": f"upstream MLIR rejects the module:\n{e}"}
        if request.get("verify_only"):
            return {"results": [], "seconds": []}
        calls = request.get("calls") or [request]
        signatures: list[tuple[list[str], list[str]]] = []
        errors: list[str] = []
        for c in calls:  # before lowering: the signatures are func.func's
            error = _check_call(module, c)
            if error and "calls" not in request:
                return {"error": error}
            errors.append(error)
            signatures.append(_signature(module, c["function"]) if not error else ([], []))
        pipeline = LOWER_TO_LLVM
        if not request.get("deallocate", True):
            # A module that frees its own buffers (memref.dealloc): buffer-deallocation-pipeline
            # refuses it; the buffers bufferization adds then live to the end of the process.
            pipeline = pipeline.replace("buffer-deallocation-pipeline,", "")
        PassManager.parse(pipeline).run(module.operation)
        engine = ExecutionEngine(module, opt_level=3, shared_libs=_runtime_libraries())
        arrays = dict(np.load(directory / "args.npz")) if (directory / "args.npz").exists() else {}
        replies: list[dict[str, Any]] = []
        outputs: dict[str, np.ndarray[Any, Any]] = {}
        for c, (input_types, result_types), error in zip(calls, signatures, errors, strict=True):
            if error:
                replies.append({"error": error})
                continue
            keys = [a["key"] for a in c["args"] if a["kind"] == "memref"]
            mine = {k: arrays[k] for k in keys}
            _, out, results = _call(engine, c, input_types, result_types, mine, get_ranked_memref_descriptor)
            seconds = [_call(engine, c, input_types, result_types, mine, get_ranked_memref_descriptor)[0] for _ in range(int(c.get("repeats", 1)))]
            outputs.update(out)
            replies.append({"results": results, "seconds": seconds})
    np.savez(directory / "outputs.npz", **outputs)  # pyright: ignore[reportArgumentType]
    return {"calls": replies} if "calls" in request else replies[0]


def _check_call(module: Any, c: dict[str, Any]) -> str:
    function = c["function"]
    try:
        input_types, result_types = _signature(module, function)
    except ValueError as e:
        return str(e)
    if len(input_types) != len(c["args"]):
        return f"@{function} takes {len(input_types)} arguments, got {len(c['args'])}"
    for t, arg in zip(input_types, c["args"], strict=True):
        if arg["kind"] == "scalar" and t not in _CTYPES:
            return f"@{function}: a scalar was given for an argument of type {t}"
    for t in result_types:
        if t not in _CTYPES:
            return f"@{function} returns {t}: only scalar results are supported"
    return ""


def _call(engine: Any, c: dict[str, Any], input_types: list[str], result_types: list[str], arrays: dict[str, np.ndarray[Any, Any]],
          descriptor: Any) -> tuple[float, dict[str, np.ndarray[Any, Any]], list[Any]]:
    fresh = {k: v.copy() for k, v in arrays.items()}  # memrefs are written in place
    packed: list[Any] = []
    for t, arg in zip(input_types, c["args"], strict=True):
        if arg["kind"] == "memref":
            packed.append(ctypes.pointer(ctypes.pointer(descriptor(fresh[arg["key"]]))))
        else:
            packed.append(ctypes.pointer(_CTYPES[t](arg["value"])))
    results = [_CTYPES[t]() for t in result_types]
    packed += [ctypes.pointer(r) for r in results]
    start = time.perf_counter()
    engine.invoke(c["function"], *packed)
    seconds = time.perf_counter() - start
    return seconds, fresh, [r.value for r in results]


def main() -> int:
    directory = Path(sys.argv[1])
    try:
        reply = _serve(directory)
    except Exception:
        reply = {"error": f"internal error in the JIT worker:\n{traceback.format_exc().rstrip()}"}
    (directory / "reply.json").write_text(json.dumps(reply))
    return 0


if __name__ == "__main__":
    sys.exit(main())
