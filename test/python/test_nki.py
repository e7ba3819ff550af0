"""The NKI target: compile kernels to NKI Python that runs on the numpy NKI implementation and
equals the reference; verifiers against the chip's limits; run-time capacity checks; the cost
model and the search on a matmul."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from liftcomp.targets.nki.config import TRN1, TRN2
from liftcomp.targets.nki.matmul import (
    MatmulProblem,
    MatmulSchedule,
    build_matmul_kernel,
    naive_schedule,
)
from xdsl.dialects.builtin import ModuleOp, bf16, f32
from xdsl.utils.exceptions import VerifyException

CORPUS = Path(__file__).resolve().parents[1] / "corpus"


@pytest.mark.parametrize("kernel,kind", [("nki/softmax_rows", "rowwise"), ("nki/dwconv1d", "rowwise"),
                                         ("nki/matmul_bias_relu", "matmul")])
def test_compile_runs_emitted_python_and_matches(tmp_path: Path, kernel: str, kind: str) -> None:
    from liftcomp.targets.cli import compile_file

    report = compile_file(CORPUS / f"{kernel}.mlir", tmp_path / "out", "nki")
    (k,) = report["kernels"]
    assert k["correct"] is True
    assert [s["kind"] for s in k["schedule"]] == [kind]
    assert k["unit"] == "ns" and k["cost"] > 0
    py = (tmp_path / "out" / "kernels.py").read_text()
    assert "import nki.isa as nisa" in py and "neuronxcc" not in py
    assert "nisa.dma_copy(dst=" in py and "@nki.jit(platform_target=\"trn2\")" in py
    assert json.loads((tmp_path / "out" / "report.json").read_text())["target"] == "nki"


def _verify(fn: object) -> None:
    ModuleOp([fn]).verify()  # type: ignore[list-item]


def test_verifiers_name_the_op_and_the_limit() -> None:
    p = MatmulProblem(256, 1024, 256, bf16, bf16, bf16, a_layout="km")
    _verify(build_matmul_kernel("k", p, naive_schedule(p, TRN2), TRN2))
    # moving free size 1024 > 512
    from liftcomp.targets.nki import dialect as nki
    from liftcomp.targets.nki.build import KernelBuilder
    from xdsl.dialects.builtin import MemRefType

    b = KernelBuilder("k", "trn2", [("x", MemRefType(bf16, [128, 1024]))], [])
    st = b.alloc((128, 128), bf16, "sbuf", "st")
    mv = b.alloc((128, 1024), bf16, "sbuf", "mv")
    ps = b.alloc((128, 512), f32, "psum", "ps")
    b.add(nki.MatmulOp(ps, st, b.view(mv, b.c(0), 1024), accumulate=False))
    with pytest.raises(VerifyException, match="nki.matmul.*moving free size 1024 > 512"):
        _verify(b.finish())
    # SBUF capacity: bufs=4 copies of a whole K column per tile do not fit 192 KiB per partition
    big = MatmulProblem(1024, 4096, 8192, f32, f32, f32, a_layout="km")
    with pytest.raises(VerifyException, match="SBUF tiles need .* bytes per partition; trn2 has 196608"):
        _verify(build_matmul_kernel("k", big, naive_schedule(big, TRN2).with_(block_k=64, bufs=4), TRN2))
    # a PSUM tile is one 2 KiB bank
    b2 = KernelBuilder("k2", "trn1", [], [])
    b2.alloc((128, 1024), f32, "psum", "ps")
    with pytest.raises(VerifyException, match="PSUM tile 'ps' needs 4096 bytes"):
        _verify(b2.finish())
    assert TRN1.sbuf_bytes_per_partition < TRN2.sbuf_bytes_per_partition


def test_numpy_nki_checks_capacity_at_run_time(tmp_path: Path) -> None:
    from liftcomp.testing import nki_numpy

    src = (
        "import numpy as np\nimport nki\nimport nki.isa as nisa\nimport nki.language as nl\n\n"
        "@nki.jit(platform_target='trn2')\ndef k(x):\n"
        "    for i in nl.affine_range(2):\n"
        "        a = nl.ndarray((128, 30000), dtype=nl.float32, buffer=nl.sbuf, name='a')\n"
        "        b = nl.ndarray((128, 30000), dtype=nl.float32, buffer=nl.sbuf, name='b')\n"
        "    return x\n\n"
        "def host(x):\n    return k(x)\n")
    f = tmp_path / "k.py"
    f.write_text(src)
    with pytest.raises(nki_numpy.NkiCapacityError, match="SBUF over capacity allocating 'b'"):
        nki_numpy.run_file(f, "host", [np.zeros((2, 2), np.float32)])


def test_model_and_search_reach_the_tensore_bound() -> None:
    """A bf16 matmul: the naive tiling is DMA-bound; the beam search (not told the answer) finds
    a blocked schedule with >= 90% TensorE utilization in the model."""
    from liftcomp.targets.nki.menu import beam_search

    p = MatmulProblem(1024, 2048, 2048, bf16, bf16, bf16, a_layout="km")
    res = beam_search(p, naive_schedule(p, TRN2), TRN2, beam=2, budget=80)
    assert res.start.report is not None and res.start.report.pe_utilization < 0.5
    assert res.best.report is not None and res.best.report.pe_utilization >= 0.88
    # about the NKI tutorial's 102 FLOP per HBM byte of the naive kernel (its stores count here too)
    assert res.start.report.flop_per_byte == pytest.approx(100, rel=0.05)
    assert isinstance(res.best.schedule, MatmulSchedule)


def test_dyn_size_reaches_the_target(tmp_path: Path) -> None:
    """`--dyn-size` reaches NKI's lowering: a matmul with dynamic dimensions is compiled for
    128 and its host wrapper accepts 128x128 (before, NKI assumed 64 and refused)."""
    from liftcomp.targets.cli import compile_file

    report = compile_file(CORPUS / "nki/matmul_dyn.mlir", tmp_path / "out", "nki", dyn_size=128)
    (k,) = report["kernels"]
    assert k["correct"] is True and [s["kind"] for s in k["schedule"]] == ["matmul"]
    assert "dyn_size" not in report["options"]  # reports keep the target's own options
    py = (tmp_path / "out" / "kernels.py").read_text()
    assert "compiled for shape (128, 128)" in py
