"""Tuning records: one JSON line per measured schedule, appended as the search measures.

A record is keyed by the tensor-level function (a hash of its text), the target and a hash of
every field of the target's configuration; it holds the inputs it was checked on (seed, dynamic
size), the schedule (as the kernel space writes it, free-form IR included), the steps that led to
it and the measurement. Records of another key are never used: not for `--resume` (which reuses
the measurement of a schedule the search proposes again, so a resumed search retraces the
interrupted one to the same result; only measurements taken on the same inputs are reused, since
correctness was judged on them), and not for replay (`best`: the fastest correct record, which
`liftcomp compile` then checks again on its own inputs). A line cut short by an interruption is
skipped.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.measure import Measurement

FORMAT = "liftcomp-tuning-record/1"


def _canonical(schedule_json: dict[str, Any]) -> str:
    return json.dumps(schedule_json, sort_keys=True)


class Database:
    """The records of one file (created on the first append)."""

    def __init__(self, path: Path):
        self.path = path
        if path.exists() and not path.is_file():
            raise LiftcompError(f"--database: {path} is not a file")
        if not path.parent.is_dir():
            raise LiftcompError(f"--database: no such directory for {path}")
        self._records = self._read()

    def _read(self) -> list[dict[str, Any]]:
        if not self.path.is_file():
            return []
        out: list[dict[str, Any]] = []
        for line in self.path.read_text().splitlines():
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue  # a line cut short when a search was interrupted
            if isinstance(rec, dict) and rec.get("format") == FORMAT:
                out.append(rec)
        return out

    def records(self, key: dict[str, Any]) -> list[dict[str, Any]]:
        return [r for r in self._records if r.get("key") == key]

    def append(self, key: dict[str, Any], func_name: str, schedule_json: dict[str, Any], steps: list[dict[str, Any]],
               measurement: Measurement, inputs: dict[str, Any]) -> None:
        rec = {"format": FORMAT, "key": key, "func": func_name, "inputs": inputs, "schedule": schedule_json,
               "steps": steps, "measurement": measurement.to_json()}
        with self.path.open("a") as f:
            f.write(json.dumps(rec, sort_keys=True) + "\n")
            f.flush()
        self._records.append(rec)

    def measurements(self, key: dict[str, Any], inputs: dict[str, Any]) -> dict[str, Measurement]:
        """Measurements recorded on `inputs`, by schedule (canonical JSON text), the first of each."""
        out: dict[str, Measurement] = {}
        for r in self.records(key):
            if r.get("inputs") != inputs:
                continue
            out.setdefault(_canonical(r["schedule"]), Measurement.from_json(r["measurement"]))
        return out

    def best(self, key: dict[str, Any]) -> dict[str, Any] | None:
        """The fastest correct record of `key` (earliest among equals), or None."""
        good = [r for r in self.records(key) if r["measurement"].get("correct") and r["measurement"].get("cost")]
        return min(good, key=lambda r: r["measurement"]["cost"]) if good else None
