"""Errors of the LLM layer. All are LiftcompErrors, so the CLI prints them without a traceback."""

from __future__ import annotations

from liftcomp.diagnostics import LiftcompError


class LLMError(LiftcompError):
    """Base class: anything that went wrong while asking a model."""


class LLMRequestError(LLMError):
    """The endpoint refused or failed the request (after retries where retrying made sense)."""

    def __init__(self, message: str, status: int | None = None):
        super().__init__(message)
        self.status = status


class BudgetExhausted(LLMError):
    """The run's budget (calls, tokens or seconds) is spent; callers fall back to other proposers.

    `limit` is "calls", "tokens" or "seconds".
    """

    def __init__(self, message: str, limit: str):
        super().__init__(message)
        self.limit = limit


class CacheMiss(LLMError):
    """Replay mode found no cache entry for a request. `key` names the missing entry."""

    def __init__(self, message: str, key: str):
        super().__init__(message)
        self.key = key


class RejectedCode(LLMError):
    """A reply's code was not one whitelisted expression. `reason` says why, for the next prompt."""

    def __init__(self, reason: str):
        super().__init__(f"rejected LLM code: {reason}")
        self.reason = reason
