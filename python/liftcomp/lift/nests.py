"""Maximal loop nests of a function, each outlined into a function of its own to be lifted alone.

A function body is a sequence of top-level ops: maximal loop nests (top-level `scf.for` /
`affine.for`) and the straight-line code between them. `outline` turns one nest into a function
whose meaning is exactly the nest's meaning at its position:

- a buffer the nest accesses becomes a memref argument: whatever earlier code stored there is an
  input, read at the nest's position. Only function arguments and local allocations qualify; a
  view or cast defined before the nest may alias another argument, so such a nest is refused;
- a value defined before the nest by a pure op (constants, arith/math, `affine.apply`,
  `memref.dim`) is recomputed inside (cloned), so bounds like `n - 1` stay polynomials of the
  function's arguments;
- any other scalar (a load, the result of an earlier nest) is a symbolic argument ("derived"):
  the proof holds for every value of it. It must not become a size symbol (analysis assumes
  sizes are >= 0, and a computed index is a data-dependent bound): `derived` lists those
  arguments so that the caller can refuse such a nest;
- results of the nest used later are the function's results; `inline` rewires their uses to
  the raised values.
"""

from __future__ import annotations

from dataclasses import dataclass

from xdsl.dialects import func
from xdsl.dialects.builtin import IndexType, IntegerType, MemRefType, ModuleOp
from xdsl.ir import Block, BlockArgument, Operation, OpResult, Region, SSAValue

from liftcomp.diagnostics import op_location
from liftcomp.lift.analysis import Refusal

_LOOPS = ("scf.for", "affine.for")
_PURE_OPS = ("affine.apply", "memref.dim")
_LOCAL_BUFFERS = ("memref.alloc", "memref.alloca")


def top_level_nests(fn: func.FuncOp) -> list[Operation]:
    """The function's maximal loop nests, in order."""
    if fn.is_declaration or len(fn.body.blocks) != 1:
        return []  # no body, or control flow between blocks (not split: nests may not run in order)
    return [op for op in fn.body.block.ops if op.name in _LOOPS]


def _is_pure(op: Operation) -> bool:
    return not op.regions and (op.name.startswith(("arith.", "math.")) or op.name in _PURE_OPS)


def splits_into_nests(fn: func.FuncOp) -> bool:
    """Whether lifting nest by nest can differ from lifting the whole function: more than one
    nest, or one nest next to straight-line code with effects (stores, loads, calls, regions)."""
    nests = top_level_nests(fn)
    if len(nests) > 1:
        return True
    if not nests:
        return False
    return any(op.name not in _LOOPS and op.name != "func.return" and not _is_pure(op) for op in fn.body.block.ops)


@dataclass
class Outlined:
    """One nest as a function of its own (in a module of its own, for the executor)."""

    index: int  # 1-based position among the function's nests
    nest: Operation  # the nest in the original function
    location: str
    module: ModuleOp
    fn: func.FuncOp
    arg_names: list[str]
    actuals: list[SSAValue]  # what each argument of fn stands for in the original function
    derived: list[int]  # positions of arguments computed before the nest (symbolic scalars)
    results: list[int]  # the nest's results fn returns (those used after the nest)


