"""`liftcomp-test-bridge`: a test-only pass that makes the mlir-opt bridge observable.

With no option it changes nothing (the bridge benchmark times exactly the round trip).
Options: `tag=<text>` sets `liftcomp.tag = "<text>"` on every func.func; `count-ops=true` sets
`liftcomp.num_ops` to the number of ops in each function's body (what Python saw, e.g. after
upstream passes ran before it); `fail=<message>` reports that message as a user error at the
first function; `crash=true` raises an internal error; `unregistered=true` inserts an op of
an unknown dialect into every function, which mlir-opt then refuses to read back;
`remark=<text>` emits that remark at every function.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, ModuleOp, StringAttr, UnregisteredOp, i64
from xdsl.ir import Block, Operation

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.pass_support import LiftcompPass, emit_remark


@dataclass(frozen=True)
class LiftcompTestBridgePass(LiftcompPass):
    name = "liftcomp-test-bridge"

    tag: str | None = None
    count_ops: bool = False
    fail: str | None = None
    crash: bool = False
    unregistered: bool = False
    remark: str | None = None

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        funcs = [f for f in op.walk() if isinstance(f, func.FuncOp)]
        if self.fail is not None:
            where: Operation = funcs[0] if funcs else op
            raise LiftcompError(self.fail, op_location(where))
        if self.crash:
            raise RuntimeError("liftcomp-test-bridge crashed on request")
        for f in funcs:
            if self.remark is not None:
                emit_remark(self.remark, op_location(f))
            if self.tag is not None:
                f.attributes["liftcomp.tag"] = StringAttr(self.tag)
            if self.count_ops:
                count = sum(1 for _ in f.body.walk())
                f.attributes["liftcomp.num_ops"] = IntegerAttr(count, i64)
            if self.unregistered and f.body.blocks:
                _insert_unregistered(f.body.blocks[0])


def _insert_unregistered(block: Block) -> None:
    unknown = UnregisteredOp.with_name("test_bridge.unknown").create()
    first = block.first_op
    if first is None:
        block.add_op(unknown)
    else:
        block.insert_op_before(unknown, first)
