"""NKI (AWS Trainium) behind the common target interface (targets/base.py)."""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import ModuleOp
from xdsl.ir import Dialect
from xdsl.passes import ModulePass
from xdsl.utils.target import Target as XdslTarget

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.measure import Evaluator, Measurement
from liftcomp.targets.base import KernelSpace, Lowered, Target, TargetConfig
from liftcomp.targets.nki.config import CHIPS, NkiChip

# Outputs equal the reference within |got - expected| <= ATOL + RTOL (|expected| + max |expected|)
# (f32 programs: reductions and matmuls sum in another order on the engines; ScalarE's exp is not
# numpy's). The max term: a reordered f32 sum errs by ~eps x the size of its partial sums, not of
# its result, so an element that cancels to near 0 in a long dot product (K = 512, |C| up to ~40)
# is off by ~3e-5; the output's scale bounds the partial sums' (an indexing bug errs by O(|C|)).
RTOL = 2e-5
ATOL = 1e-5


class NkiEvaluator:
    """Runs the emitted NKI Python on liftcomp's numpy NKI implementation (functional, with
    SBUF/PSUM capacity checks) and scores each kernel with the engine-level cost model (ns)."""

    name = "nki-numpy+model"
    unit = "ns"
    deterministic = True
    repeats = 1

    def __init__(self, chip: NkiChip):
        self.chip = chip
        self._files: dict[int, tuple[ModuleOp, Path]] = {}
        self._tmp = tempfile.TemporaryDirectory(prefix="liftcomp-nki-")

    def _file(self, module: ModuleOp) -> Path:
        from liftcomp.targets.nki.emit import emit_python

        hit = self._files.get(id(module))
        if hit is not None and hit[0] is module:
            return hit[1]
        # The search's worker processes share this folder (forked): the pid keeps their files apart
        # (and every path is new, so no stale bytecode from __pycache__ is ever imported).
        path = Path(self._tmp.name) / f"kernels_{os.getpid()}_{len(self._files)}.py"
        path.write_text(emit_python(module))
        self._files[id(module)] = (module, path)
        return path

    def run(self, module: ModuleOp, func_name: str, args: list[Any]) -> Measurement:
        from liftcomp.targets.nki.cost_model import estimate
        from liftcomp.testing import nki_numpy

        t0 = time.monotonic()
        try:
            nki_numpy.run_file(self._file(module), func_name, args)
        except nki_numpy.NkiError as e:
            raise LiftcompError(f"@{func_name} on the numpy NKI implementation: {e}") from None
        kernel = next((op for op in module.ops if isinstance(op, func.FuncOp)
                       and op.sym_name.data == f"{func_name}_kernel"), None)
        if kernel is None:
            return Measurement(0, self.unit, counters={"on_host": True}, seconds=time.monotonic() - t0)
        rep = estimate(kernel, self.chip)
        counters = {"utilization": round(rep.pe_utilization, 6), **rep.summary(self.chip),
                    "peak_sbuf_bytes": nki_numpy.LAST_RUN.peak_sbuf}
        return Measurement(round(rep.time_ns, 3), self.unit, counters=counters, seconds=time.monotonic() - t0)


@dataclass(frozen=True)
class NkiPyTarget(XdslTarget):
    """`xdsl-opt -t nki-py`: the NKI Python of a module lowered by liftcomp-lower-nki."""

    name = "nki-py"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        from liftcomp.targets.nki.emit import emit_python

        output.write(emit_python(module))


