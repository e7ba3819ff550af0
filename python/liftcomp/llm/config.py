"""LLM client configuration: which models, where, how patient, how much to spend, which cache.

Sources, later ones win:
1. defaults (below);
2. a TOML config file: the explicit `config_file` argument, else `$LIFTCOMP_LLM_CONFIG`, else
   `$XDG_CONFIG_HOME/liftcomp/llm.toml` (`~/.config/...`) when it exists;
3. environment: `OPENAI_API_KEY`, `OPENAI_BASE_URL`, `LIFTCOMP_MODEL` (comma-separated for several
   models), `LIFTCOMP_LLM_CACHE` (cache mode), `LIFTCOMP_LLM_CACHE_DIR`;
4. explicit keyword arguments (CLI flags).

Config file (every key optional; unknown keys are an error, to catch typos):

    [llm]
    models = ["gpt-4o-mini", { name = "qwen", base_url = "http://localhost:8000/v1" }]
    base_url = "http://localhost:11434/v1"   # default endpoint for models without their own
    api_key_env = "OPENAI_API_KEY"           # the key itself never goes in a file
    timeout_s = 60
    max_retries = 4
    backoff_initial_s = 1.0
    backoff_max_s = 30.0
    retry_after_max_s = 60.0
    max_calls = 50          # per-run budget; absent = unlimited
    max_tokens = 500000
    max_seconds = 900
    cache_mode = "use"      # use | record | replay | off
    cache_dir = "~/.cache/liftcomp/llm"
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from liftcomp.diagnostics import LiftcompError

CACHE_MODES = ("use", "record", "replay", "off")


@dataclass(frozen=True)
class ModelSpec:
    """One model and, optionally, its own endpoint (else the config's base_url / api key)."""

    name: str
    base_url: str | None = None
    api_key_env: str | None = None  # name of the environment variable holding its key


@dataclass(frozen=True)
class LLMConfig:
    # Requests go round-robin over the models, so several models share the work.
    models: tuple[ModelSpec | str, ...] = ()
    base_url: str | None = None
    api_key: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    max_retries: int = 4
    backoff_initial_s: float = 1.0
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 60.0
    max_calls: int | None = None
    max_tokens: int | None = None
    max_seconds: float | None = None
    cache_mode: str = "use"
    cache_dir: Path | None = None  # None: default_cache_dir()

    def __post_init__(self) -> None:
        models = tuple(m if isinstance(m, ModelSpec) else ModelSpec(m) for m in self.models)
        object.__setattr__(self, "models", models)
        if self.cache_mode not in CACHE_MODES:
            raise LiftcompError(
                f"unknown LLM cache mode '{self.cache_mode}' (expected one of {', '.join(CACHE_MODES)})"
            )
        if self.cache_dir is not None:
            object.__setattr__(self, "cache_dir", Path(self.cache_dir).expanduser())
        if self.timeout_s <= 0:
            raise LiftcompError(f"LLM timeout must be positive, got {self.timeout_s}")
        if self.max_retries < 0:
            raise LiftcompError(f"LLM max_retries must be >= 0, got {self.max_retries}")

    @property
    def model_specs(self) -> tuple[ModelSpec, ...]:
        return tuple(m for m in self.models if isinstance(m, ModelSpec))

    @property
    def model_names(self) -> tuple[str, ...]:
        return tuple(m.name for m in self.model_specs)

    @property
    def endpoint_configured(self) -> bool:
        """True when LLM answers can be had: a model plus a key or URL, or a cache to replay.

        Callers use it to choose between the LLM and the built-in proposer.
        """
        if not self.models:
            return False
        if self.cache_mode == "replay":
            return True
        return all(
            self.api_key is not None
            or (m.api_key_env is not None and m.api_key_env in os.environ)
            or (m.base_url or self.base_url) is not None
            for m in self.model_specs
        )

    def resolved_cache_dir(self) -> Path:
        return self.cache_dir if self.cache_dir is not None else default_cache_dir()

    def with_overrides(self, **overrides: Any) -> LLMConfig:
        """A copy with the non-None overrides applied."""
        return replace(self, **{k: v for k, v in overrides.items() if v is not None})


def default_cache_dir(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "liftcomp" / "llm"


def default_config_file(env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    base = env.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "liftcomp" / "llm.toml"


_FILE_KEYS = {f.name for f in fields(LLMConfig)} - {"api_key"} | {"api_key_env"}


def _parse_models(value: object, where: str) -> tuple[ModelSpec, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        raise LiftcompError("'models' must be a string or a list", where)
    specs: list[ModelSpec] = []
    for item in value:
        if isinstance(item, str):
            specs.append(ModelSpec(item))
            continue
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise LiftcompError("each model is a name or a table with a 'name'", where)
        unknown = set(item) - {"name", "base_url", "api_key_env"}
        if unknown:
            raise LiftcompError(f"unknown model key(s): {', '.join(sorted(unknown))}", where)
        specs.append(ModelSpec(item["name"], item.get("base_url"), item.get("api_key_env")))
    return tuple(specs)


def read_config_file(path: Path, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The [llm] table of a TOML file, as LLMConfig keyword arguments (api key read from env)."""
    env = os.environ if env is None else env
    where = str(path)
    try:
        data = tomllib.loads(path.read_text())
    except OSError as e:
        raise LiftcompError(f"cannot read LLM config: {e.strerror}", where) from e
    except tomllib.TOMLDecodeError as e:
        raise LiftcompError(f"invalid TOML: {e}", where) from e
    table = data.get("llm", {})
    if not isinstance(table, dict):
        raise LiftcompError("[llm] must be a table", where)
    unknown = set(table) - _FILE_KEYS
    if unknown:
        raise LiftcompError(f"unknown [llm] key(s): {', '.join(sorted(unknown))}", where)
    values = dict(table)
    if "models" in values:
        values["models"] = _parse_models(values["models"], where)
    key_env = values.pop("api_key_env", None)
    if key_env is not None:
        values["api_key"] = env.get(str(key_env))
    if "cache_dir" in values:
        values["cache_dir"] = Path(values["cache_dir"])
    return values


def load_config(
    *,
    config_file: str | Path | None = None,
    env: Mapping[str, str] | None = None,
    **overrides: Any,
) -> LLMConfig:
    """Build the configuration from file, environment and explicit overrides (see module doc).

    `overrides` are LLMConfig fields; None values are ignored so CLI flags can be passed through
    unconditionally. `models` may also be given as a comma-separated string.
    """
    env = os.environ if env is None else env
    values: dict[str, Any] = {}

    path: Path | None = None
    if config_file is not None:
        path = Path(config_file)
    elif env.get("LIFTCOMP_LLM_CONFIG"):
        path = Path(env["LIFTCOMP_LLM_CONFIG"])
    elif default_config_file(env).is_file():
        path = default_config_file(env)
    if path is not None:
        values.update(read_config_file(path.expanduser(), env))

    if env.get("OPENAI_API_KEY") and values.get("api_key") is None:
        values["api_key"] = env["OPENAI_API_KEY"]
    if env.get("OPENAI_BASE_URL"):
        values["base_url"] = env["OPENAI_BASE_URL"]
    if env.get("LIFTCOMP_MODEL"):
        values["models"] = env["LIFTCOMP_MODEL"]
    if env.get("LIFTCOMP_LLM_CACHE"):
        values["cache_mode"] = env["LIFTCOMP_LLM_CACHE"]
    if env.get("LIFTCOMP_LLM_CACHE_DIR"):
        values["cache_dir"] = Path(env["LIFTCOMP_LLM_CACHE_DIR"])

    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - {f.name for f in fields(LLMConfig)}
    if unknown:
        raise LiftcompError(f"unknown LLM option(s): {', '.join(sorted(unknown))}")
    if isinstance(values.get("models"), str):
        values["models"] = tuple(m.strip() for m in values["models"].split(",") if m.strip())
    return LLMConfig(**values)
