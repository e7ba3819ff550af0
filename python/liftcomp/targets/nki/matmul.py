"""Matmul kernels for TensorE: C[M, N] = act(A @ B + bias), from a schedule.

The schedule tiles M (stationary free <= 128), N (moving free <= 512) and K (partitions <= 128),
groups tiles into blocks (block_m/n/k tiles), and orders the three block loops. A block of A^T
([K, M] with K on partitions: "lhsT") and a block of B are loaded at the depth of the innermost
block loop they depend on (so an order that puts k inside m and n reloads them per output block,
the tutorial's naive tiling; hoisting them means putting their loops outside). The output block
accumulates in PSUM when no K-block loop is left (one nc_matmul chain per [tile_m, tile_n] tile),
else in an fp32 SBUF block that spans the M/N loops inside the K-block loop (the optimization
guide's blocked kernel). A given as [M, K] (not transposed) comes through dma_transpose; the
stores write whole rows of an output block (one DMA per tile row).

With `swap` the roles of A and B on TensorE swap: the kernel computes C^T = B^T @ A^T (B's
tiles stationary, A^T's moving) and turns each output row block back with nc_transpose before
storing. nc_matmul costs ~max(min(64, stationary free), moving free) cycles, so a matmul with a
short M (A^T's free size) runs up to 2x faster with A^T on the moving side (the perf guide's
"put the short matrix on the moving side"). Tiles keep naming C's dimensions: swapped, tile_n
is the stationary free size (<= 128) and tile_m the moving one (<= 512).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from xdsl.dialects import func
from xdsl.dialects.builtin import Float32Type, MemRefType, f32
from xdsl.ir import Attribute, SSAValue

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.nki import dialect as nki
from liftcomp.targets.nki.build import KernelBuilder
from liftcomp.targets.nki.config import NkiChip


@dataclass(frozen=True)
class MatmulProblem:
    m: int
    n: int
    k: int
    a_elem: Attribute = field(default_factory=Float32Type)
    b_elem: Attribute = field(default_factory=Float32Type)
    c_elem: Attribute = field(default_factory=Float32Type)
    a_layout: str = "mk"    # "mk": A[M, K] (needs a transpose); "km": A^T given (lhsT)
    b_layout: str = "kn"    # "kn": B[K, N]; "nk": B^T given
    bias: bool = False      # + bias[N]
    activation: str = ""    # "", "relu", ...

    def flops(self) -> int:
        return 2 * self.m * self.n * self.k


@dataclass(frozen=True)
class MatmulSchedule:
    tile_m: int = 128
    tile_n: int = 512
    tile_k: int = 128
    block_m: int = 1
    block_n: int = 1
    block_k: int = 1
    order: tuple[str, str, str] = ("m", "n", "k")
    bufs: int = 4                 # buffers per input tile (the NKI compiler's allocation; see cost_model)
    evict_engine: str = "vector"  # PSUM -> SBUF copy: "vector" (tensor_copy) or "scalar" (activation)
    psum_acc: bool = True         # K-block loop innermost: accumulate across it in PSUM, not SBUF
    swap: bool = False            # B stationary, A^T moving: compute C^T and transpose it back

    def to_json(self) -> dict[str, Any]:
        d = asdict(self)
        d["order"] = list(self.order)
        return d

    @staticmethod
    def from_json(d: dict[str, Any]) -> MatmulSchedule:
        d = dict(d)
        d["order"] = tuple(d.get("order", ("m", "n", "k")))
        return MatmulSchedule(**d)

    def with_(self, **kw: Any) -> MatmulSchedule:
        return replace(self, **kw)


def _largest_divisor(n: int, at_most: int) -> int:
    for d in range(min(n, at_most), 0, -1):
        if n % d == 0:
            return d
    return 1


def naive_schedule(p: MatmulProblem, chip: NkiChip) -> MatmulSchedule:
    """The tutorial's tiled kernel: largest tiles, no blocking, both tiles loaded per nc_matmul."""
    return MatmulSchedule(tile_m=_largest_divisor(p.m, chip.gemm_stationary_fmax),
                          tile_n=_largest_divisor(p.n, chip.gemm_moving_fmax),
                          tile_k=_largest_divisor(p.k, chip.partitions))


