"""The `liftcomp-lower-cuda` pass: tensor-level kernels -> calls of `@<kernel>.launch` for `cuda.kernel` symbols."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xdsl.context import Context
from xdsl.dialects.builtin import ModuleOp

from liftcomp.pass_support import LiftcompPass, emit_remark, replace_module_body


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

    arch: str = "sm_90a"
    records: str = ""
    fuse_epilogue: bool = True
    remarks: bool = False

    def __post_init__(self) -> None:
        self.check_choice("arch", self.arch, ("sm_90a", "sm_80"))
        if self.records not in ("", "none") and not Path(self.records).expanduser().is_file():
            raise self.option_error(f"option 'records': no such file: {self.records}")

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
