"""The LLM layer: one OpenAI-compatible client for lifting and planning, safe, cached, reproducible.

- `config`: LLMConfig, load_config() (OPENAI_API_KEY, OPENAI_BASE_URL, LIFTCOMP_MODEL, config file).
- `client`: LLMClient.complete(messages, n=, temperature=, max_tokens=) -> list[str]; retries,
  per-run budget (BudgetExhausted), usage accounting.
- `cache`: ResponseCache, content-addressed JSON entries; modes use / record / replay / off.
- `extract`: extract_expression / extract_program(reply, ExpressionPolicy) -> ast.expr / ast.Module,
  whitelisted, never executing anything.
- `testing`: LoopbackLLMServer, a scripted OpenAI-compatible server on 127.0.0.1 for tests.

Nothing here knows about lifting; prompts live with their users.
"""

from liftcomp.llm.cache import CachedResponse, CacheWarning, ResponseCache, request_key
from liftcomp.llm.client import Completion, LLMClient, Usage
from liftcomp.llm.config import CACHE_MODES, LLMConfig, ModelSpec, default_cache_dir, load_config
from liftcomp.llm.errors import (
    BudgetExhausted,
    CacheMiss,
    LLMError,
    LLMRequestError,
    RejectedCode,
)
from liftcomp.llm.extract import (
    ExpressionPolicy,
    extract_code,
    extract_expression,
    extract_program,
    validate_expression,
    validate_program,
)

__all__ = [
    "CACHE_MODES",
    "BudgetExhausted",
    "CacheMiss",
    "CacheWarning",
    "CachedResponse",
    "Completion",
    "ExpressionPolicy",
    "LLMClient",
    "LLMConfig",
    "LLMError",
    "LLMRequestError",
    "ModelSpec",
    "RejectedCode",
    "ResponseCache",
    "Usage",
    "default_cache_dir",
    "extract_code",
    "extract_expression",
    "extract_program",
    "load_config",
    "request_key",
    "validate_expression",
    "validate_program",
]