def _swapped(p: MatmulProblem, s: MatmulSchedule) -> tuple[MatmulProblem, MatmulSchedule]:
    """The problem C^T = B^T @ A^T (B stationary, A^T moving) and the schedule in its terms."""
    dims = {"m": "n", "n": "m", "k": "k"}
    p2 = replace(p, m=p.n, n=p.m, a_elem=p.b_elem, b_elem=p.a_elem,
                 a_layout="km" if p.b_layout == "kn" else "mk", b_layout="nk" if p.a_layout == "mk" else "kn")
    s2 = replace(s, tile_m=s.tile_n, tile_n=s.tile_m, block_m=s.block_n, block_n=s.block_m,
                 order=tuple(dims[d] for d in s.order), swap=False)  # type: ignore[arg-type]
    return p2, s2


def swap_roles(p: MatmulProblem, s: MatmulSchedule, chip: NkiChip, on: bool) -> MatmulSchedule:
    """`s` with A^T on the moving side (`on`) or back, re-tiled to the largest legal tiles of
    the new roles (the stationary free size is limited to 128, the moving one to 512)."""
    st, mv = chip.gemm_stationary_fmax, chip.gemm_moving_fmax
    tm, tn = (mv, st) if on else (st, mv)
    return replace(s, swap=on, tile_m=_largest_divisor(p.m, tm), tile_n=_largest_divisor(p.n, tn),
                   block_m=1, block_n=1)


