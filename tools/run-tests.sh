#!/usr/bin/env bash
# Every test: lit (FileCheck) then pytest. Ends with one line "N passed, N failed" summing both.
set -uo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/tools/setup.sh" || { echo "0 passed, 1 failed"; exit 1; }
cd "$ROOT"
export PATH="$ROOT/.venv/bin:$PATH"
JOBS="${LIFTCOMP_TEST_JOBS:-$(nproc)}"

lit_out="$(mktemp)"; py_out="$(mktemp)"
trap 'rm -f "$lit_out" "$py_out"' EXIT
.venv/bin/lit -sv -j "$JOBS" test/ 2>&1 | tee "$lit_out"
lit_rc=${PIPESTATUS[0]}
.venv/bin/python -m pytest -p no:cacheprovider test/python "$@" 2>&1 | tee "$py_out"
py_rc=${PIPESTATUS[0]}

.venv/bin/python "$ROOT/tools/test_summary.py" "$lit_out" "$py_out"
[ "$lit_rc" -eq 0 ] && [ "$py_rc" -eq 0 ]