def outline(fn: func.FuncOp, nest: Operation, index: int, arg_names: list[str] | None = None) -> Outlined:
    """The nest as a function of the values it uses (module docstring), or Refusal."""
    top = fn.body.block
    if nest.parent is not top:
        raise Refusal("not a top-level loop nest", nest)
    fn_args = list(top.args)
    names = arg_names if arg_names is not None and len(arg_names) == len(fn_args) else [
        a.name_hint or f"arg{i}" for i, a in enumerate(fn_args)
    ]
    inside = set(nest.walk())
    external: list[SSAValue] = []
    for op in nest.walk():
        for v in op.operands:
            if _defined_outside(v, inside) and v not in external:
                external.append(v)
    leaves: list[BlockArgument] = []  # function arguments
    derived: list[SSAValue] = []
    clones: set[Operation] = set()

    def visit(v: SSAValue) -> None:
        if v in leaves or v in derived:
            return
        if isinstance(v, BlockArgument):
            if v.block is not top:
                raise Refusal("the nest uses a value of an enclosing region", nest)
            leaves.append(v)
            return
        owner = v.owner
        assert isinstance(owner, Operation)
        if owner in clones:
            return
        if _is_pure(owner):
            for o in owner.operands:
                visit(o)
            clones.add(owner)
            return
        what = f"'{owner.name}' before the nest"
        if isinstance(v.type, MemRefType):
            if owner.name not in _LOCAL_BUFFERS:
                raise Refusal(f"the nest accesses a buffer defined by {what} (a view or alias the analysis cannot see through)", owner)
            derived.append(v)
            return
        if isinstance(v.type, IndexType):
            raise Refusal(f"data-dependent index or bound: an index computed by {what}", owner)
        if not isinstance(v.type, IntegerType) and getattr(v.type, "name", "") not in ("f16", "f32", "f64"):
            raise Refusal(f"the nest uses a value of type {v.type} computed by {what}", owner)
        derived.append(v)

    for v in external:
        visit(v)
    leaves.sort(key=lambda a: a.index)
    actuals: list[SSAValue] = [*leaves, *derived]
    arg_list = [names[a.index] for a in leaves]
    nests = top_level_nests(fn)
    for k, v in enumerate(derived):
        arg_list.append(_derived_name(v, k, nests))
    block = Block(arg_types=[v.type for v in actuals])
    mapper: dict[SSAValue, SSAValue] = dict(zip(actuals, block.args, strict=True))
    for op in top.ops:
        if op is nest:
            break
        if op in clones:
            block.add_op(op.clone(value_mapper=mapper))
    copy = nest.clone(value_mapper=mapper)
    block.add_op(copy)
    used = [k for k, r in enumerate(nest.results) if r.uses]
    block.add_op(func.ReturnOp(*[copy.results[k] for k in used]))
    name = f"{fn.sym_name.data}_nest{index}"
    new_fn = func.FuncOp(name, ([v.type for v in actuals], [nest.results[k].type for k in used]), Region(block))
    return Outlined(
        index, nest, op_location(nest), ModuleOp([new_fn]), new_fn, arg_list, actuals,
        list(range(len(leaves), len(actuals))), used,
    )


def _derived_name(v: SSAValue, k: int, nests: list[Operation]) -> str:
    """A readable argument name: the value's own, or `nest<j>_r<i>` for result i of nest j."""
    if v.name_hint and v.name_hint.isidentifier():
        return v.name_hint
    owner = v.owner
    if isinstance(owner, Operation) and owner in nests and isinstance(v, OpResult):
        return f"nest{nests.index(owner) + 1}_r{v.index}"
    return f"buf{k}" if isinstance(v.type, MemRefType) else f"v{k}"


def _defined_outside(v: SSAValue, inside: set[Operation]) -> bool:
    if isinstance(v, BlockArgument):
        return v.block.parent_op() not in inside
    return v.owner not in inside


def inline(nest: Operation, emitted: func.FuncOp, actuals: list[SSAValue], results: list[int]) -> None:
    """Replace `nest` by the body of `emitted` (an outlined function after raising): its arguments
    become `actuals`, its returned values replace the nest's used results."""
    block = nest.parent
    assert block is not None
    body = emitted.body.block
    for arg, actual in zip(body.args, actuals, strict=True):
        arg.replace_all_uses_with(actual)
    ret = body.last_op
    assert isinstance(ret, func.ReturnOp)
    for op in list(body.ops):
        if op is ret:
            break
        body.detach_op(op)
        block.insert_op_before(op, nest)
    for k, v in zip(results, ret.operands, strict=True):
        nest.results[k].replace_all_uses_with(v)
    block.erase_op(nest)
