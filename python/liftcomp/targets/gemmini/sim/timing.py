"""Instruction-level timing model of Gemmini (a model, not RTL: see docs/GEMMINI.md).

Three units (load, execute, store) each run their instructions in order; they run
concurrently with each other and with the host. An instruction

1. is dispatched by its issuer (the host, or one of the loop_ws FSM's sub-machines) once a
   reservation-station entry of its unit is free (entries free when instructions complete);
2. starts when its unit is free and every earlier instruction of *another* unit that touches the
   same local rows has finished with them (read-after-write, write-after-read, write-after-write,
   tracked per DIM-row block of the scratchpad and the accumulator);
3. keeps its unit busy for `busy` cycles and completes `latency` cycles later.

Nothing is simulated per cycle, so a 512^3 GEMM (~100k instructions) takes about a second.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

import numpy as np

from liftcomp.targets.gemmini.config import GemminiConfig

LD, EX, ST = 0, 1, 2
UNIT_NAMES = ("load", "execute", "store")
SPAD, ACC = 0, 1

# A local range touched by an instruction: (memory, first block, end block).
Range = tuple[int, int, int]


@dataclass
class TimingStats:
    busy: list[int] = field(default_factory=lambda: [0, 0, 0])
    host_busy: int = 0
    dma_bytes_in: int = 0
    dma_bytes_out: int = 0
    instructions: dict[str, int] = field(default_factory=dict)


class Timing:
    def __init__(self, cfg: GemminiConfig):
        self.cfg = cfg
        dim = cfg.dim
        self.n_blocks = (cfg.sp_rows // dim, cfg.acc_rows // dim)
        self.host_t = 0
        self.unit_free = [0, 0, 0]
        self.rs: list[deque[int]] = [deque(), deque(), deque()]
        self.rs_cap = (cfg.rs_entries_ld, cfg.rs_entries_ex, cfg.rs_entries_st)
        # Per unit, per memory: completion time of the unit's last write / read of each block.
        self.wr = [[[0] * n for n in self.n_blocks] for _ in range(3)]
        self.rd = [[[0] * n for n in self.n_blocks] for _ in range(3)]
        self.last_done = 0
        self.ex_last_done = 0
        self.stats = TimingStats()
        # Footprint: which blocks were ever written.
        self.touched = (bytearray(self.n_blocks[0]), bytearray(self.n_blocks[1]))
        self.touched_count = [0, 0]
        # Live ranges per block (see `peak_live_blocks`): start of the write that holds the
        # block's current contents (-1: none) and the end of their last use so far (-1: unused).
        self.live_start = [[-1] * n for n in self.n_blocks]
        self.live_used = [[-1] * n for n in self.n_blocks]
        self.live_ranges: tuple[list[int], list[int]] = ([], [])
        self.live_ends: tuple[list[int], list[int]] = ([], [])

    # -- host ---------------------------------------------------------------------------------
    def host(self, cycles: int) -> None:
        self.host_t += cycles
        self.stats.host_busy += cycles

    def fence(self) -> None:
        self.host_t = max(self.host_t, self.last_done)

    # -- DMA ----------------------------------------------------------------------------------
    def dma_cycles(self, rows: int, row_bytes: int) -> int:
        """Cycles a transfer of `rows` rows of `row_bytes` contiguous bytes occupies the DMA:
        the 16 B/beat bus or the in-flight request window, whichever is slower."""
        cfg = self.cfg
        req = cfg.dma_request_bytes
        reqs = rows * -(-row_bytes // req)
        beats = rows * -(-row_bytes // cfg.dma_beat_bytes)
        beats_per_req = -(-min(row_bytes, req) // cfg.dma_beat_bytes)
        window = -(-reqs * (cfg.dram_latency + beats_per_req) // cfg.dma_max_inflight)
        return max(beats, window)

    # -- one instruction ----------------------------------------------------------------------
    def run(
        self,
        unit: int,
        issue_t: int,
        busy: int,
        latency: int,
        reads: tuple[Range, ...] = (),
        writes: tuple[Range, ...] = (),
        after: int = 0,
        rmw: bool = False,
    ) -> tuple[int, int]:
        """Schedule one instruction; returns (dispatch time, completion time). `rmw`: the writes
        accumulate into the old contents (which they therefore also use)."""
        q = self.rs[unit]
        t = issue_t
        if len(q) >= self.rs_cap[unit]:
            t = max(t, q.popleft())
        dispatch = t
        start = max(t, self.unit_free[unit], after)
        wr, rd = self.wr, self.rd
        for mem, b0, b1 in reads:
            for v in (0, 1, 2):
                if v != unit:
                    m = max(wr[v][mem][b0:b1])
                    if m > start:
                        start = m
        for mem, b0, b1 in writes:
            for v in (0, 1, 2):
                if v != unit:
                    m = max(max(wr[v][mem][b0:b1]), max(rd[v][mem][b0:b1]))
                    if m > start:
                        start = m
        end = start + busy
        done = end + latency
        self.unit_free[unit] = end
        self.stats.busy[unit] += busy
        n = b1 = 0
        for mem, b0, b1 in reads:
            rd[unit][mem][b0:b1] = [end] * (b1 - b0)
            ls, lu = self.live_start[mem], self.live_used[mem]
            for b in range(b0, b1):
                if ls[b] >= 0 and lu[b] < end:
                    lu[b] = end
        for mem, b0, b1 in writes:
            wr[unit][mem][b0:b1] = [done] * (b1 - b0)
            touched = self.touched[mem]
            ls, lu = self.live_start[mem], self.live_used[mem]
            starts, ends = self.live_ranges[mem], self.live_ends[mem]
            for b in range(b0, b1):
                if not touched[b]:
                    touched[b] = 1
                    n += 1
                if rmw and ls[b] >= 0:
                    if lu[b] < done:
                        lu[b] = done
                    continue
                # An overwrite ends the old contents' live range (if they were ever used).
                if lu[b] >= 0:
                    starts.append(ls[b])
                    ends.append(lu[b])
                ls[b] = start
                lu[b] = done if rmw else -1
            self.touched_count[mem] += n
            n = 0
        q.append(done)
        if done > self.last_done:
            self.last_done = done
        if unit == EX and done > self.ex_last_done:
            self.ex_last_done = done
        return dispatch, done

    def peak_live_blocks(self, mem: int) -> int:
        """Most DIM-row blocks of memory `mem` live at once. A block is live from the start of
        the instruction that writes it until the end of the last instruction that uses (reads, or
        accumulates into) those contents; contents never used are not counted. Tracked per block:
        a write to part of a block starts a new range for the whole block."""
        starts, ends = list(self.live_ranges[mem]), list(self.live_ends[mem])
        for s0, used in zip(self.live_start[mem], self.live_used[mem], strict=True):
            if s0 >= 0 and used >= 0:
                starts.append(s0)
                ends.append(used)
        if not starts:
            return 0
        times = np.concatenate([np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64)])
        deltas = np.concatenate([np.ones(len(starts), dtype=np.int64), -np.ones(len(ends), dtype=np.int64)])
        # Half-open ranges: at equal times an end comes before a start.
        order = np.lexsort((deltas, times))
        return int(np.cumsum(deltas[order]).max())

    def block_range(self, mem: int, addr: int, rows: int) -> Range:
        dim = self.cfg.dim
        return (mem, addr // dim, (addr + rows - 1) // dim + 1)

    @property
    def cycles(self) -> int:
        return max(self.host_t, self.last_done)