class NkiTarget(Target):
    name = "nki"
    summary = "AWS Trainium NeuronCores (trn2 default, trn1): NKI Python kernels, numpy NKI implementation + cost model"

    def configs(self) -> Mapping[str, NkiChip]:
        return {"default": CHIPS["trn2"], **CHIPS}

    def add_arguments(self, group: argparse._ArgumentGroup) -> None:  # pyright: ignore[reportPrivateUsage]
        from liftcomp.pass_support import add_pass_arguments
        from liftcomp.targets.nki.liftcomp_lower_nki import LiftcompLowerNkiPass

        # --nki-chip: liftcomp-lower-nki's chip option (its dyn-size is compile's --dyn-size). Unset,
        # --config chooses the chip.
        add_pass_arguments(group, LiftcompLowerNkiPass, {"chip": "nki-chip"}, skip=("dyn_size",), defaults={"chip": None})

    def options_from_args(self, ns: argparse.Namespace) -> dict[str, Any]:
        from liftcomp.pass_support import pass_from_args
        from liftcomp.targets.nki.liftcomp_lower_nki import LiftcompLowerNkiPass

        chip = getattr(ns, "chip", None)
        pass_from_args(LiftcompLowerNkiPass, ns, {"chip": "nki-chip"}, **({} if chip else {"chip": "trn2"}))  # the pass's checks
        return {"chip": chip}

    def config_for(self, name: str = "default", options: Mapping[str, Any] | None = None) -> NkiChip:
        chip = (options or {}).get("chip")
        if chip:
            return CHIPS[chip]
        cfg = super().config_for(name, options)
        assert isinstance(cfg, NkiChip)
        return cfg

    def lower(self, module: ModuleOp, config: TargetConfig, options: Mapping[str, Any],
              schedules: Mapping[str, Any] | None = None, originals: Mapping[str, func.FuncOp] | None = None
              ) -> Lowered:
        from liftcomp.targets.nki.driver import lower_module
        from liftcomp.targets.nki.lowering import LowerOptions

        assert isinstance(config, NkiChip)
        out, report = lower_module(module, LowerOptions(config, int(options.get("dyn_size", 64)),
                                                        dict(schedules or {}), dict(originals or {})))
        return Lowered(out, [k.to_json() for k in report.kernels], report.remarks)

    def kernel_space(self, fn: func.FuncOp, config: TargetConfig, options: Mapping[str, Any]) -> KernelSpace[Any]:
        from liftcomp.targets.nki.lowering import LowerOptions, match_matmul
        from liftcomp.targets.nki.space import NkiMatmulSpace
        from liftcomp.targets.nki.views import Unsupported

        assert isinstance(config, NkiChip)
        dyn = int(options.get("dyn_size", 64))
        try:
            mm = match_matmul(fn, LowerOptions(config, dyn))
        except Unsupported as e:
            raise LiftcompError(f"@{fn.sym_name.data}: no NKI schedule space ({e})") from None
        if mm is not None:
            return NkiMatmulSpace(fn, mm[2].problem, config, dyn)
        from liftcomp.targets.nki.rowspace import NkiRowSpace, evaluate_rowwise

        space = NkiRowSpace(fn, config, dyn)
        _, why = evaluate_rowwise(space.context, space.initial())
        if why:
            raise LiftcompError(f"@{fn.sym_name.data}: no NKI schedule space ({why})")
        return space

    def evaluator(self, config: TargetConfig) -> Evaluator:
        assert isinstance(config, NkiChip)
        return NkiEvaluator(config)

    def emit(self, module: ModuleOp, config: TargetConfig) -> dict[str, str]:
        from liftcomp.targets.nki.emit import emit_python

        return {"kernels.py": emit_python(module)}

    def outputs_match(self, got: list[Any], expected: list[Any]) -> bool:
        if len(got) != len(expected):
            return False
        for g, e in zip(got, expected, strict=True):
            g64, e64 = np.asarray(g, dtype=np.float64), np.asarray(e, dtype=np.float64)
            finite = np.abs(e64[np.isfinite(e64)])
            atol = ATOL + RTOL * (float(finite.max()) if finite.size else 0.0)
            if g64.shape != e64.shape or not np.allclose(g64, e64, rtol=RTOL, atol=atol, equal_nan=True):
                return False
        return True

    def dialects(self) -> dict[str, Callable[[], Dialect]]:
        def nki() -> Dialect:
            from liftcomp.targets.nki.dialect import NKI

            return NKI

        return {"nki": nki}

    def passes(self) -> dict[str, Callable[[], type[ModulePass]]]:
        def lower() -> type[ModulePass]:
            from liftcomp.targets.nki.liftcomp_lower_nki import LiftcompLowerNkiPass

            return LiftcompLowerNkiPass

        return {"liftcomp-lower-nki": lower}

    def emitters(self) -> dict[str, Callable[[], type[XdslTarget]]]:
        return {"nki-py": lambda: NkiPyTarget}
