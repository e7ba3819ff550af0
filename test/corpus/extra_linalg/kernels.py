"""Dense linear algebra beyond the peers: matrix-matrix products (all transpositions, int8 -> int32),
batched matmul, outer products, fills, transposes, flattened 2-D indexing and epilogues."""

import numpy as np
from liftcomp.corpus import kernel

F32 = np.float32
ORIGIN = "liftcomp:extra"


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:gemm (nn)",
        args="A:in[m,k]{unit} B:in[k,n]{unit} C:out[m,n]", sizes={"m": 5, "k": 6, "n": 7},
        tags=("matmul", "init+accumulate", "3-deep", "dynamic", "memref.dim", "scf"))
def gemm_nn_f32(A, B, C):
    C[...] = A @ B


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:gemm (tn)",
        args="A:in{unit} B:in{unit} C:out", tags=("matmul", "transpose", "init+accumulate", "3-deep", "static", "affine"))
def gemm_tn_f32(A, B, C):
    C[...] = A.T @ B


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:gemm (nt)",
        args="A:in[m,k]{unit} B:in[n,k]{unit} C:out[m,n] m:=m n:=n k:=k", sizes={"m": 4, "k": 5, "n": 6},
        tags=("matmul", "transpose", "init+accumulate", "3-deep", "dynamic", "affine"))
def gemm_nt_f32(A, B, C, m, n, k):
    C[...] = A @ B.T


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:gemm (tt)",
        args="A:in{unit} B:in{unit} C:out",
        tags=("matmul", "transpose", "init+accumulate", "3-deep", "static", "scf", "loop-order-ikj"))
def gemm_tt_f32(A, B, C):
    C[...] = A.T @ B.T


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:matmul",
        args="A:in{unit} B:in{unit} C:out", tags=("matmul", "iter_args", "3-deep", "static", "affine"))
def matmul_acc_f32(A, B, C):
    C[...] = A @ B


@kernel("extra_linalg", types="i8->i32", form=True, origin="gemmini:tiled_matmul (int8 x int8 -> int32)",
        args="A:in B:in C:out", tags=("matmul", "widening", "extsi", "init+accumulate", "3-deep", "static", "affine"))
def gemm_i8_i32(A, B, C):
    C[...] = A.astype(np.int32) @ B.astype(np.int32)


@kernel("extra_linalg", types="i8->i32", form=True, origin="gemmini:matmul accumulate (C += A B)",
        args="A:in[m,k] B:in[k,n] C:inout[m,n] m:=m n:=n k:=k", sizes={"m": 5, "k": 9, "n": 6},
        tags=("matmul", "widening", "extsi", "iter_args", "accumulate-into-output", "wrap", "3-deep", "dynamic", "scf"))
def gemm_i8_i32_acc_dyn(A, B, C, m, n, k):
    # C starts from arbitrary int32 values, so the sum may wrap around: int32 arithmetic throughout.
    C[...] = C + A.astype(np.int32) @ B.astype(np.int32)


@kernel("extra_linalg", types="i8->i32", form=True, origin=ORIGIN,
        args="A:in[m,n] x:in[n] y:out[m]", sizes={"m": 6, "n": 11},
        tags=("matvec", "widening", "extsi", "iter_args", "dynamic", "memref.dim", "affine"))
def matvec_i8_i32(A, x, y):
    y[...] = A.astype(np.int32) @ x.astype(np.int32)


@kernel("extra_linalg", types="f32", form=True, origin="blas:sgemm (alpha, beta)",
        args="A:in[m,k]{unit} B:in[k,n]{unit} C:inout[m,n] alpha:scalar beta:scalar m:=m n:=n k:=k",
        sizes={"m": 4, "k": 5, "n": 6}, tags=("matmul", "iter_args", "epilogue", "scalar-args", "3-deep", "dynamic", "scf"))
