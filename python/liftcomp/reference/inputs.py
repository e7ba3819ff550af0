"""Random inputs for a function's arguments (what every check runs the reference and the target on)."""

from __future__ import annotations

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

from liftcomp.diagnostics import LiftcompError
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
        et = t.element_type
        if isinstance(et, IntegerType):
            w = et.width.data
            dt = np.dtype(f"i{w // 8}")
            info = np.iinfo(dt)
            args.append(rng.integers(info.min, info.max, size=shape, dtype=dt, endpoint=True))
        else:
            args.append(rng.uniform(-1, 1, size=shape).astype(numpy_dtype(et)))
        shapes.append(shape)
    return args, shapes
