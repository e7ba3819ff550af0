"""The LLM planner's free-form mode against the loopback server: an edited target IR that is valid
and faster enters the beam; unparsable IR, unknown ops, a changed signature, a wrong result, an
endless loop, Python code and hard-coded answers are all rejected with a recorded reason and never
run; replay (response cache, then `--schedule`) reproduces the result with the server stopped."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from gemmini_kernels import matmul_text  # noqa: E402
from liftcomp.interop.mlir_tool import parse_mlir  # noqa: E402
from liftcomp.llm import LLMClient  # noqa: E402
from liftcomp.llm.testing import LoopbackLLMServer, RecordedRequest, Reply  # noqa: E402
from liftcomp.search.beam import SearchOptions, SearchResult, beam_search  # noqa: E402
from liftcomp.search.freeform import (
    IRSchedule,  # noqa: E402
    parse_kernel_ir,  # noqa: E402
)
from liftcomp.search.llm_planner import SYSTEM_FREEFORM, SYSTEM_PARAMS, LLMPlanner  # noqa: E402
from liftcomp.search.problem import Problem  # noqa: E402
from liftcomp.targets.gemmini.menu import Step  # noqa: E402
from liftcomp.targets.gemmini.sim import simulate  # noqa: E402
from xdsl.dialects import func  # noqa: E402

PLAN = '{"rewrite": "form", "params": {"form": "loop_ws"}, "reason": "host issue dominates"}'
ONE = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=1, impls_per_plan=1)


def _problem(m: int = 80, k: int = 64, n: int = 96) -> Problem:
    fn = next(op for op in parse_mlir(matmul_text(m, k, n)).ops if isinstance(op, func.FuncOp))
    return Problem.for_function("gemmini", fn, workers=1)


def _mlir(text: str) -> str:
    return f"Here is the edited kernel.\n```mlir\n{text}```\nIt should be faster."


def _planner(server: LoopbackLLMServer, mode: str = "freeform", **cfg: object) -> LLMPlanner:
    return LLMPlanner(LLMClient(server.config(**cfg)), dropout=0.0, off_menu=0.0, mode=mode)


def _kids(r: SearchResult) -> list:  # type: ignore[type-arg]
    return [c for c in r.candidates if c.parent is not None]


def test_valid_faster_edit_enters_the_beam(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    p = _problem()
    # The reply: the parent's program rewritten as the lowering of another schedule (one loop_ws per tile).
    other = p.apply(p.initial(), Step("form", {"form": "loop_ws"}))
    want = p.evaluate(other).cost
    edited = p.target_ir(other)
    llm_server.script(Reply([PLAN]), Reply([_mlir(edited)]))
    r = beam_search(p, _planner(llm_server), ONE)
    [kid] = _kids(r)
    assert kid.accepted and r.best is kid
    assert want < r.root.cost and kid.cost == want  # the simulator's cycles for the edited IR
    assert isinstance(kid.schedule, IRSchedule) and kid.schedule.text == edited
    assert kid.ir_sha256 == kid.schedule.sha256 and str(kid.steps[-1]) == f"freeform(ir_sha256={kid.ir_sha256[:16]})"
    # The implement prompt shows the parent's gemmini IR, the dialects allowed and the plan.
    plan_req, impl_req = llm_server.requests
    assert impl_req.messages[0]["content"] == SYSTEM_FREEFORM
    assert "```mlir" in impl_req.text and "gemmini.mvin" in impl_req.text and "host issue dominates" in impl_req.text
    assert "builtin, func, arith, scf, memref, gemmini" in impl_req.text
    # The trace records the IR (for replay) and its hash.
    trace = r.trace_json()
    assert trace["candidates"][1]["ir_sha256"] == kid.ir_sha256
    assert trace["best"]["schedule"]["ir"] == edited


def test_bad_edits_are_rejected_with_reasons_and_never_run(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    p = _problem()
    ir = p.target_ir(p.initial())
    assert "gemmini.mvout" in ir and "%arg2: memref<80x96xi32>)" in ir
    marker = tmp_path / "pwned"
    spin = ("%big = arith.constant 9223372036854775807 : index\n"
            "    scf.for %spin = %4 to %big step %3 {\n    }\n    gemmini.fence")
    replies = {
        "unparsable": _mlir("func.func @matmul(%arg0: memref<80x64xi8> {\n  %0 = \n"),
        "unknown op": _mlir(ir.replace("gemmini.fence", '"llvm.inline_asm"() {asm_string = "ecall"} : () -> ()\n'
                                       "    gemmini.fence")),
        "signature": _mlir(ir.replace("%arg2: memref<80x96xi32>)", "%arg2: memref<80x96xi32>, %arg3: index)")),
        "wrong result": _mlir("\n".join(ln for ln in ir.splitlines() if "gemmini.mvout" not in ln) + "\n"),
        "endless": _mlir(ir.replace("gemmini.fence", spin)),
        "python": f"```python\nimport pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n```",
        "python as mlir": _mlir(f"import os\nos.system('touch {marker}')\n"),
    }
    llm_server.script(Reply([PLAN]), Reply(list(replies.values())))
    opts = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=1, impls_per_plan=len(replies))
    r = beam_search(p, _planner(llm_server), opts)
    kids = _kids(r)
    assert len(kids) == len(replies)
    status = dict(zip(replies, (c.status for c in kids), strict=True))
    assert status["unparsable"].startswith("refused: free-form IR does not parse")
    assert status["unknown op"].startswith("refused: free-form IR does not parse")
    assert "llvm.inline_asm is not registered" in status["unknown op"]
    assert status["signature"].startswith("refused: free-form IR changes the signature of @matmul")
    assert status["wrong result"].startswith("rejected: free-form IR computes a wrong result on fresh random inputs")
    assert status["endless"].startswith(f"rejected: free-form IR still running after {p.step_budget()} simulator steps")
    assert status["python"].startswith("refused: free-form reply has no ```mlir block (it holds ```python")
    assert status["python as mlir"].startswith("refused: free-form IR does not parse")
    assert not marker.exists()
    assert r.best is r.root and not any(c.accepted for c in kids)
    # Every reply that held IR is named by its hash in the trace, with its reason.
    hashed = [c for c in kids if c.ir_sha256]
    assert len(hashed) == len(replies) - 1
    assert all(len(c.ir_sha256) == 64 for c in hashed)


def test_hard_coded_answer_fails_on_the_fresh_inputs(llm_server: LoopbackLLMServer) -> None:
    """IR that stores the reference's outputs for the search's inputs passes on those inputs, but
    free-form IR is also checked on inputs of a seed derived from it."""
    p = _problem(4, 4, 4)
    header = next(ln for ln in p.target_ir(p.initial()).splitlines() if "func.func @matmul" in ln)
    c = p.expected[2]
    body = [f"%c{i} = arith.constant {i} : index" for i in range(4)]
    for i in range(4):
        for j in range(4):
            body += [f"%v{i}_{j} = arith.constant {int(c[i, j])} : i32",
                     f"memref.store %v{i}_{j}, %arg2[%c{i}, %c{j}] : memref<4x4xi32>"]
    text = header.strip() + "\n" + "\n".join(body) + "\nfunc.return\n}\n"
    module, _ = parse_kernel_ir(text, "matmul", p.signature(), p.space.freeform().dialects)
    sim = simulate(module, [a.copy() for a in p.inputs], p.space.config, func_name="matmul")
    assert np.array_equal(sim.outputs["arg2"], c)  # right on the search's inputs
    llm_server.script(Reply([PLAN]), Reply([_mlir(text)]))
    r = beam_search(p, _planner(llm_server), ONE)
    [kid] = _kids(r)
    assert kid.status.startswith("rejected: free-form IR computes a wrong result on fresh random inputs (seed ")


def test_mixed_mode_menu_parameters_and_free_form(llm_server: LoopbackLLMServer) -> None:
    p = _problem()
    other = p.apply(p.initial(), Step("form", {"form": "loop_ws"}))
    plans = ['{"rewrite": "tile", "params": {"i": 2}, "reason": "r"}',
             '{"rewrite": "freeform", "params": {"idea": "one loop_ws per tile"}, "reason": "fewer instructions"}']
    llm_server.script(Reply(plans), Reply(['{"params": {"i": 2}}']), Reply([_mlir(p.target_ir(other))]))
    opts = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=2, impls_per_plan=1)
    r = beam_search(p, _planner(llm_server, "mixed"), opts)
    menu_kid, ir_kid = _kids(r)
    assert str(menu_kid.steps[-1]) == "tile(i=2)" and menu_kid.metrics is not None and menu_kid.metrics.correct
    assert ir_kid.accepted and isinstance(ir_kid.schedule, IRSchedule) and r.best is ir_kid
    _, params_req, ff_req = llm_server.requests
    assert params_req.messages[0]["content"] == SYSTEM_PARAMS
    assert ff_req.messages[0]["content"] == SYSTEM_FREEFORM and "one loop_ws per tile" in ff_req.text
    assert "- freeform(idea: text)" in llm_server.requests[0].text


def test_kernel_whose_own_ir_uses_other_dialects_gets_no_freeform_request(llm_server: LoopbackLLMServer) -> None:
    from test_gemmini_epilogue import STANDARD, _const_scale, _requant_text

    # math.round (halves away from zero) keeps the requantisation on the host, in the math dialect.
    text = _requant_text(32, 32, 32, _const_scale(STANDARD.replace("math.roundeven", "math.round"), 0.01))
    fn = next(op for op in parse_mlir(text).ops if isinstance(op, func.FuncOp))
    p = Problem.for_function("gemmini", fn, workers=1)
    llm_server.script(Reply([PLAN]))
    r = beam_search(p, _planner(llm_server), ONE)
    [kid] = _kids(r)
    assert kid.status.startswith("refused: free-form edits are not possible for this kernel")
    assert "math.round is not registered" in kid.status
    assert len(llm_server.requests) == 1  # the plan only


def test_replay_reproduces_the_search_with_the_server_stopped(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    p = _problem()
    other = p.apply(p.initial(), Step("form", {"form": "loop_ws"}))
    llm_server.script(Reply([PLAN]), Reply([_mlir(p.target_ir(other)), _mlir("not mlir\n")]))
    opts = SearchOptions(beam_width=1, iterations=1, plans_per_candidate=1, impls_per_plan=2)
    r1 = beam_search(p, _planner(llm_server, cache_mode="record", cache_dir=tmp_path), opts)
    llm_server.stop()
    replay = _planner(llm_server, cache_mode="replay", cache_dir=tmp_path, base_url="http://127.0.0.1:9")
    r2 = beam_search(_problem(), replay, opts)

    def summary(r: SearchResult) -> list[tuple[str, int, str]]:
        return [(c.status, c.cost, c.ir_sha256) for c in r.candidates]

    assert summary(r1) == summary(r2) and r2.best.ir_sha256 and r2.best.cost < r2.root.cost
    assert replay.client.usage.cache_hits == 2 and replay.client.usage.calls == 0


def _answer(plan: str, edit: str):  # type: ignore[no-untyped-def]
    """A loopback answer for any request of a search: the plan, or the free-form edit, n times."""

    def answer(req: RecordedRequest) -> Reply:
        n = req.body.get("n", 1) if isinstance(req.body, dict) else 1
        return Reply([edit if req.messages[0]["content"] == SYSTEM_FREEFORM else plan] * n)

    return answer


def test_compile_cli_freeform_then_cache_replay_then_schedule_replay(
    llm_server: LoopbackLLMServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from liftcomp.cli import main

    for var in ("LIFTCOMP_MODEL", "LIFTCOMP_LLM_CACHE", "LIFTCOMP_LLM_CACHE_DIR", "LIFTCOMP_LLM_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("OPENAI_API_KEY", "test-key")
    monkeypatch.setenv("OPENAI_BASE_URL", llm_server.base_url)
    p = _problem(*(96, 128, 112))
    edit = _mlir(p.target_ir(p.apply(p.initial(), Step("form", {"form": "loop_ws"}))))
    llm_server.script(*[_answer(PLAN, edit)] * 200)
    src = tmp_path / "mm.mlir"
    src.write_text(matmul_text(96, 128, 112))
    cache = tmp_path / "cache"
    common = [str(src), "--search", "beam", "--budget", "2", "--planner", "llm", "--llm-mode", "freeform",
              "--llm-model", "loopback-model", "--llm-cache-dir", str(cache)]
    assert main(["compile", *common, "-o", str(tmp_path / "a"), "--llm-cache", "record", "--check-c"]) == 0
    k = json.loads((tmp_path / "a" / "report.json").read_text())["kernels"][0]
    assert k["correct"] is True and k["c_correct"] is True
    assert k["ir"] and k["steps"][-1]["rewrite"] == "freeform" and k["cycles"] < k["baseline_cycles"]
    # The emitted target IR is the free-form program (one loop_ws per tile), not the library's.
    assert "gemmini.loop_ws" in (tmp_path / "a" / "mm.gemmini.mlir").read_text()
    trace = json.loads((tmp_path / "a" / "search-matmul.json").read_text())
    assert trace["best"]["schedule"]["ir"] == k["ir"]
    n_requests = len(llm_server.requests)
    llm_server.stop()
    # The same search from the response cache, no network.
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9")
    assert main(["compile", *common, "-o", str(tmp_path / "b"), "--llm-cache", "replay"]) == 0
    k2 = json.loads((tmp_path / "b" / "report.json").read_text())["kernels"][0]
    assert (k2["cycles"], k2["ir"], k2["steps"]) == (k["cycles"], k["ir"], k["steps"])
    assert len(llm_server.requests) == n_requests
    # --schedule replays the recorded IR (parsed and checked again) without searching.
    assert main(["compile", str(src), "-o", str(tmp_path / "c"), "--schedule", str(tmp_path / "a" / "report.json"),
                 "--check-c"]) == 0
    k3 = json.loads((tmp_path / "c" / "report.json").read_text())["kernels"][0]
    assert (k3["cycles"], k3["ir"], k3["correct"], k3["c_correct"]) == (k["cycles"], k["ir"], True, True)
    assert k3["baseline_cycles"] == k["baseline_cycles"]


def test_tampered_schedule_file_ir_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from liftcomp.cli import main

    p = _problem()
    ir = p.target_ir(p.initial())
    src = tmp_path / "mm.mlir"
    src.write_text(matmul_text(80, 64, 96))
    wrong = "\n".join(ln for ln in ir.splitlines() if "gemmini.mvout" not in ln) + "\n"
    for text, why in ((wrong, "wrong result"), (ir.replace("gemmini.fence", "math.absi"), "does not parse")):
        bad = tmp_path / "bad.json"
        bad.write_text(json.dumps({"kernels": [{"name": "matmul", "steps": [], "ir": text}]}))
        assert main(["compile", str(src), "-o", str(tmp_path / "o"), "--schedule", str(bad)]) == 1
        err = capsys.readouterr().err
        assert re.search(r"liftcomp: error: @matmul: the recorded free-form IR is (refused|rejected)", err), err
        assert why in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()
    assert main(["compile", str(src), "-o", str(tmp_path / "o"), "--search", "beam", "--llm-mode", "freeform"]) == 1
    assert "--llm-mode freeform needs --planner llm" in capsys.readouterr().err


def _insert_before_config(ir: str, lines: str) -> str:
    return ir.replace("    gemmini.config_ex", lines + "\n    gemmini.config_ex", 1)


def test_negative_index_edit_is_rejected() -> None:
    # numpy would read a[-1, -1] (the last element) without complaint; the emitted C would read
    # before the buffer.
    p = _problem(4, 4, 4)
    ir = _insert_before_config(p.target_ir(p.initial()), "    %m1 = arith.constant -1 : index\n"
                               "    %x = memref.load %arg0[%m1, %m1] : memref<4x4xi8>")
    m = p.evaluate(p.apply_edit(p.initial(), ir))
    assert not m.correct and "negative index" in m.error, m.error


def test_budget_charges_copies_by_their_elements() -> None:
    # 300 copies of 4 MiB are 600 ops (well inside the op budget) but 1.2G elements of work.
    p = _problem(4, 4, 4)
    lines = ("    %big0 = memref.alloc() : memref<2048x2048xi8>\n    %big1 = memref.alloc() : memref<2048x2048xi8>\n"
             "    %n300 = arith.constant 300 : index\n"
             "    scf.for %r = %3 to %n300 step %2 {\n"
             "      \"memref.copy\"(%big0, %big1) : (memref<2048x2048xi8>, memref<2048x2048xi8>) -> ()\n    }")
    ir = _insert_before_config(p.target_ir(p.initial()), lines)
    m = p.evaluate(p.apply_edit(p.initial(), ir))
    assert not m.correct and f"after {p.step_budget()} simulator steps" in m.error, m.error


def test_total_allocation_is_capped() -> None:
    p = _problem(4, 4, 4)
    lines = "\n".join(f"    %a{i} = memref.alloc() : memref<2048x2048xi8>" for i in range(20))
    with pytest.raises(Exception, match="allocates 83886080 bytes in all"):
        p.apply_edit(p.initial(), _insert_before_config(p.target_ir(p.initial()), lines))
