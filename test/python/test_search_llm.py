"""LLM planner against the loopback server: valid plan, off-menu plan, garbage reply, replay, and
the implement phase (parameter samples, each a candidate; duplicates dropped; strict types)."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir  # noqa: E402
from liftcomp.llm import LLMClient  # noqa: E402
from liftcomp.llm.testing import LoopbackLLMServer, Reply  # noqa: E402
from liftcomp.search.beam import SearchOptions, Unusable, beam_search  # noqa: E402
from liftcomp.search.llm_planner import SYSTEM_PARAMS, LLMPlanner, parse_params_reply, parse_reply  # noqa: E402
from liftcomp.search.problem import Problem  # noqa: E402
from liftcomp.targets.gemmini.menu import (
    GEMMINI_MENU,  # noqa: E402
    Step,  # noqa: E402
)
from xdsl.dialects import func  # noqa: E402

OPTS = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=3, impls_per_plan=1)

VALID = 'Host issue dominates.\n```json\n{"rewrite": "form", "params": {"form": "loop_ws"}, "reason": "FSM"}\n```'
OFF_MENU = '{"rewrite": "off_menu", "params": {"description": "software-pipeline the mvouts"}}'
GARBAGE = "I would make it faster by being clever. import os; os.system('x')"
IMPL_LOOP_WS = 'Use the FSM.\n```json\n{"params": {"form": "loop_ws"}, "reason": "one call per tile"}\n```'


def _problem() -> Problem:
    fn = next(op for op in parse_mlir(matmul_text(80, 64, 96)).ops if isinstance(op, func.FuncOp))
    return Problem.for_function("gemmini", fn, workers=1)


def test_valid_off_menu_and_garbage_replies(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Reply([VALID, OFF_MENU, GARBAGE]), Reply([IMPL_LOOP_WS]))
    planner = LLMPlanner(LLMClient(llm_server.config()), dropout=0.0, off_menu=1.0)
    r = beam_search(_problem(), planner, OPTS)
    kids = [c for c in r.candidates if c.parent is not None]
    assert len(kids) == 3
    valid, off, garbage = kids
    assert valid.accepted and [str(s) for s in valid.steps] == ["form(form=loop_ws)"]
    assert valid.cost < r.root.cost and r.best is valid
    assert off.status.startswith("refused: off-menu proposal") and "mvouts" in off.status
    assert garbage.status.startswith("refused: unusable LLM reply")
    # The plan prompt carries the ISA summary, the measured breakdown, the bound, the menu and the
    # invitation; only the valid plan is implemented (a second request, for its parameters).
    req, impl = llm_server.requests
    text = req.text
    for needle in ("systolic array", "cycles:", "busy cycles per unit", "roofline bound", "tile(", "off_menu",
                   "tile_i="):
        assert needle in text, needle
    assert impl.messages[0]["content"] == SYSTEM_PARAMS
    assert "form(form:" in impl.text and 'intended parameters: {"form": "loop_ws"}' in impl.text


def test_implement_phase_parameter_samples_become_candidates(llm_server: LoopbackLLMServer) -> None:
    plan = '{"rewrite": "tile", "params": {"i": 2}, "reason": "smaller row tiles"}'
    samples = ['{"params": {"i": 2}}', 'Better:\n```json\n{"params": {"j": 2, "k": 1}}\n```',
               '{"params": {"i": 2}}',  # a repeat: dropped
               '{"params": {"i": "3"}}']  # a string, not an integer: refused, never converted
    llm_server.script(Reply([plan]), Reply(samples))
    opts = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=1, impls_per_plan=4)
    r = beam_search(_problem(), LLMPlanner(LLMClient(llm_server.config()), dropout=0.0, off_menu=0.0), opts)
    kids = [c for c in r.candidates if c.parent is not None]
    assert [str(c.steps[-1]) if c.steps else "" for c in kids] == ["tile(i=2)", "tile(j=2, k=1)", ""]
    a, b, bad = kids
    for c in (a, b):  # both samples were simulated and checked
        assert c.metrics is not None and c.metrics.correct and c.cost > 0
        assert c.status == "accepted" or c.status.startswith("rejected: slower")
    assert a.cost != b.cost
    assert bad.status == "refused: tile: parameter 'i' must be an integer, got '3'"
    [_, impl] = llm_server.requests
    assert impl.body["n"] == 4 and "tile(i: int" in impl.text and "smaller row tiles" in impl.text


def test_menu_dropout_leaves_items_out(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Reply([VALID] * 3), *[Reply([IMPL_LOOP_WS])] * 3)
    planner = LLMPlanner(LLMClient(llm_server.config()), dropout=0.6, off_menu=0.0)
    r = beam_search(_problem(), planner, OPTS)
    # Three plans, three implementations of the same schedule: one candidate, two duplicates.
    assert len(llm_server.requests) == 4 and not llm_server.unscripted
    assert len(r.candidates) == 2 and r.duplicates_skipped == 2
    text = llm_server.requests[0].text
    menu_lines = [ln for ln in text.splitlines() if ln.startswith("- ")]
    assert 1 <= len(menu_lines) < 13
    assert "off_menu" not in text


def test_strict_parsing() -> None:
    assert parse_reply('{"rewrite": "tile", "params": {"i": 2}}', menu=GEMMINI_MENU).params == {"i": 2}
    assert parse_reply('{"rewrite": "tile", "params": [1]}', menu=GEMMINI_MENU).error
    assert parse_reply('{"rewrite": "tile", "params": {}, "exec": "x"}', menu=GEMMINI_MENU).error
    assert "not on the menu" in parse_reply('{"rewrite": "eval", "params": {}}', menu=GEMMINI_MENU).error
    assert parse_reply("{not json}", menu=GEMMINI_MENU).error.startswith("unusable LLM reply (invalid JSON")
    # The last JSON block wins (models often restate the format first).
    p = parse_reply('Format: ```json\n{"rewrite": "x"}\n``` so: ```json\n{"rewrite": "hoist_a", "params": {"on": true}}\n```', menu=GEMMINI_MENU)
    assert p.rewrite == "hoist_a" and not p.error and not p.freeform
    # Implementations: names and JSON types checked against the menu item, nothing converted.
    assert parse_params_reply('{"params": {"on": true}}', "hoist_a", GEMMINI_MENU) == Step("hoist_a", {"on": True})
    assert parse_params_reply('{"params": {"on": 1}}', "hoist_a", GEMMINI_MENU) == Unusable(
        "hoist_a: parameter 'on' must be true or false, got 1")
    assert parse_params_reply('{"params": {"i": true}}', "tile", GEMMINI_MENU) == Unusable(
        "tile: parameter 'i' must be an integer, got True")
    bad = parse_params_reply('{"params": {"i": 2, "code": "x"}}', "tile", GEMMINI_MENU)
    assert isinstance(bad, Unusable) and "unknown parameter(s) ['code']" in bad.error
    bad = parse_params_reply('{"params": {"i": 2}, "exec": "x"}', "tile", GEMMINI_MENU)
    assert isinstance(bad, Unusable) and "unexpected keys ['exec']" in bad.error
    bad = parse_params_reply("__import__('os')", "tile", GEMMINI_MENU)
    assert isinstance(bad, Unusable) and bad.error.startswith("unusable implementation reply (no JSON object)")
    # Off-menu ideas and "freeform" are implementable (as IR edits) only outside menu mode.
    assert parse_reply('{"rewrite": "freeform", "params": {"idea": "x"}}', menu=GEMMINI_MENU).error
    assert parse_reply('{"rewrite": "freeform", "params": {"idea": "x"}}', "mixed", menu=GEMMINI_MENU).freeform
    assert parse_reply(OFF_MENU, "freeform", menu=GEMMINI_MENU).freeform and not parse_reply(OFF_MENU, "freeform", menu=GEMMINI_MENU).error
    assert not parse_reply(VALID, "mixed", menu=GEMMINI_MENU).freeform and parse_reply(VALID, "freeform", menu=GEMMINI_MENU).freeform


def test_record_then_replay_without_server(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    llm_server.script(Reply([VALID, OFF_MENU, GARBAGE]), Reply([IMPL_LOOP_WS]))
    cfg = llm_server.config(cache_mode="record", cache_dir=tmp_path)
    r1 = beam_search(_problem(), LLMPlanner(LLMClient(cfg), off_menu=1.0), OPTS)
    llm_server.stop()
    replay = LLMClient(cfg.with_overrides(cache_mode="replay", base_url="http://127.0.0.1:9"))
    r2 = beam_search(_problem(), LLMPlanner(replay, off_menu=1.0), OPTS)
    assert [(c.status, c.cost) for c in r1.candidates] == [(c.status, c.cost) for c in r2.candidates]
    assert replay.usage.cache_hits == 2 and replay.usage.calls == 0