def gemm_alpha_beta_f32(A, B, C, alpha, beta, m, n, k):
    C[...] = F32(alpha) * (A @ B) + F32(beta) * C


@kernel("extra_linalg", types="f32", form=True, origin=ORIGIN,
        args="A:in{unit} B:in{unit} C:out", tags=("batch-matmul", "init+accumulate", "4-deep", "static", "affine"))
def batched_matmul_f32(A, B, C):
    C[...] = np.matmul(A, B)


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:ger",
        args="A:inout[m,n] x:in[m] y:in[n] alpha:scalar m:=m n:=n", sizes={"m": 5, "n": 7},
        tags=("outer", "in-place", "scalar-args", "dynamic", "scf"))
def ger_f32(A, x, y, alpha, m, n):
    # The loop forms (alpha * x[i]) first, then multiplies by y[j]; same association here.
    A += np.outer(F32(alpha) * x, y)


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:matinit",
        args="A:out", tags=("fill", "static", "affine", "2d"))
def matinit_zero_f32(A):
    A[...] = 0


@kernel("extra_linalg", types="i32", form=True, origin="c2taco:vfill",
        args="v:out[n]", sizes={"n": 10}, tags=("fill", "constant", "dynamic", "memref.dim", "scf"))
def vfill_const_i32(v):
    v[...] = 7


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:vfill",
        args="v:inout[n+3] s:scalar n:=n", sizes={"n": 9}, tags=("fill", "scalar-args", "partial-write", "dynamic", "affine"))
def vfill_scalar_f32(v, s, n):
    # Only the first n elements are written; the buffer is 3 longer.
    v[:n] = s


@kernel("extra_linalg", types="f32", form=True, origin=ORIGIN,
        args="A:in[m,n] B:out[n,m]", sizes={"m": 4, "n": 7}, tags=("transpose", "copy", "dynamic", "memref.dim", "scf"))
def transpose_copy_f32(A, B):
    B[...] = A.T


@kernel("extra_linalg", types="f32", form=True, origin=ORIGIN,
        args="w:in[m*n]{unit} x:in[n]{unit} y:out[m] m:=m n:=n", sizes={"m": 5, "n": 6},
        tags=("matvec", "flattened", "index-arith", "iter_args", "dynamic", "scf"))
def flat_matvec_f32(w, x, y, m, n):
    y[...] = w.reshape(m, n) @ x


@kernel("extra_linalg", types="f32", form=True, origin=ORIGIN,
        args="a:in b:out", tags=("transpose", "flattened", "affine-map", "static", "affine"))
def flat_transpose_f32(a, b):
    b[...] = a.reshape(4, 6).T.reshape(24)


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:matrix1 (row sums)",
        args="A:in[m,n] r:out[m] m:=m n:=n", sizes={"m": 6, "n": 7}, tags=("reduction", "row-sum", "iter_args", "dynamic", "affine"))
def row_sums_f32(A, r, m, n):
    r[...] = A.sum(axis=1, dtype=F32)


@kernel("extra_linalg", types="i32", form=True, origin="c2taco:matrix2 (column sums)",
        args="A:in c:out", tags=("reduction", "col-sum", "init+accumulate", "wrap", "static", "scf"))
def col_sums_i32(A, c):
    c[...] = A.sum(axis=0, dtype=np.int32)


@kernel("extra_linalg", types="f32", form=True, origin="c2taco:lerp",
        args="a:in[n] b:in[n] out:out[n] t:scalar{unit} n:=n", sizes={"n": 12}, tags=("elementwise", "scalar-args", "dynamic", "scf"))
def lerp_f32(a, b, out, t, n):
    out[...] = a + F32(t) * (b - a)


@kernel("extra_linalg", types="f32", form=True, origin=ORIGIN,
        args="A:in b:in out:out", tags=("broadcast", "relu", "maximumf", "epilogue", "static", "affine"))
def bias_relu_f32(A, b, out):
    out[...] = np.maximum(A + b[None, :], F32(0))
