"""LLMClient through a real socket and the real openai package, against the loopback server."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.llm import (
    BudgetExhausted,
    LLMClient,
    LLMConfig,
    LLMRequestError,
    ModelSpec,
    load_config,
)
from liftcomp.llm.testing import (
    Delay,
    LoopbackLLMServer,
    Malformed,
    RecordedRequest,
    Reply,
    Status,
    Trickle,
)

PROMPT = [
    {"role": "system", "content": "You lift loop nests."},
    {"role": "user", "content": "for i: C[i] = A[i] + B[i]  -- counterexample: A=[1], got 3"},
]


def test_correct_answer_and_request_contents(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Reply(["add(A, B)", "A + B", "np.add(A, B)"]))
    client = LLMClient(llm_server.config(model="m1"))
    texts = client.complete(PROMPT, n=3, temperature=0.7, max_tokens=123)
    assert texts == ["add(A, B)", "A + B", "np.add(A, B)"]

    [req] = llm_server.requests
    assert req.path == "/v1/chat/completions"
    assert req.body["model"] == "m1"
    assert req.body["n"] == 3
    assert req.body["temperature"] == 0.7
    assert req.body["max_tokens"] == 123
    assert req.messages == PROMPT
    assert "counterexample: A=[1], got 3" in req.text
    assert req.headers["authorization"] == "Bearer test-key"

    # The loopback server reports 11 prompt tokens and 7 per choice.
    assert client.usage.calls == 1
    assert client.usage.prompt_tokens == 11
    assert client.usage.completion_tokens == 21
    assert client.usage.total_tokens == 32
    assert client.usage.failures == 0
    assert client.usage.calls_by_model == {"m1": 1}


def test_500_then_success_is_retried(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Status(500), Status(503), Reply(["ok"]))
    client = LLMClient(llm_server.config())
    assert client.complete(PROMPT) == ["ok"]
    assert len(llm_server.requests) == 3
    assert (client.usage.calls, client.usage.failures, client.usage.retries) == (3, 2, 2)
    # Retries resend the same request.
    assert llm_server.requests[0].body == llm_server.requests[2].body


def test_429_respects_retry_after(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Status(429, {"Retry-After": "0.4"}), Reply(["ok"]))
    # Backoff alone would wait 1 ms: the measured wait can only come from Retry-After.
    client = LLMClient(llm_server.config())
    start = time.monotonic()
    assert client.complete(PROMPT) == ["ok"]
    assert time.monotonic() - start >= 0.4
    assert client.usage.retries == 1


def test_retry_after_is_capped(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Status(429, {"Retry-After": "30"}), Reply(["ok"]))
    client = LLMClient(llm_server.config(retry_after_max_s=0.05))
    start = time.monotonic()
    assert client.complete(PROMPT) == ["ok"]
    assert time.monotonic() - start < 5


def test_backoff_grows_exponentially(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Status(500), Status(500), Status(500), Reply(["ok"]))
    waits: list[float] = []
    client = LLMClient(
        llm_server.config(backoff_initial_s=0.5, backoff_max_s=1.5), sleep=waits.append
    )
    assert client.complete(PROMPT) == ["ok"]
    assert waits == [0.5, 1.0, 1.5]


def test_timeout_then_success(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Delay(5.0, Reply(["too late"])), Reply(["in time"]))
    client = LLMClient(llm_server.config(timeout_s=0.3))
    start = time.monotonic()
    assert client.complete(PROMPT) == ["in time"]
    assert time.monotonic() - start < 3
    assert len(llm_server.requests) == 2
    assert client.usage.failures == 1


def test_timeout_is_wall_clock_for_a_trickling_reply(llm_server: LoopbackLLMServer) -> None:
    # One byte every 0.2 s (status line and headers too): no single read ever waits 1.5 s, so only a
    # wall-clock deadline stops the first request, which would otherwise take over a minute.
    # A reply that trickles fast enough to finish in time is accepted.
    llm_server.script(
        Trickle(Reply(["late"]), 0.2),
        Trickle(Reply(["trickled in time"]), 0.001),
    )
    client = LLMClient(llm_server.config(timeout_s=1.5, max_retries=1))
    start = time.monotonic()
    assert client.complete(PROMPT) == ["trickled in time"]
    assert time.monotonic() - start < 5
    assert (client.usage.failures, client.usage.retries, len(llm_server.requests)) == (1, 1, 2)

    llm_server.script(Trickle(Reply(["late"]), 0.2))
    client = LLMClient(llm_server.config(timeout_s=1.5, max_retries=0))
    start = time.monotonic()
    with pytest.raises(LLMRequestError, match="timed out after 1.5 s"):
        client.complete(PROMPT)
    assert time.monotonic() - start < 5

    # The abandoned requests' threads end once their connections are closed.
    deadline = time.monotonic() + 5
    while _request_threads() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not _request_threads()


def _request_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "liftcomp-llm-request"]


def test_retries_exhausted_raises_request_error(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(*[Status(502)] * 3)
    client = LLMClient(llm_server.config(max_retries=2))
    with pytest.raises(LLMRequestError, match="after 3 attempt") as info:
        client.complete(PROMPT)
    assert info.value.status == 502
    assert isinstance(info.value, LiftcompError)
    assert len(llm_server.requests) == 3


def test_client_error_is_not_retried(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Status(401, message="bad key"), Reply(["never"]))
    client = LLMClient(llm_server.config())
    with pytest.raises(LLMRequestError, match="HTTP 401") as info:
        client.complete(PROMPT)
    assert info.value.status == 401
    assert len(llm_server.requests) == 1
    assert llm_server.pending == 1


@pytest.mark.parametrize(
    "bad",
    [
        Malformed(),  # truncated JSON
        Malformed("<html>gateway hiccup</html>"),
        Malformed('{"id": "x", "choices": []}'),
        Malformed('{"choices": [{"index": 0}]}'),
        Malformed("[1, 2]"),
    ],
)
def test_malformed_reply_is_retried(llm_server: LoopbackLLMServer, bad: Malformed) -> None:
    llm_server.script(bad, Reply(["ok"]))
    client = LLMClient(llm_server.config())
    assert client.complete(PROMPT) == ["ok"]
    assert client.usage.failures == 1


def test_persistently_malformed_reply_fails_clearly(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(*[Malformed()] * 2)
    client = LLMClient(llm_server.config(max_retries=1))
    with pytest.raises(LLMRequestError, match="not JSON"):
        client.complete(PROMPT)


def test_budget_calls(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Status(500), Reply(["one"]), Reply(["two"]))
    client = LLMClient(llm_server.config(max_calls=2))
    assert client.complete(PROMPT) == ["one"]
    with pytest.raises(BudgetExhausted, match="2 of 2 calls") as info:
        client.complete(PROMPT)
    assert info.value.limit == "calls"
    assert len(llm_server.requests) == 2  # nothing sent once the budget is spent


def test_budget_calls_stops_retries(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Status(500), Reply(["never"]))
    client = LLMClient(llm_server.config(max_calls=1))
    with pytest.raises(BudgetExhausted):
        client.complete(PROMPT)
    assert len(llm_server.requests) == 1


def test_budget_tokens(llm_server: LoopbackLLMServer) -> None:
    # Each reply costs 11 + 7 = 18 tokens: the second call crosses 30, the third is refused.
    llm_server.script(Reply(["a"]), Reply(["b"]), Reply(["c"]))
    client = LLMClient(llm_server.config(max_tokens=30))
    assert client.complete(PROMPT) == ["a"]
    assert client.complete(PROMPT) == ["b"]
    with pytest.raises(BudgetExhausted) as info:
        client.complete(PROMPT)
    assert info.value.limit == "tokens"
    assert client.usage.total_tokens == 36


def test_budget_seconds_shortens_timeouts(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(*[Delay(5.0, Reply(["late"]))] * 5)
    client = LLMClient(llm_server.config(timeout_s=0.25, max_seconds=0.4, max_retries=10))
    start = time.monotonic()
    with pytest.raises(BudgetExhausted) as info:
        client.complete(PROMPT)
    elapsed = time.monotonic() - start
    assert info.value.limit == "seconds"
    # 0.25 s, then the 0.15 s that were left; some slack for a slow machine.
    assert 0.35 <= elapsed < 2.0
    assert len(llm_server.requests) == 2


def test_server_ignoring_n_is_asked_again(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Reply(["s1"]), Reply(["s2", "s3"]))
    client = LLMClient(llm_server.config())
    assert client.complete(PROMPT, n=3) == ["s1", "s2", "s3"]
    assert [r.body.get("n") for r in llm_server.requests] == [3, 2]


def test_models_share_the_work_round_robin(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(*[Reply(["x"])] * 4)
    client = LLMClient(llm_server.config(models=("alpha", "beta")))
    for _ in range(3):
        client.complete(PROMPT)
    client.complete(PROMPT, model="beta")
    assert [r.body["model"] for r in llm_server.requests] == ["alpha", "beta", "alpha", "beta"]
    assert client.usage.calls_by_model == {"alpha": 2, "beta": 2}


def test_model_with_its_own_endpoint(tmp_path: Path) -> None:
    with LoopbackLLMServer() as first, LoopbackLLMServer() as second:
        first.script(Reply(["from first"]))
        second.script(Reply(["from second"]))
        config = first.config(models=("a", ModelSpec("b", base_url=second.base_url)))
        client = LLMClient(config)
        assert client.complete(PROMPT) == ["from first"]
        assert client.complete(PROMPT) == ["from second"]
        assert [r.body["model"] for r in second.requests] == ["b"]


def test_missing_usage_is_estimated(llm_server: LoopbackLLMServer) -> None:
    body = '{"choices": [{"index": 0, "message": {"role": "assistant", "content": "12345678"}}]}'
    llm_server.script(Malformed(body))  # valid, just without "usage"
    client = LLMClient(llm_server.config())
    assert client.complete(PROMPT) == ["12345678"]
    prompt_chars = sum(len(m["content"]) for m in PROMPT)
    assert client.usage.prompt_tokens == -(-prompt_chars // 4)
    assert client.usage.completion_tokens == 2
    assert client.usage.estimated_tokens


def test_scripted_callable_sees_the_request(llm_server: LoopbackLLMServer) -> None:
    def answer(req: RecordedRequest) -> Reply:
        return Reply(["saw counterexample" if "counterexample" in req.text else "nothing"])

    llm_server.script(answer)
    assert LLMClient(llm_server.config()).complete(PROMPT) == ["saw counterexample"]


def test_unscripted_request_fails_visibly(llm_server: LoopbackLLMServer) -> None:
    client = LLMClient(llm_server.config())
    with pytest.raises(LLMRequestError, match="script exhausted"):
        client.complete(PROMPT)
    assert len(llm_server.unscripted) == 1


def test_also_serves_path_without_v1(llm_server: LoopbackLLMServer) -> None:
    llm_server.script(Reply(["ok"]))
    base = f"http://127.0.0.1:{llm_server.port}"
    assert LLMClient(llm_server.config(base_url=base)).complete(PROMPT) == ["ok"]
    assert llm_server.requests[0].path == "/chat/completions"


def test_no_model_is_a_clear_error() -> None:
    with pytest.raises(LiftcompError, match="no LLM model configured"):
        LLMClient(LLMConfig())


def test_no_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    client = LLMClient(LLMConfig(models=("m",), cache_mode="off"))
    with pytest.raises(LiftcompError, match="OPENAI_API_KEY"):
        client.complete(PROMPT)


# -- configuration ---------------------------------------------------------------------------


def test_config_from_environment(tmp_path: Path) -> None:
    env = {
        "OPENAI_API_KEY": "sk-env",
        "OPENAI_BASE_URL": "http://localhost:9/v1",
        "LIFTCOMP_MODEL": "m1, m2",
        "LIFTCOMP_LLM_CACHE": "replay",
        "LIFTCOMP_LLM_CACHE_DIR": str(tmp_path / "c"),
        "XDG_CONFIG_HOME": str(tmp_path),  # no config file there
    }
    config = load_config(env=env)
    assert config.model_names == ("m1", "m2")
    assert config.api_key == "sk-env"
    assert config.base_url == "http://localhost:9/v1"
    assert config.cache_mode == "replay"
    assert config.resolved_cache_dir() == tmp_path / "c"
    assert config.endpoint_configured


def test_config_file_then_env_then_arguments(tmp_path: Path) -> None:
    path = tmp_path / "llm.toml"
    path.write_text(
        "[llm]\n"
        'models = ["file-model", { name = "local", base_url = "http://127.0.0.1:1/v1" }]\n'
        'api_key_env = "MY_KEY"\n'
        "timeout_s = 7\n"
        "max_calls = 3\n"
        'cache_mode = "record"\n'
    )
    env = {"LIFTCOMP_LLM_CONFIG": str(path), "MY_KEY": "sk-file", "OPENAI_API_KEY": "sk-other"}
    config = load_config(env=env)
    assert config.model_names == ("file-model", "local")
    assert config.model_specs[1].base_url == "http://127.0.0.1:1/v1"
    assert config.api_key == "sk-file"  # the file named its key variable
    assert (config.timeout_s, config.max_calls, config.cache_mode) == (7, 3, "record")

    env["LIFTCOMP_MODEL"] = "env-model"
    config = load_config(env=env, max_calls=None, timeout_s=1.5, models="arg-model")
    assert config.model_names == ("arg-model",)
    assert (config.timeout_s, config.max_calls) == (1.5, 3)  # None overrides are ignored


def test_default_cache_dir_follows_xdg(tmp_path: Path) -> None:
    config = load_config(env={"XDG_CACHE_HOME": str(tmp_path), "XDG_CONFIG_HOME": str(tmp_path)})
    assert config.cache_dir is None
    assert not config.endpoint_configured  # no model
    from liftcomp.llm import default_cache_dir

    assert default_cache_dir({"XDG_CACHE_HOME": str(tmp_path)}) == tmp_path / "liftcomp" / "llm"


@pytest.mark.parametrize(
    "text, message",
    [
        ("[llm]\nmodle = 'x'\n", "unknown \\[llm\\] key"),
        ("[llm\n", "invalid TOML"),
        ("[llm]\ncache_mode = 'sometimes'\n", "unknown LLM cache mode"),
    ],
)
def test_bad_config_file(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "llm.toml"
    path.write_text(text)
    with pytest.raises(LiftcompError, match=message):
        load_config(config_file=path, env={})


def test_clients_sharing_usage_share_the_budget(llm_server: LoopbackLLMServer) -> None:
    from liftcomp.llm import Usage

    llm_server.script(Reply(["lift"]), Reply(["plan"]), Reply(["never"]))
    shared = Usage()
    config = llm_server.config(max_calls=2)
    lifter, planner = LLMClient(config, usage=shared), LLMClient(config, usage=shared)
    assert lifter.complete(PROMPT) == ["lift"]
    assert planner.complete(PROMPT) == ["plan"]
    with pytest.raises(BudgetExhausted):
        lifter.complete(PROMPT)
    assert shared.to_dict()["calls"] == 2 and shared.to_dict()["total_tokens"] == 36


def test_retry_after_header_forms() -> None:
    from datetime import UTC, datetime, timedelta
    from email.utils import format_datetime

    from liftcomp.llm.client import _retry_after

    assert _retry_after({"retry-after": "2"}) == 2.0
    assert _retry_after({"retry-after-ms": "250", "retry-after": "9"}) == 0.25
    assert _retry_after({}) is None
    assert _retry_after({"retry-after": "soon"}) is None
    date = format_datetime(datetime.now(UTC) + timedelta(seconds=30), usegmt=True)
    asked = _retry_after({"retry-after": date})
    assert asked is not None and 25 < asked <= 30


def test_cli_options(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import argparse

    from liftcomp.llm.options import add_llm_arguments, config_from_args

    monkeypatch.setenv("LIFTCOMP_MODEL", "env-model")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("LIFTCOMP_LLM_CONFIG", raising=False)
    monkeypatch.delenv("LIFTCOMP_LLM_CACHE", raising=False)
    parser = argparse.ArgumentParser()
    add_llm_arguments(parser)

    config = config_from_args(parser.parse_args([]))
    assert config.model_names == ("env-model",)
    assert config.cache_mode == "use"

    ns = parser.parse_args(
        ["--llm-model", "a,b", "--llm-cache", "replay", "--llm-cache-dir", str(tmp_path)]
        + ["--llm-max-calls", "5", "--llm-timeout", "3"]
    )
    config = config_from_args(ns)
    assert config.model_names == ("a", "b")
    assert (config.cache_mode, config.cache_dir) == ("replay", tmp_path)
    assert (config.max_calls, config.timeout_s) == (5, 3.0)
    with pytest.raises(SystemExit):
        parser.parse_args(["--llm-cache", "sometimes"])


def test_import_is_cheap() -> None:
    # CLIs import the LLM options on every run; the openai package (~1 s) only loads when used.
    import subprocess
    import sys

    code = "import sys, liftcomp.llm, liftcomp.llm.options; print('openai' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