def short_on_moving(p: MatmulProblem, s: MatmulSchedule, chip: NkiChip) -> MatmulSchedule:
    """`s` with the shorter of A (free size M) and B (free size N) on TensorE's moving side, kept
    resident in SBUF: the perf guide's "put the short matrix on the moving side" as one step,
    for either short dimension. M < N: B stationary, A^T moving (swap; C^T transposed back);
    N < M: A^T stationary, B moving (the default roles). Resident: one K block and the short
    dimension in one block, so its loads leave every loop and only the long operand streams
    (a moving operand left in the loops would be reloaded for every stationary tile)."""
    if p.m == p.n:
        raise LiftcompError(f"short_on_moving: M = N = {p.m}, neither matrix is the short one")
    swap = p.m < p.n
    t = swap_roles(p, s, chip, swap)
    short, long = ("m", "n") if swap else ("n", "m")
    tile_short, tile_long = (t.tile_m, t.tile_n) if swap else (t.tile_n, t.tile_m)
    size_short, size_long = (p.m, p.n) if swap else (p.n, p.m)
    # The long operand's blocking (wide DMAs) stays where its tile allows it.
    block_long = getattr(s, f"block_{long}")
    block_long = block_long if size_long % (tile_long * block_long) == 0 else 1
    return replace(t, block_k=p.k // t.tile_k, order=(long, short, "k"),
                   **{f"block_{short}": size_short // tile_short, f"block_{long}": block_long})


def check_schedule(p: MatmulProblem, s: MatmulSchedule, chip: NkiChip) -> str | None:
    """Why `s` is not a schedule of `p` (None if it is). Capacity is the verifier's job."""
    if s.swap:
        why = check_schedule(*_swapped(p, s), chip)
        return f"swap (B stationary, A^T moving): {why}" if why else None
    if sorted(s.order) != ["k", "m", "n"]:
        return f"order {s.order} is not a permutation of m, n, k"
    if not (1 <= s.tile_m <= chip.gemm_stationary_fmax and 1 <= s.tile_n <= chip.gemm_moving_fmax
            and 1 <= s.tile_k <= chip.partitions):
        return f"tile {s.tile_m}x{s.tile_n}x{s.tile_k} outside the TensorE limits"
    for dim, size, tile, blk in (("m", p.m, s.tile_m, s.block_m), ("n", p.n, s.tile_n, s.block_n),
                                 ("k", p.k, s.tile_k, s.block_k)):
        if blk < 1 or size % (tile * blk) != 0:
            return f"{dim}={size} is not a multiple of tile {tile} x block {blk}"
    if s.bufs < 1 or s.evict_engine not in ("vector", "scalar"):
        return "bad bufs / evict_engine"
    return None


@dataclass
class _Ctx:
    b: KernelBuilder
    p: MatmulProblem
    s: MatmulSchedule
    a: SSAValue
    bm: SSAValue
    bias: SSAValue | None
    c: SSAValue
    trips: dict[str, int]
    transposed_out: bool = False  # the kernel computes C^T (swap): stores transpose it back
    # swapped with a bias[N]: act(C + bias) after the transpose back, where bias runs along the
    # free dimension (on C^T it would run along partitions)
    post_bias: SSAValue | None = None
    post_act: str = ""
    ivs: dict[str, SSAValue] = field(default_factory=dict)
    lhs_blk: list[SSAValue] = field(default_factory=list)   # one tile per K tile of the block
    rhs_blk: list[SSAValue] = field(default_factory=list)
    bias_blk: SSAValue | None = None


def _effective(order: tuple[str, ...], trips: dict[str, int]) -> list[str]:
    return [d for d in order if trips[d] > 1]


def build_matmul_kernel(name: str, p: MatmulProblem, s: MatmulSchedule, chip: NkiChip) -> func.FuncOp:
    why = check_schedule(p, s, chip)
    if why:
        raise LiftcompError(f"matmul schedule: {why}")
    a_shape = (p.m, p.k) if p.a_layout == "mk" else (p.k, p.m)
    b_shape = (p.k, p.n) if p.b_layout == "kn" else (p.n, p.k)
    args: list[tuple[str, MemRefType]] = [("a", MemRefType(p.a_elem, list(a_shape))),
                                          ("b", MemRefType(p.b_elem, list(b_shape)))]
    if p.bias:
        args.append(("bias", MemRefType(p.c_elem, [1, p.n])))
    args.append(("c", MemRefType(p.c_elem, [p.m, p.n])))
    b = KernelBuilder(name, chip.name, args, [len(args) - 1])
    a_v, b_v = b.args[0], b.args[1]
    bias_v = b.args[2] if p.bias else None
    swap = s.swap
    post_bias, post_act = None, ""
    if swap:
        p, s = _swapped(p, s)
        a_v, b_v = b_v, a_v
        if p.bias:
            post_bias, post_act = bias_v, p.activation
            p, bias_v = replace(p, bias=False, activation=""), None
    trips = {"m": p.m // (s.tile_m * s.block_m), "n": p.n // (s.tile_n * s.block_n),
             "k": p.k // (s.tile_k * s.block_k)}
    ctx = _Ctx(b, p, s, a_v, b_v, bias_v, b.args[-1], trips, transposed_out=swap, post_bias=post_bias,
               post_act=post_act)
    eff = _effective(s.order, trips)
    _nest(ctx, eff, 0)
    return b.finish()


def _load_deps(ctx: _Ctx, eff: list[str], depth: int) -> None:
    """Loads whose deepest effective loop is eff[depth - 1] (all of them at depth 0 when none)."""
    placed = set(eff[:depth])

    def due(deps: set[str]) -> bool:
        eff_deps = deps & set(eff)
        if not eff_deps <= placed:
            return False
        deepest = max((eff.index(d) + 1 for d in eff_deps), default=0)
        return deepest == depth

    if due({"m", "k"}):
        _load_lhs(ctx)
    if due({"k", "n"}):
        _load_rhs(ctx)
    if ctx.p.bias and due({"n"}):
        _load_bias(ctx)


def _nest(ctx: _Ctx, eff: list[str], depth: int) -> None:
    _load_deps(ctx, eff, depth)
    if depth < len(eff) and eff[depth] == "k":
        if ctx.s.psum_acc and depth == len(eff) - 1:
            _k_in_psum(ctx, eff, depth)
        else:
            _k_accumulated(ctx, eff, depth)
        return
    if depth == len(eff):
        _compute_block_psum(ctx)
        return
    d = eff[depth]
    with ctx.b.loop(ctx.trips[d]) as iv:
        ctx.ivs[d] = iv
        _nest(ctx, eff, depth + 1)


def _iv(ctx: _Ctx, d: str) -> SSAValue:
    return ctx.ivs.get(d) or ctx.b.c(0)


def _load_lhs(ctx: _Ctx) -> None:
    """A^T block: one [tile_k, block_m * tile_m] tile per K tile (each its own buffer, so the
    next block's tile k can load as soon as this block's matmuls on tile k are done)."""
    b, p, s = ctx.b, ctx.p, ctx.s
    width = s.block_m * s.tile_m
    m0 = b.mul_i(_iv(ctx, "m"), width)
    k0 = b.mul_i(_iv(ctx, "k"), s.block_k * s.tile_k)
    ctx.lhs_blk = []
    for bk in range(s.block_k):
        tile = b.alloc((s.tile_k, width), p.a_elem, "sbuf", "lhsT", s.bufs)
        kk = b.add_i(k0, b.c(bk * s.tile_k))
        if p.a_layout == "km":
            b.add(nki.LoadOp(tile, ctx.a, [kk, m0]))
        else:
            b.add(nki.LoadOp(tile, ctx.a, [m0, kk], transpose=True))
        ctx.lhs_blk.append(tile)


def _load_rhs(ctx: _Ctx) -> None:
    b, p, s = ctx.b, ctx.p, ctx.s
    width = s.block_n * s.tile_n
    n0 = b.mul_i(_iv(ctx, "n"), width)
    k0 = b.mul_i(_iv(ctx, "k"), s.block_k * s.tile_k)
    ctx.rhs_blk = []
    for bk in range(s.block_k):
        tile = b.alloc((s.tile_k, width), p.b_elem, "sbuf", "rhs", s.bufs)
        kk = b.add_i(k0, b.c(bk * s.tile_k))
        if p.b_layout == "kn":
            b.add(nki.LoadOp(tile, ctx.bm, [kk, n0]))
        else:
            b.add(nki.LoadOp(tile, ctx.bm, [n0, kk], transpose=True))
        ctx.rhs_blk.append(tile)


def _load_bias(ctx: _Ctx) -> None:
    b, p, s = ctx.b, ctx.p, ctx.s
    width = s.block_n * s.tile_n
    tile = b.alloc((s.tile_m, width), p.c_elem, "sbuf", "bias_blk")
    b.add(nki.LoadOp(tile, ctx.bias, [b.c(0), b.mul_i(_iv(ctx, "n"), width)], broadcast=True))  # type: ignore[arg-type]
    ctx.bias_blk = tile


def _matmul_chain(ctx: _Ctx, bm: SSAValue, bn: SSAValue) -> SSAValue:
    """PSUM tile [tile_m, tile_n] = sum over the block's K tiles."""
    b, s = ctx.b, ctx.s
    ps = b.alloc((s.tile_m, s.tile_n), f32, "psum", "acc_psum", 2)
    for bk in range(s.block_k):
        st = b.view(ctx.lhs_blk[bk], b.mul_i(bm, s.tile_m), s.tile_m)
        mv = b.view(ctx.rhs_blk[bk], b.mul_i(bn, s.tile_n), s.tile_n)
        b.add(nki.MatmulOp(ps, st, mv, accumulate=bk > 0))
    return ps


def _epilogue(ctx: _Ctx, dst: SSAValue, src: SSAValue, n_off: SSAValue) -> None:
    """dst (SBUF, C's type) = act(src + bias[n_off:...])."""
    b, p, s = ctx.b, ctx.p, ctx.s
    cur = src
    if p.bias:
        assert ctx.bias_blk is not None
        tmp = b.alloc(nki.shape_of(dst), f32, "sbuf", "epi")  # type: ignore[arg-type]
        b.add(nki.TensorTensorOp(tmp, cur, b.view(ctx.bias_blk, n_off, nki.shape_of(dst)[1]), "add"))
        cur = tmp
    if p.activation:
        b.add(nki.ActivationOp(dst, cur, p.activation))
    elif s.evict_engine == "scalar":
        b.add(nki.ActivationOp(dst, cur, "copy"))
    else:
        b.add(nki.TensorCopyOp(dst, cur))


def _compute_block_psum(ctx: _Ctx) -> None:
    """No K-block loop left: each output tile accumulates all of K in PSUM; rows stored whole."""
    b, p, s = ctx.b, ctx.p, ctx.s
    width = s.block_n * s.tile_n
    with b.loop(s.block_m) as bm:
        row = b.alloc((s.tile_m, width), p.c_elem, "sbuf", "c_row")
        with b.loop(s.block_n) as bn:
            ps = _matmul_chain(ctx, bm, bn)
            _epilogue(ctx, b.view(row, b.mul_i(bn, s.tile_n), s.tile_n), ps, b.mul_i(bn, s.tile_n))
        r0 = b.lin([(_iv(ctx, "m"), s.block_m * s.tile_m), (bm, s.tile_m)])
        _store(ctx, r0, b.mul_i(_iv(ctx, "n"), width), row)


def _store(ctx: _Ctx, r0: SSAValue, c0: SSAValue, row: SSAValue) -> None:
    """C[r0:, c0:] = row; swapped, row is a block of C^T: each <= 128-column chunk goes back
    through nc_transpose (PSUM) and a copy to SBUF, then to C[c0 + j:, r0:]."""
    b = ctx.b
    if not ctx.transposed_out:
        b.add(nki.StoreOp(ctx.c, [r0, c0], row))
        return
    rows, width = nki.shape_of(row)  # type: ignore[misc]
    chunk = min(width, 128)
    for j in range(0, width, chunk):
        ps = b.alloc((chunk, rows), f32, "psum", "ct_psum", 2)
        b.add(nki.TransposeOp(ps, b.view(row, b.c(j), chunk)))
        out = b.alloc((chunk, rows), ctx.p.c_elem, "sbuf", "ct_row", 2)
        cur = ps
        if ctx.post_bias is not None:
            bias = b.alloc((chunk, rows), ctx.p.c_elem, "sbuf", "bias_t", 2)
            b.add(nki.LoadOp(bias, ctx.post_bias, [b.c(0), r0], broadcast=True))
            cur = b.alloc((chunk, rows), f32, "sbuf", "epi_t", 2)
            b.add(nki.TensorTensorOp(cur, ps, bias, "add"))
        if ctx.post_act:
            b.add(nki.ActivationOp(out, cur, ctx.post_act))
        else:
            b.add(nki.TensorCopyOp(out, cur))
        b.add(nki.StoreOp(ctx.c, [b.add_i(c0, b.c(j)), r0], out))


def _k_in_psum(ctx: _Ctx, eff: list[str], depth: int) -> None:
    """The K-block loop is innermost: each output tile of the block stays in its own PSUM tile
    across it (the tutorial's tiled kernel); nc_matmul += into PSUM is allowed in affine_range."""
    b, p, s = ctx.b, ctx.p, ctx.s
    psums = [[b.alloc((s.tile_m, s.tile_n), f32, "psum", "acc_psum") for _ in range(s.block_n)]
             for _ in range(s.block_m)]
    for row in psums:
        for ps in row:
            b.add(nki.MemsetOp(ps, 0.0))
    with b.loop(ctx.trips["k"]) as kv:
        ctx.ivs["k"] = kv
        _load_deps(ctx, eff, depth + 1)
        for bm in range(s.block_m):
            for bn in range(s.block_n):
                for bk in range(s.block_k):
                    st = b.view(ctx.lhs_blk[bk], b.c(bm * s.tile_m), s.tile_m)
                    mv = b.view(ctx.rhs_blk[bk], b.c(bn * s.tile_n), s.tile_n)
                    b.add(nki.MatmulOp(psums[bm][bn], st, mv, accumulate=True))
    width = s.block_n * s.tile_n
    for bm in range(s.block_m):
        row = b.alloc((s.tile_m, width), p.c_elem, "sbuf", "c_row")
        for bn in range(s.block_n):
            _epilogue(ctx, b.view(row, b.c(bn * s.tile_n), s.tile_n), psums[bm][bn], b.c(bn * s.tile_n))
        r0 = b.lin([(_iv(ctx, "m"), s.block_m * s.tile_m)], bm * s.tile_m)
        _store(ctx, r0, b.mul_i(_iv(ctx, "n"), width), row)


def _k_accumulated(ctx: _Ctx, eff: list[str], depth: int) -> None:
    """An effective K-block loop at `depth`: an fp32 SBUF block spans the M/N loops inside it."""
    b, p, s = ctx.b, ctx.p, ctx.s
    inner = eff[depth + 1:]
    m_tiles = (ctx.trips["m"] if "m" in inner else 1) * s.block_m
    n_cols = (ctx.trips["n"] if "n" in inner else 1) * s.block_n * s.tile_n
    acc = b.alloc((s.tile_m, m_tiles * n_cols), f32, "sbuf", "acc_blk")
    b.add(nki.MemsetOp(acc, 0.0))
    with b.loop(ctx.trips["k"], "sequential") as kv:
        ctx.ivs["k"] = kv
        _inner_k(ctx, inner, 0, acc, n_cols, depth + 1, eff)
    # Store: one row block per M tile (epilogue into C's type first).
    with b.loop(m_tiles) as mt:
        row = b.alloc((s.tile_m, n_cols), p.c_elem, "sbuf", "c_row")
        n_base = b.mul_i(_iv(ctx, "n"), s.block_n * s.tile_n) if "n" not in inner else b.c(0)
        _epilogue_wide(ctx, row, b.view(acc, b.mul_i(mt, n_cols), n_cols), n_base, "n" in inner)
        m_base = b.mul_i(_iv(ctx, "m"), s.block_m * s.tile_m) if "m" not in inner else b.c(0)
        _store(ctx, b.add_i(m_base, b.mul_i(mt, s.tile_m)), n_base, row)


def _epilogue_wide(ctx: _Ctx, dst: SSAValue, src: SSAValue, n_base: SSAValue, n_inner: bool) -> None:
    """The epilogue of a whole row of the SBUF block; the bias row must cover it."""
    b, p = ctx.b, ctx.p
    if p.bias and (n_inner or ctx.bias_blk is None):
        # The bias block loaded per n-block does not span the row: load the row's bias here.
        width = nki.shape_of(dst)[1]
        tile = b.alloc((ctx.s.tile_m, width), p.c_elem, "sbuf", "bias_row")
        b.add(nki.LoadOp(tile, ctx.bias, [b.c(0), n_base], broadcast=True))  # type: ignore[arg-type]
        ctx.bias_blk = tile
        _epilogue(ctx, dst, src, b.c(0))
        return
    _epilogue(ctx, dst, src, b.c(0))


def _inner_k(ctx: _Ctx, inner: list[str], i: int, acc: SSAValue, n_cols: int, depth: int, eff: list[str]) -> None:
    _load_deps(ctx, eff, depth)
    b, s = ctx.b, ctx.s
    if i == len(inner):
        with b.loop(s.block_m) as bm:
            with b.loop(s.block_n) as bn:
                ps = _matmul_chain(ctx, bm, bn)
                mi = b.lin([(_iv(ctx, "m"), s.block_m), (bm, 1)]) if "m" in inner else bm
                ni = b.lin([(_iv(ctx, "n"), s.block_n), (bn, 1)]) if "n" in inner else bn
                off = b.lin([(mi, n_cols), (ni, s.tile_n)])
                view = b.view(acc, off, s.tile_n)
                b.add(nki.TensorTensorOp(view, view, ps, "add"))
        return
    d = inner[i]
    with b.loop(ctx.trips[d]) as iv:
        ctx.ivs[d] = iv
        _inner_k(ctx, inner, i + 1, acc, n_cols, depth + 1, eff)
