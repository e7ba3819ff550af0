"""Where candidates are evaluated: in this process, a local process pool (default), or a Ray cluster.

Local pool: worker processes forked after the problem is built, so each inherits the parsed
kernel, its inputs and the reference outputs once; schedules go out as JSON, measurements come
back in submission order. Ray (`executor="ray"`, an optional extra): one actor per worker, each
rebuilding the problem from the tensor-level function's text, the target's name, configuration
and options, so a cluster of machines (e.g. each with a board or a GPU for hardware-in-the-loop
measurements) evaluates the candidates. Either way results are returned in submission order, so
a search gives the same result for the same seed on any executor.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.freeform import IRSchedule
from liftcomp.search.measure import Measurement

# A search.problem.Problem: typed loosely here so that the executor does not import the problem
# (the problem uses the executor).
Problem = Any

EXECUTORS = ("local", "ray")

# The problem every forked worker evaluates; set before the pool forks.
_WORKER_PROBLEM: Problem | None = None


def _payload(problem: Problem, schedule: Any) -> Any:
    return schedule if isinstance(schedule, IRSchedule) else problem.schedule_json(schedule)


def _evaluate_payload(problem: Problem, payload: Any) -> Measurement:
    if isinstance(payload, IRSchedule):
        return problem.evaluate_ir(payload)
    return problem.evaluate(problem.space.schedule_from_json(payload))


def _evaluate_in_worker(payload: Any) -> Measurement:
    assert _WORKER_PROBLEM is not None
    return _evaluate_payload(_WORKER_PROBLEM, payload)


def _ignore_sigint() -> None:
    # Ctrl-C is the parent's to handle (it stops the search and writes what it has); workers
    # just get terminated, without printing tracebacks of their own.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _workers(problem: Problem) -> int:
    return problem.workers or os.cpu_count() or 1


def start(problem: Problem) -> None:
    """Start the workers (fork before any thread, e.g. a progress bar, is started)."""
    if problem.executor not in EXECUTORS:
        raise LiftcompError(f"unknown executor '{problem.executor}' (known: {', '.join(EXECUTORS)})")
    if problem._pool is not None:  # pyright: ignore[reportPrivateUsage]
        return
    if problem.executor == "ray":
        problem._pool = _RayPool(problem)  # pyright: ignore[reportPrivateUsage]
        return
    n = _workers(problem)
    if n <= 1:
        return
    global _WORKER_PROBLEM
    _WORKER_PROBLEM = problem
    problem._pool = multiprocessing.get_context("fork").Pool(n, _ignore_sigint)  # pyright: ignore[reportPrivateUsage]
    _WORKER_PROBLEM = None


def stop(problem: Problem) -> None:
    pool = problem._pool  # pyright: ignore[reportPrivateUsage]
    problem._pool = None  # pyright: ignore[reportPrivateUsage]
    if pool is None:
        return
    if isinstance(pool, _RayPool):
        pool.close()
        return
    pool.terminate()  # every result was taken, or the search was interrupted: nothing to wait for
    pool.join()


def evaluate_all(problem: Problem, schedules: Sequence[Any],
                 on_result: Callable[[Measurement], None] | None = None) -> list[Measurement]:
    """Measurements of each schedule, in order."""
    if problem.executor == "ray":
        start(problem)
    elif len(schedules) > 1 and _workers(problem) > 1:
        start(problem)
    pool = problem._pool  # pyright: ignore[reportPrivateUsage]
    if pool is None or (len(schedules) <= 1 and not isinstance(pool, _RayPool)):
        results: Iterable[Measurement] = (problem.evaluate(s) for s in schedules)
    elif isinstance(pool, _RayPool):
        results = pool.map([_payload(problem, s) for s in schedules])
    else:
        results = pool.imap(_evaluate_in_worker, [_payload(problem, s) for s in schedules], chunksize=1)
    out: list[Measurement] = []
    for m in results:
        out.append(m)
        if on_result is not None:
            on_result(m)
    return out


class _RayPool:
    """Ray actors, each holding the problem rebuilt from text; results in submission order."""

    def __init__(self, problem: Problem):
        try:
            import ray  # pyright: ignore[reportMissingImports]
        except ImportError:
            raise LiftcompError("--executor ray needs Ray: pip install 'liftcomp[ray]'") from None
        from ray.util import ActorPool  # pyright: ignore[reportMissingImports]

        if not ray.is_initialized():
            address = problem.ray_address or os.environ.get("RAY_ADDRESS") or None
            ray.init(address=address, ignore_reinit_error=True, log_to_driver=False,
                     include_dashboard=False, configure_logging=False)
        spec = problem.rebuild_spec()
        actor = ray.remote(_RayWorker)
        n = _workers(problem)
        self._actors = [actor.remote(spec) for _ in range(n)]  # pyright: ignore[reportAttributeAccessIssue]
        self._pool = ActorPool(self._actors)

    def map(self, payloads: list[Any]) -> Iterable[Measurement]:
        results: Any = self._pool.map(lambda a, p: a.evaluate.remote(p), payloads)  # pyright: ignore
        return results

    def close(self) -> None:
        import ray  # pyright: ignore[reportMissingImports]

        for a in self._actors:
            ray.kill(a)  # pyright: ignore[reportArgumentType]
        self._actors = []


class _RayWorker:
    """A Ray actor: the problem, rebuilt once from its description."""

    def __init__(self, spec: dict[str, Any]):
        self.problem = spec["factory"](**spec["args"])

    def evaluate(self, payload: Any) -> Measurement:
        return _evaluate_payload(self.problem, payload)
