"""`simulate`: run a lowered Gemmini program functionally and/or for timing."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.dialects.builtin import (
    Float32Type,
    Float64Type,
    MemRefType,
    ModuleOp,
)
from xdsl.utils.exceptions import VerifyException

from liftcomp.targets.gemmini.config import DEFAULT_CONFIG, GemminiConfig
from liftcomp.targets.gemmini.dialect import hardware_config
from liftcomp.targets.gemmini.sim.machine import Machine, SimError, dtype_of
from liftcomp.targets.gemmini.sim.program import CompiledFunction
from liftcomp.targets.gemmini.sim.timing import UNIT_NAMES


@dataclass
class SimResult:
    """What one simulated run of a function produced.

    `cycles` ends when the host and every unit are done. `utilization` = MACs / (DIM^2 * cycles),
    with MACs counted from the compute instructions (useful rows x K x cols, no padding).
    `busy` is per unit (load, execute, store, host) in cycles. Occupancy is the peak live
    occupancy: `spad_peak_rows` / `acc_peak_rows` are the most rows (whole DIM-row blocks) holding
    data that is still to be used at one time (a block is live from the start of the instruction
    that writes it to the end of the last instruction that reads or accumulates into those
    contents: `Timing.peak_live_blocks`), and `spad_occupancy` / `acc_occupancy` are those peaks as
    a fraction of the memory. `spad_rows_used` / `acc_rows_used` are the footprint: the rows the
    program ever wrote."""

    name: str
    cycles: int
    macs: int
    utilization: float
    busy: dict[str, int]
    spad_rows_used: int
    acc_rows_used: int
    spad_peak_rows: int
    acc_peak_rows: int
    spad_occupancy: float
    acc_occupancy: float
    dma_bytes_in: int
    dma_bytes_out: int
    instructions: dict[str, int]
    outputs: dict[str, Any] = field(default_factory=dict)
    returns: list[Any] = field(default_factory=list)
    sim_seconds: float = 0.0

    @property
    def dma_bytes(self) -> int:
        return self.dma_bytes_in + self.dma_bytes_out

    def summary(self) -> dict[str, Any]:
        """JSON-ready numbers (no arrays)."""
        return {
            "cycles": self.cycles,
            "macs": self.macs,
            "utilization": round(self.utilization, 6),
            "busy": dict(self.busy),
            "spad_rows_used": self.spad_rows_used,
            "acc_rows_used": self.acc_rows_used,
            "spad_peak_rows": self.spad_peak_rows,
            "acc_peak_rows": self.acc_peak_rows,
            "spad_occupancy": round(self.spad_occupancy, 6),
            "acc_occupancy": round(self.acc_occupancy, 6),
            "dma_bytes_in": self.dma_bytes_in,
            "dma_bytes_out": self.dma_bytes_out,
            "instructions": dict(self.instructions),
            "sim_seconds": round(self.sim_seconds, 4),
        }


def find_func(module_or_func: ModuleOp | func.FuncOp, name: str | None = None) -> func.FuncOp:
    if isinstance(module_or_func, func.FuncOp):
        return module_or_func
    funcs = [op for op in module_or_func.ops if isinstance(op, func.FuncOp) and op.body.blocks]
    if name is not None:
        funcs = [f for f in funcs if f.sym_name.data == name]
    if len(funcs) != 1:
        raise SimError(
            f"expected exactly one function{f' named {name}' if name else ''} to simulate, found {len(funcs)}"
        )
    return funcs[0]


def arg_names(fn: func.FuncOp) -> list[str]:
    return [a.name_hint or f"arg{i}" for i, a in enumerate(fn.body.block.args)]


def simulate(
    module_or_func: ModuleOp | func.FuncOp,
    inputs: Mapping[str, Any] | Sequence[Any],
    config: GemminiConfig = DEFAULT_CONFIG,
    functional: bool = True,
    func_name: str | None = None,
) -> SimResult:
    """Run one lowered function. `inputs` gives each argument (by name or position): numpy arrays
    for memrefs (copied; results come back in `outputs`), Python ints for scalars. With
    `functional=False` only timing is modelled (arrays are needed for their shapes only)."""
    fn = find_func(module_or_func, func_name)
    names = arg_names(fn)
    args = fn.body.block.args
    if isinstance(inputs, Mapping):
        missing = [n for n in names if n not in inputs]
        if missing:
            raise SimError(f"missing inputs for {missing} (arguments are {names})")
        values = [inputs[n] for n in names]
    else:
        if len(inputs) != len(names):
            raise SimError(f"{fn.sym_name.data} takes {len(names)} arguments, got {len(inputs)}")
        values = list(inputs)
    prepared: list[Any] = []
    for a, v, n in zip(args, values, names, strict=True):
        if isinstance(a.type, MemRefType):
            want = dtype_of(a.type.element_type)
            arr = np.asarray(v)
            if arr.dtype != want:
                raise SimError(f"argument {n}: expected {want} elements, got {arr.dtype}")
            shape = tuple(d.data for d in a.type.shape)
            if len(shape) != arr.ndim or any(s >= 0 and s != x for s, x in zip(shape, arr.shape, strict=True)):
                raise SimError(f"argument {n}: shape {arr.shape} does not match {a.type}")
            prepared.append(np.ascontiguousarray(arr).copy() if functional else np.ascontiguousarray(arr))
        elif isinstance(a.type, (Float32Type, Float64Type)):
            prepared.append(np.float32(v) if isinstance(a.type, Float32Type) else np.float64(v))
        else:
            prepared.append(v)
    try:
        lowered_for = hardware_config(fn)
    except VerifyException as e:
        raise SimError(str(e)) from None
    if lowered_for.hardware() != config.hardware():
        diff = ", ".join(f"{k} {v} (simulated: {config.hardware()[k]})" for k, v in lowered_for.hardware().items()
                         if config.hardware()[k] != v)
        raise SimError(f"{fn.sym_name.data} was lowered for another Gemmini: {diff}")
    machine = Machine(config, functional=functional)
    t0 = time.perf_counter()
    compiled = CompiledFunction(fn, machine)
    returns = compiled.run(prepared)
    elapsed = time.perf_counter() - t0
    t = machine.timing
    cycles = max(1, t.cycles)
    dim = config.dim
    busy = {UNIT_NAMES[u]: t.stats.busy[u] for u in range(3)}
    busy["host"] = t.stats.host_busy
    spad_used = t.touched_count[0] * dim
    acc_used = t.touched_count[1] * dim
    spad_peak = t.peak_live_blocks(0) * dim
    acc_peak = t.peak_live_blocks(1) * dim
    outputs = {n: v for n, v, a in zip(names, prepared, args, strict=True) if isinstance(a.type, MemRefType)}
    return SimResult(
        name=fn.sym_name.data,
        cycles=cycles,
        macs=machine.macs,
        utilization=machine.macs / (dim * dim * cycles),
        busy=busy,
        spad_rows_used=spad_used,
        acc_rows_used=acc_used,
        spad_peak_rows=spad_peak,
        acc_peak_rows=acc_peak,
        spad_occupancy=spad_peak / config.sp_rows,
        acc_occupancy=acc_peak / config.acc_rows,
        dma_bytes_in=t.stats.dma_bytes_in,
        dma_bytes_out=t.stats.dma_bytes_out,
        instructions=dict(machine.counts),
        outputs=outputs if functional else {},
        returns=returns,
        sim_seconds=elapsed,
    )
