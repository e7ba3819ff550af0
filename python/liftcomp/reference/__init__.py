"""The oracle of every check: numpy semantics of tensor-level IR (`tensor_ir`) and the random
inputs the checks use (`inputs`). Target-independent: no target imports here."""

from liftcomp.reference.inputs import random_inputs
from liftcomp.reference.tensor_ir import eval_scalar_op, run_reference

__all__ = ["eval_scalar_op", "random_inputs", "run_reference"]
