"""Re-record cache/ for lift-replay.mlir (run it when the lifting prompt changes):

    .venv/bin/python test/transforms/llm/record_cache.py

The answers come from a scripted loopback server (liftcomp.llm.testing), not from a real model:
they are the replies written below, stored exactly as a live endpoint's would be (model name
'scripted-loopback'). The lift runs with --llm-cache record, so the cache holds precisely the
requests that the current prompts produce.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from liftcomp.cli import main
from liftcomp.llm.testing import LoopbackLLMServer, Reply

HERE = Path(__file__).resolve().parent
KERNEL = HERE / "lift-replay.mlir"
CACHE = HERE / "cache"
MODEL = "scripted-loopback"

ROUND_1 = [
    # A loop: rejected before anything looks at it.
    "Here is a direct translation:\n```python\nfor i in range(n):\n    out[i] = min(a[i] + b[i], 255)\n```",
    # Wraps in uint8 before the minimum: the verifier answers with a counterexample.
    "```python\nout[0:n] = np.minimum(a[0:n] + b[0:n], 255)\n```",
    # The same program spelled differently: not verified twice.
    "```python\nout[0:n]=np.minimum(a[0:n]+b[0:n],255)\n```",
    # An import: rejected.
    "```python\nimport numpy as np\nout[0:n] = np.minimum(a[0:n] + b[0:n], 255)\n```",
]
ROUND_2 = [
    "The sum must not wrap: widen first.\n```python\nout[0:n] = np.minimum(a[0:n].astype(np.uint16) + b[0:n], 255)\n```",
    "```python\nout[0:n] = np.minimum(a[0:n].astype(np.int32) + b[0:n].astype(np.int32), 255).astype(np.uint8)\n```",
    "```python\nout[0:n] = np.minimum(a[0:n].astype(np.uint32) + b[0:n], 255)\n```",
    "```python\nout[0:n] = np.clip(a[0:n].astype(np.uint16) + b[0:n], 0, 255)\n```",
]


def record() -> int:
    shutil.rmtree(CACHE, ignore_errors=True)
    with LoopbackLLMServer() as server:
        server.script(Reply(ROUND_1), Reply(ROUND_2))
        os.environ["OPENAI_BASE_URL"] = server.base_url
        os.environ["OPENAI_API_KEY"] = "unused"
        rc = main([
            "lift", str(KERNEL), "--proposer", "llm", "--strategy", "llm-only", "--llm-model", MODEL,
            "--llm-cache", "record", "--llm-cache-dir", str(CACHE), "-q", "-o", os.devnull,
        ])  # fmt: skip
        if server.pending or server.unscripted:
            print(f"the lift used {len(server.requests)} of 2 scripted answers", file=sys.stderr)
            return 1
    entries = sorted(CACHE.rglob("*.json"))
    print(f"recorded {len(entries)} entries under {CACHE}")
    return rc


if __name__ == "__main__":
    sys.exit(record())
