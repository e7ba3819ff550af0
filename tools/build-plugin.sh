#!/usr/bin/env bash
# Builds the mlir-opt pass plugin into build/ (build/passes/LiftcompPlugin.so) with cmake + ninja.
# Called by tools/setup.sh; safe to run twice: configures once, then ninja rebuilds only what
# changed (a no-op build takes well under a second).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV_PY="$ROOT/.venv/bin/python"
[ -x "$VENV_PY" ] || { echo "build-plugin: $VENV_PY missing; run tools/setup.sh" >&2; exit 1; }
LLVM_CONFIG="$(command -v llvm-config-22 || echo /usr/lib/llvm-22/bin/llvm-config)"
[ -x "$LLVM_CONFIG" ] || { echo "build-plugin: llvm-config-22 missing; apt-get install llvm-22-dev" >&2; exit 1; }
MLIR_DIR="$("$LLVM_CONFIG" --cmakedir)/../mlir"

# Reconfigure only when the interpreter changed (or on the first run); ninja re-runs cmake
# by itself when a CMakeLists.txt changes.
CACHE=build/CMakeCache.txt
if [ ! -f "$CACHE" ] || [ ! -f build/build.ninja ] || ! grep -qx "LIFTCOMP_PYTHON:STRING=$VENV_PY" "$CACHE"; then
  echo "build-plugin: configuring build/" >&2
  mkdir -p build
  cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DMLIR_DIR="$MLIR_DIR" \
    -DPython3_EXECUTABLE="$VENV_PY" \
    -DLIFTCOMP_PYTHON:STRING="$VENV_PY" >build/cmake.log 2>&1 \
    || { cat build/cmake.log >&2
         echo "build-plugin: cmake failed (the plugin embeds $VENV_PY: its base Python's libpython and" \
              "headers are needed, e.g. apt-get install python3-dev for Debian's python3)" >&2
         exit 1; }
fi
# Quiet unless something is rebuilt or fails.
out="$(ninja -C build 2>&1)" || { echo "$out" >&2; echo "build-plugin: build failed" >&2; exit 1; }
grep -q "no work to do" <<<"$out" || echo "build-plugin: built build/passes/LiftcompPlugin.so" >&2
