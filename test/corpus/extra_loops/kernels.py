"""Loop structures of classic linear-algebra and stencil suites (polybench-style loop orders):
reductions outside the output loops, triangular bounds, scratch buffers private to an outer
iteration, sequential statements on one buffer, time loops with ping-pong buffers, single
rows and columns. Float sums that the tensor form reassociates carry fastmath<reassoc>."""

import numpy as np
from liftcomp.corpus import kernel

F32 = np.float32
I32 = np.int32
ORIGIN = "liftcomp:extra (polybench loop order)"


@kernel("extra_loops", types="f32", form=True, origin="polybench:gemm",
        args="C:inout{unit} A:in{unit} B:in{unit} alpha:scalar{unit} beta:scalar{unit}",
        tags=("matmul", "reduction-outside", "multi-statement", "static", "affine", "fastmath"))
def gemm_pb_f32(C, A, B, alpha, beta):
    C[...] = C * F32(beta) + (F32(alpha) * A) @ B


@kernel("extra_loops", types="i32", form=True, origin="polybench:gemm",
        args="C:inout[m,n] A:in[m,k] B:in[k,n] alpha:scalar beta:scalar", sizes={"m": 3, "n": 4, "k": 5},
        tags=("matmul", "reduction-outside", "multi-statement", "wrap", "dynamic", "memref.dim", "scf"))
def gemm_pb_i32_dyn(C, A, B, alpha, beta):
    with np.errstate(over="ignore"):
        C[...] = C * I32(beta) + (I32(alpha) * A) @ B


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="A:in B:in C:inout", tags=("matmul", "reduction-outermost", "loop-order-kij", "wrap", "static", "affine"))
def gemm_kij_i32(A, B, C):
    with np.errstate(over="ignore"):
        C[...] = C + A @ B


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="A:in[m,k] B:in[k,n] C:out[m,n]", sizes={"m": 4, "n": 3, "k": 5},
        tags=("matmul", "init+accumulate", "reduction-outermost", "loop-order-kji", "dynamic", "memref.dim", "scf"))
def gemm_kij_init_i32_dyn(A, B, C):
    with np.errstate(over="ignore"):
        C[...] = A @ B


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="A:in x:in y:out", tags=("matvec", "init+accumulate", "reduction-outside", "loop-order-ji", "static", "affine"))
def matvec_ji_i32(A, x, y):
    with np.errstate(over="ignore"):
        y[...] = A @ x


@kernel("extra_loops", types="f32", form=True, origin="polybench:syrk",
        args="C:inout{unit} A:in{unit} alpha:scalar{unit} beta:scalar{unit}",
        tags=("syrk", "triangular", "kept-loop", "reduction-outside", "static", "affine", "fastmath"))
def syrk_lower_f32(C, A, alpha, beta):
    for i in range(C.shape[0]):
        C[i, : i + 1] = C[i, : i + 1] * F32(beta) + (F32(alpha) * A[i]) @ A[: i + 1].T


@kernel("extra_loops", types="i32", form=True, origin="polybench:syrk",
        args="C:inout[n,n] A:in[n,m] alpha:scalar beta:scalar", sizes={"n": 5, "m": 3},
        tags=("syrk", "triangular", "kept-loop", "reduction-outside", "wrap", "dynamic", "memref.dim", "scf"))
def syrk_lower_i32_dyn(C, A, alpha, beta):
    with np.errstate(over="ignore"):
        for i in range(C.shape[0]):
            C[i, : i + 1] = C[i, : i + 1] * I32(beta) + (I32(alpha) * A[i]) @ A[: i + 1].T


@kernel("extra_loops", types="i32", form=True, origin="polybench:syr2k",
        args="C:inout A:in B:in beta:scalar", tags=("syr2k", "triangular", "kept-loop", "reduction-outside", "wrap", "static", "affine"))
def syr2k_lower_i32(C, A, B, beta):
    with np.errstate(over="ignore"):
        for i in range(C.shape[0]):
            C[i, : i + 1] = C[i, : i + 1] * I32(beta) + A[: i + 1] @ B[i] + B[: i + 1] @ A[i]


@kernel("extra_loops", types="f32", form=True, origin="polybench:2mm",
        args="A:in{unit} B:in{unit} C:in{unit} D:inout{unit} tmp:out alpha:scalar{unit} beta:scalar{unit}",
        tags=("matmul", "sequential-statements", "multi-nest", "static", "affine", "fastmath"))
def two_mm_f32(A, B, C, D, tmp, alpha, beta):
    tmp[...] = (F32(alpha) * A) @ B
    D[...] = D * F32(beta) + tmp @ C


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="x:inout[m,n] y:in[m,n]", sizes={"m": 3, "n": 5},
        tags=("sequential-statements", "in-place", "wrap", "dynamic", "memref.dim", "scf"))
def scale_then_add_i32(x, y):
    with np.errstate(over="ignore"):
        x[...] = x * I32(3) + y


@kernel("extra_loops", types="f32", form=True, origin="polybench:doitgen",
        args="A:inout{unit} C4:in{unit} sum:out", tags=("privatisation", "scratch", "kept-loop", "in-place", "static", "affine", "fastmath"))
def doitgen_f32(A, C4, sum):  # noqa: A002 (the polybench name)
    sum[...] = A[-1, -1] @ C4
    A[...] = A @ C4


@kernel("extra_loops", types="i32", form=True, origin="polybench:doitgen",
        args="A:inout[r,q,p] C4:in[p,p] sum:out[p]", sizes={"r": 2, "q": 3, "p": 4},
        tags=("privatisation", "scratch", "kept-loop", "in-place", "iter_args", "wrap", "dynamic", "memref.dim", "scf"))
