"""Writing output files: all or nothing, with a clear error instead of an OSError.

A command computes everything first, then calls `write_outputs` once. Each regular file is
written to a temporary file next to it and renamed into place only when every file was written,
so a failure (no such directory, a directory in the way, a full disk) leaves no file behind and
no existing file half-overwritten. Special files (`/dev/stdout`, `/dev/null`, a FIFO) are written
directly, never replaced.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Mapping
from pathlib import Path

from liftcomp.diagnostics import LiftcompError


def check_writable(path: str | Path, what: str = "output") -> None:
    """Fail early (before any work) when `path` can certainly not be written as a file."""
    p = Path(path)
    if p.is_dir():
        raise LiftcompError(f"cannot write the {what} to {path}: it is a directory")
    parent = p.parent if str(p.parent) else Path(".")
    if not parent.is_dir():
        raise LiftcompError(f"cannot write the {what} to {path}: no such directory {parent}")
    if not os.access(parent, os.W_OK) and not (p.exists() and os.access(p, os.W_OK)):
        raise LiftcompError(f"cannot write the {what} to {path}: permission denied")


def check_output_dir(path: str | Path) -> None:
    """Fail early when `path` cannot become an output directory."""
    p = Path(path)
    if p.exists() and not p.is_dir():
        raise LiftcompError(f"cannot write into {path}: it exists and is not a directory")
    existing = next((q for q in (p, *p.parents) if q.exists()), Path("."))
    if not existing.is_dir() or not os.access(existing, os.W_OK):
        raise LiftcompError(f"cannot write into {path}: {existing} is not a writable directory")


def write_outputs(files: Mapping[str, str] | Mapping[Path, str], what: str = "output") -> None:
    """Write every `path: text`, or none of them (see the module doc)."""
    staged: list[tuple[Path, Path]] = []
    path: str | Path = ""
    try:
        for path, text in files.items():
            p = Path(path)
            if _is_special(p):
                continue
            check_writable(p, what)
            fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent if str(p.parent) else ".")
            staged.append((Path(tmp), p))
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
        for path, text in files.items():
            p = Path(path)
            if _is_special(p):
                with p.open("w", encoding="utf-8") as f:
                    f.write(text)
        for tmp, p in staged:
            if p.exists():
                os.chmod(tmp, stat.S_IMODE(p.stat().st_mode))
            else:
                os.chmod(tmp, 0o666 & ~_umask())
            os.replace(tmp, p)
        staged = []
    except OSError as e:
        where = e.filename if isinstance(e.filename, str) and not Path(e.filename).name.endswith(".tmp") else path
        raise LiftcompError(f"cannot write the {what} to {where}: {e.strerror or e}") from None
    finally:
        for tmp, _ in staged:
            tmp.unlink(missing_ok=True)


def _is_special(p: Path) -> bool:
    """A device, FIFO or socket: written in place (replacing /dev/null would be a disaster)."""
    try:
        mode = p.stat().st_mode
    except OSError:
        return False
    return not stat.S_ISREG(mode) and not stat.S_ISDIR(mode)


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
