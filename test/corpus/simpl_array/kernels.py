"""Simple array loops (C2TACO's simpl_array suite, as used by Tenspiler)."""

import numpy as np
from liftcomp.corpus import kernel


@kernel("simpl_array", types="i32", form=True, origin="tenspiler:simpl_array/array_inc",
        args="arr:inout[n] n:=n", sizes={"n": 42},
        tags=("in-place", "constant-operand", "dynamic", "scf", "wrap-around"))
def array_inc(arr, n):
    arr[:n] = arr[:n] + np.int32(1)


@kernel("simpl_array", types="f32", form=True, origin="tenspiler:simpl_array/array_sum",
        args="arr:in{unit}", sizes={},
        tags=("iter_args", "reduction", "static", "affine"))
def array_sum(arr):
    return np.float32(np.sum(arr.astype(np.float64)))


@kernel("simpl_array", types="i32", form=True, origin="tenspiler:simpl_array/cube_in_place",
        args="arr:inout[n] n:=n", sizes={"n": 39},
        tags=("in-place", "power", "dynamic", "affine", "wrap-around"))
def cube_in_place(arr, n):
    v = arr[:n]
    arr[:n] = v * v * v


@kernel("simpl_array", types="i64", form=True, origin="tenspiler:simpl_array/fourth_in_place",
        args="arr:inout[n+3] n:=n", sizes={"n": 38},
        tags=("in-place", "power", "slice", "i32-length", "index_cast", "scf", "wrap-around", "i64"),
        note="updates only the first n of n+3 elements")
def fourth_in_place(arr, n):
    v = arr[:n]
    sq = v * v
    arr[:n] = sq * sq


@kernel("simpl_array", types="f64", form=True, origin="tenspiler:simpl_array/sum_elts",
        args="arr:in[n+6] n:=n", sizes={"n": 44},
        tags=("iter_args", "reduction", "slice", "scf", "f64"),
        note="sums only the first n of n+6 elements")
def sum_elts(arr, n):
    return np.sum(arr[:n])
