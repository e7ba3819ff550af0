"""Counted budgets for the solver: a lift's outcome must not depend on machine load.

Every z3 query of the lifting pipeline is limited by z3's resource counter (`rlimit`, a count of
solver steps that is the same on an idle and on a loaded machine), never by wall-clock time, so
whether a nest is proved, bounded, tested or refused is decided by counts alone (rlimits here,
numbers of size assignments and evaluated terms in verify.py). A wall-clock timeout stays on
each query only as a safety net far above what the rlimits allow: a query that reaches it raises
`SafetyTimeout`, which the driver reports as a timeout instead of quietly deciding otherwise.
"""

from __future__ import annotations

from typing import Any

import z3

from liftcomp.diagnostics import LiftcompError

# Resource limits per query (about 10M units per second of one core of this project's machines;
# z3 reports an exhausted rlimit as unknown, reason "canceled").
RLIMIT_INDEX = 10_000_000  # index facts in the analysis (bounds, injectivity, which write a read sees)
RLIMIT_PROOF = 30_000_000  # an equality query of the prover
RLIMIT_PREFER = 10_000_000  # looking for a small model of a refutation
RLIMIT_BOUNDED = 60_000_000  # one size assignment of the bounded check

SAFETY_TIMEOUT_MS = 120_000  # per query: never reached by a query within its rlimit on this project's machines


class SafetyTimeout(LiftcompError):
    """A query ran into the wall-clock safety net (its counted budget did not stop it)."""


def solver(rlimit: int) -> Any:
    """A fresh z3 solver limited by `rlimit` (with the wall-clock safety net)."""
    s = z3.Solver()
    s.set("rlimit", rlimit)
    s.set("timeout", SAFETY_TIMEOUT_MS)
    return s


def check(s: Any, *assumptions: Any) -> Any:
    """s.check() under its budgets: sat / unsat / unknown (budget exhausted), or SafetyTimeout."""
    r = s.check(*assumptions)
    if r == z3.unknown and s.reason_unknown() == "timeout":
        raise SafetyTimeout(f"a z3 query ran past the {SAFETY_TIMEOUT_MS // 1000} s safety limit (its counted budget did not stop it)")
    return r
