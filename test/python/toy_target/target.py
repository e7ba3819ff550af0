"""The toy vector unit: runs one element-wise linalg.generic per function, `lanes` elements per
cycle, with a loop overhead of `issue_cycles` per (unrolled) iteration of its vector loop.

Target IR is the tensor-level function with its schedule in two function attributes
(`toy.lanes`, `toy.unroll`); the evaluator runs it with liftcomp's numpy reference and counts
cycles from the schedule; the emitter prints the unit's assembly.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, replace
from typing import IO, Any

from liftcomp.diagnostics import LiftcompError
from liftcomp.search.cost_model import Bound
from liftcomp.search.measure import Measurement
from liftcomp.search.space import Menu, Param, Refused, Rewrite
from liftcomp.targets.base import KernelSpace, Lowered, Target, TargetConfig
from xdsl.context import Context
from xdsl.dialects import func
from xdsl.dialects.builtin import IntegerAttr, MemRefType, ModuleOp, i64
from xdsl.dialects.linalg.ops import GenericOp
from xdsl.utils.target import Target as XdslTarget


@dataclass(frozen=True)
class ToyConfig:
    name: str = "default"
    max_lanes: int = 16
    issue_cycles: int = 3

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


CONFIGS = {"default": ToyConfig(), "narrow": ToyConfig("narrow", max_lanes=4)}


@dataclass(frozen=True)
class VecSchedule:
    lanes: int = 1
    unroll: int = 1


@dataclass(frozen=True)
class Ctx:
    config: ToyConfig
    elements: int


def _lanes(s: VecSchedule, p: dict[str, Any], ctx: Ctx) -> VecSchedule:
    n = p["n"]
    if n & (n - 1):
        raise Refused(f"lanes: {n} is not a power of two")
    return replace(s, lanes=n)


def _unroll(s: VecSchedule, p: dict[str, Any], ctx: Ctx) -> VecSchedule:
    return replace(s, unroll=p["factor"])


def _validate(s: VecSchedule, ctx: Ctx) -> None:
    if s.lanes > ctx.config.max_lanes:
        raise LiftcompError(f"{s.lanes} lanes, the unit has {ctx.config.max_lanes}")


MENU: Menu[VecSchedule, Ctx] = Menu(
    (Rewrite("lanes", "elements per vector instruction", (Param("n", "int", 1, 64),), _lanes),
     Rewrite("unroll", "vector instructions per loop iteration", (Param("factor", "int", 1, 8),), _unroll)),
    key=lambda s: (s.lanes, s.unroll), validate=_validate)


def cycles(elements: int, s: VecSchedule, cfg: ToyConfig) -> int:
    vectors = -(-elements // s.lanes)
    return vectors + -(-vectors // s.unroll) * cfg.issue_cycles


def _elementwise(fn: func.FuncOp) -> GenericOp:
    ops = [op for op in fn.walk() if isinstance(op, GenericOp)]
    if len(ops) != 1 or any(str(it.data) != "parallel" for it in ops[0].iterator_types.data):
        raise LiftcompError(f"@{fn.sym_name.data}: the toy unit runs exactly one element-wise op")
    return ops[0]


def _elements(fn: func.FuncOp) -> int:
    t = fn.function_type.inputs.data[0]
    assert isinstance(t, MemRefType)
    n = 1
    for d in t.get_shape():
        n *= d
    return n


@dataclass
class ToySpace(KernelSpace[VecSchedule]):
    module: ModuleOp
    func_name: str
    config: ToyConfig
    elements: int

    def __post_init__(self) -> None:
        self.menu = MENU
        self.context = Ctx(self.config, self.elements)

    def initial(self) -> VecSchedule:
        return VecSchedule()

    def lower(self, schedule: VecSchedule) -> ModuleOp:
        return ToyTarget().lower(self.module, self.config, {}, {self.func_name: schedule}).module

    def schedule_json(self, schedule: VecSchedule) -> dict[str, Any]:
        return asdict(schedule)

    def schedule_from_json(self, data: dict[str, Any]) -> VecSchedule:
        return VecSchedule(**data)

    def describe(self, schedule: VecSchedule) -> str:
        return f"{schedule.lanes} lanes, unrolled {schedule.unroll}x"

    def hardware_summary(self) -> str:
        return f"toy vector unit: up to {self.config.max_lanes} lanes, {self.config.issue_cycles} cycles per loop trip"

    def cost_model(self) -> ToyModel:
        return ToyModel(self)


@dataclass
class ToyModel:
    space: ToySpace

    def predict(self, schedule: VecSchedule) -> float:
        return cycles(self.space.elements, schedule, self.space.config)

    def bound(self) -> Bound:
        c = -(-self.space.elements // self.space.config.max_lanes)
        return Bound(c, "cycles", None, {"vector": c})

    def update(self, schedule: VecSchedule, measurement: Measurement) -> None:
        return None


@dataclass
class ToyEvaluator:
    config: ToyConfig
    name: str = "toy-sim"
    unit: str = "cycles"
    deterministic: bool = True
    repeats: int = 1

    def run(self, module: ModuleOp, func_name: str, args: list[Any]) -> Measurement:
        from liftcomp.reference import run_reference

        fn = next(op for op in module.ops if isinstance(op, func.FuncOp) and op.sym_name.data == func_name)
        _elementwise(fn)
        run_reference(fn, args)
        s = _schedule_of(fn)
        return Measurement(cycles(_elements(fn), s, self.config), counters={"lanes": s.lanes})


def _schedule_of(fn: func.FuncOp) -> VecSchedule:
    def get(name: str) -> int:
        a = fn.attributes.get(name)
        return a.value.data if isinstance(a, IntegerAttr) else 1

    return VecSchedule(get("toy.lanes"), get("toy.unroll"))


def emit_asm(module: ModuleOp) -> str:
    lines = []
    for fn in (op for op in module.ops if isinstance(op, func.FuncOp)):
        s = _schedule_of(fn)
        body = "\n".join(f"    vadd.{s.lanes} v{i}" for i in range(s.unroll))
        lines.append(f"{fn.sym_name.data}:\n  loop {_elements(fn)} step {s.lanes * s.unroll}\n{body}\n  ret")
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ToyAsm(XdslTarget):
    name = "toy-asm"

    def emit(self, ctx: Context, module: ModuleOp, output: IO[str]) -> None:
        output.write(emit_asm(module))


class ToyTarget(Target):
    name = "toy"
    summary = "test-only vector unit"

    def configs(self) -> Mapping[str, TargetConfig]:
        return CONFIGS

    def add_arguments(self, group: argparse._ArgumentGroup) -> None:  # pyright: ignore[reportPrivateUsage]
        group.add_argument("--toy-issue-cycles", type=int, default=None, help="toy: loop overhead per trip")

    def options_from_args(self, ns: argparse.Namespace) -> dict[str, Any]:
        return {"issue_cycles": ns.toy_issue_cycles}

    def config_for(self, name: str = "default", options: Mapping[str, Any] | None = None) -> ToyConfig:
        cfg = super().config_for(name, options)
        assert isinstance(cfg, ToyConfig)
        n = (options or {}).get("issue_cycles")
        return cfg if n is None else replace(cfg, issue_cycles=n)

    def lower(self, module: ModuleOp, config: TargetConfig, options: Mapping[str, Any],
              schedules: Mapping[str, Any] | None = None, originals: Mapping[str, func.FuncOp] | None = None
              ) -> Lowered:
        out = module.clone()
        kernels = []
        for fn in (op for op in out.ops if isinstance(op, func.FuncOp) and op.body.blocks):
            _elementwise(fn)
            s = (schedules or {}).get(fn.sym_name.data, VecSchedule())
            fn.attributes["toy.lanes"] = IntegerAttr(s.lanes, i64)
            fn.attributes["toy.unroll"] = IntegerAttr(s.unroll, i64)
            kernels.append({"func": fn.sym_name.data, "kind": "vector", "schedule": asdict(s)})
        return Lowered(out, kernels)

    def kernel_space(self, fn: func.FuncOp, config: TargetConfig, options: Mapping[str, Any]) -> ToySpace:
        assert isinstance(config, ToyConfig)
        _elementwise(fn)
        return ToySpace(ModuleOp([fn.clone()]), fn.sym_name.data, config, _elements(fn))

    def evaluator(self, config: TargetConfig) -> ToyEvaluator:
        assert isinstance(config, ToyConfig)
        return ToyEvaluator(config)

    def emit(self, module: ModuleOp, config: TargetConfig) -> dict[str, str]:
        return {"kernels.s": emit_asm(module)}

    def emitters(self) -> dict[str, Callable[[], type[XdslTarget]]]:
        return {"toy-asm": lambda: ToyAsm}
