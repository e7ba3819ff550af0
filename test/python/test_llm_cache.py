"""The response cache: record/replay through the real client and socket, misses, corruption, races."""

from __future__ import annotations

import json
import multiprocessing
import multiprocessing.synchronize
import warnings
from pathlib import Path

import pytest
from liftcomp.llm import (
    CachedResponse,
    CacheMiss,
    CacheWarning,
    LLMClient,
    LLMRequestError,
    ResponseCache,
    request_key,
)
from liftcomp.llm.testing import LoopbackLLMServer, Reply

PROMPT = [{"role": "user", "content": "Lift: for i in range(4): C[i] = A[i] * B[i]"}]
# Odd bytes on purpose: unicode, tabs, CRLF, trailing spaces, a lone backslash.
ANSWERS = ["mul(A, B)\r\n", "  A * B\t# ünïcødé \\ ", "```python\nreturn np.multiply(A, B)\n```\n"]


def test_record_then_replay_is_byte_identical_without_server(tmp_path: Path) -> None:
    with LoopbackLLMServer() as server:
        server.script(Reply(ANSWERS), Reply(["second request"]))
        recorder = LLMClient(server.config(cache_mode="record", cache_dir=tmp_path))
        recorded = [
            recorder.complete(PROMPT, n=3, temperature=0.8),
            recorder.complete(PROMPT, n=1, temperature=0.0),
        ]
        replay_config = server.config(cache_mode="replay", cache_dir=tmp_path)
    assert not server.running
    assert recorded == [ANSWERS, ["second request"]]

    # The server is gone: any network attempt would raise a connection error.
    replayer = LLMClient(replay_config)
    replayed = [
        replayer.complete(PROMPT, n=3, temperature=0.8),
        replayer.complete(PROMPT, n=1, temperature=0.0),
    ]
    assert json.dumps(replayed).encode() == json.dumps(recorded).encode()
    assert [t.encode() for t in replayed[0]] == [t.encode() for t in ANSWERS]
    assert replayer.usage.calls == 0
    assert replayer.usage.cache_hits == 2

    # The same client in use mode against the dead server proves the network is really gone.
    live = LLMClient(replay_config.with_overrides(cache_mode="use", max_retries=0))
    with pytest.raises(LLMRequestError, match="connection"):
        live.complete(PROMPT, n=2)


