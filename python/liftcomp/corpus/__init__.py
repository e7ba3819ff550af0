"""The kernel corpus: loop-nest kernels in MLIR, each with a numpy reference and metadata.

Layout: `<root>/<suite>/<kernel>.mlir` holds `func.func @<kernel>`; `<root>/<suite>/kernels.py`
declares each kernel with `@kernel(...)` on its numpy reference. The reference takes the same
arguments as the MLIR function (numpy arrays mutated in place, Python ints for index/size
arguments) and returns the function's results (or None).

The `args` string describes each argument in order, separated by spaces:
  `a:in[n]`        memref read by the kernel; dims are expressions over the size variables
  `c:out[m,n]`     memref written (initial contents random: kernels must not depend on them)
  `c:inout[m,n]`   memref read and written
  `x:in`           memref with a fully static type (shape taken from the type)
  `n:=n` / `k:=2`  index or integer scalar, value of an expression over the size variables
  `s:scalar`       scalar of the argument's type with a random value
Any argument may end with a domain in braces: `{pos}` (> 0), `{nonneg}`, `{nonzero}`,
`{lo:hi}` (values in [lo, hi]), `{unit}` (floats in [-1, 1]). Integers are otherwise drawn
from the whole range of their type, including edge values (0, -1, min, max).
"""

from __future__ import annotations

import importlib.util
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from liftcomp.diagnostics import LiftcompError

_REGISTRY: list[KernelSpec] = []

ROLES = ("in", "out", "inout")


@dataclass
class ArgSpec:
    name: str
    role: str  # in | out | inout | size | scalar
    dims: list[str] | None = None  # memref dims as expressions; None: static from type
    value: str | None = None  # size/int scalar expression
    domain: str | None = None


@dataclass
class KernelSpec:
    name: str
    suite: str
    types: str
    form: bool
    args: list[ArgSpec]
    sizes: dict[str, int]
    reference: Callable[..., Any]
    unsigned: bool = False
    tags: tuple[str, ...] = ()
    origin: str = "liftcomp"
    note: str = ""
    mlir_path: Path | None = None
    # Alternative sizes used by larger differential tests (the executor is slow: keep small).
    big_sizes: dict[str, int] = field(default_factory=dict)

    @property
    def mlir_text(self) -> str:
        assert self.mlir_path is not None
        return self.mlir_path.read_text()


_ARG_RE = re.compile(
    r"^(?P<name>\w+):(?:(?P<role>in|out|inout|scalar)(?:\[(?P<dims>[^\]]*)\])?|=(?P<value>[^{]+))"
    r"(?:\{(?P<domain>[^}]*)\})?$"
)


def parse_args_spec(text: str) -> list[ArgSpec]:
    out: list[ArgSpec] = []
    for tok in text.split():
        m = _ARG_RE.match(tok)
        if not m:
            raise ValueError(f"bad argument spec '{tok}'")
        if m["value"] is not None:
            out.append(ArgSpec(m["name"], "size", value=m["value"], domain=m["domain"]))
            continue
        dims = [d.strip() for d in m["dims"].split(",")] if m["dims"] is not None else None
        out.append(ArgSpec(m["name"], m["role"], dims=dims, domain=m["domain"]))
    return out


def kernel(
    suite: str,
    *,
    types: str,
    form: bool,
    args: str,
    sizes: dict[str, int] | None = None,
    unsigned: bool = False,
    tags: tuple[str, ...] | list[str] = (),
    origin: str = "liftcomp",
    note: str = "",
    big_sizes: dict[str, int] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a corpus kernel; the decorated function is its numpy reference."""

    def deco(ref: Callable[..., Any]) -> Callable[..., Any]:
        _REGISTRY.append(
            KernelSpec(
                name=ref.__name__,
                suite=suite,
                types=types,
                form=form,
                args=parse_args_spec(args),
                sizes=dict(sizes or {}),
                reference=ref,
                unsigned=unsigned,
                tags=tuple(tags),
                origin=origin,
                note=note,
                big_sizes=dict(big_sizes or {}),
            )
        )
        return ref

    return deco


def default_root() -> Path:
    """The bundled corpus: test/corpus of the source checkout."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        cand = parent / "test" / "corpus"
        if cand.is_dir():
            return cand
    raise LiftcompError("the kernel corpus (test/corpus) was not found next to the package")


def load_corpus(root: Path | None = None) -> list[KernelSpec]:
    """All kernels under root, sorted by suite and name; checks each has its MLIR file."""
    root = root or default_root()
    kernels: list[KernelSpec] = []
    for kfile in sorted(root.glob("*/kernels.py")):
        suite_dir = kfile.parent
        mod_name = f"_liftcomp_corpus_{suite_dir.name}"
        before = len(_REGISTRY)
        if mod_name in sys.modules:
            # Already imported in this process: reuse its registrations.
            kernels.extend(k for k in _LOADED.get(mod_name, []))
            continue
        spec = importlib.util.spec_from_file_location(mod_name, kfile)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        sys.modules[mod_name] = module
        spec.loader.exec_module(module)
        new = _REGISTRY[before:]
        for k in new:
            k.mlir_path = suite_dir / f"{k.name}.mlir"
            if not k.mlir_path.is_file():
                raise LiftcompError(f"corpus kernel '{k.name}' has no file {k.mlir_path}")
        _LOADED[mod_name] = list(new)
        kernels.extend(new)
    names = [k.name for k in kernels]
    dups = {n for n in names if names.count(n) > 1}
    if dups:
        raise LiftcompError(f"duplicate corpus kernel names: {sorted(dups)}")
    return sorted(kernels, key=lambda k: (k.suite, k.name))


_LOADED: dict[str, list[KernelSpec]] = {}
