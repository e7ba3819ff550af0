#!/usr/bin/env python3
"""Re-record docs/tutorial/llm_cache/, the LLM answers notebook 1 replays offline.

The answers are scripted (this is a tutorial, not a benchmark of a model): liftcomp's loopback
OpenAI-compatible server answers the first request with two wrong programs and the second one
(which carries their counterexamples) with the right one. Run it after a change to the LLM
proposer's prompts (the cache is keyed by the request) or to the tutorial's `dot` kernel:

    .venv/bin/python tools/record_tutorial_llm_cache.py
"""

from __future__ import annotations

import ast
import importlib.util
import json
import shutil
import sys
import tempfile
from pathlib import Path

from liftcomp.frontends.python import Kernel
from liftcomp.lift.llm_proposer import proposer_for_config
from liftcomp.lift.raising import RaiseOptions
from liftcomp.llm.testing import LoopbackLLMServer, RecordedRequest, Reply

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "docs" / "tutorial" / "01_python_to_verified_tensor_program.ipynb"
CACHE = ROOT / "docs" / "tutorial" / "llm_cache"
WRONG = ["return np.sum(x[0:n] + y[0:n])", "return np.dot(x[0:n], x[0:n])"]
RIGHT = "return np.dot(x[0:n], y[0:n])"


def kernels_source() -> str:
    """The KERNELS string of the notebook's cell tagged 'kernels' (parsed, not run)."""
    nb = json.loads(NOTEBOOK.read_text())
    for cell in nb["cells"]:
        if "kernels" in cell.get("metadata", {}).get("tags", []):
            tree = ast.parse("".join(cell["source"]))
            for node in tree.body:
                if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
                    return str(node.value.value)
    raise SystemExit("no cell tagged 'kernels' with a KERNELS string in the notebook")


def fenced(code: str) -> str:
    return f"```python\n{code}\n```"


def answer(req: RecordedRequest) -> Reply:
    if WRONG[0] in req.text:  # the second request: it shows the rejected answers
        return Reply([fenced(RIGHT), fenced(RIGHT)])
    return Reply([fenced(w) for w in WRONG])


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "kernels.py"
        path.write_text(kernels_source())
        spec = importlib.util.spec_from_file_location("kernels", path)
        assert spec is not None and spec.loader is not None
        mod = importlib.util.module_from_spec(spec)
        sys.modules["kernels"] = mod
        spec.loader.exec_module(mod)
        staging = Path(tmp) / "cache"
        with LoopbackLLMServer() as server:
            server.script(answer, answer, answer)
            config = server.config(model="tutorial-model", cache_mode="record", cache_dir=staging)
            proposer = proposer_for_config(config, n=2, temperature=0.7)
            k = Kernel(mod.dot.py, RaiseOptions(proposer="llm", strategy="llm-only", llm=proposer))
            print(k.program, k.report.proof, f"{len(server.requests)} requests")
        if k.program != RIGHT:
            raise SystemExit(f"unexpected program {k.program}")
        shutil.rmtree(CACHE, ignore_errors=True)
        shutil.copytree(staging, CACHE)
    print(f"wrote {CACHE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
