"""LLM planner against the loopback server: valid plan, off-menu plan, garbage reply, replay."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir  # noqa: E402
from liftcomp.llm import LLMClient  # noqa: E402
from liftcomp.llm.testing import LoopbackLLMServer, Reply  # noqa: E402
from liftcomp.search.beam import SearchOptions, beam_search  # noqa: E402
from liftcomp.search.llm_planner import LLMPlanner, parse_reply  # noqa: E402
from liftcomp.search.problem import GemminiProblem  # noqa: E402
from xdsl.dialects import func  # noqa: E402

OPTS = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=3, impls_per_plan=1)

VALID = 'Host issue dominates.\n```json\n{"rewrite": "form", "params": {"form": "loop_ws"}, "reason": "FSM"}\n```'
OFF_MENU = '{"rewrite": "off_menu", "params": {"description": "software-pipeline the mvouts"}}'
GARBAGE = "I would make it faster by being clever. import os; os.system('x')"


def _problem() -> GemminiProblem:
    fn = next(op for op in parse_mlir(matmul_text(80, 64, 96)).ops if isinstance(op, func.FuncOp))
    return GemminiProblem.from_function(fn, workers=1)


def test_valid_off_menu_and_garbage_replies(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Reply([VALID, OFF_MENU, GARBAGE]))
    planner = LLMPlanner(LLMClient(llm_server.config()), dropout=0.0, off_menu=1.0)
    r = beam_search(_problem(), planner, OPTS)
    kids = [c for c in r.candidates if c.parent is not None]
    assert len(kids) == 3
    valid, off, garbage = kids
    assert valid.accepted and [str(s) for s in valid.steps] == ["form(form=loop_ws)"]
    assert valid.cycles < r.root.cycles and r.best is valid
    assert off.status.startswith("refused: off-menu proposal") and "mvouts" in off.status
    assert garbage.status.startswith("refused: unusable LLM reply")
    # The prompt carries the ISA summary, the measured breakdown, the bound, the menu and the invitation.
    [req] = llm_server.requests
    text = req.text
    for needle in ("systolic array", "cycles:", "busy cycles per unit", "roofline bound", "tile(", "off_menu",
                   "tile_i="):
        assert needle in text, needle


def test_menu_dropout_leaves_items_out(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Reply([VALID] * 3))
    planner = LLMPlanner(LLMClient(llm_server.config()), dropout=0.6, off_menu=0.0)
    beam_search(_problem(), planner, OPTS)
    text = llm_server.requests[0].text
    menu_lines = [ln for ln in text.splitlines() if ln.startswith("- ")]
    assert 1 <= len(menu_lines) < 13
    assert "off_menu" not in text


def test_strict_parsing() -> None:
    assert parse_reply('{"rewrite": "tile", "params": {"i": 2}}').params == {"i": 2}
    assert parse_reply('{"rewrite": "tile", "params": [1]}').error
    assert parse_reply('{"rewrite": "tile", "params": {}, "exec": "x"}').error
    assert "not on the menu" in parse_reply('{"rewrite": "eval", "params": {}}').error
    assert parse_reply("{not json}").error.startswith("unusable LLM reply (invalid JSON")
    # The last JSON block wins (models often restate the format first).
    p = parse_reply('Format: ```json\n{"rewrite": "x"}\n``` so: ```json\n{"rewrite": "hoist_a", "params": {"on": true}}\n```')
    assert p.rewrite == "hoist_a" and not p.error


def test_record_then_replay_without_server(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    llm_server.script(Reply([VALID, OFF_MENU, GARBAGE]))
    cfg = llm_server.config(cache_mode="record", cache_dir=tmp_path)
    r1 = beam_search(_problem(), LLMPlanner(LLMClient(cfg), off_menu=1.0), OPTS)
    llm_server.stop()
    replay = LLMClient(cfg.with_overrides(cache_mode="replay", base_url="http://127.0.0.1:9"))
    r2 = beam_search(_problem(), LLMPlanner(replay, off_menu=1.0), OPTS)
    assert [(c.status, c.cycles) for c in r1.candidates] == [(c.status, c.cycles) for c in r2.candidates]
    assert replay.usage.cache_hits == 1
