#!/usr/bin/env bash
# Installs everything liftcomp needs on Debian 12: MLIR 22 from Debian, a venv in the repo with
# the package (editable) and its test tools, and the mlir-opt pass plugin. Safe to run twice.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

APT_PACKAGES=(mlir-22-tools llvm-22-tools libmlir-22-dev llvm-22-dev cmake ninja-build)
PY="${PYTHON:-python3}"
# Debian's own python3 needs its venv module and headers (the plugin embeds CPython).
if [ "$("$PY" -c 'import sys; print(sys.base_prefix)')" = "/usr" ]; then
  APT_PACKAGES+=(python3-venv python3-dev)
fi
missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
# Reinstall only when pyproject.toml changed since the last install.
STAMP=.venv/.liftcomp-installed
if [ ! -f "$STAMP" ] || ! cmp -s pyproject.toml "$STAMP"; then
  echo "setup: installing liftcomp into .venv" >&2
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null 2>&1 || true
  .venv/bin/python -m pip install -q -e '.[test,dev,plot,mlir,ray,cuda]' 2>&1 | grep -v '^WARNING: Location' || true
  .venv/bin/python -c "import liftcomp, xdsl, z3" || { echo "setup: install failed" >&2; exit 1; }
  cp pyproject.toml "$STAMP"
fi

if [ -f CMakeLists.txt ]; then
  "$ROOT/tools/build-plugin.sh"
fi
