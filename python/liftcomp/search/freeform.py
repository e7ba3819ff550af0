"""Free-form candidates: target IR text proposed by an LLM, checked without ever running it as code.

A reply's last ```mlir block must be one MLIR module that xDSL parses with a context holding only
the dialects the target's free-form rules name (targets.base.FreeformRules; for Gemmini: builtin,
func, arith, scf, memref, gemmini), that verifies, and whose single function has the kernel's name
and signature. Afterwards the text is only ever interpreted by the target's simulator, under a
step budget (blocks executed, weighted by `op_steps`), so an endless or absurdly long loop is cut
off deterministically instead of hanging the search. Nothing here imports, evaluates or shells out
anything taken from the text.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from xdsl.context import Context
from xdsl.dialects import func, memref
from xdsl.dialects.arith import Arith
from xdsl.dialects.builtin import Builtin, FunctionType, MemRefType, ModuleOp
from xdsl.dialects.func import Func
from xdsl.dialects.memref import MemRef
from xdsl.dialects.scf import Scf
from xdsl.ir import Dialect, Operation
from xdsl.parser import Parser

from liftcomp.search.space import Refused

MAX_IR_CHARS = 200_000  # a lowered kernel is a few kB; more is not an edit of it
MAX_ALLOC_BYTES = 64 << 20  # host buffers the simulator would allocate with numpy

_MLIR_BLOCK = re.compile(r"```mlir[^\n]*\n(.*?)```", re.S)


HOST_DIALECTS: tuple[Dialect, ...] = (Builtin, Func, Arith, Scf, MemRef)
"""What host code around a target's ops is made of (a target's rules add its own dialect)."""


@dataclass(frozen=True)
class IRSchedule:
    """A free-form candidate: the kernel's whole target IR as text, as xDSL prints it (canonical,
    so equal programs share `sha256`)."""

    text: str
    sha256: str

    def to_json(self) -> dict[str, Any]:
        return {"freeform": True, "ir_sha256": self.sha256, "ir": self.text}


def freeform_context(dialects: Sequence[Dialect]) -> Context:
    """An xDSL context with only `dialects`."""
    ctx = Context(allow_unregistered=False)
    for dialect in dialects:
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


def parse_kernel_ir(text: str, func_name: str, signature: FunctionType,
                    dialects: Sequence[Dialect]) -> tuple[ModuleOp, func.FuncOp]:
    """Parse and check free-form IR (of `dialects` only) for the kernel `@func_name : signature`;
    Refused says why not."""
    if len(text) > MAX_IR_CHARS:
        raise Refused(f"free-form IR is too long ({len(text)} characters, at most {MAX_IR_CHARS})")
    try:
        module = Parser(freeform_context(dialects), text, "<free-form IR>").parse_module()
    except Exception as e:  # noqa: BLE001 - untrusted text: any parser failure (nesting depth too) is a refusal
        raise Refused(f"free-form IR does not parse (dialects allowed: {', '.join(d.name for d in dialects)}): "
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


def op_steps(op: Operation) -> int:
    """Steps a budgeted run charges for a host op: 1, or the elements a copy moves (so the budget
    bounds work, not just ops). A target charges its own ops on top (e.g. a whole FSM tile)."""
    if isinstance(op, memref.CopyOp):
        t = op.source.type
        if isinstance(t, MemRefType):
            return max(1, math.prod(max(1, d.data) for d in t.shape))
    return 1
