"""Gemmini's simulated program: host code compiled by liftcomp.host.closures, gemmini ops as
calls into the Machine, host work charged to the timing model (`host_op_cycles` per executed
op, `host_loop_cycles` per loop iteration)."""

from __future__ import annotations

from typing import Any

import numpy as np
from xdsl.dialects import func
from xdsl.ir import Operation, SSAValue

from liftcomp.diagnostics import op_location
from liftcomp.host.closures import HostProgram, Regs, Step
from liftcomp.targets.gemmini import dialect as g
from liftcomp.targets.gemmini.sim.machine import Machine, SimError


class CompiledFunction(HostProgram):
    """A func.func ready to run on a Machine."""

    def __init__(self, fn: func.FuncOp, machine: Machine):
        self.m = machine
        self.host_op_cycles = machine.cfg.host_op_cycles
        self.host_loop_cycles = machine.cfg.host_loop_cycles
        self._timing = machine.timing
        super().__init__(fn)

    def charge(self, cycles: int) -> None:
        t = self._timing
        t.host_t += cycles
        t.stats.host_busy += cycles

    def is_target_op(self, op: Operation) -> bool:
        return op.name.startswith("gemmini.")

    def target_op(self, op: Operation) -> Step | None:
        return self._gemmini(op) if op.name.startswith("gemmini.") else None

    def _gemmini(self, op: Operation) -> Step:
        """The op's step; a run-time error (a limit the operands' values break) names the op."""
        step = self._gemmini_step(op)
        where = op_location(op)

        def named(regs: Regs) -> None:
            try:
                step(regs)
            except SimError as e:
                if e.location is not None:
                    raise
                raise SimError(e.message, where) from None

        return named

    def _gemmini_step(self, op: Operation) -> Step:  # noqa: C901
        S = self._slot
        m = self.m

        def opt(v: SSAValue | None) -> int | None:
            return None if v is None else S(v)

        if isinstance(op, g.ConfigExOp):
            df, at, bt = op.dataflow.data, op.a_transpose is not None, op.b_transpose is not None
            shift, a_stride = op.shift, op.a_rows_stride
            return lambda regs: m.config_ex(df, at, bt, sys_shift=shift, a_stride=a_stride)
        if isinstance(op, g.ConfigLdOp):
            s, i, sc, eb = S(op.stride), op.id.value.data, op.scale.value.data, op.elem_bits.value.data
            return lambda regs: m.config_ld(regs[s], i, sc, eb)
        if isinstance(op, g.ConfigStOp):
            s, relu, sc = S(op.stride), op.activation.data == "relu", op.scale.value.data
            eb = op.elem_bits.value.data
            if op.scale_value is not None:
                sv = S(op.scale_value)
                return lambda regs: m.config_st(regs[s], relu, float(np.float32(regs[sv])), eb)
            return lambda regs: m.config_st(regs[s], relu, sc, eb)
        if isinstance(op, g.MvinOp):
            d, off, ad, r, c = (S(v) for v in op.operands)
            space, i, accf = op.space.data, op.id.value.data, op.accumulate is not None
            zeros = op.zeros is not None

            def mvin(regs: Regs) -> None:
                m.mvin(regs[d], regs[off], regs[ad], regs[r], regs[c], space, i, accf, zeros=zeros)

            return mvin
        if isinstance(op, g.MvoutOp):
            d, off, ad, r, c = (S(v) for v in op.operands)
            space, full = op.space.data, op.full is not None

            def mvout(regs: Regs) -> None:
                m.mvout(regs[d], regs[off], regs[ad], regs[r], regs[c], space, full)

            return mvout
        if isinstance(op, g.PreloadOp):
            b, c = opt(op.b_addr), opt(op.c_addr)
            br, bc, cr, cc = S(op.b_rows), S(op.b_cols), S(op.c_rows), S(op.c_cols)
            cs, cacc = op.c_space.data, op.c_accumulate is not None

            def preload(regs: Regs) -> None:
                m.preload(
                    None if b is None else regs[b],
                    None if c is None else regs[c],
                    regs[br], regs[bc], regs[cr], regs[cc], cs, cacc,
                )

            return preload
        if isinstance(op, (g.ComputePreloadedOp, g.ComputeAccumulatedOp)):
            pre = isinstance(op, g.ComputePreloadedOp)
            a, bd = opt(op.a_addr), opt(op.bd_addr)
            ar, ac, bdr, bdc = S(op.a_rows), S(op.a_cols), S(op.bd_rows), S(op.bd_cols)

            def compute(regs: Regs) -> None:
                m.compute(pre, None if a is None else regs[a], None if bd is None else regs[bd], regs[ar], regs[ac],
                          bd_rows=regs[bdr], bd_cols=regs[bdc])

            return compute
        if isinstance(op, g.LoopWsOp):
            sizes = [S(v) for v in (op.i_blocks, op.j_blocks, op.k_blocks, op.pad_i, op.pad_j, op.pad_k)]
            a3 = (S(op.a), S(op.a_offset), S(op.a_stride))
            b3 = (S(op.b), S(op.b_offset), S(op.b_stride))
            d3 = None if op.d is None else (S(op.d), opt(op.d_offset), opt(op.d_stride))
            c3 = None if op.c is None else (S(op.c), opt(op.c_offset), opt(op.c_stride))
            exa, full = op.ex_accumulate is not None, op.full_c is not None
            act_relu = op.activation.data == "relu"

            def trip(regs: Regs, x: tuple[int, int | None, int | None] | None) -> Any:
                return None if x is None else tuple(regs[s] for s in x if s is not None)

            def loop_ws(regs: Regs) -> None:
                if not full and act_relu != m.st_relu:
                    raise SimError("loop_ws's activation differs from the last config_st's")
                sz = tuple(regs[s] for s in sizes)
                m.loop_ws(sz, trip(regs, a3), trip(regs, b3), trip(regs, d3), trip(regs, c3), exa, full)  # type: ignore[arg-type]

            return loop_ws
        if isinstance(op, g.LoopConvWsOp):
            fields = {f: S(getattr(op, f)) for f in g.CONV_SIZE_FIELDS}
            inp, inp_off = S(op.input), S(op.input_offset)
            w, w_off = S(op.weights), S(op.weights_offset)
            bias = None if op.bias is None else (S(op.bias), S(op.bias_offset))  # type: ignore[arg-type]
            out = None if op.output is None else (S(op.output), S(op.output_offset))  # type: ignore[arg-type]
            no_bias = op.no_bias is not None
            conv_relu = op.activation.data == "relu"

            def loop_conv_ws(regs: Regs) -> None:
                if out is not None and conv_relu != m.st_relu:
                    raise SimError("loop_conv_ws's activation differs from the last config_st's")
                params = {f: int(regs[s]) for f, s in fields.items()}
                m.loop_conv_ws(params, (regs[inp], regs[inp_off]), (regs[w], regs[w_off]),
                               None if bias is None else (regs[bias[0]], regs[bias[1]]),
                               None if out is None else (regs[out[0]], regs[out[1]]), no_bias)

            return loop_conv_ws
        if isinstance(op, g.FenceOp):
            return lambda regs: m.fence()
        if isinstance(op, g.FlushOp):
            return lambda regs: m.flush()
        raise SimError(f"the simulator does not know '{op.name}'")
