"""Random inputs for a function's arguments (what every check runs the reference and the target on)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    BFloat16Type,
    Float32Type,
    Float64Type,
    IndexType,
    IntegerType,
    MemRefType,
)

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.ir.types import numpy_dtype


def random_inputs(fn: func.FuncOp, dyn_size: int, rng: np.random.Generator) -> tuple[list[Any], list[tuple[int, ...] | None]]:
    """Random arguments for `fn`: integers over their whole range, dynamic dims = dyn_size."""
    args: list[Any] = []
    shapes: list[tuple[int, ...] | None] = []
    for a in fn.body.block.args:
        t = a.type
        if isinstance(t, IndexType):
            # Index arguments are sizes in the corpus's kernels: give them the dynamic size.
            args.append(dyn_size)
            shapes.append(None)
            continue
        if isinstance(t, (Float32Type, Float64Type, BFloat16Type)):
            # A float scalar is typically a scale: random sign, magnitude log-uniform in [1e-4, 1].
            v = rng.choice([-1.0, 1.0]) * 10.0 ** rng.uniform(-4.0, 0.0)
            args.append(numpy_dtype(t).type(v))
            shapes.append(None)
            continue
        if isinstance(t, IntegerType) and t.width.data > 1:
            # Integer scalars are lengths or small factors in the corpus's kernels (an i32 n, a
            # pixel value): the dynamic size too, within the type's range.
            args.append(min(dyn_size, (1 << (t.width.data - 1)) - 1))
            shapes.append(None)
            continue
        if not isinstance(t, MemRefType):
            raise LiftcompError(f"@{fn.sym_name.data}: scalar arguments of type {t} are not supported by compile yet")
        shape = tuple(d.data if d.data >= 0 else dyn_size for d in t.shape.data)
        try:
            args.append(random_array(t, shape, rng))
        except LiftcompError as e:
            raise LiftcompError(f"@{fn.sym_name.data}: argument {len(args)}: {e.message}", op_location(fn)) from None
        shapes.append(shape)
    return args, shapes


def random_array(t: MemRefType[Any], shape: tuple[int, ...], rng: np.random.Generator) -> Any:
    """Random contents for a buffer of type `t` and `shape`: integers over their whole range,
    floats in [-1, 1)."""
    et = t.element_type
    if isinstance(et, IntegerType):
        dt = numpy_dtype(et)  # a LiftcompError for widths numpy has no type for (i128)
        if dt == np.bool_:
            return rng.integers(0, 2, size=shape).astype(np.bool_)
        info = np.iinfo(dt)
        return rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True)
    return rng.uniform(-1, 1, size=shape).astype(numpy_dtype(et))


def grown(fn: func.FuncOp, index: int, shape: tuple[int, ...], at_least: list[int] | None) -> tuple[int, ...] | None:
    """A larger shape for argument `index` of `fn` whose accesses ran past its end: each dynamic
    dim at least `at_least` (the sizes a slice needed) or else doubled; None when it cannot grow
    (static dims too small, not a buffer, or past MAX_GROWN_ELEMENTS)."""
    t = fn.body.block.args[index].type
    if not isinstance(t, MemRefType):
        return None
    dims = [d.data for d in t.shape.data]
    if at_least is not None and len(at_least) != len(dims):
        return None
    new: list[int] = []
    for k, (d, s) in enumerate(zip(dims, shape, strict=True)):
        need = at_least[k] if at_least is not None else 2 * s
        if d >= 0 and need > d:
            return None  # a static dim cannot hold what the program reads
        new.append(s if d >= 0 else max(s, need))
    if tuple(new) == shape or math.prod(new) > MAX_GROWN_ELEMENTS:
        return None
    return tuple(new)


# Inputs grown to fit a program's accesses stay below this many elements per buffer.
MAX_GROWN_ELEMENTS = 1 << 24
