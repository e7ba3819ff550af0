"""The `liftcomp-lower-nki` pass: tensor-level kernels -> nki dialect kernels + host wrappers."""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp

from liftcomp.diagnostics import LiftcompError, op_location
from liftcomp.pass_support import LiftcompPass, emit_remark, option, replace_module_body
from liftcomp.targets.nki.config import CHIPS


@dataclass(frozen=True)
class LiftcompLowerNkiPass(LiftcompPass):
    """Lower linalg/tensor kernels to NKI (AWS Trainium): per function an `nki.kernel` function
    (the matmul or row-wise kernel, with the default schedule) and a host wrapper with the
    function's signature that calls it on `nki.hbm_view`s of its arguments; what has no NKI lowering stays as it
    is, marked `nki.host`, with a remark.

    Options:
    - chip = trn2 (default) | trn1: the NeuronCore the verifiers and the cost model check against;
    - dyn-size = N: the value of dynamic sizes (kernels are specialised to static shapes; 64);
    - strict = true: a function that would stay on the host is an error at its location;
    - remarks = true: one remark per function saying what it became.
    Schedules are searched by `liftcomp compile --target nki --search beam`.
    """

    name = "liftcomp-lower-nki"

    # chip is also `liftcomp compile --nki-chip` (targets/nki/target.py); dyn-size is compile's
    # --dyn-size (targets/schedule_options.py), with the same check.
    chip: str = option("trn2", "the NeuronCore to compile for (same as --config trn1/trn2)", choices=tuple(CHIPS))
    dyn_size: int = option(64, "size used for dynamic dimensions", at_least=1)
    strict: bool = option(False, "a function that would stay on the host is an error at its location", cli=False)
    remarks: bool = option(False, "one remark per function saying what it became", cli=False)

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from liftcomp.targets.nki.driver import lower_module
        from liftcomp.targets.nki.lowering import LowerOptions

        functions = {f.sym_name.data: f for f in op.ops if isinstance(f, func.FuncOp)}
        out, report = lower_module(op, LowerOptions(chip=CHIPS[self.chip], dyn_size=self.dyn_size))
        for k in report.kernels:
            where = op_location(functions[k.func]) if k.func in functions else None
            if self.strict and k.kind == "host":
                raise LiftcompError(f"liftcomp-lower-nki: {k.remark} (strict=true)", where)
            if self.remarks or k.kind == "host":
                emit_remark(k.remark or f"@{k.func}: lowered to an NKI {k.kind} kernel", where)
        out.verify()
        replace_module_body(op, out)
