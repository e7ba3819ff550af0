#!/usr/bin/env python3
"""Write dialects/<name>.irdl.mlir for each of liftcomp's dialects, from their xDSL definitions.

    .venv/bin/python tools/gen_irdl.py           # (re)write the files
    .venv/bin/python tools/gen_irdl.py --check   # exit 1 if a file is missing or stale

mlir-opt-22 then reads IR in our dialects with --irdl-file=dialects/<name>.irdl.mlir, or all of
them with --irdl-file=dialects/all.irdl.mlir (mlir-opt-22 takes a single --irdl-file).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from liftcomp.interop.irdl_gen import dialect_to_irdl_text
from liftcomp.universe import liftcomp_dialects

DIALECTS_DIR = Path(__file__).resolve().parents[1] / "dialects"


def expected_files() -> dict[Path, str]:
    """Each dialect file and the text it must have."""
    files: dict[Path, str] = {}
    for name, factory in sorted(liftcomp_dialects().items()):
        source = f"the xDSL dialect '{name}' of liftcomp.universe"
        files[DIALECTS_DIR / f"{name}.irdl.mlir"] = dialect_to_irdl_text(factory(), source)
    files[DIALECTS_DIR / "all.irdl.mlir"] = "\n".join(files.values())
    return files


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="only check that the files are up to date")
    ns = parser.parse_args(argv)
    files = expected_files()
    if ns.check:
        stale = [p for p, text in files.items() if not p.is_file() or p.read_text() != text]
        for p in stale:
            print(f"gen_irdl: {p} is stale; run tools/gen_irdl.py", file=sys.stderr)
        return 1 if stale else 0
    DIALECTS_DIR.mkdir(exist_ok=True)
    for path, text in files.items():
        if not path.is_file() or path.read_text() != text:
            path.write_text(text)
            print(f"gen_irdl: wrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
