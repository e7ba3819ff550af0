"""Search results for people: JSON trace, PNG plot of the best cost per iteration, terminal table,
and a progress bar while the search runs (rich)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from liftcomp.search.beam import ProgressFn, SearchResult


def write_trace(result: SearchResult, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result.trace_json(), indent=1) + "\n")


def write_plot(results: Sequence[SearchResult], path: Path) -> None:
    """Best cost after each iteration (relative to the library schedule), one line per kernel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4.0), dpi=100)
    for r in results:
        base = r.root.cost
        ys = [base / c for c in r.best_per_iteration]
        ax.plot(range(len(ys)), ys, marker="o", label=f"{r.problem.name} ({r.planner})")
        if r.bound.cost:
            ax.axhline(base / r.bound.cost, linestyle=":", linewidth=0.8, color=ax.lines[-1].get_color())
    ax.set_xlabel("iteration (0 = library schedule)")
    ax.set_ylabel("speedup of the best schedule over the library")
    ax.set_title("Schedule search: best cost per iteration (dotted: roofline bound)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path)
    plt.close(fig)


def table_rows(results: Sequence[SearchResult]) -> list[dict[str, Any]]:
    rows = []
    for r in results:
        assert r.root.metrics is not None and r.best.metrics is not None
        vs = next(iter(r.baselines.items()), None)
        rows.append({
            "kernel": r.problem.name,
            "unit": r.bound.unit,
            "library_cost": r.root.cost,
            "library_util": r.root.metrics.utilization,
            "best_cost": r.best.cost,
            "best_util": r.best.metrics.utilization,
            "bound_util": r.bound.utilization or 0.0,
            "of_bound": r.bound.cost / max(1, r.best.cost),
            "speedup": r.root.cost / max(1, r.best.cost),
            "baseline": None if vs is None else vs[0],
            "speedup_vs_baseline": None if vs is None else vs[1] / max(1, r.best.cost),
            "evaluated": r.evaluated,
            "seconds": r.seconds,
            "steps": ", ".join(str(s) for s in r.best.steps) or "(library)",
        })
    return rows


def print_table(results: Sequence[SearchResult]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(title="Schedule search")
    for col in ("kernel", "library cost", "util", "searched cost", "util", "bound util", "of bound", "speedup",
                "vs baseline", "evals", "time", "steps"):
        t.add_column(col, justify="left" if col in ("kernel", "steps") else "right")
    for row in table_rows(results):
        t.add_row(row["kernel"], f"{row['library_cost']} {row['unit']}", f"{row['library_util']:.1%}",
                  f"{row['best_cost']} {row['unit']}",
                  f"{row['best_util']:.1%}", f"{row['bound_util']:.1%}", f"{row['of_bound']:.1%}",
                  f"{row['speedup']:.2f}x",
                  "-" if row["speedup_vs_baseline"] is None else f"{row['speedup_vs_baseline']:.2f}x ({row['baseline']})", str(row["evaluated"]), f"{row['seconds']:.0f}s", row["steps"])
    console = Console(stderr=True)
    if not console.is_terminal:
        console = Console(stderr=True, width=220)
    console.print(t)


@contextmanager
def progress_bar(label: str, total: int | None, enabled: bool = True) -> Iterator[ProgressFn]:
    """A rich progress bar over evaluations; yields the search's progress callback."""
    if not enabled:
        yield lambda _e, _n, _b: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("{task.fields[best]}"),
                  TimeElapsedColumn(), transient=True) as prog:
        task = prog.add_task(label, total=total, best="")

        def update(event: str, evaluated: int, best: float) -> None:
            prog.update(task, completed=evaluated, best=f"best {best:g}")

        yield update
