"""The `liftcomp-gemmini-cleanup` pass: drop Gemmini configuration and fence instructions that
change nothing.

Every kernel the lowering emits configures Gemmini for itself (config_ex, config_st, one
config_ld per load id) and ends with a fence, so a function with several kernels repeats state
that is already in place. Over each block, in program order, the pass tracks the configuration
state every path to an instruction has set, and removes

- a config_ex / config_st / config_ld (per load id) that sets exactly that state again: same
  properties, same operands (the same SSA value, or constants of equal value);
- a fence with no Gemmini instruction since the previous fence of the same block (nothing is in
  flight, so it waits for nothing).

Control flow is treated conservatively: the body of a loop or branch starts with nothing known
(no state, no earlier fence), and after an op with regions every state those regions may set is
forgotten and an instruction they may issue counts as in flight. loop_ws forgets all state (the
FSM issues its own configuration on Gemmini SoCs) and anything unknown with side effects (calls)
does too. Host code without Gemmini instructions (scalar loops, memref loads and stores) keeps
the state: configuration lives in Gemmini, not in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from xdsl.context import Context
from xdsl.dialects import arith, func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Block, Operation, SSAValue

from liftcomp.pass_support import LiftcompPass
from liftcomp.targets.gemmini import dialect as g

# Gemmini instructions that move data or compute (what a fence waits for).
_WORK = (g.MvinOp, g.MvoutOp, g.PreloadOp, g.ComputePreloadedOp, g.ComputeAccumulatedOp, g.LoopWsOp,
         g.LoopConvWsOp, g.FlushOp)
_CONFIG = (g.ConfigExOp, g.ConfigLdOp, g.ConfigStOp)


def _operand_key(v: SSAValue) -> Any:
    """Equal keys mean equal values: a constant's value, else the SSA value itself."""
    owner = v.owner
    if isinstance(owner, arith.ConstantOp):
        return ("const", str(owner.value), str(v.type))
    return ("ssa", id(v))


def _slot(op: Operation) -> Any:
    """Which piece of Gemmini state a config instruction sets."""
    if isinstance(op, g.ConfigLdOp):
        return ("ld", op.id.value.data)
    return op.name


def _config_key(op: Operation) -> Any:
    """Everything a config instruction sets: its properties, attributes and operand values."""
    props = tuple(sorted((k, str(v)) for k, v in op.properties.items()))
    attrs = tuple(sorted((k, str(v)) for k, v in op.attributes.items()))
    return (op.name, props, attrs, tuple(_operand_key(v) for v in op.operands))


@dataclass
class _State:
    config: dict[Any, Any] = field(default_factory=dict)  # slot -> key of the instruction that set it
    fenced: bool = False  # a fence earlier in this block, and no Gemmini work since


def _is_host_op(op: Operation) -> bool:
    """Ops that cannot touch Gemmini state: all but Gemmini ops, calls and ops with regions."""
    return not op.name.startswith("gemmini.") and not isinstance(op, func.CallOp) and not op.regions


def _block(block: Block, erase: list[Operation]) -> None:
    st = _State()
    for op in list(block.ops):
        if isinstance(op, _CONFIG):
            slot, key = _slot(op), _config_key(op)
            if st.config.get(slot) == key:
                erase.append(op)
            else:
                st.config[slot] = key
            continue
        if isinstance(op, g.FenceOp):
            if st.fenced:
                erase.append(op)
            st.fenced = True
            continue
        if isinstance(op, g.LoopWsOp):
            st.config.clear()
            st.fenced = False
            continue
        if isinstance(op, _WORK):
            st.fenced = False
            continue
        if _is_host_op(op):
            continue
        if isinstance(op, func.CallOp) or op.name.startswith("gemmini."):
            st.config.clear()
            st.fenced = False
            continue
        # An op with regions (scf.for, scf.if, ...): clean its blocks on their own, then forget
        # what they may change.
        for region in op.regions:
            for inner in region.blocks:
                _block(inner, erase)
        inner_ops = [x for x in op.walk() if x is not op]
        if any(isinstance(x, _WORK) or isinstance(x, func.CallOp) for x in inner_ops):
            st.fenced = False
        if any(isinstance(x, (g.LoopWsOp, func.CallOp)) for x in inner_ops):
            st.config.clear()
        for x in inner_ops:
            if isinstance(x, _CONFIG):
                st.config.pop(_slot(x), None)


def redundant_ops(fn: func.FuncOp) -> list[Operation]:
    """The config / fence instructions of `fn` the cleanup removes (nothing is changed)."""
    erase: list[Operation] = []
    for block in fn.body.blocks:
        _block(block, erase)
    return erase


def cleanup_function(fn: func.FuncOp) -> int:
    """Remove `fn`'s redundant config / fence instructions; returns how many."""
    erase = redundant_ops(fn)
    for op in erase:
        op.detach()
        op.erase()
    return len(erase)


def cleanup_module(module: ModuleOp) -> int:
    return sum(cleanup_function(op) for op in module.ops if isinstance(op, func.FuncOp) and op.body.blocks)


@dataclass(frozen=True)
class LiftcompGemminiCleanupPass(LiftcompPass):
    """Remove Gemmini config instructions that set state already in place and fences with no
    Gemmini instruction since the previous fence (see the module docstring)."""

    name = "liftcomp-gemmini-cleanup"

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        cleanup_module(op)
