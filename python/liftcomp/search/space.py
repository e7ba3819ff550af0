"""A schedule space: named rewrites with typed parameters, for any schedule type.

A target's schedule (`S`: Gemmini's `MatmulSchedule`, an NKI tiling, a CUDA launch config) is the
lowering's whole input besides the kernel, so a rewrite is a function `S -> S` that either returns
the new schedule or raises `Refused` saying why not (capacity, alignment, a hardware rule, or what
the lowering does not implement). A `Menu` is the target's list of rewrites plus two functions:
`key` (what makes two schedules the same program) and `validate` (the schedule's own legality
check, run after every rewrite). The search, the planners and replay only ever go through `Menu`.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from liftcomp.diagnostics import LiftcompError

S = TypeVar("S")  # a target's schedule type
C = TypeVar("C")  # what a target's legality checks need to know about the kernel (shape, config, ...)


class Refused(LiftcompError):
    """A rewrite does not apply to this schedule; the message says why."""


@dataclass(frozen=True)
class Step:
    """One applied rewrite: a menu item's name and its parameters (JSON-ready)."""

    rewrite: str
    params: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"rewrite": self.rewrite, "params": dict(self.params)}

    @staticmethod
    def from_json(d: Any) -> Step:
        if not isinstance(d, dict) or not isinstance(d.get("rewrite"), str):
            raise LiftcompError(f"a schedule step must be {{'rewrite': name, 'params': {{...}}}}, got {d!r}")
        params = d.get("params", {})
        if not isinstance(params, dict):
            raise LiftcompError(f"params of step '{d['rewrite']}' must be an object, got {params!r}")
        return Step(d["rewrite"], dict(params))

    def __str__(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.rewrite}({args})"

    def __hash__(self) -> int:
        return hash((self.rewrite, tuple(sorted((k, str(v)) for k, v in self.params.items()))))


@dataclass(frozen=True)
class Param:
    """A parameter: 'int' in [lo, hi], 'bool', or 'choice' among `choices`."""

    name: str
    kind: str
    lo: int = 0
    hi: int = 0
    choices: tuple[str, ...] = ()
    required: bool = True
    doc: str = ""

    def check(self, rewrite: str, value: Any) -> Any:
        """The value, validated (never converted from text: a reply's JSON types must already fit)."""
        if self.kind == "int":
            if isinstance(value, bool) or not isinstance(value, int):
                raise Refused(f"{rewrite}: parameter '{self.name}' must be an integer, got {value!r}")
            if not self.lo <= value <= self.hi:
                raise Refused(f"{rewrite}: parameter '{self.name}' = {value} outside [{self.lo}, {self.hi}]")
            return value
        if self.kind == "bool":
            if not isinstance(value, bool):
                raise Refused(f"{rewrite}: parameter '{self.name}' must be true or false, got {value!r}")
            return value
        if value not in self.choices:
            raise Refused(f"{rewrite}: parameter '{self.name}' must be one of {list(self.choices)}, got {value!r}")
        return value

    def values(self) -> list[Any]:
        """Values worth trying, for planners that enumerate: every value of a bool or choice
        parameter; an int's bounds and the powers of two between them."""
        if self.kind == "bool":
            return [False, True]
        if self.kind == "choice":
            return list(self.choices)
        powers = {1 << k for k in range(max(self.hi, 1).bit_length()) if self.lo <= 1 << k <= self.hi}
        return sorted({self.lo, self.hi} | powers)

    def describe(self) -> str:
        if self.kind == "int":
            t = f"int {self.lo}..{self.hi}"
        elif self.kind == "bool":
            t = "bool"
        else:
            t = " | ".join(f'"{c}"' for c in self.choices)
        return f"{self.name}: {t}{'' if self.required else ' (optional)'}"


@dataclass(frozen=True)
class Rewrite(Generic[S, C]):
    """A named rewrite: `fn(schedule, checked params, context)` returns the new schedule or raises Refused."""

    name: str
    doc: str
    params: tuple[Param, ...]
    fn: Callable[[S, dict[str, Any], C], S]

    def checked(self, params: dict[str, Any]) -> dict[str, Any]:
        """`params` validated against the declared parameters, or Refused."""
        known = {p.name: p for p in self.params}
        extra = sorted(set(params) - set(known))
        if extra:
            raise Refused(f"{self.name}: unknown parameter(s) {extra} (takes {sorted(known)})")
        out: dict[str, Any] = {}
        for p in self.params:
            if p.name in params:
                out[p.name] = p.check(self.name, params[p.name])
            elif p.required:
                raise Refused(f"{self.name}: missing parameter '{p.name}'")
        if not out and self.params:
            raise Refused(f"{self.name}: give at least one of {sorted(known)}")
        return out

    def describe(self) -> str:
        ps = ", ".join(p.describe() for p in self.params) or "no parameters"
        return f"{self.name}({ps}): {self.doc}"


@dataclass(frozen=True)
class Menu(Generic[S, C]):
    """A target's rewrites over schedules of type S.

    - `key(s)`: what makes two schedules the same program (deduplication; a rewrite that does
      not change it is refused as "no change");
    - `validate(s, ctx)`: the schedule's own legality (capacities, ...); raises LiftcompError,
      which `apply` turns into Refused.
    """

    rewrites: tuple[Rewrite[S, C], ...]
    key: Callable[[S], Hashable]
    validate: Callable[[S, C], None] | None = None

    def get(self, name: str) -> Rewrite[S, C] | None:
        return next((r for r in self.rewrites if r.name == name), None)

    def names(self) -> list[str]:
        return [r.name for r in self.rewrites]

    def apply(self, schedule: S, step: Step, ctx: C) -> S:
        """The rewritten schedule, or Refused with the reason."""
        rw = self.get(step.rewrite)
        if rw is None:
            raise Refused(f"'{step.rewrite}' is not on the menu (items: {', '.join(self.names())})")
        checked = rw.checked(step.params)
        out = rw.fn(schedule, checked, ctx)
        if self.key(out) == self.key(schedule):
            raise Refused(f"{rw.name}: no change (the schedule already has {_describe_params(checked)})")
        if self.validate is not None:
            try:
                self.validate(out, ctx)
            except LiftcompError as e:
                raise Refused(f"{rw.name}: {e.message}") from None
        return out

    def replay(self, start: S, steps: Sequence[Step], ctx: C) -> S:
        """Apply recorded `steps` from `start`; any refusal is an error (a replay must apply as recorded)."""
        s = start
        for n, step in enumerate(steps):
            try:
                s = self.apply(s, step, ctx)
            except Refused as e:
                raise LiftcompError(f"schedule step {n + 1} ({step}) does not apply: {e.message}") from None
        return s

    def describe(self) -> list[str]:
        """One line per rewrite (for LLM prompts and --help texts)."""
        return [r.describe() for r in self.rewrites]


def _describe_params(p: dict[str, Any]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(p.items())) or "it"
