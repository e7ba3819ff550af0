#!/usr/bin/env bash
# The main job on the bundled examples: sets up what is missing, then runs liftcomp on the corpus.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
"$ROOT/tools/setup.sh"
cd "$ROOT"
exec .venv/bin/liftcomp examples "$@"
