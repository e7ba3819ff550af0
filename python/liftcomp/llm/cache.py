"""Content-addressed cache of LLM responses, for reproducible builds.

The key is the SHA-256 of the canonical JSON of the request (model, messages, sampling parameters),
so the same request always finds the same entry, on any machine. Each entry is one human-readable
JSON file `<dir>/<key[:2]>/<key>.json` holding the request and the response texts.

Modes:
- `use`: answer from the cache when possible, else ask the model and store the answer;
- `record`: always ask the model, store (overwrite) the answer;
- `replay`: answer only from the cache, never touch the network; a miss raises CacheMiss;
- `off`: neither read nor write.

Writes go to a temporary file in the same directory and are renamed into place (os.replace is atomic
on POSIX), so concurrent runs sharing a cache see either the old entry, the new one or none, never a
torn file. An entry that cannot be read (bad JSON, wrong shape, request not matching its key) is
ignored with a CacheWarning.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from liftcomp.llm.config import CACHE_MODES
from liftcomp.llm.errors import CacheMiss

FORMAT = "liftcomp-llm-cache/1"


class CacheWarning(UserWarning):
    """A cache entry was unreadable and is ignored."""


@dataclass(frozen=True)
class CachedResponse:
    texts: list[str]
    model: str  # the model that answered, as the server named it
    usage: dict[str, int]


def canonical_json(value: object) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def request_key(request: dict[str, Any]) -> str:
    return hashlib.sha256(canonical_json(request).encode()).hexdigest()


def summarize_request(request: dict[str, Any], width: int = 240) -> str:
    """A few readable lines: model, parameters and the start of the last message."""
    params = ", ".join(f"{k}={request[k]}" for k in sorted(request) if k not in ("messages",))
    messages = request.get("messages") or []
    lines = [f"  request: {params}, {len(messages)} message(s)"]
    if messages:
        last = messages[-1]
        content = " ".join(str(last.get("content", "")).split())
        if len(content) > width:
            content = content[:width] + "..."
        lines.append(f"  last message ({last.get('role', '?')}): {content}")
    return "\n".join(lines)


class ResponseCache:
    def __init__(self, directory: Path, mode: str = "use"):
        if mode not in CACHE_MODES:
            raise ValueError(f"unknown cache mode {mode!r}")
        self.directory = Path(directory)
        self.mode = mode

    def path_for(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def lookup(self, request: dict[str, Any]) -> CachedResponse | None:
        """The cached answer, or None when the caller should ask the model.

        In replay mode a miss raises CacheMiss instead, naming the key and the request.
        """
        if self.mode in ("off", "record"):
            return None
        key = request_key(request)
        found = self._read(key, request)
        if found is None and self.mode == "replay":
            raise CacheMiss(
                f"LLM cache miss in replay mode: no entry {key}\n"
                f"  expected at: {self.path_for(key)}\n{summarize_request(request)}\n"
                "  (record it with cache mode 'record' or 'use' against a live endpoint)",
                key,
            )
        return found

    def store(self, request: dict[str, Any], response: CachedResponse) -> Path | None:
        if self.mode in ("off", "replay"):
            return None
        key = request_key(request)
        entry = {
            "format": FORMAT,
            "key": key,
            "request": request,
            "response": {"texts": response.texts, "model": response.model, "usage": response.usage},
        }
        text = json.dumps(entry, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        path = self.path_for(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{key[:16]}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return path

    def _read(self, key: str, request: dict[str, Any]) -> CachedResponse | None:
        path = self.path_for(key)
        try:
            raw = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except (OSError, UnicodeDecodeError) as e:
            return self._corrupt(path, f"unreadable ({e})")
        try:
            entry = json.loads(raw)
        except json.JSONDecodeError as e:
            return self._corrupt(path, f"invalid JSON ({e})")
        if not isinstance(entry, dict) or entry.get("format") != FORMAT:
            return self._corrupt(path, f"not a {FORMAT} entry")
        # Guards against hand edits and truncation that happen to stay valid JSON.
        if entry.get("request") != json.loads(canonical_json(request)):
            return self._corrupt(path, "stored request does not match its key")
        response = entry.get("response")
        if not isinstance(response, dict):
            return self._corrupt(path, "no response object")
        texts = response.get("texts")
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            return self._corrupt(path, "response texts are not a list of strings")
        usage = response.get("usage") or {}
        if not isinstance(usage, dict):
            return self._corrupt(path, "usage is not an object")
        return CachedResponse(texts, str(response.get("model", "")), usage)

    def _corrupt(self, path: Path, why: str) -> None:
        warnings.warn(f"ignoring corrupt LLM cache entry {path}: {why}", CacheWarning, stacklevel=3)
        return None
