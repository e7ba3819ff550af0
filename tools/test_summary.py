"""Sum lit's and pytest's outcome counts into the one line CI reads: `N passed, N failed`.

Tests that did not run (lit's Unsupported, Skipped, Excluded; pytest's skipped) are neither
passed nor failed: they are reported apart, on the line before the total.
"""

import re
import sys
from pathlib import Path

LIT_PASS = ("Passed", "Expectedly Failed")
LIT_FAIL = ("Failed", "Unexpectedly Passed", "Unresolved", "Timed Out")
LIT_NOT_RUN = ("Unsupported", "Skipped", "Excluded")


def lit_counts(text: str) -> tuple[int, int, int]:
    """(passed, failed, not run) from lit's closing summary."""
    passed = failed = not_run = 0
    for label, n in re.findall(r"^\s+([A-Z][A-Za-z ]+?)\s*:\s*(\d+)\b", text, re.M):
        if label in LIT_PASS:
            passed += int(n)
        elif label in LIT_FAIL:
            failed += int(n)
        elif label in LIT_NOT_RUN:
            not_run += int(n)
    return passed, failed, not_run


def pytest_counts(text: str) -> tuple[int, int, int]:
    """(passed, failed, skipped) from pytest's closing line."""
    # pytest's closing line: "3 failed, 500 passed, 2 skipped in 98.7s" (maybe between '=' rules).
    lines = [ln for ln in text.splitlines() if re.search(r"\b(\d+ (passed|failed|errors?)|no tests ran)\b.* in [\d.]+s", ln)]
    if not lines:
        return 0, 1, 0  # pytest did not report: count it as a failure
    last = lines[-1]
    passed = sum(int(n) for n in re.findall(r"(\d+) passed", last))
    failed = sum(int(n) for n in re.findall(r"(\d+) (?:failed|errors?)", last))
    skipped = sum(int(n) for n in re.findall(r"(\d+) skipped", last))
    return passed, failed, skipped


def main() -> None:
    lp, lf, ln = lit_counts(Path(sys.argv[1]).read_text())
    pp, pf, ps = pytest_counts(Path(sys.argv[2]).read_text())
    print(f"lit: {lp} passed, {lf} failed, {ln} not run (unsupported/skipped); "
          f"pytest: {pp} passed, {pf} failed, {ps} skipped")
    print(f"{lp + pp} passed, {lf + pf} failed")


if __name__ == "__main__":
    main()
