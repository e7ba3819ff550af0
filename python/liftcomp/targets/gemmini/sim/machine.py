"""Gemmini's architectural state and the semantics of each instruction (functional + timing).

Functional semantics (bit-exact with include/gemmini_host.h, which the emitted C uses):
- The array multiplies int8 by int8 exactly; the accumulator adds in int32 with wrap-around.
- mvin scale (config_ld) and accumulator scale (config_st) follow gemmini.h's MVIN_SCALE /
  ACC_SCALE: `nearbyintf((float)x * scale)` in f32 (round to nearest even), then saturation.
- mvout from the accumulator without `full`: scale, activation (ReLU), saturate to int8; with
  `full`: the raw int32. Transfers wider than DIM move consecutive DIM-row blocks (block b at
  addr + b*DIM): up to max_block_len blocks of int8 per row (mvin to the scratchpad, any int8
  mvout), max_block_len_acc of int32 (mvin to the accumulator, full mvouts).
- Every instruction checks its operands' values against this machine's config (rows, cols,
  block lengths, plain row addresses inside the memory, loop_ws sizes) and raises SimError
  naming the limit; the program runner adds the op's location.
- GARBAGE addresses: as a source a zero matrix (WS preload: keep the array's weights for
  compute_accumulated), as a destination no write.
- Elements of a local block outside an instruction's rows x cols keep their old contents;
  compute reads only a_rows x a_cols of A and b_rows x b_cols of B (the rest is zero).
- Output-stationary (OS, gemmini PE.scala / ExecuteController.scala): preload seeds the PEs'
  accumulators with D (int8 scratchpad rows; GARBAGE: zeros) and names C; compute_preloaded
  restarts from that D, compute_accumulated keeps the PEs' partial sums; A and B (`bd_addr`) both
  stream from the scratchpad. The PEs keep `array_output_bits` (20) bits: each MAC result wraps
  to that width (MacUnit's output type). A named C receives `clip(round_shift(psum, sys_shift))`
  (rounding right shift, ties to even; clipped to the output width): into the accumulator
  sign-extended to int32 (accumulate flag: add with wrap-around), into the scratchpad saturated
  to int8.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import numpy as np
from numpy.lib.stride_tricks import as_strided

from liftcomp.host.closures import HostError
from liftcomp.host.closures import dtype_of as dtype_of
from liftcomp.targets.gemmini.config import ADDR_FLAG_BITS, GARBAGE_ADDR, GemminiConfig
from liftcomp.targets.gemmini.sim.timing import ACC, EX, LD, SPAD, ST, Timing

Array = np.ndarray[Any, Any]


# The Gemmini program did something the hardware forbids or leaves undefined (one class with the
# host code's errors: the simulator runs both).
SimError = HostError


def scale_round(x: Array, scale: float) -> Array:
    """f32(x) * f32(scale), rounded to nearest even, as float64 (exact for f32 values)."""
    y = x.astype(np.float32) * np.float32(scale)
    return np.rint(y).astype(np.float64)


def saturate(x: Array, dtype: type[np.integer[Any]]) -> Array:
    info = np.iinfo(dtype)
    return np.clip(x, info.min, info.max).astype(dtype)


def wrap_bits(x: Array, bits: int) -> Array:
    """x (int64) reduced to a signed `bits`-bit two's-complement value (what a narrower register keeps)."""
    half = np.int64(1) << np.int64(bits - 1)
    return ((x + half) & ((half << np.int64(1)) - 1)) - half


def clip_bits(x: Array, bits: int) -> Array:
    """x saturated to the signed `bits`-bit range (Arithmetic.scala's clippedToWidthOf)."""
    half = 1 << (bits - 1)
    return np.clip(x, -half, half - 1)


def rounding_shift(x: Array, shift: int) -> Array:
    """Arithmetic right shift by `shift` rounding to nearest, ties to even (Arithmetic.scala's SInt `>>`)."""
    if shift == 0:
        return x
    s = np.int64(shift)
    half = (x >> (s - 1)) & 1
    rest = (x & ((np.int64(1) << (s - 1)) - 1)) != 0
    odd = (x >> s) & 1
    return (x >> s) + (half & (rest | odd).astype(np.int64))


def _check_row_addr(space: str, addr: int) -> None:
    if addr == GARBAGE_ADDR:
        raise SimError(f"{space} address {addr:#x} is GARBAGE_ADDR, which this operand cannot be")
    if addr >= 1 << ADDR_FLAG_BITS:
        raise SimError(f"{space} address {addr:#x} has Gemmini's flag bits 29-31 set; the IR gives row numbers")


