"""User-facing errors: every failure a user can cause ends as one of these, never a traceback."""

from __future__ import annotations


class LiftcompError(Exception):
    """An error caused by the input or the environment, reported as `location: error: message`."""

    def __init__(self, message: str, location: str | None = None):
        super().__init__(message)
        self.message = message
        self.location = location

    def __str__(self) -> str:
        if self.location:
            return f"{self.location}: error: {self.message}"
        return f"error: {self.message}"


class UsageError(LiftcompError):
    """A command-line usage error (a bad option value): exit status 2, like argparse's own."""


def op_location(op: object) -> str:
    """`file:line:col ('op.name')` when the op carries a file location, else `'op.name'`."""
    name = getattr(op, "name", type(op).__name__)
    loc = getattr(op, "location", None)
    filename = getattr(loc, "filename", None)
    if filename is not None:
        return f"{filename.data}:{loc.line.data}:{loc.column.data} ('{name}')"  # type: ignore[union-attr]
    return f"'{name}'"
