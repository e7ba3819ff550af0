"""Engine-level cost model of an nki kernel: per-engine timelines with dependencies.

Every instruction of the kernel (loops unrolled) is placed, in program order, on its engine:
TensorE ("pe"), ScalarE ("act"), VectorE ("dve"), GpSimd ("pool"), or the 16 DMA queues. Each
engine runs its instructions in order; an instruction starts when its engine is free and its
inputs are ready. Dependencies go through on-chip buffers: a tile allocated with `bufs` copies
rotates over that many physical buffers, so a write waits for the reads of the copy it reuses
(WAR), a read for the last write (RAW). Costs (config.py names the source of each number):
- nc_matmul max(min(64, M), N) cycles (x4 for fp32), nc_transpose max(P, min(64, F));
- ScalarE activation max(MIN_II, N) (+64 reading PSUM); VectorE tensor_tensor max(MIN_II, 2N)
  (N with one input in PSUM; NC-v3 performance modes: 2x for bf16/fp16 inputs in SBUF),
  tensor_scalar / tensor_copy max(MIN_II, N) (NC-v3: 4x SBUF->SBUF bf16/fp16, 2x otherwise),
  tensor_reduce max(MIN_II, N); GpSimd ~150 + N; N = free elements per partition;
- a result is ready ~60 cycles (SBUF/PSUM access) after its instruction ends, and a consumer on
  another engine waits ~100 more cycles (semaphore);
- a DMA of P partitions is split into min(16, P) packets, one per queue; a packet moves its
  rows at the queue's share of HBM bandwidth, each contiguous row costing 512 bytes more
  (descriptor), and starts ~1300 ns after its trigger (semaphore-to-start latency);
- on NC-v2, VectorE and GpSimd share the SBUF port, VectorE and ScalarE the PSUM port.
The model reports the time, each engine's busy time, TensorE utilization (busy / time),
achieved HBM bandwidth and FLOP per HBM byte.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xdsl.dialects import func, scf
from xdsl.dialects.builtin import BFloat16Type, Float16Type, Float32Type
from xdsl.ir import Block, Operation, SSAValue

from liftcomp.diagnostics import LiftcompError
from liftcomp.targets.nki import dialect as nki
from liftcomp.targets.nki.config import DEFAULT_CHIP, NkiChip

ENGINES = ("pe", "act", "dve", "pool", "dma")


@dataclass
class CostReport:
    time_ns: float
    busy_ns: dict[str, float]
    instructions: int
    flops: int
    hbm_bytes: int
    chip: str

    @property
    def pe_utilization(self) -> float:
        return self.busy_ns["pe"] / self.time_ns if self.time_ns > 0 else 0.0

    def hbm_fraction(self, chip: NkiChip) -> float:
        if self.time_ns <= 0:
            return 0.0
        return self.hbm_bytes / self.time_ns / chip.hbm_gbps_per_core

    @property
    def flop_per_byte(self) -> float:
        return self.flops / self.hbm_bytes if self.hbm_bytes else float("inf")

    def summary(self, chip: NkiChip | None = None) -> dict[str, Any]:
        c = chip or DEFAULT_CHIP
        return {
            "chip": self.chip,
            "time_us": round(self.time_ns / 1000, 3),
            "pe_utilization": round(self.pe_utilization, 4),
            "hbm_fraction": round(self.hbm_fraction(c), 4),
            "flop_per_byte": round(self.flop_per_byte, 1) if self.hbm_bytes else None,
            "instructions": self.instructions,
            "busy_us": {k: round(v / 1000, 3) for k, v in self.busy_ns.items()},
        }


# --------------------------------------------------------------------- compiled program --
@dataclass
class _Instr:
    engine: str
    cycles: float            # occupancy in engine cycles (compute) or ns (DMA)
    reads: tuple[int, ...]   # alloc ids
    writes: tuple[int, ...]
    touches: tuple[str, ...] = ()  # memories ("sbuf"/"psum") for the NC-v2 shared ports
    dma_rows: int = 0
    dma_row_bytes: int = 0
    dma_eff: float = 1.0
    dma_parts: int = 0
    flops: int = 0
    hbm_bytes: int = 0


@dataclass
class _Alloc:
    id: int
    bufs: int


@dataclass
class _Loop:
    trip: int
    body: list[Any]


@dataclass
class _Program:
    items: list[Any] = field(default_factory=list)
    allocs: dict[Operation, _Alloc] = field(default_factory=dict)


def _base(v: SSAValue) -> Operation:
    while isinstance(v.owner, nki.ViewOp):
        v = v.owner.source
    return v.owner  # type: ignore[return-value]


def _free(v: SSAValue) -> int:
    return nki.shape_of(v)[1]


def _half(v: SSAValue) -> bool:
    return isinstance(nki.elem_of(v), (BFloat16Type, Float16Type))


class _Compiler:
    def __init__(self, chip: NkiChip):
        self.chip = chip
        self.prog = _Program()

    def aid(self, v: SSAValue) -> int:
        base = _base(v)
        a = self.prog.allocs.get(base)
        if a is None:
            raise LiftcompError(f"cost model: operand not made by nki.alloc ({getattr(base, 'name', base)})")
        return a.id

    def block(self, block: Block) -> list[Any]:
        out: list[Any] = []
        for op in block.ops:
            item = self.op(op)
            if item is not None:
                out.append(item)
        return out

    def op(self, op: Operation) -> Any:  # noqa: C901
        chip = self.chip
        ii = chip.min_ii
        if isinstance(op, scf.ForOp):
            return _Loop(nki.loop_trip(op), self.block(op.body.block))
        if isinstance(op, nki.AllocOp):
            a = _Alloc(len(self.prog.allocs), op.bufs.value.data)
            self.prog.allocs[op] = a
            return a
        if isinstance(op, nki.LoadOp):
            p, f = nki.shape_of(op.dst)
            eb = nki.element_bytes(nki.elem_of(op.dst))
            eff = chip.dma_transpose_efficiency if op.transpose is not None else 1.0
            return _Instr("dma", 0, (), (self.aid(op.dst),), dma_rows=p, dma_row_bytes=f * eb, dma_eff=eff,
                          dma_parts=p, hbm_bytes=(f * eb if op.broadcast is not None else p * f * eb))
        if isinstance(op, nki.StoreOp):
            p, f = nki.shape_of(op.src)
            eb = nki.element_bytes(nki.elem_of(op.src))
            return _Instr("dma", 0, (self.aid(op.src),), (), dma_rows=p, dma_row_bytes=f * eb, dma_parts=p,
                          hbm_bytes=p * f * eb)
        if isinstance(op, nki.MatmulOp):
            k, m = nki.shape_of(op.stationary)
            n = _free(op.moving)
            cyc = max(min(chip.matmul_min_moving, m), n)
            if isinstance(nki.elem_of(op.moving), Float32Type):
                cyc *= chip.matmul_fp32_factor
            reads = (self.aid(op.stationary), self.aid(op.moving)) + ((self.aid(op.dst),) if op.accumulate else ())
            return _Instr("pe", cyc, reads, (self.aid(op.dst),), flops=2 * k * m * n)
        if isinstance(op, nki.TransposeOp):
            p, f = nki.shape_of(op.src)
            return _Instr("pe", max(p, min(64, f)), (self.aid(op.src),), (self.aid(op.dst),))
        if isinstance(op, nki.ActivationOp):
            n = _free(op.src)
            extra = chip.psum_read_extra if nki.space_of(op.src) == "psum" else 0
            reads = tuple(self.aid(v) for v in (op.src, op.bias, op.scale) if v is not None)
            writes = tuple(self.aid(v) for v in (op.dst, op.reduce_res) if v is not None)
            return _Instr("act", max(ii, n) + extra, reads, writes, _mems(op.src, op.dst))
        if isinstance(op, nki.TensorTensorOp):
            return self._vector(op, op.engine.data, (op.a, op.b), op.dst, "tt")
        if isinstance(op, nki.TensorScalarOp):
            ins = tuple(v for v in (op.src, op.operand0, op.operand1) if v is not None)
            return self._vector(op, op.engine.data, ins, op.dst, "ts")
        if isinstance(op, nki.TensorCopyOp):
            return self._vector(op, op.engine.data, (op.src,), op.dst, "ts")
        if isinstance(op, nki.TensorReduceOp):
            return _Instr("dve", max(ii, _free(op.src)), (self.aid(op.src),), (self.aid(op.dst),), _mems(op.src, op.dst))
        if isinstance(op, nki.MemsetOp):
            return _Instr("dve", max(ii, _free(op.dst)), (), (self.aid(op.dst),), _mems(op.dst))
        if isinstance(op, nki.SelectOp):
            n = _free(op.dst)
            return _Instr("dve", 2 * max(ii, n), tuple(self.aid(v) for v in (op.pred, op.on_true, op.on_false)),
                          (self.aid(op.dst),), _mems(op.dst, op.pred))
        if isinstance(op, nki.IotaOp):
            return _Instr("pool", chip.gpsimd_fixed + _free(op.dst), (), (self.aid(op.dst),), ("sbuf",))
        if op.name in ("nki.view", "func.return", "scf.yield") or op.name.startswith("arith."):
            return None
        raise LiftcompError(f"cost model: no cost for {op.name}")

    def _vector(self, op: Operation, engine: str, ins: tuple[SSAValue, ...], dst: SSAValue, kind: str) -> _Instr:
        chip = self.chip
        n = _free(dst)
        reads = tuple(self.aid(v) for v in ins)
        mems = _mems(dst, *ins)
        if engine == "gpsimd":
            return _Instr("pool", chip.gpsimd_fixed + n, reads, (self.aid(dst),), mems)
        if engine == "scalar":
            return _Instr("act", max(chip.min_ii, n), reads, (self.aid(dst),), mems)
        in_psum = any(nki.space_of(v) == "psum" for v in ins)
        half = all(_half(v) for v in ins)
        if kind == "tt":
            base = n if in_psum else 2 * n
            if chip.vector_perf_modes and not in_psum and half:
                base = n
        else:
            base = n
            if chip.vector_perf_modes:
                base = n / 4 if (half and not in_psum and nki.space_of(dst) == "sbuf") else n / 2
        return _Instr("dve", max(chip.min_ii, base), reads, (self.aid(dst),), mems)


def _mems(*vs: SSAValue) -> tuple[str, ...]:
    return tuple(sorted({nki.space_of(v) or "hbm" for v in vs}))


# ---------------------------------------------------------------------------- timeline --
class _Timeline:
    def __init__(self, chip: NkiChip, prog: _Program):
        self.chip = chip
        self.free = {e: 0.0 for e in ENGINES if e != "dma"}
        self.queues = [0.0] * chip.dma_engines
        self.gaps: list[list[tuple[float, float]]] = [[] for _ in range(chip.dma_engines)]
        self.rr = 0
        self.busy = {e: 0.0 for e in ENGINES}
        n_allocs = len(prog.allocs)
        self.count = [0] * n_allocs
        self.bufs = [1] * n_allocs
        for a in prog.allocs.values():
            self.bufs[a.id] = a.bufs
        # per physical buffer (alloc id, copy): time its last write is ready, time its reads end
        self.write_ready: dict[tuple[int, int], float] = {}
        self.read_end: dict[tuple[int, int], float] = {}
        self.write_engine: dict[tuple[int, int], str] = {}
        self.ports: dict[tuple[str, str, str], float] = {p: 0.0 for p in chip.shared_ports}
        self.end = 0.0
        self.n = 0
        self.flops = 0
        self.hbm = 0
        q_bw = min(chip.dma_engine_gbps, chip.hbm_gbps_per_core / chip.dma_engines)  # GB/s = bytes/ns
        self.q_bw = q_bw

    def phys(self, aid: int) -> tuple[int, int]:
        return aid, self.count[aid] % self.bufs[aid]

    def run(self, items: list[Any]) -> None:
        for it in items:
            if isinstance(it, _Instr):
                self.instr(it)
            elif isinstance(it, _Loop):
                for _ in range(it.trip):
                    self.run(it.body)
            else:
                self.count[it.id] += 1

    def instr(self, it: _Instr) -> None:
        chip = self.chip
        eng = it.engine
        ready = 0.0
        sem = chip.dep_overhead / chip.clock(eng) if eng != "dma" else 0.0
        for a in it.reads:
            key = self.phys(a)
            t = self.write_ready.get(key, 0.0)
            if t > 0 and self.write_engine.get(key) != eng:
                t += sem
            ready = max(ready, t)
        for a in it.writes:
            key = self.phys(a)
            ready = max(ready, self.read_end.get(key, 0.0), self.write_ready.get(key, 0.0))
        if eng == "dma":
            start, end = self._dma(it, ready)
        else:
            clk = chip.clock(eng)
            start = max(self.free[eng], ready)
            for port in self.ports:
                if eng in port[:2] and port[2] in it.touches:
                    start = max(start, self.ports[port])
            dur = it.cycles / clk
            end = start + dur
            self.free[eng] = end
            for port in self.ports:
                if eng in port[:2] and port[2] in it.touches:
                    self.ports[port] = end
            self.busy[eng] += dur
        done = end + (chip.access_overhead / chip.clock(eng) if eng != "dma" else 0.0)
        for a in it.reads:
            key = self.phys(a)
            self.read_end[key] = max(self.read_end.get(key, 0.0), end)
        for a in it.writes:
            key = self.phys(a)
            self.write_ready[key] = done
            self.write_engine[key] = eng
        self.end = max(self.end, done)
        self.n += 1
        self.flops += it.flops
        self.hbm += it.hbm_bytes

    def _dma(self, it: _Instr, ready: float) -> tuple[float, float]:
        chip = self.chip
        packets = max(1, min(chip.dma_engines, it.dma_parts))
        rows = -(-it.dma_rows // packets)
        occ = rows * (it.dma_row_bytes + chip.dma_desc_overhead_bytes) / (self.q_bw * it.dma_eff)
        trigger = ready + chip.dma_fixed_ns
        first = None
        end = 0.0
        for j in range(packets):
            q = (self.rr + j) % chip.dma_engines
            s = self._place(q, trigger, occ)
            first = s if first is None else min(first, s)
            end = max(end, s + occ)
        self.rr = (self.rr + packets) % chip.dma_engines
        self.busy["dma"] += occ * packets / chip.dma_engines
        return first or trigger, end


    def _place(self, q: int, t: float, occ: float) -> float:
        """Start of a packet on queue q: the first idle gap that fits after t (transfers from
        different instruction streams need not wait for each other), else the queue's end."""
        free = self.queues[q]
        gaps = self.gaps[q]
        for i, (g0, g1) in enumerate(gaps if t < free else ()):
            s = max(g0, t)
            if s + occ <= g1:
                rest = [(g0, s)] if s > g0 else []
                if s + occ < g1:
                    rest.append((s + occ, g1))
                gaps[i:i + 1] = rest
                if len(gaps) > _MAX_GAPS:
                    del gaps[0]
                return s
        s = max(free, t)
        if s > free:
            gaps.append((free, s))
            if len(gaps) > _MAX_GAPS:
                del gaps[0]
        self.queues[q] = s + occ
        return s


_MAX_GAPS = 4


def estimate(fn: func.FuncOp, chip: NkiChip | None = None) -> CostReport:
    """The modelled run of one nki kernel function."""
    c = chip or nki.chip_of(fn)
    comp = _Compiler(c)
    items = comp.block(fn.body.block)
    tl = _Timeline(c, comp.prog)
    tl.run(items)
    return CostReport(tl.end, tl.busy, tl.n, tl.flops, tl.hbm, c.name)
