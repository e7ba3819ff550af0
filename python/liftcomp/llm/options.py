"""Command-line options of the LLM layer, shared by every subcommand that asks a model.

    add_llm_arguments(parser)             # --llm-model, --llm-cache, --llm-max-calls, ...
    config = config_from_args(namespace)  # file < environment < flags

Flags left unset do not override the environment or the config file.
"""

from __future__ import annotations

import argparse

from liftcomp.llm.config import CACHE_MODES, LLMConfig, load_config
from liftcomp.pass_support import int_at_least


def add_llm_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "LLM",
        "OpenAI-compatible endpoint from OPENAI_API_KEY / OPENAI_BASE_URL; "
        "model from LIFTCOMP_MODEL or --llm-model",
    )
    group.add_argument(
        "--llm-model",
        help="model name(s), comma-separated; several share the requests round-robin",
    )
    group.add_argument("--llm-config", metavar="FILE", help="TOML config file ([llm] table)")
    group.add_argument(
        "--llm-cache",
        choices=CACHE_MODES,
        help="response cache: use (default), record, replay (never contacts the network), off",
    )
    group.add_argument("--llm-cache-dir", metavar="DIR", help="cache directory")
    group.add_argument("--llm-timeout", type=_positive_seconds, metavar="S", help="wall-clock seconds per request")
    group.add_argument("--llm-max-calls", type=int_at_least(0), metavar="N", help="budget: HTTP requests")
    group.add_argument("--llm-max-tokens", type=int_at_least(0), metavar="N", help="budget: tokens")
    group.add_argument(
        "--llm-max-seconds", type=_positive_seconds, metavar="S", help="budget: seconds spent waiting on LLMs"
    )


def _positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expects a number of seconds, got '{text}'") from None
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"must be a finite number > 0, got {text}")
    return value


def config_from_args(ns: argparse.Namespace) -> LLMConfig:
    # "" is an unset string option (the flags made from liftcomp-raise's options default to it).
    return load_config(
        config_file=ns.llm_config or None,
        models=ns.llm_model or None,
        cache_mode=ns.llm_cache or None,
        cache_dir=ns.llm_cache_dir or None,
        timeout_s=ns.llm_timeout,
        max_calls=ns.llm_max_calls,
        max_tokens=ns.llm_max_tokens,
        max_seconds=ns.llm_max_seconds,
    )
