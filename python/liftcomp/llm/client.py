"""An OpenAI-compatible chat client with retries, a per-run budget, usage accounting and a cache.

It knows nothing about lifting: callers pass chat messages and get one string per sample.

    client = LLMClient(load_config())
    texts = client.complete([{"role": "user", "content": "..."}], n=4, temperature=0.8)
    client.usage.calls, client.usage.prompt_tokens, ...

Retries: timeouts, connection errors, malformed replies and HTTP 408/409/429/5xx are retried up to
`max_retries` times, waiting `backoff_initial_s * 2**attempt` (capped by `backoff_max_s`), or what the
server's `retry-after-ms` / `Retry-After` header asks (capped by `retry_after_max_s`). Other HTTP
errors (400, 401, 404, ...) fail at once with LLMRequestError.

Budget (from the config, None = unlimited), checked before every HTTP request:
- `max_calls`: HTTP requests sent, retries included (so at most that many requests leave the machine);
- `max_tokens`: prompt + completion tokens reported by the server (estimated as characters / 4 when
  the server reports none); the request that crosses the limit completes, the next one is refused;
- `max_seconds`: time spent inside the client (network waits and backoff), not wall time of the
  run, so a long symbolic phase before the first request does not eat the LLM budget. Each request's
  timeout is shortened to what is left.

Timeouts are wall-clock: `timeout_s` bounds each HTTP request from start to last byte. httpx's own
timeouts are per read, so a server trickling one byte a second would never trip them; the request
therefore runs in a worker thread that the caller stops waiting for at the deadline (its connection is
closed, so the thread ends soon after). A request cut off this way counts as a timeout, and is retried.
Exhaustion raises BudgetExhausted. Cache hits are free: they count in `usage.cache_hits` only.

Several models share the work round-robin, one request each, unless `model=` is given.
Not thread-safe: one client per thread.
"""

from __future__ import annotations

import email.utils
import json
import math
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from liftcomp.llm.cache import CachedResponse, ResponseCache, request_key
from liftcomp.llm.config import LLMConfig, ModelSpec
from liftcomp.llm.errors import BudgetExhausted, LLMError, LLMRequestError

if TYPE_CHECKING:
    import openai

Message = Mapping[str, str]

RETRYABLE_STATUS = frozenset({408, 409, 429})


@dataclass
class Usage:
    calls: int = 0  # HTTP requests sent, retries included
    failures: int = 0  # of which failed (timeout, connection, HTTP error, malformed reply)
    retries: int = 0
    cache_hits: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated_tokens: bool = False  # some token counts were estimated (server reported none)
    seconds: float = 0.0  # time spent in the client: requests and backoff
    calls_by_model: dict[str, int] = field(default_factory=dict)

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"total_tokens": self.total_tokens}


@dataclass(frozen=True)
class Completion:
    texts: list[str]  # one per sample, in the server's order
    model: str  # the model requested (cache key), not the server's spelling of it
    cached: bool
    key: str  # cache key of the request, also when the cache is off


@dataclass(frozen=True)
class _Reply:
    texts: list[str]
    model: str  # as the server spells it
    prompt_tokens: int
    completion_tokens: int
    estimated: bool  # token counts estimated: the server reported none


class _Malformed(Exception):
    """The server answered 2xx with something that is not a usable chat completion."""


class _Deadline(Exception):
    """The request was still running at its wall-clock deadline."""