class Machine:
    def __init__(self, cfg: GemminiConfig, functional: bool = True):
        self.cfg = cfg
        self.functional = functional
        dim = cfg.dim
        self.spad = np.zeros((cfg.sp_rows, dim), dtype=np.int8)
        self.acc = np.zeros((cfg.acc_rows, dim), dtype=np.int32)
        self.timing = Timing(cfg)
        # Optional TLB model (cfg.tlb_entries > 0): LRU pages, page-aligned base per array.
        self.tlb: OrderedDict[int, None] = OrderedDict()
        self.page_base: dict[int, int] = {}
        self.next_page = 0
        self.tlb_misses = 0
        # Configuration state.
        self.dataflow = "WS"
        self.a_transpose = False
        self.b_transpose = False
        self.sys_shift = 0
        self.a_stride = 1  # config_ex's A stride: rows between the A rows a WS compute streams
        self.ld_stride = [0, 0, 0]
        self.ld_scale = [1.0, 1.0, 1.0]
        self.ld_bits = [8, 8, 8]
        self.st_stride = 0
        self.st_scale = 1.0
        self.st_relu = False
        self.st_bits = 8
        # Array state.
        self.weights: Array | None = None
        # OS: the PEs' partial sums (int64 holding array_output_bits-bit values).
        self.os_psums: Array | None = None
        self.pending: tuple[int | None, int, int, int | None, int, int, int, bool] | None = None
        self.macs = 0
        # loop_ws FSM state: which half each loop uses, and when each sub-FSM is next free.
        self.fsm_sp_half = 0
        self.fsm_acc_half = 0
        self.fsm_cursor = {"ldD": 0, "ldA": 0, "ldB": 0, "ex": 0, "stC": 0}
        self.fsm_loop_ends: list[int] = []
        self.counts: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.counts[name] = self.counts.get(name, 0) + 1

    # ------------------------------------------------------------------------------- config --
    def config_ex(self, dataflow: str, a_transpose: bool, b_transpose: bool, issuer: str = "host",
                  sys_shift: int = 0, a_stride: int = 1) -> None:
        if dataflow not in ("WS", "OS"):
            raise SimError(f"unknown dataflow '{dataflow}'")
        if dataflow == "OS" and b_transpose and not a_transpose:
            raise SimError("the OS dataflow cannot transpose B alone")
        if dataflow == "WS" and a_transpose and b_transpose:
            raise SimError("the WS dataflow cannot transpose A and B together")
        if not 0 <= sys_shift < 32:
            raise SimError(f"sys_shift = {sys_shift} outside [0, 31]")
        if a_stride != 1 and (dataflow != "WS" or a_transpose):
            raise SimError("an A stride is modelled for WS without transposing A only")
        self.dataflow, self.a_transpose, self.b_transpose = dataflow, a_transpose, b_transpose
        self.sys_shift = sys_shift
        self.a_stride = a_stride
        t = self.timing
        # A dataflow change drains the array first.
        self._issue(EX, self.cfg.config_cycles, 0, issuer, after=t.ex_last_done)
        self._count("config_ex")

    def config_ld(self, stride: int, id: int, scale: float, elem_bits: int = 8, issuer: str = "host") -> None:
        self.ld_stride[id] = stride
        self.ld_scale[id] = scale
        self.ld_bits[id] = elem_bits
        self._issue(LD, self.cfg.config_cycles, 0, issuer)
        self._count("config_ld")

    def config_st(self, stride: int, relu: bool, scale: float, elem_bits: int = 8, issuer: str = "host") -> None:
        self.st_stride, self.st_relu, self.st_scale, self.st_bits = stride, relu, scale, elem_bits
        self._issue(ST, self.cfg.config_cycles, 0, issuer)
        self._count("config_st")

    # ------------------------------------------------------------------------------- issue --
    def _issue(
        self,
        unit: int,
        busy: int,
        latency: int,
        issuer: str,
        reads: tuple[tuple[int, int, int], ...] = (),
        writes: tuple[tuple[int, int, int], ...] = (),
        after: int = 0,
        rmw: bool = False,
    ) -> None:
        t = self.timing
        if issuer == "host":
            dispatch, _ = t.run(unit, t.host_t, busy, latency, reads, writes, after, rmw)
            t.host_t = dispatch + self.cfg.host_issue_cycles
            t.stats.host_busy += self.cfg.host_issue_cycles
        else:
            cur = self.fsm_cursor
            dispatch, _ = t.run(unit, cur[issuer], busy, latency, reads, writes, after, rmw)
            cur[issuer] = dispatch + self.cfg.fsm_issue_cycles

    # ------------------------------------------------------------------------------- DMA --
    @staticmethod
    def _dram_view(arr: Array, offset: int, stride: int, rows: int, cols: int) -> Array:
        flat = arr.reshape(-1)
        last = offset + (rows - 1) * stride + cols
        if offset < 0 or stride < 0 or last > flat.size:
            raise SimError(
                f"DRAM access of {rows}x{cols} elements at offset {offset} with stride {stride} "
                f"is outside its buffer of {flat.size} elements"
            )
        isz = flat.itemsize
        return as_strided(flat[offset:], shape=(rows, cols), strides=(stride * isz, isz))

    def _check_local(self, space: str, addr: int, rows: int, cols: int, max_blocks: int, why: str = "",
                     block_stride: int | None = None) -> int:
        """rows <= DIM, cols within `max_blocks` DIM-wide blocks, and a plain row address (no
        GARBAGE_ADDR, no flag bits) whose blocks fit the memory; returns the number of blocks.
        `block_stride`: rows between consecutive blocks (default DIM)."""
        dim = self.cfg.dim
        bstride = dim if block_stride is None else block_stride
        if not 1 <= rows <= dim:
            raise SimError(f"rows = {rows} outside [1, {dim}] (DIM)")
        if not 1 <= cols <= max_blocks * dim:
            raise SimError(f"cols = {cols} outside [1, {max_blocks * dim}] ({why or f'{max_blocks} block(s) of DIM'})")
        blocks = -(-cols // dim)
        _check_row_addr(space, addr)
        cap = self.cfg.sp_rows if space == "spad" else self.cfg.acc_rows
        end = addr + (blocks - 1) * bstride + rows
        if addr < 0 or end > cap:
            raise SimError(f"{space} rows [{addr}, {end}) outside the {space} ({cap} rows)")
        return blocks

    def _block_limit(self, space: str, full: bool = False) -> tuple[int, str]:
        """Most DIM-wide blocks one mvin/mvout row may move, and why (Gemmini's DMA moves up to
        dma_maxbytes = 64 B per row: 4 blocks of int8, 1 block of int32)."""
        cfg = self.cfg
        if space == "acc" and full:
            return cfg.max_block_len_acc, f"max_block_len_acc {cfg.max_block_len_acc} block(s) of DIM int32"
        return cfg.max_block_len, f"max_block_len {cfg.max_block_len} blocks of DIM int8"

    def mvin(
        self,
        arr: Array,
        offset: int,
        addr: int,
        rows: int,
        cols: int,
        space: str,
        id: int,
        accumulate: bool,
        issuer: str = "host",
        stride: int | None = None,
        zeros: bool = False,
        block_stride: int | None = None,
    ) -> None:
        """`block_stride`: local rows between the DIM-wide blocks of a row (default DIM; the
        loop_conv_ws FSM sets its own through config_ld's spad stride)."""
        cfg = self.cfg
        dim = cfg.dim
        bstride = dim if block_stride is None else block_stride
        if zeros:
            self._mvin_zeros(addr, rows, cols, space, accumulate, issuer, block_stride)
            return
        if stride is None:
            stride = self.ld_stride[id]
            if arr.itemsize * 8 != self.ld_bits[id]:
                raise SimError(f"mvin of i{arr.itemsize * 8} data after config_ld for i{self.ld_bits[id]} (id {id})")
        scale = self.ld_scale[id]
        if space == "spad":
            blocks = self._check_local(space, addr, rows, cols, *self._block_limit(space), block_stride=bstride)
        else:
            blocks = self._check_local(space, addr, rows, cols, cfg.max_block_len_acc,
                                       f"max_block_len_acc {cfg.max_block_len_acc} block(s) of DIM into the accumulator",
                                       block_stride=bstride)
        if self.functional:
            src = self._dram_view(arr, offset, stride, rows, cols)
            if space == "spad":
                data = src if scale == 1.0 else saturate(scale_round(src, scale), np.int8)
                for b in range(blocks):
                    c0 = b * dim
                    cw = min(dim, cols - c0)
                    self.spad[addr + b * bstride : addr + b * bstride + rows, :cw] = data[:, c0 : c0 + cw]
            else:
                data32 = src.astype(np.int32) if scale == 1.0 else saturate(scale_round(src, scale), np.int32)
                for b in range(blocks):
                    c0 = b * dim
                    cw = min(dim, cols - c0)
                    dst = self.acc[addr + b * bstride : addr + b * bstride + rows, :cw]
                    if accumulate:
                        dst += data32[:, c0 : c0 + cw]
                    else:
                        dst[...] = data32[:, c0 : c0 + cw]
        else:
            self._dram_view(arr, offset, stride, rows, cols)  # bounds check only
        t = self.timing
        row_bytes = cols * arr.itemsize
        t.stats.dma_bytes_in += rows * row_bytes
        busy = t.dma_cycles(rows, row_bytes) + self._tlb_cycles(arr, offset, stride, rows, row_bytes)
        mem = SPAD if space == "spad" else ACC
        self._issue(LD, busy, cfg.dram_latency, issuer, writes=self._block_ranges(mem, addr, rows, blocks, bstride),
                    rmw=accumulate and space == "acc")
        self._count("mvin")

    def _block_ranges(self, mem: int, addr: int, rows: int, blocks: int, bstride: int) -> tuple[tuple[int, int, int], ...]:
        """The local block ranges a transfer of `blocks` blocks `bstride` rows apart touches."""
        t = self.timing
        if bstride == self.cfg.dim or blocks == 1:
            return (t.block_range(mem, addr, (blocks - 1) * bstride + rows),)
        return tuple(t.block_range(mem, addr + b * bstride, rows) for b in range(blocks))

    def _mvin_zeros(self, addr: int, rows: int, cols: int, space: str, accumulate: bool, issuer: str,
                    block_stride: int | None = None) -> None:
        """mvin from DRAM address 0: Gemmini's ZeroWriter writes zero rows (one row of a block per
        cycle) through the load unit, in its order, without DRAM requests."""
        cfg = self.cfg
        dim = cfg.dim
        bstride = dim if block_stride is None else block_stride
        if space == "spad":
            blocks = self._check_local(space, addr, rows, cols, *self._block_limit(space), block_stride=bstride)
        else:
            blocks = self._check_local(space, addr, rows, cols, cfg.max_block_len_acc,
                                       f"max_block_len_acc {cfg.max_block_len_acc} block(s) of DIM into the accumulator",
                                       block_stride=bstride)
        if self.functional and not accumulate:
            mem_arr = self.spad if space == "spad" else self.acc
            for b in range(blocks):
                mem_arr[addr + b * bstride : addr + b * bstride + rows, : min(dim, cols - b * dim)] = 0
        mem = SPAD if space == "spad" else ACC
        self._issue(LD, blocks * rows, cfg.acc_latency, issuer, writes=self._block_ranges(mem, addr, rows, blocks, bstride),
                    rmw=accumulate and space == "acc")
        self._count("mvin")

    def _tlb_cycles(self, arr: Array, offset: int, stride: int, rows: int, row_bytes: int) -> int:
        """Page-walk cycles of one transfer under the optional TLB model (`tlb_entries` > 0): each
        array gets page-aligned virtual addresses of its own; misses are counted per page touched."""
        cfg = self.cfg
        if cfg.tlb_entries <= 0:
            return 0
        base = self.page_base.get(id(arr))
        if base is None:
            base = self.page_base[id(arr)] = self.next_page
            self.next_page += -(-arr.nbytes // cfg.page_bytes) + 1
        item = arr.itemsize
        pages: list[int] = []
        for r in range(rows):
            first = (offset + r * stride) * item
            for p in range(first // cfg.page_bytes, (first + row_bytes - 1) // cfg.page_bytes + 1):
                if not pages or pages[-1] != base + p:
                    pages.append(base + p)
        misses = 0
        tlb = self.tlb
        for p in pages:
            if p in tlb:
                tlb.move_to_end(p)
                continue
            misses += 1
            tlb[p] = None
            if len(tlb) > cfg.tlb_entries:
                tlb.popitem(last=False)
        self.tlb_misses += misses
        return misses * cfg.tlb_miss_cycles

    def mvout(
        self,
        arr: Array,
        offset: int,
        addr: int,
        rows: int,
        cols: int,
        space: str,
        full: bool,
        issuer: str = "host",
        stride: int | None = None,
    ) -> None:
        cfg = self.cfg
        if stride is None:
            stride = self.st_stride
            if arr.itemsize * 8 != self.st_bits:
                raise SimError(f"mvout of i{arr.itemsize * 8} data after config_st for i{self.st_bits}")
        if full and space != "acc":
            raise SimError("mvout full (int32) rows need an accumulator address")
        blocks = self._check_local(space, addr, rows, cols, *self._block_limit(space, full))
        want = np.int32 if full else np.int8
        if arr.dtype != want:
            raise SimError(f"mvout {'full ' if full else ''}needs an {np.dtype(want).name} buffer, got {arr.dtype}")
        dim = cfg.dim
        if self.functional:
            dst = self._dram_view(arr, offset, stride, rows, cols)
            # Block b of the row comes from the DIM rows at addr + b*DIM.
            mem_arr = self.spad if space == "spad" else self.acc
            y = np.concatenate([mem_arr[addr + b * dim : addr + b * dim + rows, : min(dim, cols - b * dim)]
                                for b in range(blocks)], axis=1) if blocks > 1 else mem_arr[addr : addr + rows, :cols]
            if space == "spad" or full:
                dst[...] = y
            else:
                if self.st_scale != 1.0:
                    y = saturate(scale_round(y, self.st_scale), np.int32)
                if self.st_relu:
                    y = np.maximum(y, 0)
                dst[...] = saturate(y, np.int8)
        else:
            self._dram_view(arr, offset, stride, rows, cols)
        t = self.timing
        row_bytes = cols * arr.itemsize
        t.stats.dma_bytes_out += rows * row_bytes
        # The store unit reads blocks * rows local rows; a row of all its blocks is one DMA write
        # (StoreController gathers the blocks of a row, DMA.scala writes them as one request).
        busy = max(blocks * rows + cfg.acc_latency, t.dma_cycles(rows, row_bytes))
        busy += self._tlb_cycles(arr, offset, stride, rows, row_bytes)
        mem = SPAD if space == "spad" else ACC
        self._issue(ST, busy, cfg.dram_latency, issuer, reads=(t.block_range(mem, addr, (blocks - 1) * dim + rows),))
        self._count("mvout")

    # ------------------------------------------------------------------------------- execute --
    def preload(
        self,
        b_addr: int | None,
        c_addr: int | None,
        b_rows: int,
        b_cols: int,
        c_rows: int,
        c_cols: int,
        c_space: str,
        c_accumulate: bool,
        issuer: str = "host",
    ) -> None:
        dim = self.cfg.dim
        for what, v in (("b_rows", b_rows), ("b_cols", b_cols), ("c_rows", c_rows), ("c_cols", c_cols)):
            if not 1 <= v <= dim:
                raise SimError(f"preload {what} = {v} outside [1, {dim}]")
        if c_accumulate and c_space != "acc":
            raise SimError("preload c_accumulate needs an accumulator address")
        # WS reads the weights B (transposed: b_cols rows); OS reads D, never transposed.
        b_span = b_cols if (self.b_transpose and self.dataflow == "WS") else b_rows
        if b_addr is not None:
            self._check_local("spad", b_addr, b_span, dim, 1)
        if c_addr is not None:
            self._check_local(c_space, c_addr, c_rows, c_cols, 1)
        c_mem = SPAD if c_space == "spad" else ACC
        self.pending = (b_addr, b_rows, b_cols, c_addr, c_rows, c_cols, c_mem, c_accumulate)
        t = self.timing
        reads = (t.block_range(SPAD, b_addr, b_span),) if b_addr is not None else ()
        busy = self.cfg.preload_cycles
        if b_addr is not None and self.dataflow == "WS":
            busy += self.cfg.preload_weight_cycles
        self._issue(EX, busy, 0, issuer, reads=reads)
        self._count("preload")

    def compute(
        self,
        preloaded: bool,
        a_addr: int | None,
        bd_addr: int | None,
        a_rows: int,
        a_cols: int,
        issuer: str = "host",
        bd_rows: int | None = None,
        bd_cols: int | None = None,
    ) -> None:
        cfg = self.cfg
        dim = cfg.dim
        if self.pending is None:
            raise SimError("compute without a preceding preload")
        if self.dataflow == "OS":
            self._compute_os(preloaded, a_addr, bd_addr, a_rows, a_cols,
                             dim if bd_rows is None else bd_rows, dim if bd_cols is None else bd_cols, issuer)
            return
        if bd_addr is not None:
            raise SimError("in WS the compute's BD address must be GARBAGE (absent)")
        if not (1 <= a_rows <= dim and 1 <= a_cols <= dim):
            raise SimError(f"compute A of {a_rows}x{a_cols} outside [1, {dim}] (DIM)")
        a_span = a_cols if self.a_transpose else (a_rows - 1) * self.a_stride + 1
        if a_addr is not None:
            self._check_local("spad", a_addr, a_span, dim, 1)
        b_addr, b_rows, b_cols, c_addr, c_rows, c_cols, c_mem, c_acc = self.pending
        self.pending = None
        if self.functional:
            if preloaded:
                w = np.zeros((dim, dim), dtype=np.float64)
                if b_addr is not None:
                    if self.b_transpose:
                        w[:b_rows, :b_cols] = self.spad[b_addr : b_addr + b_cols, :b_rows].T
                    else:
                        w[:b_rows, :b_cols] = self.spad[b_addr : b_addr + b_rows, :b_cols]
                self.weights = w
            elif self.weights is None:
                raise SimError("compute_accumulated before any compute_preloaded: no weights in the array")
            weights = self.weights
            assert weights is not None
            if a_addr is None:
                res = np.zeros((dim, dim), dtype=np.float64)
            else:
                if self.a_transpose:
                    a = self.spad[a_addr : a_addr + a_cols, :a_rows].T
                else:
                    a = self.spad[a_addr : a_addr + a_span : self.a_stride, :a_cols]
                res = np.zeros((dim, dim), dtype=np.float64)
                # Exact: |sum| <= 16 * 2^14 fits a float64 mantissa.
                res[:a_rows] = a.astype(np.float64) @ weights[:a_cols]
            if c_addr is not None:
                out = res[:c_rows, :c_cols].astype(np.int32)
                if c_mem == ACC:
                    dst = self.acc[c_addr : c_addr + c_rows, :c_cols]
                    if c_acc:
                        dst += out
                    else:
                        dst[...] = out
                else:
                    self.spad[c_addr : c_addr + c_rows, :c_cols] = saturate(out, np.int8)
        elif preloaded:
            self.weights = np.zeros((1, 1))  # timing only: weights exist, values unused
        elif self.weights is None:
            raise SimError("compute_accumulated before any compute_preloaded: no weights in the array")
        if c_addr is not None and a_addr is not None:
            self.macs += a_rows * a_cols * c_cols
        t = self.timing
        busy = max(a_rows, b_rows if (preloaded and b_addr is not None) else 0)
        reads = (t.block_range(SPAD, a_addr, a_span),) if a_addr is not None else ()
        writes = (t.block_range(c_mem, c_addr, c_rows),) if c_addr is not None else ()
        self._issue(EX, busy, cfg.fill_latency, issuer, reads=reads, writes=writes, rmw=c_acc)
        self._count("compute_preloaded" if preloaded else "compute_accumulated")

    def _os_operand(self, addr: int, rows: int, cols: int, transposed: bool) -> Array:
        """A rows x cols operand from the scratchpad (stored transposed: element (r, c) at row addr + c),
        zero-padded to DIM x DIM, as int64."""
        dim = self.cfg.dim
        out = np.zeros((dim, dim), dtype=np.int64)
        if transposed:
            out[:rows, :cols] = self.spad[addr : addr + cols, :rows].T
        else:
            out[:rows, :cols] = self.spad[addr : addr + rows, :cols]
        return out

    def _compute_os(self, preloaded: bool, a_addr: int | None, b_addr: int | None, a_rows: int, a_cols: int,
                    b_rows: int, b_cols: int, issuer: str) -> None:
        """OS compute: A (a_rows x a_cols) times B (b_rows x b_cols) added to the PEs' partial sums,
        which compute_preloaded first resets to the preloaded D; then drained into C if named."""
        cfg = self.cfg
        dim = cfg.dim
        bits = cfg.array_output_bits
        for what, v in (("a_rows", a_rows), ("a_cols", a_cols), ("bd_rows", b_rows), ("bd_cols", b_cols)):
            if not 1 <= v <= dim:
                raise SimError(f"compute {what} = {v} outside [1, {dim}]")
        if a_addr is not None:
            self._check_local("spad", a_addr, a_cols if self.a_transpose else a_rows, dim, 1)
        if b_addr is not None:
            self._check_local("spad", b_addr, b_cols if self.b_transpose else b_rows, dim, 1)
        if a_addr is None and b_addr is not None:
            raise SimError("OS compute with a GARBAGE A and a real B multiplies undefined data")
        assert self.pending is not None
        d_addr, d_rows, d_cols, c_addr, c_rows, c_cols, c_mem, c_acc = self.pending
        self.pending = None
        if not preloaded and self.os_psums is None:
            raise SimError("compute_accumulated before any compute_preloaded: no partial sums in the array")
        if self.functional:
            if preloaded:
                psums = np.zeros((dim, dim), dtype=np.int64)
                if d_addr is not None:
                    psums[:d_rows, :d_cols] = self.spad[d_addr : d_addr + d_rows, :d_cols]
                self.os_psums = psums
            assert self.os_psums is not None
            if a_addr is not None and b_addr is not None:
                a = self._os_operand(a_addr, a_rows, a_cols, self.a_transpose)
                b = self._os_operand(b_addr, b_rows, b_cols, self.b_transpose)
                # Wrapping once at the end equals wrapping after every MAC (arithmetic mod 2^bits).
                self.os_psums = wrap_bits(self.os_psums + a @ b, bits)
            if c_addr is not None:
                out = clip_bits(rounding_shift(self.os_psums[:c_rows, :c_cols], self.sys_shift), bits)
                if c_mem == ACC:
                    dst = self.acc[c_addr : c_addr + c_rows, :c_cols]
                    if c_acc:
                        dst += out.astype(np.int32)
                    else:
                        dst[...] = out.astype(np.int32)
                else:
                    self.spad[c_addr : c_addr + c_rows, :c_cols] = saturate(out, np.int8)
        elif preloaded:
            self.os_psums = np.zeros((1, 1), dtype=np.int64)  # timing only: partial sums exist, values unused
        if a_addr is not None and b_addr is not None:
            self.macs += a_rows * min(a_cols, b_rows) * b_cols
        t = self.timing
        reads = tuple(t.block_range(SPAD, addr, span) for addr, span in
                      ((a_addr, a_cols if self.a_transpose else a_rows), (b_addr, b_cols if self.b_transpose else b_rows))
                      if addr is not None)
        writes = (t.block_range(c_mem, c_addr, c_rows),) if c_addr is not None else ()
        # Both operands stream all DIM rows through the array (ExecuteController feeds total_rows =
        # DIM outside WS); the drained result arrives after the transposer and the shift-out.
        self._issue(EX, dim, cfg.os_fill_latency, issuer, reads=reads, writes=writes, rmw=c_acc)
        self._count("compute_preloaded" if preloaded else "compute_accumulated")

    # ------------------------------------------------------------------------------- loop_ws --
    def loop_ws(
        self,
        sizes: tuple[int, int, int, int, int, int],
        a: tuple[Array, int, int],
        b: tuple[Array, int, int],
        d: tuple[Array, int, int] | None,
        c: tuple[Array, int, int] | None,
        ex_accumulate: bool,
        full_c: bool,
    ) -> None:
        """The loop_ws FSM (Gemmini's LoopMatmul): the instructions gemmini.h's sp_tiled_matmul_ws
        issues, in the order LoopMatmul's sub-machines generate them (docs/GEMMINI.md, "loop_ws
        model vs RTL")."""
        cfg = self.cfg
        dim = cfg.dim
        I, J, K, pad_I, pad_J, pad_K = sizes  # noqa: E741 (gemmini.h names)
        for what, v in (("i_blocks", I), ("j_blocks", J), ("k_blocks", K)):
            if v < 1:
                raise SimError(f"{what} = {v} must be >= 1")
        for what, v in (("pad_i", pad_I), ("pad_j", pad_J), ("pad_k", pad_K)):
            if not 0 <= v < dim:
                raise SimError(f"{what} = {v} is outside [0, {dim - 1}] (fewer than DIM elements missing from the last block)")
        half_sp = cfg.sp_rows // 2
        half_acc = cfg.acc_rows // 2
        if (I * K + K * J) * dim > half_sp:
            raise SimError(f"A and B tiles ({I}x{K} + {K}x{J} blocks = {(I * K + K * J) * dim} rows) exceed half "
                           f"the scratchpad ({half_sp} rows)")
        if I * J * dim > half_acc:
            raise SimError(f"C tile ({I}x{J} blocks = {I * J * dim} rows) exceeds half the accumulator ({half_acc} rows)")
        if self.a_transpose or self.b_transpose:
            raise SimError("loop_ws with transposed operands is not modelled")
        if self.dataflow != "WS":
            raise SimError("loop_ws in the OS dataflow: the FSM issues weight-stationary preload/compute sequences")
        t = self.timing
        # The FSM holds two loops at once: the host waits for the loop before last to be issued.
        if len(self.fsm_loop_ends) >= 2:
            t.host_t = max(t.host_t, self.fsm_loop_ends[-2])
        # The host issues the loop's configuration (gemmini_loop_ws = 6 RoCC instructions).
        start = t.host_t
        t.host(6 * cfg.host_issue_cycles)
        cur = self.fsm_cursor
        for k_ in cur:
            cur[k_] = max(cur[k_], start + 6 * cfg.host_issue_cycles)
        sp_base = self.fsm_sp_half * half_sp
        a_start = sp_base
        b_start = sp_base + half_sp - K * J * dim
        c_start = self.fsm_acc_half * half_acc
        self.fsm_sp_half ^= 1
        if c is not None:
            self.fsm_acc_half ^= 1
        mbl = cfg.max_block_len

        def rows_i(i: int) -> int:
            return dim - (pad_I if i == I - 1 else 0)

        def rows_k(k: int) -> int:
            return dim - (pad_K if k == K - 1 else 0)

        def cols_j(j: int) -> int:
            return dim - (pad_J if j == J - 1 else 0)

        # Each sub-machine walks its operand in LoopMatmul.scala's order (ucb-bar/gemmini
        # src/main/scala/gemmini/LoopMatmul.scala, LoopMatmulLdA/LdB/LdD/Execute/StC).
        if d is not None:
            # LdD: j outer (int32 rows: max_block_len_acc blocks per mvin), i inner.
            d_arr, d_off, d_stride = d
            dbl = cfg.max_block_len_acc
            for j in range(0, J, dbl):
                blocks = min(dbl, J - j)
                cols = blocks * dim - (pad_J if j + blocks >= J else 0)
                for i in range(I):
                    self.mvin(d_arr, d_off + i * dim * d_stride + j * dim, c_start + (i * J + j) * dim,
                              rows_i(i), cols, "acc", 2, False, issuer="ldD", stride=d_stride)
        a_arr, a_off, a_stride = a
        b_arr, b_off, b_stride = b
        # LdA: k outer in steps of max_block_len blocks (one mvin of up to 4 blocks), i inner.
        a_list: list[tuple[int, int, int, int, int]] = []
        for k in range(0, K, mbl):
            blocks = min(mbl, K - k)
            cols = blocks * dim - (pad_K if k + blocks >= K else 0)
            for i in range(I):
                a_list.append((k, a_off + i * dim * a_stride + k * dim, a_start + (i * K + k) * dim, rows_i(i), cols))
        # LdB: k outer, j inner in steps of max_block_len blocks; block (k, j+b) at (k*J + j + b)*DIM.
        b_list: list[tuple[int, int, int, int, int, int]] = []
        for k in range(K):
            for j in range(0, J, mbl):
                blocks = min(mbl, J - j)
                cols = blocks * dim - (pad_J if j + blocks >= J else 0)
                b_list.append((k, j, b_off + k * dim * b_stride + j * dim, b_start + (k * J + j) * dim, rows_k(k), cols))
        # The A and B sub-machines share the load queue through WeightedArbiter with a static
        # weight: B's first mvin goes first, then whichever lags in k goes (A on ties), so the
        # k-blocks the execute FSM needs next arrive first.
        na = nb = 0
        while na < len(a_list) or nb < len(b_list):
            take_b = na == len(a_list)
            if not take_b and nb < len(b_list):
                ka = a_list[na][0]
                kb, jb = b_list[nb][0], b_list[nb][1]
                take_b = ka > kb or (kb == 0 and jb == 0)
            if take_b:
                _, _, off, addr, rows, cols = b_list[nb]
                nb += 1
                self.mvin(b_arr, off, addr, rows, cols, "spad", 1, False, issuer="ldB", stride=b_stride)
            else:
                _, off, addr, rows, cols = a_list[na]
                na += 1
                self.mvin(a_arr, off, addr, rows, cols, "spad", 0, False, issuer="ldA", stride=a_stride)
        # Execute: k outer, j, i inner; B preloaded at i = 0 (GARBAGE after: keep the weights).
        accumulate_always = d is not None or ex_accumulate
        for k in range(K):
            for j in range(J):
                for i in range(I):
                    a_addr = a_start + (i * K + k) * dim
                    b_addr = b_start + (k * J + j) * dim
                    c_addr = c_start + (i * J + j) * dim
                    self.preload(b_addr if i == 0 else None, c_addr, rows_k(k), cols_j(j), rows_i(i), cols_j(j),
                                 "acc", accumulate_always or k > 0, issuer="ex")
                    self.compute(i == 0, a_addr, None, rows_i(i), rows_k(k), issuer="ex")
        if c is not None:
            # StC: j outer in steps of max_block_len blocks for int8 rows (1 for full int32 rows),
            # i inner: one mvout moves up to 4 blocks of a row of C.
            c_arr, c_off, c_stride = c
            cbl = 1 if full_c else mbl
            for j in range(0, J, cbl):
                blocks = min(cbl, J - j)
                cols = blocks * dim - (pad_J if j + blocks >= J else 0)
                for i in range(I):
                    self.mvout(c_arr, c_off + i * dim * c_stride + j * dim, c_start + (i * J + j) * dim,
                               rows_i(i), cols, "acc", full_c, issuer="stC", stride=c_stride)
        self.fsm_loop_ends.append(max(cur.values()))
        self._count("loop_ws")

    # ------------------------------------------------------------------------------- loop_conv_ws --
    def loop_conv_ws(
        self,
        p: dict[str, int],
        inp: tuple[Array, int],
        weights: tuple[Array, int],
        bias: tuple[Array, int] | None,
        output: tuple[Array, int] | None,
        no_bias: bool,
    ) -> None:
        """The loop_conv_ws FSM (Gemmini's LoopConv.scala, no pooling/dilation/transposes): the
        mvins, preload/compute pairs and mvouts its sub-machines LdBias, LdInput, LdWeight,
        Execute and StC generate, in their orders and with their local address layout
        (docs/GEMMINI.md, "loop_conv_ws model vs RTL")."""
        cfg = self.cfg
        dim = cfg.dim
        mbl = cfg.max_block_len
        for what in ("batches", "porows", "pocols", "pochs", "krows", "kcols", "kchs", "in_row_dim", "in_col_dim",
                     "in_channels", "out_channels", "out_row_dim", "out_col_dim", "kernel_dim"):
            if p[what] < 1:
                raise SimError(f"loop_conv_ws {what} = {p[what]} must be >= 1")
        for what in ("lpad", "rpad", "upad", "dpad"):
            if p[what] < 0:
                raise SimError(f"loop_conv_ws {what} = {p[what]} must be >= 0")
        st = p["stride"]
        if st < 1 or st != self.a_stride:
            raise SimError(f"loop_conv_ws stride = {st} needs config_ex's A stride = {st} (it is {self.a_stride})")
        if self.dataflow != "WS" or self.a_transpose or self.b_transpose:
            raise SimError("loop_conv_ws issues WS sequences without transposes: config_ex WS first")
        batches, orows, ocols, ochs = p["batches"], p["porows"], p["pocols"], p["pochs"]
        krows, kcols, kchs = p["krows"], p["kcols"], p["kchs"]
        lpad, rpad, upad, dpad = p["lpad"], p["rpad"], p["upad"], p["dpad"]
        irows, icols = orows * st + krows - 1, ocols * st + kcols - 1
        irows_un, icols_un = irows - upad - dpad, icols - lpad - rpad
        if irows_un < 0 or icols_un < 0:
            raise SimError(f"loop_conv_ws pads ({lpad}, {rpad}, {upad}, {dpad}) exceed the {irows}x{icols} input window")
        half_sp, half_acc = cfg.sp_rows // 2, cfg.acc_rows // 2
        a_rows = -(-kchs // dim) * batches * irows * icols
        b_rows = -(-ochs // dim) * krows * kcols * kchs
        c_rows = -(-ochs // dim) * batches * orows * ocols
        if a_rows + b_rows > half_sp:
            raise SimError(f"loop_conv_ws input and weight tiles ({a_rows} + {b_rows} rows) exceed half the scratchpad "
                           f"({half_sp} rows)")
        if c_rows > half_acc:
            raise SimError(f"loop_conv_ws output tile ({c_rows} rows) exceeds half the accumulator ({half_acc} rows)")
        t = self.timing
        if len(self.fsm_loop_ends) >= 2:
            t.host_t = max(t.host_t, self.fsm_loop_ends[-2])
        # gemmini_loop_conv_ws = 7 RoCC instructions (6 configs and the start).
        start = t.host_t
        t.host(7 * cfg.host_issue_cycles)
        cur = self.fsm_cursor
        for k_ in cur:
            cur[k_] = max(cur[k_], start + 7 * cfg.host_issue_cycles)
        a_start = self.fsm_sp_half * half_sp
        b_start = a_start + half_sp - b_rows
        c_start = self.fsm_acc_half * half_acc
        self.fsm_sp_half ^= 1
        if output is not None:
            self.fsm_acc_half ^= 1
        a_bank = batches * irows * icols  # input rows between DIM-channel blocks
        b_bank = krows * kcols * kchs  # weight rows between DIM-output-channel blocks
        c_bank = batches * orows * ocols  # accumulator rows between DIM-output-channel blocks

        def c_addr(b: int, orow: int, ocol: int, och: int) -> int:
            return c_start + (och // dim) * c_bank + b * orows * ocols + orow * ocols + ocol

        # LdBias: b, orow, ocol (DIM pixels), och (max_block_len_acc blocks); bias rows repeat (stride 0).
        if bias is not None or no_bias:
            b_arr, b_off = bias if bias is not None else (inp[0], 0)  # no_bias: zero rows, no DRAM read
            step = cfg.max_block_len_acc * dim
            for b in range(batches):
                for orow in range(orows):
                    for ocol in range(0, ocols, dim):
                        for och in range(0, ochs, step):
                            rows, cols = min(dim, ocols - ocol), min(step, ochs - och)
                            self.mvin(b_arr, b_off + och, c_addr(b, orow, ocol, och), rows, cols, "acc", 2, False,
                                      issuer="ldD", stride=0, zeros=no_bias, block_stride=c_bank)
        # LdInput: b, irow, icol (up to DIM pixels, split at the image's edges), ich (4 blocks).
        in_arr, in_off = inp
        in_row, in_col, in_stride = p["in_row_dim"], p["in_col_dim"], p["in_stride"]
        max_ich = min(kchs, mbl * dim)
        for b in range(batches):
            for irow in range(-upad, irows_un + dpad):
                icol = -lpad
                while icol < icols_un + rpad:
                    if icol < 0:
                        n = min(dim, -icol)
                    elif icol >= icols_un:
                        n = min(dim, icols_un + rpad - icol)
                    else:
                        n = min(dim, icols_un - icol)
                    zeros = irow < 0 or irow >= irows_un or icol < 0 or icol >= icols_un
                    for ich in range(0, kchs, max_ich):
                        addr = a_start + (ich // dim) * a_bank + b * irows * icols + (irow + upad) * icols + icol + lpad
                        off = in_off + ((b * in_row + irow) * in_col + icol) * in_stride + ich
                        self.mvin(in_arr, 0 if zeros else off, addr, n, min(max_ich, kchs - ich), "spad", 0, False,
                                  issuer="ldA", stride=in_stride, zeros=zeros, block_stride=a_bank)
                    icol += n
        # LdWeight: och (4 blocks), krow, kcol, kch (DIM rows).
        w_arr, w_off = weights
        kdim, in_ch, w_stride = p["kernel_dim"], p["in_channels"], p["weight_stride"]
        max_och = min(ochs, mbl * dim)
        for och in range(0, ochs, max_och):
            for krow in range(krows):
                for kcol in range(kcols):
                    for kch in range(0, kchs, dim):
                        addr = b_start + (och // dim) * b_bank + krow * kcols * kchs + kcol * kchs + kch
                        off = w_off + ((krow * kdim + kcol) * in_ch + kch) * w_stride + och
                        self.mvin(w_arr, off, addr, min(dim, kchs - kch), min(max_och, ochs - och), "spad", 1, False,
                                  issuer="ldB", stride=w_stride, block_stride=b_bank)
        # Execute starts once its loop's loads were all issued (LoopConv's `ld_ahead`): och, krow,
        # kcol, kch, then b, orow, ocol (DIM pixels), weights preloaded on the first of those.
        cur["ex"] = max(cur["ex"], cur["ldA"], cur["ldB"], cur["ldD"])
        for och in range(0, ochs, dim):
            j = min(dim, ochs - och)
            for krow in range(krows):
                for kcol in range(kcols):
                    for kch in range(0, kchs, dim):
                        k = min(dim, kchs - kch)
                        b_addr = b_start + (och // dim) * b_bank + krow * kcols * kchs + kcol * kchs + kch
                        new_weights = True
                        for b in range(batches):
                            for orow in range(orows):
                                for ocol in range(0, ocols, dim):
                                    i = min(dim, ocols - ocol)
                                    a_addr = (a_start + (kch // dim) * a_bank + b * irows * icols
                                              + (orow * st + krow) * icols + ocol * st + kcol)
                                    self.preload(b_addr if new_weights else None, c_addr(b, orow, ocol, och), k, j, i, j,
                                                 "acc", True, issuer="ex")
                                    self.compute(new_weights, a_addr, None, i, k, issuer="ex")
                                    new_weights = False
        # StC starts once Execute issued its last instruction of this loop: b, orow, ocol, och.
        if output is not None:
            cur["stC"] = max(cur["stC"], cur["ex"])
            o_arr, o_off = output
            out_row, out_col, out_stride = p["out_row_dim"], p["out_col_dim"], p["out_stride"]
            for b in range(batches):
                for orow in range(orows):
                    for ocol in range(0, ocols, dim):
                        for och in range(0, ochs, dim):
                            off = o_off + ((b * out_row + orow) * out_col + ocol) * out_stride + och
                            self.mvout(o_arr, off, c_addr(b, orow, ocol, och), min(dim, ocols - ocol),
                                       min(dim, ochs - och), "acc", False, issuer="stC", stride=out_stride)
        self.fsm_loop_ends.append(max(cur.values()))
        self._count("loop_conv_ws")

    # ------------------------------------------------------------------------------- misc --
    def fence(self) -> None:
        self.timing.host(self.cfg.host_issue_cycles)
        self.timing.fence()
        self._count("fence")

    def flush(self) -> None:
        self.timing.host(self.cfg.host_issue_cycles)
        self._count("flush")
