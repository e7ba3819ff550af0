"""Counted budgets for the solver: a lift's outcome must not depend on machine load.

Every z3 query of the lifting pipeline is limited by z3's resource counter (`rlimit`, a count of
solver steps that is the same on an idle and on a loaded machine), never by wall-clock time, so
whether a nest is proved, bounded, tested or refused is decided by counts alone (rlimits here,
numbers of size assignments and evaluated terms in verify.py). A wall-clock timeout stays on
each query only as a safety net far above what the rlimits allow: a query that reaches it raises
`SafetyTimeout`, which the driver reports as a timeout instead of quietly deciding otherwise.

Nor may it depend on what the process solved before: z3's search (and so what an rlimit reaches)
follows the ids of the terms in its context, so each function and each candidate is checked in a
context of its own (`own_z3_context`).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

import z3

from liftcomp.diagnostics import LiftcompError
from liftcomp.lift import terms as T

# Resource limits per query (about 10M units per second of one core of this project's machines;
# z3 reports an exhausted rlimit as unknown, reason "canceled").
RLIMIT_INDEX = 10_000_000  # index facts in the analysis (bounds, injectivity, which write a read sees)
RLIMIT_PROOF = 30_000_000  # an equality query of the prover
RLIMIT_PREFER = 10_000_000  # looking for a small model of a refutation
RLIMIT_BOUNDED = 60_000_000  # one size assignment of the bounded check

SAFETY_TIMEOUT_MS = 120_000  # per query: never reached by a query within its rlimit on this project's machines


class SafetyTimeout(LiftcompError):
    """A query ran into the wall-clock safety net (its counted budget did not stop it)."""


class WallDeadline:
    """The user's wall-clock limit for the function being lifted (--kernel-timeout), seen by the
    long-running parts (z3 queries, the reference executor) so that the limit bounds them too."""

    def __init__(self, at: float, parent: WallDeadline | None = None):
        self.at = at
        self.parent = parent  # the enclosing limit (the whole function's, around a nest's or a candidate's)

    def expired(self) -> bool:
        return time.monotonic() > self.at

    def extend(self, seconds: float) -> None:
        """Move this limit and the enclosing ones later (time spent waiting for an LLM, which its
        own budget bounds, is not the function's)."""
        d: WallDeadline | None = self
        while d is not None:
            d.at += seconds
            d = d.parent

    def left_ms(self) -> int:
        return max(1, int((self.at - time.monotonic()) * 1000))

    def check(self, what: str) -> None:
        if time.monotonic() > self.at:
            raise SafetyTimeout(f"the per-function wall-clock limit (--kernel-timeout) was reached during {what}")


_wall: ContextVar[WallDeadline | None] = ContextVar("liftcomp_wall_deadline", default=None)


@contextmanager
def wall_deadline(deadline: WallDeadline) -> Iterator[WallDeadline]:
    token = _wall.set(deadline)
    try:
        yield deadline
    finally:
        _wall.reset(token)


def current_wall_deadline() -> WallDeadline | None:
    return _wall.get()


@contextmanager
def own_z3_context() -> Iterator[None]:
    """A fresh z3 default context and fresh-name numbering (terms.fresh_names) inside the block,
    the previous ones after it. Within one context, earlier queries change the ids of later terms
    and with them z3's search, and so do the numbers in fresh names: a refutation found in 0.7 s
    alone ran out of its rlimit after two other tests in the same process (issue 10). No z3 object
    may cross the block's edges (all are made from terms inside)."""
    # z3py's default context, used by every call without ctx= (z3py has no public setter).
    saved = z3.z3._main_ctx  # pyright: ignore[reportPrivateUsage]
    z3.z3._main_ctx = z3.Context()  # pyright: ignore[reportPrivateUsage]
    try:
        with T.fresh_names():
            yield
    finally:
        z3.z3._main_ctx = saved  # pyright: ignore[reportPrivateUsage]


def solver(rlimit: int, timeout_ms: int = SAFETY_TIMEOUT_MS) -> Any:
    """A fresh z3 solver limited by `rlimit` (with the wall-clock safety net: the smaller of
    `timeout_ms` (the prover's --query-timeout-ms) and what is left of the function's
    --kernel-timeout)."""
    s = z3.Solver()
    s.set("rlimit", rlimit)
    wall = _wall.get()
    s.set("timeout", timeout_ms if wall is None else min(timeout_ms, wall.left_ms()))
    return s


def check(s: Any, *assumptions: Any) -> Any:
    """s.check() under its budgets: sat / unsat / unknown (budget exhausted), or SafetyTimeout."""
    r = s.check(*assumptions)
    if r == z3.unknown and s.reason_unknown() == "timeout":
        wall = _wall.get()
        if wall is not None:
            wall.check("a z3 query")
        # The solver's own limit: SAFETY_TIMEOUT_MS, or the prover's --query-timeout-ms.
        raise SafetyTimeout("a z3 query ran past its wall-clock safety limit (--query-timeout-ms) before its counted budget (rlimit) "
                            "stopped it: the machine is much slower than the budgets assume")
    return r
