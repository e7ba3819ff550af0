"""Gemmini's free-form rules: which dialects LLM-edited IR may use, and a step-budgeted functional
simulation (search/freeform.py does the parsing and checks, generically)."""

from __future__ import annotations

from typing import Any

from xdsl.dialects import func
from xdsl.ir import Block, Operation

from liftcomp.search.freeform import HOST_DIALECTS, StepBudgetExceeded, op_steps
from liftcomp.targets.base import FreeformRules
from liftcomp.targets.gemmini.config import GemminiConfig
from liftcomp.targets.gemmini.dialect import Gemmini
from liftcomp.targets.gemmini.sim.machine import Machine
from liftcomp.targets.gemmini.sim.program import CompiledFunction

LOOP_WS_COST = 4096  # steps charged per loop_ws call: one FSM call runs up to a whole tile


def _op_steps(op: Operation) -> int:
    return LOOP_WS_COST if op.name == "gemmini.loop_ws" else op_steps(op)


class _BudgetedFunction(CompiledFunction):
    """The simulator's compiled function, charging every executed block the cost of its ops (at
    least 1, so an empty loop body still costs a step per iteration) against a budget."""

    def __init__(self, fn: func.FuncOp, machine: Machine, budget: int):
        self.steps_left = budget
        super().__init__(fn, machine)

    def _block(self, block: Block) -> Any:
        run = super()._block(block)
        cost = max(1, sum(_op_steps(op) for op in block.ops))

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


def freeform_rules(config: GemminiConfig) -> FreeformRules:
    def run(fn: func.FuncOp, args: list[Any], budget: int) -> int:
        return run_with_budget(fn, args, config, budget)

    return FreeformRules((*HOST_DIALECTS, Gemmini), run)