def doitgen_i32_dyn(A, C4, sum):  # noqa: A002 (the polybench name)
    with np.errstate(over="ignore"):
        sum[...] = A[-1, -1] @ C4
        A[...] = A @ C4


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="A:in B:out tmp:out", tags=("privatisation", "scratch", "static", "affine"))
def row_scratch_i32(A, B, tmp):
    with np.errstate(over="ignore"):
        tmp[...] = A[-1] * I32(2)
        B[...] = A * I32(2) + I32(1)


@kernel("extra_loops", types="f32", form=True, origin="polybench:jacobi-1d",
        args="A:inout[n]{unit} B:inout[n]{unit} tsteps:=t", sizes={"n": 8, "t": 3},
        tags=("stencil", "time-loop", "ping-pong", "kept-loop", "dynamic", "memref.dim", "scf"))
def jacobi1d_f32(A, B, tsteps):
    n = A.shape[0]
    for _ in range(tsteps):
        B[1 : n - 1] = F32(0.333333) * ((A[0 : n - 2] + A[1 : n - 1]) + A[2:n])
        A[1 : n - 1] = F32(0.333333) * ((B[0 : n - 2] + B[1 : n - 1]) + B[2:n])


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="A:inout B:inout", tags=("stencil", "time-loop", "ping-pong", "kept-loop", "wrap", "static", "affine"))
def jacobi1d_i32(A, B):
    with np.errstate(over="ignore"):
        for _ in range(3):
            B[1:9] = A[0:8] + A[2:10]
            A[1:9] = B[0:8] - B[2:10]


@kernel("extra_loops", types="f32", form=True, origin="polybench:jacobi-2d",
        args="A:inout{unit} B:inout{unit}", tags=("stencil", "time-loop", "ping-pong", "kept-loop", "static", "affine"))
def jacobi2d_f32(A, B):
    for _ in range(2):
        B[1:5, 1:5] = F32(0.2) * ((((A[1:5, 1:5] + A[0:4, 1:5]) + A[2:6, 1:5]) + A[1:5, 0:4]) + A[1:5, 2:6])
        A[1:5, 1:5] = F32(0.2) * ((((B[1:5, 1:5] + B[0:4, 1:5]) + B[2:6, 1:5]) + B[1:5, 0:4]) + B[1:5, 2:6])


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="A:inout[n+1] B:inout[n] steps:=t", sizes={"n": 6, "t": 3},
        tags=("stencil", "time-loop", "copy-back", "kept-loop", "wrap", "dynamic", "memref.dim", "scf"))
def heat_copy_i32_dyn(A, B, steps):
    n = B.shape[0]
    with np.errstate(over="ignore"):
        for _ in range(steps):
            B[...] = A[0:n] + A[1 : n + 1]
            A[0:n] = B


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="A:inout x:in y:in r:=2 c:=4", tags=("row", "column", "single-row-region", "static", "affine"))
def set_row_col_i32(A, x, y, r, c):
    A[r, :] = x
    A[:, c] = y


@kernel("extra_loops", types="i32", form=True, origin="polybench:atax",
        args="A:in x:in y:out tmp:out", tags=("matvec", "transpose", "reduction-outside", "multi-statement", "wrap", "static", "affine"))
def atax_i32(A, x, y, tmp):
    with np.errstate(over="ignore"):
        tmp[...] = A @ x
        y[...] = A.T @ tmp


@kernel("extra_loops", types="f32", form=True, origin="polybench:mvt",
        args="A:in{unit} x1:inout{unit} x2:inout{unit} y1:in{unit} y2:in{unit}",
        tags=("matvec", "transpose", "accumulate-into-output", "multi-nest", "static", "affine", "fastmath"))
def mvt_f32(A, x1, x2, y1, y2):
    x1[...] = x1 + A @ y1
    x2[...] = x2 + A.T @ y2


@kernel("extra_loops", types="i32", form=True, origin="polybench:bicg",
        args="A:in[n,m] s:out[m] q:out[n] p:in[m] r:in[n]", sizes={"n": 4, "m": 5},
        tags=("matvec", "transpose", "reduction-outside", "multi-statement", "wrap", "dynamic", "memref.dim", "scf"))
def bicg_i32_dyn(A, s, q, p, r):
    with np.errstate(over="ignore"):
        s[...] = r @ A
        q[...] = A @ p


@kernel("extra_loops", types="i32", form=True, origin="polybench:covariance",
        args="d:in cov:inout", tags=("covariance", "triangular", "mirror-write", "kept-loop", "iter_args", "wrap", "static", "affine"))
def covariance_i32(d, cov):
    with np.errstate(over="ignore"):
        for i in range(cov.shape[0]):
            cov[i, i:] = d[:, i] @ d[:, i:]
            cov[i:, i] = cov[i, i:]


@kernel("extra_loops", types="f32", form=True, origin="polybench:correlation (diagonal)",
        args="corr:inout{unit}", tags=("diagonal", "repeated-loop-variable", "static", "affine"))
def diag_set_f32(corr):
    np.fill_diagonal(corr, F32(1.0))
    corr[np.arange(4), np.arange(1, 5)] = F32(0.5)


@kernel("extra_loops", types="i32", form=True, origin=ORIGIN,
        args="A:inout[n,n] x:in[n]", sizes={"n": 5},
        tags=("diagonal", "repeated-loop-variable", "trace", "iter_args", "wrap", "dynamic", "memref.dim", "scf"))
def diag_add_trace_i32_dyn(A, x):
    with np.errstate(over="ignore"):
        n = x.shape[0]
        A[np.arange(n), np.arange(n)] += x
        return np.sum(np.diagonal(A)[:n], dtype=np.int32)
