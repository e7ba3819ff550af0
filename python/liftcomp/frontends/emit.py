"""A small MLIR text builder shared by the C and Python frontends.

Frontends emit the custom form of func/scf/memref/arith/math with a `loc("file":line:col)` on
every op; mlir-opt-22 then parses and verifies it (frontends.mlir.parse_mlir), so a frontend bug
shows up as an MLIR verifier error, never as silently different IR.

Values may be produced lazily (a C `int` loop counter is an `index` first and an `i32` only where
it is used as data): a memoised value is reused only inside the region that defined it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from liftcomp.diagnostics import LiftcompError


class Unsupported(LiftcompError):
    """A construct outside the frontend's subset: `file:line:col: <message>`."""


@dataclass
class Lazy:
    """One value with several lazily built representations ('val', 'idx', 'cond', ...)."""

    makers: dict[str, Callable[[], str]] = field(default_factory=dict)
    memo: dict[str, tuple[int, str]] = field(default_factory=dict)


class Builder:
    def __init__(self, filename: str):
        self.filename = filename
        self.lines: list[str] = []
        self.indent = 1
        self.counter = 0
        self.scopes: list[int] = [0]
        self.next_scope = 1
        self.entry: int | None = None  # where hoisted ops go: the current function's first line
        self.hoisted: set[str] = set()

    def loc(self, line: int, col: int) -> str:
        return f"loc({json.dumps(self.filename)}:{line}:{col})"

    def fresh(self, hint: str = "v") -> str:
        # A dot keeps these apart from argument names taken from C/Python identifiers.
        self.counter += 1
        return f"%{hint}.{self.counter}"

    def emit(self, text: str) -> None:
        self.lines.append("  " * self.indent + text)

    def op(self, text: str, loc: str, hint: str = "v") -> str:
        name = self.fresh(hint)
        self.emit(f"{name} = {text} {loc}")
        return name

    def hoist(self, text: str, loc: str, hint: str = "v") -> str:
        """An op at the start of the current function (valid in every region of it)."""
        if self.entry is None:
            return self.op(text, loc, hint)
        name = self.fresh(hint)
        self.lines.insert(self.entry, "  " + f"{name} = {text} {loc}")
        self.entry += 1
        self.hoisted.add(name)
        return name

    def const(self, value: int | float | bool, ty: str, loc: str) -> str:
        if ty == "i1":
            return self.op(f"arith.constant {'true' if value else 'false'}", loc, "c")
        if ty.startswith("f"):
            return self.op(f"arith.constant {float_literal(float(value), ty)} : {ty}", loc, "cst")
        return self.op(f"arith.constant {int(value)} : {ty}", loc, "c")

    @contextmanager
    def region(self) -> Iterator[None]:
        self.indent += 1
        self.scopes.append(self.next_scope)
        self.next_scope += 1
        try:
            yield
        finally:
            self.scopes.pop()
            self.indent -= 1

    def get(self, lazy: Lazy, kind: str) -> str:
        hit = lazy.memo.get(kind)
        if hit is not None and hit[0] in self.scopes:
            return hit[1]
        make = lazy.makers.get(kind)
        if make is None:
            raise KeyError(kind)
        ssa = make()
        lazy.memo[kind] = (0 if ssa in self.hoisted else self.scopes[-1], ssa)
        return ssa


def float_literal(v: float, ty: str = "f64") -> str:
    """An MLIR float literal that reads back as exactly `v` (hex bits for inf/nan)."""
    if v != v or v in (float("inf"), float("-inf")):
        import struct

        return "0x" + struct.pack(">f" if ty == "f32" else ">d", v).hex().upper()
    r = repr(v)
    return r if ("." in r or "e" in r) else r + ".0"
