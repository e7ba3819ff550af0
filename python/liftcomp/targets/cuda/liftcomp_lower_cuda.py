"""The `liftcomp-lower-cuda` pass: tensor-level kernels -> calls of `@<kernel>.launch` for `cuda.kernel` symbols."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from liftcomp.pass_support import LiftcompPass, emit_remark, option, replace_module_body


@dataclass(frozen=True)
class LiftcompLowerCudaPass(LiftcompPass):
    """Lower linalg/tensor kernels to the cuda dialect (see targets/cuda/lowering.py).

    Options:
    - arch = sm_90a (default: TMA + wgmma GEMMs) | sm_80 (portable cp.async + mma GEMMs);
    - records = FILE | none: tuning records whose measured schedules replace the defaults
      (default: the H100 records shipped with liftcomp);
    - fuse-epilogue = true (default): fold bias / scale / ReLU consumers into GEMM epilogues;
    - remarks = true: one remark per op kept on the host.
    """

    name = "liftcomp-lower-cuda"

    # arch and records are also `liftcomp compile --cuda-arch / --cuda-records` (targets/cuda/target.py).
    arch: str = option("sm_90a", "architecture of the main path (the portable sm_80 sources are emitted too)",
                       choices=("sm_90a", "sm_80"))
    records: str = option("", "measured schedules to replay ('none': the built-in defaults; default: the H100 "
                          "records shipped with liftcomp)", metavar="FILE")
    fuse_epilogue: bool = option(True, "fold bias / scale / ReLU consumers into GEMM epilogues", cli=False)
    remarks: bool = option(False, "one remark per op kept on the host", cli=False)

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.records not in ("", "none") and not Path(self.records).expanduser().is_file():
            raise self.option_error(f"option 'records': no such file: {self.records}", "records", f"no such file: {self.records}")

    def apply(self, ctx: Context, op: ModuleOp) -> None:
        from liftcomp.targets.cuda.lowering import LowerOptions, lower_module
        from liftcomp.targets.cuda.tuning import load_records

        records = [] if self.records == "none" else load_records(Path(self.records).expanduser() if self.records else None)
        low = lower_module(op, LowerOptions(arch=self.arch, fuse_epilogue=self.fuse_epilogue, records=records))
        low.module.verify()
        replace_module_body(op, low.module)
        if self.remarks:
            for r in low.remarks:
                emit_remark(r)
