"""The liftcomp-lower-nki driver: each function becomes a matmul kernel, a row-wise kernel, or stays
on the host with the reason. Kept apart from lowering.py (matmul) and rowwise.py (row kernels),
which both build on lowering.py's host wrapper and argument table."""

from __future__ import annotations

from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp, StringAttr
from xdsl.ir import Operation

from liftcomp.targets.nki.lowering import (
    HOST_ATTR,
    KernelRecord,
    LoweringReport,
    LowerOptions,
    _has_loops,
    match_matmul,
)
from liftcomp.targets.nki.rowwise import lower_rowwise
from liftcomp.targets.nki.views import Unsupported


def lower_module(module: ModuleOp, opts: LowerOptions | None = None) -> tuple[ModuleOp, LoweringReport]:
    """A new module: per function, a kernel (nki.kernel) and its host wrapper, or the function
    itself (kept on the host, `nki.host` = why)."""
    o = opts or LowerOptions()
    report = LoweringReport()
    out_ops: list[Operation] = []
    for fn in [op for op in module.ops if isinstance(op, func.FuncOp)]:
        name = fn.sym_name.data
        if not fn.body.blocks:
            out_ops.append(fn.clone())
            continue
        try:
            if _has_loops(fn):
                raise Unsupported("loops left by the raising (only tensor ops are lowered)")
            mm = match_matmul(fn, o)
            if mm is not None:
                kernel, host, rec = mm
            else:
                kernel, host, rec = lower_rowwise(fn, o)
            _verified(kernel, host)
        except Unsupported as e:
            kept = (o.originals.get(name) or fn).clone()
            kept.attributes[HOST_ATTR] = StringAttr(str(e))
            out_ops.append(kept)
            report.kernels.append(KernelRecord(name, "host", f"@{name} stays on the host: {e}"))
            continue
        out_ops += [kernel, host]
        report.kernels.append(rec)
    return ModuleOp(out_ops), report


def _verified(kernel: Operation, host: Operation) -> None:
    """A kernel and wrapper that do not verify (a window the views cannot express, say) stay on
    the host with the verifier's reason instead of failing the whole module."""
    from xdsl.utils.exceptions import VerifyException

    from liftcomp.targets.nki.dialect import verify_kernel_loops

    try:
        ModuleOp([kernel.clone(), host.clone()]).verify()
        verify_kernel_loops(kernel)
    except VerifyException as e:
        lines = [ln for ln in str(e).splitlines() if "does not verify" in ln] or str(e).splitlines()[:1]
        raise Unsupported(f"the lowered kernel does not verify ({lines[0].strip() if lines else e})") from None
