"""The reference executor: the oracle every later stage is tested against."""

from liftcomp.executor.interpreter import (
    ExecutionError,
    Interpreter,
    OutOfBounds,
    numpy_dtype,
    run_function,
)

__all__ = ["ExecutionError", "OutOfBounds", "Interpreter", "numpy_dtype", "run_function"]
