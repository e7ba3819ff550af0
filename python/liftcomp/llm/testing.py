"""A loopback OpenAI-compatible HTTP server with scripted replies, for tests.

It listens on 127.0.0.1 on an ephemeral port, in a background thread, and answers
`POST /v1/chat/completions` (and `/chat/completions`) with the next item of its script:

    with LoopbackLLMServer() as server:
        server.script(Reply(["matmul(A, B)"]), Status(500), Reply(["x", "y"]))
        config = server.config(model="m")           # LLMConfig pointing at the server, tiny backoff
        ...
        assert "counterexample" in server.requests[-1].text

Script items:
- `Reply(texts)`: a chat.completion with one choice per text (and a `usage` block).
- `Status(code, headers)`: an HTTP error, e.g. `Status(429, {"Retry-After": "0.05"})`.
- `Delay(seconds, then)`: wait (longer than the client's timeout, typically), then answer with `then`.
- `Malformed(body)`: HTTP 200 with a body that is not a chat.completion (invalid JSON by default).
- `Trickle(then, interval)`: send `then`'s whole HTTP response (status line and headers included)
  one byte every `interval` seconds, like a stalled proxy; a per-read timeout never fires on it.
- a callable `(RecordedRequest) -> item`, to answer from what the request contains.

Every request body is recorded in `server.requests`, in arrival order, whatever the answer.
When the script is exhausted the server answers 400 (not retried by clients) and records the fact in
`server.unscripted`, so a test that sends more requests than it scripted fails visibly.
"""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from liftcomp.llm.config import LLMConfig

CHAT_PATHS = ("/v1/chat/completions", "/chat/completions")


@dataclass(frozen=True)
class Reply:
    texts: Sequence[str]
    prompt_tokens: int = 11
    completion_tokens_per_choice: int = 7
    model: str | None = None  # defaults to the requested model


@dataclass(frozen=True)
class Status:
    code: int
    headers: Mapping[str, str] = field(default_factory=dict)
    message: str = "scripted error"


@dataclass(frozen=True)
class Delay:
    seconds: float
    then: ScriptItem


@dataclass(frozen=True)
class Malformed:
    body: str = '{"id": "x", "choices": [ {"message": '
    status: int = 200


@dataclass(frozen=True)
class Trickle:
    then: Reply | Status | Malformed
    interval: float = 1.0


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: Mapping[str, str]
    body: Any  # the parsed JSON body, or the raw text if it was not JSON

    @property
    def messages(self) -> list[dict[str, Any]]:
        if not isinstance(self.body, dict):
            return []
        return list(self.body.get("messages", []))

    @property
    def text(self) -> str:
        """All message contents, joined: what tests search for prompt fragments."""
        return "\n".join(str(m.get("content", "")) for m in self.messages)


ScriptItem = (
    Reply | Status | Delay | Malformed | Trickle | Callable[[RecordedRequest], "ScriptItem"]
)


