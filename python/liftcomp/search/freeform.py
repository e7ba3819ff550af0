"""Free-form candidates: target IR text proposed by an LLM, checked without ever running it as code.

A reply's last ```mlir block must be one MLIR module that xDSL parses with a context holding only
the dialects a lowered Gemmini kernel uses (builtin, func, arith, scf, memref, gemmini), that
verifies, and whose single function has the kernel's name and signature. Afterwards the text is
only ever interpreted by the Gemmini simulator, under a step budget (blocks executed, weighted by
their op count), so an endless or absurdly long loop is cut off deterministically instead of
hanging the search. Nothing here imports, evaluates or shells out anything taken from the text.
"""

from __future__ import annotations

import hashlib
import math
import re
from typing import Any

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.arith import Arith
from xdsl.dialects.builtin import Builtin, FunctionType, MemRefType, ModuleOp
from xdsl.dialects.func import Func
from xdsl.dialects.memref import MemRef
from xdsl.dialects.scf import Scf
from xdsl.ir import Block, Operation
from xdsl.parser import Parser

from liftcomp.targets.gemmini.config import GemminiConfig
from liftcomp.targets.gemmini.dialect import Gemmini
from liftcomp.targets.gemmini.menu import Refused
from liftcomp.targets.gemmini.sim.machine import Machine
from liftcomp.targets.gemmini.sim.program import CompiledFunction

ALLOWED_DIALECTS = ("builtin", "func", "arith", "scf", "memref", "gemmini")
MAX_IR_CHARS = 200_000  # a lowered kernel is a few kB; more is not an edit of it
MAX_ALLOC_BYTES = 64 << 20  # host buffers the simulator would allocate with numpy
LOOP_WS_COST = 4096  # steps charged per loop_ws call: one FSM call runs up to a whole tile

_MLIR_BLOCK = re.compile(r"```mlir[^\n]*\n(.*?)```", re.S)


def freeform_context() -> Context:
    """An xDSL context with only the dialects a lowered Gemmini kernel is made of."""
    ctx = Context(allow_unregistered=False)
    for dialect in (Builtin, Func, Arith, Scf, MemRef, Gemmini):
        ctx.load_dialect(dialect)
    return ctx


def ir_sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def extract_mlir(reply: str) -> str | None:
    """The last ```mlir block of a reply (models often restate the input first), or None."""
    blocks = _MLIR_BLOCK.findall(reply)
    return blocks[-1] if blocks else None


def no_mlir_reason(reply: str) -> str:
    """Why a reply without a ```mlir block is unusable (said plainly when it holds other code)."""
    other = re.findall(r"```([A-Za-z0-9_+-]+)", reply)
    if other:
        return (f"free-form reply has no ```mlir block (it holds ```{other[0]} instead; "
                "only MLIR is accepted and nothing is ever run)")
    return f"free-form reply has no ```mlir block: {reply[:120]!r}"


def _short(e: BaseException, limit: int = 400) -> str:
    text = " ".join(str(e).split())
    return (text[:limit] + "...") if len(text) > limit else text


def parse_kernel_ir(text: str, func_name: str, signature: FunctionType) -> tuple[ModuleOp, func.FuncOp]:
    """Parse and check free-form IR for the kernel `@func_name : signature`; Refused says why not."""
    if len(text) > MAX_IR_CHARS:
        raise Refused(f"free-form IR is too long ({len(text)} characters, at most {MAX_IR_CHARS})")
    try:
        module = Parser(freeform_context(), text, "<free-form IR>").parse_module()
    except Exception as e:  # noqa: BLE001 - untrusted text: any parser failure (nesting depth too) is a refusal
        raise Refused(f"free-form IR does not parse (dialects allowed: {', '.join(ALLOWED_DIALECTS)}): "
                      f"{_short(e)}") from None
    try:
        module.verify()
    except Exception as e:  # noqa: BLE001 - as above, for verifiers
        raise Refused(f"free-form IR does not verify: {_short(e)}") from None
    ops = list(module.ops)
    if len(ops) != 1 or not isinstance(ops[0], func.FuncOp):
        raise Refused(f"free-form IR must hold exactly one func.func (@{func_name}), found "
                      f"{', '.join(op.name for op in ops) or 'nothing'}")
    fn = ops[0]
    if fn.sym_name.data != func_name:
        raise Refused(f"free-form IR defines @{fn.sym_name.data}, not @{func_name}")
    if not fn.body.blocks:
        raise Refused(f"free-form IR only declares @{func_name}")
    if fn.function_type != signature:
        raise Refused(f"free-form IR changes the signature of @{func_name}: {fn.function_type} instead of {signature}")
    total = 0
    for op in fn.walk():
        if isinstance(op, func.CallOp):
            raise Refused("free-form IR may not call functions")
        if isinstance(op, (memref.AllocOp, memref.AllocaOp)):
            total += _check_alloc(op.results[0].type)
    # Each allocation op holds at most one live buffer (a loop's next one replaces it), so this
    # bounds what the simulator may allocate.
    if total > MAX_ALLOC_BYTES:
        raise Refused(f"free-form IR allocates {total} bytes in all, at most {MAX_ALLOC_BYTES}")
    return module, fn


def _check_alloc(t: Any) -> int:
    """The bytes of a static allocation of type `t`, refused if it is not one or too large."""
    if not isinstance(t, MemRefType):
        raise Refused(f"free-form IR allocates {t}")
    shape = [d.data for d in t.shape]
    if any(d < 0 for d in shape):
        raise Refused(f"free-form IR allocates a dynamically sized buffer ({t})")
    width = getattr(t.element_type, "bitwidth", 64)
    size = -(-width // 8)
    for d in shape:
        size *= d
    if size > MAX_ALLOC_BYTES:
        raise Refused(f"free-form IR allocates {size} bytes ({t}), at most {MAX_ALLOC_BYTES}")
    return size


class StepBudgetExceeded(Exception):
    """The simulated program ran more steps than its budget."""


def _op_cost(op: Operation) -> int:
    """Steps charged for one op: 1, or about the elements it touches where that is more (a copy
    of a large buffer, a loop_ws FSM call running a whole tile), so the budget bounds work."""
    if isinstance(op, memref.CopyOp):
        t = op.source.type
        if isinstance(t, MemRefType):
            return max(1, math.prod(max(1, d.data) for d in t.shape))
    if op.name == "gemmini.loop_ws":
        return LOOP_WS_COST
    return 1


class _BudgetedFunction(CompiledFunction):
    """The simulator's compiled function, charging every executed block the cost of its ops (at
    least 1, so an empty loop body still costs a step per iteration) against a budget."""

    def __init__(self, fn: func.FuncOp, machine: Machine, budget: int):
        self.steps_left = budget
        super().__init__(fn, machine)

    def _block(self, block: Block) -> Any:
        run = super()._block(block)
        cost = max(1, sum(_op_cost(op) for op in block.ops))

        def counted(regs: list[Any]) -> None:
            self.steps_left -= cost
            if self.steps_left < 0:
                raise StepBudgetExceeded
            run(regs)

        return counted


def run_with_budget(fn: func.FuncOp, args: list[Any], config: GemminiConfig, budget: int) -> int:
    """Run `fn` functionally on `args` (arrays are updated in place); the steps it took.
    Raises StepBudgetExceeded past `budget` steps, or whatever the simulator raises."""
    compiled = _BudgetedFunction(fn, Machine(config, functional=True), budget)
    compiled.run(args)
    return budget - compiled.steps_left
