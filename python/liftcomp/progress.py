"""Progress bars for long runs (`lift`, `corpus`, `examples`): on stderr, only when stderr is a
terminal, so pipes, logs and tests see nothing of them."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar

Step = Callable[[str], None]

# Set while a bar is shown: long-running loops deep inside call `step(label)` after each item.
_current: ContextVar[Step | None] = ContextVar("liftcomp_progress", default=None)


def step(label: str) -> None:
    """One item done (a no-op without a bar)."""
    advance = _current.get()
    if advance is not None:
        advance(label)


@contextmanager
def progress(total: int, description: str, enabled: bool = True) -> Iterator[Step]:
    """A transient bar of `total` items; yields (and installs for `step`) the advance function."""
    if not enabled or total < 2 or not sys.stderr.isatty():
        yield lambda _label: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task(description, total=total)

        def advance(label: str) -> None:
            bar.update(task, advance=1, description=f"{description} {label}")

        token = _current.set(advance)
        try:
            yield advance
        finally:
            _current.reset(token)