class LLMClient:
    def __init__(
        self,
        config: LLMConfig,
        *,
        cache: ResponseCache | None = None,
        usage: Usage | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ):
        if not config.models:
            raise LLMError(
                "no LLM model configured: set LIFTCOMP_MODEL, a config file or --llm-model"
            )
        self.config = config
        self.cache = cache or ResponseCache(config.resolved_cache_dir(), config.cache_mode)
        # Pass the same Usage to several clients (lifting, planning) to share one run's budget.
        self.usage = usage if usage is not None else Usage()
        self._sleep = sleep
        self._clock = clock
        self._next_model = 0
        self._openai: dict[str, openai.OpenAI] = {}  # created lazily: replay needs no endpoint

    # -- public API ----------------------------------------------------------------------------

    def complete(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        model: str | None = None,
        seed: int | None = None,
    ) -> list[str]:
        """One reply text per sample (`n` of them). See `request` for the details."""
        return self.request(
            messages, n=n, temperature=temperature, max_tokens=max_tokens, model=model, seed=seed
        ).texts

    def request(
        self,
        messages: Sequence[Message],
        *,
        n: int = 1,
        temperature: float = 0.0,
        max_tokens: int | None = None,
        model: str | None = None,
        seed: int | None = None,
    ) -> Completion:
        """Ask for `n` samples, from the cache if the mode allows, else from the endpoint.

        Raises BudgetExhausted, LLMRequestError, or CacheMiss (replay mode).
        """
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        spec = self._pick_model(model)
        request = _request_dict(spec.name, messages, n, temperature, max_tokens, seed)
        key = request_key(request)

        cached = self.cache.lookup(request)
        if cached is not None:
            self.usage.cache_hits += 1
            return Completion(list(cached.texts), spec.name, True, key)

        texts: list[str] = []
        served_model = spec.name
        prompt_tokens = completion_tokens = 0
        # Some servers (llama.cpp, Ollama) ignore n and return one choice: ask again for the rest.
        while len(texts) < n:
            reply = self._call_with_retries(spec, request, n - len(texts))
            texts.extend(reply.texts[: n - len(texts)])
            served_model = reply.model
            prompt_tokens += reply.prompt_tokens
            completion_tokens += reply.completion_tokens

        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens}
        self.cache.store(request, CachedResponse(texts, served_model, usage))
        return Completion(texts, spec.name, False, key)

    @property
    def models(self) -> tuple[str, ...]:
        return self.config.model_names

    # -- internals -----------------------------------------------------------------------------

    def _pick_model(self, name: str | None) -> ModelSpec:
        specs = self.config.model_specs
        if name is None:
            spec = specs[self._next_model % len(specs)]
            self._next_model += 1
            return spec
        for spec in specs:
            if spec.name == name:
                return spec
        return ModelSpec(name)  # an unlisted model on the default endpoint

    def _endpoint(self, spec: ModelSpec) -> openai.OpenAI:
        existing = self._openai.get(spec.name)
        if existing is not None:
            return existing
        api_key = self.config.api_key
        if spec.api_key_env is not None:
            api_key = os.environ.get(spec.api_key_env)
        base_url = spec.base_url or self.config.base_url
        if api_key is None and base_url is None:
            raise LLMError(
                f"no endpoint for model '{spec.name}': set OPENAI_API_KEY (OpenAI) or "
                "OPENAI_BASE_URL (a local OpenAI-compatible server)"
            )
        import openai  # here, not at the top: it takes a second to import, and replay needs none

        # Local servers usually ignore the key, but the openai package insists on one.
        client = openai.OpenAI(
            api_key=api_key or "unused",
            base_url=base_url,
            max_retries=0,  # retries are ours: budget, Retry-After and accounting in one place
            timeout=self.config.timeout_s,
        )
        self._openai[spec.name] = client
        return client

    def _check_budget(self) -> None:
        cfg, used = self.config, self.usage
        if cfg.max_calls is not None and used.calls >= cfg.max_calls:
            raise BudgetExhausted(
                f"LLM budget exhausted: {used.calls} of {cfg.max_calls} calls", "calls"
            )
        if cfg.max_tokens is not None and used.total_tokens >= cfg.max_tokens:
            raise BudgetExhausted(
                f"LLM budget exhausted: {used.total_tokens} of {cfg.max_tokens} tokens", "tokens"
            )
        if cfg.max_seconds is not None and used.seconds >= cfg.max_seconds:
            raise BudgetExhausted(
                f"LLM budget exhausted: {used.seconds:.1f} of {cfg.max_seconds} seconds", "seconds"
            )

    def _seconds_left(self) -> float:
        if self.config.max_seconds is None:
            return math.inf
        return self.config.max_seconds - self.usage.seconds

    def _call_with_retries(self, spec: ModelSpec, request: dict[str, Any], n: int) -> _Reply:
        import openai

        attempt = 0
        while True:
            self._check_budget()
            endpoint = self._endpoint(spec)
            timeout = min(self.config.timeout_s, self._seconds_left())
            self.usage.calls += 1
            self.usage.calls_by_model[spec.name] = self.usage.calls_by_model.get(spec.name, 0) + 1
            start = self._clock()
            try:
                reply = self._call_before_deadline(spec, endpoint, request, n, timeout)
                self.usage.prompt_tokens += reply.prompt_tokens
                self.usage.completion_tokens += reply.completion_tokens
                self.usage.estimated_tokens |= reply.estimated
                return reply
            except (openai.APIConnectionError, openai.APIStatusError, _Malformed, _Deadline) as e:
                self.usage.failures += 1
                status = e.status_code if isinstance(e, openai.APIStatusError) else None
                problem = _describe(e)
                if status is not None and status not in RETRYABLE_STATUS and status < 500:
                    raise LLMRequestError(
                        f"LLM request to model '{spec.name}' failed: {problem}", status
                    ) from e
                if attempt >= self.config.max_retries:
                    raise LLMRequestError(
                        f"LLM request to model '{spec.name}' failed after {attempt + 1} "
                        f"attempt(s): {problem}",
                        status,
                    ) from e
                delay = self._retry_delay(e, attempt)
            finally:
                self.usage.seconds += self._clock() - start
            if delay > self._seconds_left():
                raise BudgetExhausted(
                    f"LLM budget exhausted: waiting {delay:.1f}s to retry would pass "
                    f"{self.config.max_seconds} seconds",
                    "seconds",
                )
            start = self._clock()
            self._sleep(delay)
            self.usage.seconds += self._clock() - start
            self.usage.retries += 1
            attempt += 1

    def _retry_delay(self, error: Exception, attempt: int) -> float:
        import openai

        if isinstance(error, openai.APIStatusError):
            asked = _retry_after(error.response.headers)
            if asked is not None:
                return min(max(asked, 0.0), self.config.retry_after_max_s)
        return min(self.config.backoff_initial_s * 2**attempt, self.config.backoff_max_s)

    def _call_before_deadline(
        self,
        spec: ModelSpec,
        endpoint: openai.OpenAI,
        request: dict[str, Any],
        n: int,
        timeout: float,
    ) -> _Reply:
        """`_call_once`, given up at `timeout` seconds of wall-clock time whatever the server does."""
        outcome: list[_Reply | BaseException] = []

        def work() -> None:
            try:
                outcome.append(self._call_once(endpoint, request, n, timeout))
            except BaseException as e:  # handed to the caller's thread below
                outcome.append(e)

        # A daemon thread, so a request abandoned at the deadline never holds the process open.
        worker = threading.Thread(target=work, name="liftcomp-llm-request", daemon=True)
        worker.start()
        worker.join(timeout if math.isfinite(timeout) else None)
        if not outcome:
            # Closing the connection makes the abandoned request fail at its next read.
            self._openai.pop(spec.name, None)
            endpoint.close()
            raise _Deadline(f"timed out after {timeout:g} s")
        result = outcome[0]
        if isinstance(result, BaseException):
            raise result
        return result

    def _call_once(
        self, endpoint: openai.OpenAI, request: dict[str, Any], n: int, timeout: float
    ) -> _Reply:
        kwargs: dict[str, Any] = {
            "model": request["model"],
            "messages": request["messages"],
            "temperature": request["temperature"],
            "timeout": timeout,
        }
        if n != 1:  # some local servers reject the parameter; 1 is everyone's default
            kwargs["n"] = n
        if request["max_tokens"] is not None:
            kwargs["max_tokens"] = request["max_tokens"]
        if request["seed"] is not None:
            kwargs["seed"] = request["seed"]
        raw = endpoint.chat.completions.with_raw_response.create(**kwargs)
        # Parse the body ourselves: the openai package is lenient with malformed replies.
        try:
            body = json.loads(raw.http_response.text)
        except (json.JSONDecodeError, UnicodeDecodeError) as e:
            raise _Malformed(f"reply is not JSON ({e})") from e
        return _parse_completion(body, request)

    def __repr__(self) -> str:
        return f"LLMClient(models={self.models}, cache={self.cache.mode}, usage={self.usage})"