class LoopbackLLMServer:
    """See the module docstring. Thread-safe; `stop()` interrupts pending delays."""

    def __init__(self) -> None:
        self.requests: list[RecordedRequest] = []
        self.unscripted: list[RecordedRequest] = []
        self._script: deque[ScriptItem] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> LoopbackLLMServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        httpd.daemon_threads = True
        self._httpd = httpd
        self._port = httpd.server_address[1]
        # A short poll interval keeps stop() fast (shutdown waits for the next poll).
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.02,), name="loopback-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._stopping.set()  # wake handlers sleeping in a Delay
        self._httpd.shutdown()
        self._httpd.server_close()
        assert self._thread is not None
        self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> LoopbackLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def running(self) -> bool:
        return self._httpd is not None

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the loopback server was never started")
        return self._port

    @property
    def base_url(self) -> str:
        """The OpenAI base URL (ends in /v1), usable as OPENAI_BASE_URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    # -- script --------------------------------------------------------------------------------

    def script(self, *items: ScriptItem) -> None:
        """Append answers, consumed one per request in order."""
        with self._lock:
            self._script.extend(items)

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._script)

    def config(self, **overrides: Any) -> LLMConfig:
        """An LLMConfig for this server with test-sized delays (overridable), cache off."""
        values: dict[str, Any] = {
            "models": ("loopback-model",),
            "base_url": self.base_url,
            "api_key": "test-key",
            "timeout_s": 2.0,
            "max_retries": 3,
            "backoff_initial_s": 0.001,
            "backoff_max_s": 0.01,
            "cache_mode": "off",
        }
        values.update(overrides)
        if "model" in values:
            values["models"] = (values.pop("model"),)
        return LLMConfig(**values)

    # -- request handling (server threads) -------------------------------------------------------

    def _record(self, request: RecordedRequest) -> ScriptItem | None:
        with self._lock:
            self.requests.append(request)
            if not self._script:
                self.unscripted.append(request)
                return None
            return self._script.popleft()

    def _wait(self, seconds: float) -> bool:
        """Sleep unless the server stops first; True if it was not interrupted."""
        return not self._stopping.wait(seconds)


def _completion_body(item: Reply, request: RecordedRequest) -> dict[str, Any]:
    model = item.model
    if model is None and isinstance(request.body, dict):
        model = str(request.body.get("model", "loopback-model"))
    choices = [
        {
            "index": i,
            "message": {"role": "assistant", "content": text},
            "finish_reason": "stop",
            "logprobs": None,
        }
        for i, text in enumerate(item.texts)
    ]
    completion_tokens = item.completion_tokens_per_choice * len(item.texts)
    return {
        "id": f"chatcmpl-loopback-{len(item.texts)}",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": choices,
        "usage": {
            "prompt_tokens": item.prompt_tokens,
            "completion_tokens": completion_tokens,
            "total_tokens": item.prompt_tokens + completion_tokens,
        },
    }


def _make_handler(server: LoopbackLLMServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - stdlib signature
            return  # keep test output quiet

        def _send(
            self,
            code: int,
            body: str,
            headers: Mapping[str, str] | None = None,
            trickle: float | None = None,
        ) -> None:
            data = body.encode()
            fields = {"Content-Type": "application/json", "Content-Length": str(len(data))}
            fields.update(headers or {})
            if trickle is not None:
                head = f"HTTP/1.1 {code} {HTTPStatus(code).phrase}\r\n" + "".join(
                    f"{key}: {value}\r\n" for key, value in fields.items()
                )
                self._trickle(head.encode() + b"\r\n" + data, trickle)
                return
            self.send_response(code)
            for key, value in fields.items():
                self.send_header(key, value)
            self.end_headers()
            try:
                self.wfile.write(data)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout); nothing to do

        def _trickle(self, data: bytes, interval: float) -> None:
            for i in range(len(data)):
                try:
                    self.wfile.write(data[i : i + 1])
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return  # the client gave up
                if not server._wait(interval):
                    return  # stopping: drop the connection

        def _error(
            self,
            code: int,
            message: str,
            headers: Mapping[str, str] | None = None,
            trickle: float | None = None,
        ) -> None:
            body = json.dumps({"error": {"message": message, "type": "loopback", "code": code}})
            self._send(code, body, headers, trickle)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length).decode("utf-8", errors="replace")
            if self.path.split("?")[0] not in CHAT_PATHS:
                self._error(404, f"loopback server: no route {self.path}")
                return
            try:
                body: Any = json.loads(raw)
            except json.JSONDecodeError:
                body = raw
            request = RecordedRequest(
                self.path, {k.lower(): v for k, v in self.headers.items()}, body
            )
            item = server._record(request)
            if item is None:
                self._error(400, "loopback server: script exhausted (unscripted request)")
                return
            self._answer(item, request)

        def _answer(self, item: ScriptItem, request: RecordedRequest) -> None:
            trickle: float | None = None
            while True:
                if isinstance(item, Reply):
                    self._send(200, json.dumps(_completion_body(item, request)), None, trickle)
                    return
                if isinstance(item, Status):
                    self._error(item.code, item.message, item.headers, trickle)
                    return
                if isinstance(item, Malformed):
                    self._send(item.status, item.body, None, trickle)
                    return
                if isinstance(item, Trickle):
                    trickle = item.interval
                    item = item.then
                    continue
                if isinstance(item, Delay):
                    if not server._wait(item.seconds):
                        return  # stopping: drop the connection
                    item = item.then
                    continue
                item = item(request)

    return Handler
