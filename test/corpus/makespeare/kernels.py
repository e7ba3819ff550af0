"""makespeare's sum_of_squares (from C2TACO's suites, as used by Tenspiler)."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("makespeare", types="i32", form=True, origin="tenspiler:makespeare/sum_of_squares",
        args="arr:in[n] n:=n", sizes={"n": 45},
        tags=("iter_args", "reduction", "square", "dynamic", "scf", "wrap-around"))
def sum_of_squares(arr, n):
    v = arr[:n]
    return np.sum(v * v, dtype=np.int32)