def _request_dict(
    model: str,
    messages: Sequence[Message],
    n: int,
    temperature: float,
    max_tokens: int | None,
    seed: int | None,
) -> dict[str, Any]:
    """The request as cached and sent; floats normalised so 0 and 0.0 share a cache key."""
    checked: list[dict[str, str]] = []
    for i, m in enumerate(messages):
        role, content = m.get("role"), m.get("content")
        if not isinstance(role, str) or not isinstance(content, str):
            raise ValueError(f"message {i} needs string 'role' and 'content', got {dict(m)!r}")
        checked.append({"role": role, "content": content})
    if not checked:
        raise ValueError("no messages")
    return {
        "model": model,
        "messages": checked,
        "n": n,
        "temperature": float(temperature),
        "max_tokens": max_tokens,
        "seed": seed,
    }


def _parse_completion(body: object, request: dict[str, Any]) -> _Reply:
    if not isinstance(body, dict):
        raise _Malformed("reply is not a JSON object")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise _Malformed("reply has no choices")
    texts: list[str] = []
    for choice in choices:
        message = choice.get("message") if isinstance(choice, dict) else None
        if not isinstance(message, dict):
            raise _Malformed("a choice has no message")
        content = message.get("content")
        # None happens with refusals and tool calls: an empty answer, rejected downstream.
        texts.append(content if isinstance(content, str) else "")
    model = body.get("model")
    served = model if isinstance(model, str) else request["model"]
    usage = body.get("usage")
    if isinstance(usage, dict) and isinstance(usage.get("prompt_tokens"), int):
        return _Reply(
            texts, served, usage["prompt_tokens"], int(usage.get("completion_tokens") or 0), False
        )
    # No usage reported (some local servers): estimate so a token budget still bites.
    prompt_chars = sum(len(m["content"]) for m in request["messages"])
    return _Reply(texts, served, -(-prompt_chars // 4), -(-sum(len(t) for t in texts) // 4), True)


def _retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds asked by `retry-after-ms` or `Retry-After` (seconds or an HTTP date), if any."""
    ms = headers.get("retry-after-ms")
    if ms is not None:
        try:
            return float(ms) / 1000
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return (when - datetime.now(UTC)).total_seconds()


def _describe(error: Exception) -> str:
    import openai

    if isinstance(error, openai.APITimeoutError):
        return "timed out"
    if isinstance(error, openai.APIStatusError):
        return f"HTTP {error.status_code}: {error.message}"
    if isinstance(error, openai.APIConnectionError):
        return f"connection error: {error.__cause__ or error}"
    return str(error)