def test_use_mode_reads_and_writes(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    llm_server.script(Reply(["first"]), Reply(["fresh"]))
    client = LLMClient(llm_server.config(cache_mode="use", cache_dir=tmp_path))
    assert client.complete(PROMPT) == ["first"]
    assert client.complete(PROMPT) == ["first"]  # from the cache
    assert len(llm_server.requests) == 1
    assert (client.usage.calls, client.usage.cache_hits) == (1, 1)

    # temperature=0 and 0.0 are the same request; a different temperature is not.
    assert client.complete(PROMPT, temperature=0) == ["first"]
    assert client.complete(PROMPT, temperature=0.5) == ["fresh"]
    assert len(llm_server.requests) == 2


def test_record_mode_overwrites(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    llm_server.script(Reply(["old"]), Reply(["new"]))
    client = LLMClient(llm_server.config(cache_mode="record", cache_dir=tmp_path))
    assert client.complete(PROMPT) == ["old"]
    assert client.complete(PROMPT) == ["new"]
    replay = LLMClient(llm_server.config(cache_mode="replay", cache_dir=tmp_path))
    assert replay.complete(PROMPT) == ["new"]


def test_off_mode_writes_nothing(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    llm_server.script(Reply(["a"]), Reply(["b"]))
    client = LLMClient(llm_server.config(cache_mode="off", cache_dir=tmp_path))
    assert client.complete(PROMPT) == ["a"]
    assert client.complete(PROMPT) == ["b"]
    assert list(tmp_path.iterdir()) == []


def test_entries_are_readable_json(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    llm_server.script(Reply(ANSWERS))
    client = LLMClient(llm_server.config(model="m", cache_mode="use", cache_dir=tmp_path))
    completion = client.request(PROMPT, n=3, temperature=0.8)
    [path] = list(tmp_path.rglob("*.json"))
    assert path == tmp_path / completion.key[:2] / f"{completion.key}.json"
    entry = json.loads(path.read_text(encoding="utf-8"))
    assert entry["key"] == completion.key
    assert entry["request"]["model"] == "m"
    assert entry["request"]["messages"] == PROMPT
    assert entry["response"]["texts"] == ANSWERS
    assert entry["response"]["usage"] == {"prompt_tokens": 11, "completion_tokens": 21}
    assert "ünïcødé" in path.read_text(encoding="utf-8")  # not \u-escaped
    assert path.read_text().count("\n") > 10  # indented, one field per line


def test_replay_miss_names_the_entry(llm_server: LoopbackLLMServer, tmp_path: Path) -> None:
    client = LLMClient(llm_server.config(model="gpt-x", cache_mode="replay", cache_dir=tmp_path))
    with pytest.raises(CacheMiss) as info:
        client.complete(PROMPT, n=2, temperature=0.25)
    message = str(info.value)
    key = info.value.key
    assert len(key) == 64 and key in message
    assert str(tmp_path / key[:2] / f"{key}.json") in message
    assert "model=gpt-x" in message and "n=2" in message and "temperature=0.25" in message
    assert "C[i] = A[i] * B[i]" in message
    assert llm_server.requests == []  # replay never touches the network


def test_corrupt_entry_is_ignored_with_a_warning(
    llm_server: LoopbackLLMServer, tmp_path: Path
) -> None:
    llm_server.script(Reply(["good"]), Reply(["refetched"]))
    client = LLMClient(llm_server.config(cache_mode="use", cache_dir=tmp_path))
    key = client.request(PROMPT).key
    path = tmp_path / key[:2] / f"{key}.json"
    path.write_text(path.read_text()[:40])  # a torn write, as if a run had died mid-way

    with pytest.warns(CacheWarning, match="corrupt LLM cache entry .*invalid JSON"):
        assert client.complete(PROMPT) == ["refetched"]
    # The entry was rewritten whole and is clean again.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert client.complete(PROMPT) == ["refetched"]
    assert len(llm_server.requests) == 2


@pytest.mark.parametrize(
    "content, why",
    [
        (b"\xff\xfe garbage", "unreadable"),
        (b'{"format": "something-else/9"}', "not a liftcomp-llm-cache/1 entry"),
        (b"[]", "not a liftcomp-llm-cache/1 entry"),
    ],
)
def test_corrupt_entry_in_replay_is_a_miss(tmp_path: Path, content: bytes, why: str) -> None:
    cache = ResponseCache(tmp_path, "replay")
    request = {"model": "m", "messages": PROMPT, "n": 1, "temperature": 0.0}
    path = cache.path_for(request_key(request))
    path.parent.mkdir(parents=True)
    path.write_bytes(content)
    with pytest.warns(CacheWarning, match=why), pytest.raises(CacheMiss):
        cache.lookup(request)


def test_entry_for_another_request_is_rejected(tmp_path: Path) -> None:
    cache = ResponseCache(tmp_path, "use")
    one = {"model": "m", "messages": PROMPT, "n": 1}
    other = {"model": "m", "messages": PROMPT, "n": 2}
    cache.store(one, CachedResponse(["x"], "m", {}))
    # Someone copied an entry to the wrong key: detected, not served.
    cache.path_for(request_key(one)).rename(_placed(cache, other))
    with pytest.warns(CacheWarning, match="does not match"):
        assert cache.lookup(other) is None


def _placed(cache: ResponseCache, request: dict[str, object]) -> Path:
    path = cache.path_for(request_key(request))
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# -- concurrency ------------------------------------------------------------------------------

N_KEYS = 20
ROUNDS = 30


def _request(i: int) -> dict[str, object]:
    return {"model": "m", "messages": [{"role": "user", "content": f"kernel {i}"}], "n": 1}


def _writer(directory: str, tag: str, start: multiprocessing.synchronize.Event) -> None:
    cache = ResponseCache(Path(directory), "use")
    start.wait()
    for r in range(ROUNDS):
        for i in range(N_KEYS):
            # Large enough that a non-atomic write would be visible as a torn file.
            text = f"{tag}:{r}:" + "x" * 20_000
            cache.store(_request(i), CachedResponse([text], "m", {"prompt_tokens": i}))


def test_concurrent_writers_never_corrupt(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    start = ctx.Event()
    writers = [ctx.Process(target=_writer, args=(str(tmp_path), tag, start)) for tag in "AB"]
    for p in writers:
        p.start()
    start.set()

    reader = ResponseCache(tmp_path, "use")
    seen = 0
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a torn read would warn: make it fail the test
        while any(p.is_alive() for p in writers):
            for i in range(N_KEYS):
                got = reader.lookup(_request(i))
                if got is not None:
                    seen += 1
                    assert got.texts[0].split(":")[0] in ("A", "B")
                    assert got.texts[0].endswith("x" * 20_000)
    for p in writers:
        p.join()
        assert p.exitcode == 0

    assert seen > 0  # the reader really raced the writers
    entries = sorted(tmp_path.rglob("*.json"))
    assert len(entries) == N_KEYS
    for i in range(N_KEYS):
        got = reader.lookup(_request(i))
        assert got is not None and got.texts[0].startswith(("A:29:", "B:29:"))
    assert [p for p in tmp_path.rglob("*") if p.is_file() and p.suffix != ".json"] == []
