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
    if nest.parent is not fn.body.block:
        raise Refusal("not a top-level loop nest", nest)
    return _outline(fn, [nest], nest, index, arg_names, f"{fn.sym_name.data}_nest{index}", None)


def outline_body(fn: func.FuncOp, loop: Operation, index: int, arg_names: list[str] | None = None) -> Outlined:
    """The body of a top-level loop that stays a loop (a time loop, the rows of a triangular
    nest): a function of the loop's induction variable (an index argument, so the proof holds
    for every iteration) and of the values the body uses. `inline_body` puts the raised body
    back into the loop."""
    if loop.parent is not fn.body.block:
        raise Refusal("not a top-level loop nest", loop)
    body = loop.regions[0].block
    term = body.last_op
    if len(body.args) != 1 or loop.results or term is None or term.operands:
        raise Refusal("a loop that carries values (iter_args) is not kept around a raised body", loop)
    ops = [op for op in body.ops if op is not term]
    return _outline(fn, ops, loop, index, arg_names, f"{fn.sym_name.data}_body{index}", body.args[0])


def _outline(fn: func.FuncOp, ops: list[Operation], anchor: Operation, index: int, arg_names: list[str] | None, name: str,
             iv: BlockArgument | None) -> Outlined:
    """`ops` (the nest, or a loop body) as a function; `anchor` is the top-level op they are in
    or are; `iv` the induction variable of a kept loop (an argument of its own)."""
    top = fn.body.block
    fn_args = list(top.args)
    names = arg_names if arg_names is not None and len(arg_names) == len(fn_args) else [
        a.name_hint or f"arg{i}" for i, a in enumerate(fn_args)
    ]
    inside = {inner for op in ops for inner in op.walk()}
    external: list[SSAValue] = []
    for op in ops:
        for inner in op.walk():
            for v in inner.operands:
                if _defined_outside(v, inside) and v not in external:
                    external.append(v)
    leaves: list[BlockArgument] = []  # function arguments
    derived: list[SSAValue] = []
    clones: set[Operation] = set()
    nest = anchor

    def visit(v: SSAValue) -> None:
        if v in leaves or v in derived or v is iv:
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
        if not isinstance(v.type, IntegerType) and getattr(v.type, "name", "") not in ("f16", "bf16", "f32", "f64", "f8E4M3FN", "f8E5M2"):
            raise Refusal(f"the nest uses a value of type {v.type} computed by {what}", owner)
        derived.append(v)

    for v in external:
        visit(v)
    leaves.sort(key=lambda a: a.index)
    ivs: list[SSAValue] = [iv] if iv is not None else []
    actuals: list[SSAValue] = [*leaves, *ivs, *derived]
    arg_list = [names[a.index] for a in leaves]
    if iv is not None:
        arg_list.append(_fresh_name("t", arg_list))
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
    copies = [op.clone(value_mapper=mapper) for op in ops]
    for c in copies:
        block.add_op(c)
    used = [k for k, r in enumerate(nest.results) if r.uses] if iv is None else []
    block.add_op(func.ReturnOp(*[copies[0].results[k] for k in used]))
    new_fn = func.FuncOp(name, ([v.type for v in actuals], [nest.results[k].type for k in used]), Region(block))
    return Outlined(
        index, nest, op_location(nest), ModuleOp([new_fn]), new_fn, arg_list, actuals,
        list(range(len(leaves) + len(ivs), len(actuals))), used,
    )


def _fresh_name(base: str, taken: list[str]) -> str:
    name = base if base.isidentifier() else "t"
    k = 0
    while name in taken:
        k += 1
        name = f"{base}{k}"
    return name


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


def inline_body(loop: Operation, emitted: func.FuncOp, actuals: list[SSAValue]) -> None:
    """Replace the body of a kept loop (all but its terminator) by the body of `emitted` (its
    outlined body after raising); the arguments become `actuals` (the induction variable too)."""
    block = loop.regions[0].block
    term = block.last_op
    assert term is not None
    for op in reversed([op for op in block.ops if op is not term]):
        block.erase_op(op, safe_erase=False)  # uses of its results are in the ops erased with it
    body = emitted.body.block
    for arg, actual in zip(body.args, actuals, strict=True):
        arg.replace_all_uses_with(actual)
    ret = body.last_op
    assert isinstance(ret, func.ReturnOp)
    for op in list(body.ops):
        if op is ret:
            break
        body.detach_op(op)
        block.insert_op_before(op, term)
