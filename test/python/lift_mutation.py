"""Mutants of TensorSpec programs, for the "zero wrong programs accepted" test.

Single-site mutations of a program, each tagged with a category:

  swap    operands of a binary operator, a comparison or a two-argument np function swapped,
          np.where's branches swapped
  slice   slice bounds moved by one (start+1, stop-1, the whole window shifted by +-1, every
          slice of a statement at once) or strided
  const   a numeric literal changed (+1, -1, x2)
  sign    signedness swapped: an integer dtype (np.uint8 <-> np.int8, ...) in a cast, or an
          integer argument read reinterpreted with the other signedness
  drop    a term dropped: a binary operation replaced by one operand, np.where by a branch,
          a function call or a cast by its argument
  cmp     a comparison weakened/strengthened (< <-> <=) or reversed (< <-> >)
  func    a reduction or function swapped (sum -> max, maximum -> minimum, exp -> log, ...)
  read    an argument read (or a typed literal such as np.int32(7)) negated, plus one, minus
          one, doubled, halved, squared, zeroed, made absolute or clamped at 0
  rename  an argument replaced by another one

Float categories (programs with a float argument; wrong under the default IEEE model, right in
real numbers, so each must be rejected with a counterexample found on special values):

  nan     a NaN-sensitive rewrite: np.maximum <-> np.fmax, np.minimum <-> np.fmin, a compare
          replaced by the negation of its complement (x > y -> ~(x <= y): NaN goes the other way),
          seq_max(x) -> np.max(x) (the loop's select vs maximumf)
  algebra a product distributed over a sum (a * (b + c) -> a * b + a * c)
  reassoc a sum reassociated ((a + b) + c -> a + (b + c))
  f64     a float32 reduction accumulated in float64 (dtype=np.float32 -> np.float64), a matmul
          of float64 operands
  zero    a float zero constant given the other sign (0.0 <-> -0.0)

Float widths are not swapped elsewhere (np.float32 <-> np.float64 casts): f64 above covers it.

`mutants` gives them in a deterministic order that represents every category first and spreads
each category's sites over the whole program (first, last, middle, quarters, ...) instead of
taking the first sites in tree order; `mutant_streams` gives each category's on its own.
"""

from __future__ import annotations

import ast
import copy
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from liftcomp.lift import tensorspec as TS

CATEGORIES = ("swap", "slice", "const", "sign", "drop", "cmp", "func", "read", "rename", "nan", "algebra", "reassoc", "f64", "zero")
FLOAT_CATEGORIES = ("nan", "algebra", "reassoc", "f64", "zero")
NAN_SWAPS = {"maximum": "fmax", "fmax": "maximum", "minimum": "fmin", "fmin": "minimum"}
_COMPLEMENT: dict[type[ast.cmpop], Callable[[], ast.cmpop]] = {ast.Gt: ast.LtE, ast.GtE: ast.Lt, ast.Lt: ast.GtE, ast.LtE: ast.Gt}

SIGN_FLIP = {"uint8": "int8", "int8": "uint8", "uint16": "int16", "int16": "uint16", "uint32": "int32", "int32": "uint32",
             "uint64": "int64", "int64": "uint64"}
FUNC_SWAPS = {"sum": "max", "max": "min", "min": "max", "prod": "sum", "maximum": "minimum", "minimum": "maximum",
              "dot": "multiply", "exp": "log", "sqrt": "exp", "rint": "floor", "abs": "negative"}
CMP_FLIPS: dict[type[ast.cmpop], list[Callable[[], ast.cmpop]]] = {
    ast.Lt: [ast.LtE, ast.Gt], ast.LtE: [ast.Lt, ast.GtE], ast.Gt: [ast.GtE, ast.Lt], ast.GtE: [ast.Gt, ast.LtE],
    ast.Eq: [ast.NotEq], ast.NotEq: [ast.Eq],
}
# np functions of one array argument whose call can be dropped (replaced by the argument).
_DROPPABLE_UNARY = {"exp", "log", "sqrt", "tanh", "abs", "absolute", "negative", "rint", "floor", "ceil"}
_BINARY_FUNCS = {"maximum", "minimum", "add", "subtract", "multiply", "divide", "fmod", "power", "dot", "matmul", "outer"}
_TYPED_LITERALS = {"int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64", "float16", "float32", "float64", "bool_"}
_NP_DTYPES = {"int8": "i8", "int16": "i16", "int32": "i32", "int64": "i64", "uint8": "u8", "uint16": "u16", "uint32": "u32", "uint64": "u64"}


@dataclass(frozen=True)
class Mutant:
    category: str
    kind: str  # what was done, e.g. "swap BinOp", "stop-1", "sign-read a"
    offset: int  # where in the program text the mutated node starts (for spreading)
    text: str

    def __str__(self) -> str:
        return f"[{self.category}: {self.kind} @{self.offset}] {self.text}"


@dataclass(frozen=True)
class _Site:
    category: str
    kind: str
    offset: int
    index: int  # of the node in ast.walk order
    edit: Edit


def mutants(text: str, decls: list[TS.ArgDecl]) -> Iterator[Mutant]:
    """Distinct single-site mutants of `text`, made lazily, round-robin over the categories (so
    every category comes early), each category's in `spread` order of their position in the
    program (so the first few are not all at its start)."""
    streams = list(mutant_streams(text, decls).values())
    while streams:
        for s in list(streams):
            mu = next(s, None)
            if mu is None:
                streams.remove(s)
            else:
                yield mu


def mutant_streams(text: str, decls: list[TS.ArgDecl]) -> dict[str, Iterator[Mutant]]:
    """Per category (in CATEGORIES order, those with a site), its distinct mutants, made lazily
    in `spread` order of their position in the program. A mutant already made by another stream
    is not made again."""
    tree = ast.parse(text)
    seen = {ast.unparse(tree)}
    sites = _sites(tree, text, decls)
    out: dict[str, Iterator[Mutant]] = {}
    for c in CATEGORIES:
        cs = sorted((s for s in sites if s.category == c), key=lambda s: (s.offset, s.index))
        if cs:
            out[c] = _made(tree, [cs[k] for k in spread(len(cs))], seen)
    return out


def _made(tree: ast.Module, sites: list[_Site], seen: set[str]) -> Iterator[Mutant]:
    for site in sites:
        t = copy.deepcopy(tree)
        if not site.edit(t, list(ast.walk(t))[site.index]):
            continue
        m = ast.unparse(t)
        if m in seen:
            continue
        seen.add(m)
        yield Mutant(site.category, site.kind, site.offset, m)


def _sites(tree: ast.Module, text: str, decls: list[TS.ArgDecl]) -> list[_Site]:
    line_starts = _line_starts(text)
    ix = _Index(tree, {d.name: d for d in decls})
    out: list[_Site] = []
    for i, node in enumerate(ast.walk(tree)):
        offset = line_starts[node.lineno - 1] + node.col_offset if isinstance(node, ast.expr | ast.stmt) else 0
        out += [_Site(category, kind, offset, i, edit) for category, kind, edit in _edits(ix, node)]
    return out


def spread(n: int) -> list[int]:
    """0..n-1 ordered so that every prefix is spread over the range: ends first, then midpoints
    of the largest remaining gaps."""
    if n <= 0:
        return []
    order = [0] if n == 1 else [0, n - 1]
    gaps = [(0, n - 1)]
    while gaps:
        nxt: list[tuple[int, int]] = []
        for lo, hi in gaps:
            if hi - lo < 2:
                continue
            mid = (lo + hi) // 2
            order.append(mid)
            nxt += [(lo, mid), (mid, hi)]
        gaps = nxt
    return order


# ---------------------------------------------------------------- edits per node

Edit = Callable[[ast.AST, ast.AST], bool]


def _edits(ix: _Index, node: ast.AST) -> Iterator[tuple[str, str, Edit]]:
    """The (category, kind, edit) applicable at `node`; an edit gets the copied tree and the copy
    of `node` and returns False when it does not apply after all."""
    in_index = ix.in_index_position(node)
    if isinstance(node, ast.BinOp) and not in_index:
        yield "swap", "swap BinOp", _swap_binop
        yield "drop", "drop right operand", lambda t, n: _replace_in_parent(t, n, n.left)  # type: ignore[attr-defined]
        yield "drop", "drop left operand", lambda t, n: _replace_in_parent(t, n, n.right)  # type: ignore[attr-defined]
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        yield "swap", "swap Compare", _swap_compare
        for make in CMP_FLIPS.get(type(node.ops[0]), []):
            yield "cmp", f"{type(node.ops[0]).__name__}->{make.__name__}", _set_cmp(make)
    if isinstance(node, ast.Call) and _np_func(node) is not None:
        name = _np_func(node)
        if name == "where" and len(node.args) == 3:
            yield "swap", "swap where branches", _swap_args(1, 2)
            yield "drop", "where -> true branch", lambda t, n: _replace_in_parent(t, n, n.args[1])  # type: ignore[attr-defined]
            yield "drop", "where -> false branch", lambda t, n: _replace_in_parent(t, n, n.args[2])  # type: ignore[attr-defined]
        if name in _BINARY_FUNCS and len(node.args) == 2:
            yield "swap", f"swap np.{name} arguments", _swap_args(0, 1)
            yield "drop", f"np.{name} -> first argument", lambda t, n: _replace_in_parent(t, n, n.args[0])  # type: ignore[attr-defined]
            yield "drop", f"np.{name} -> second argument", lambda t, n: _replace_in_parent(t, n, n.args[1])  # type: ignore[attr-defined]
        if name in _DROPPABLE_UNARY and len(node.args) == 1:
            yield "drop", f"drop np.{name}", lambda t, n: _replace_in_parent(t, n, n.args[0])  # type: ignore[attr-defined]
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "astype" and not in_index:
        yield "drop", "drop astype", lambda t, n: _replace_in_parent(t, n, n.func.value)  # type: ignore[attr-defined]
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and not in_index:
        yield "drop", "drop negation", lambda t, n: _replace_in_parent(t, n, n.operand)  # type: ignore[attr-defined]
    if isinstance(node, ast.Assign):
        # Off by one on both sides at once (dst[1:n] = src[1:n]): the shapes still agree.
        yield "slice", "every slice of the statement start+1", _every_slice(_slice_edit(start=1, stop=0))
        yield "slice", "every slice of the statement stop-1", _every_slice(_slice_edit(start=0, stop=-1))
    if isinstance(node, ast.Slice):
        yield "slice", "start+1", _slice_edit(start=1, stop=0)
        yield "slice", "stop-1", _slice_edit(start=0, stop=-1)
        yield "slice", "shift+1", _slice_edit(start=1, stop=1)
        yield "slice", "shift-1", _slice_edit(start=-1, stop=-1)
        yield "slice", "step 2", _slice_step2
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float) and not isinstance(node.value, bool):
        v = node.value
        for kind, nv in (("+1", v + 1), ("-1", v - 1), ("x2", v * 2)):
            yield "const", f"const {v}{kind}", _set_const(nv)
    if isinstance(node, ast.Attribute) and _is_np(node.value):
        if node.attr in SIGN_FLIP:
            yield "sign", f"np.{node.attr}->np.{SIGN_FLIP[node.attr]}", _set_attr(SIGN_FLIP[node.attr])
        if node.attr in FUNC_SWAPS:
            yield "func", f"np.{node.attr}->np.{FUNC_SWAPS[node.attr]}", _set_attr(FUNC_SWAPS[node.attr])
    if isinstance(node, ast.Attribute) and node.attr in FUNC_SWAPS and not _is_np(node.value):
        yield "func", f".{node.attr}()->.{FUNC_SWAPS[node.attr]}()", _set_attr(FUNC_SWAPS[node.attr])
    if ix.has_floats and not in_index:
        yield from _float_edits(ix, node)
    arg = ix.argument_read(node)
    if arg is not None or (_is_typed_literal(node) and not in_index):
        what = arg.name if arg is not None else ast.unparse(node)
        for kind, wrap in _READ_WRAPS:
            yield "read", f"{kind} {what}", _wrap(wrap)
    if arg is not None:
        flipped = _flipped_np_dtype(arg.dtype)
        if flipped is not None:
            yield "sign", f"read {arg.name} as {flipped}", _wrap(lambda x, f=flipped: _astype(x, f))
    if isinstance(node, ast.Name) and node.id in ix.decls and not ix.is_assign_root(node):
        for other in sorted(ix.decls):
            if other != node.id:
                yield "rename", f"{node.id}->{other}", _rename(other)


def _float_edits(ix: _Index, node: ast.AST) -> Iterator[tuple[str, str, Edit]]:
    if isinstance(node, ast.Attribute) and _is_np(node.value) and node.attr in NAN_SWAPS:
        yield "nan", f"np.{node.attr}->np.{NAN_SWAPS[node.attr]}", _set_attr(NAN_SWAPS[node.attr])
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _COMPLEMENT:
        neg = _COMPLEMENT[type(node.ops[0])]
        yield "nan", f"{type(node.ops[0]).__name__}->~{neg.__name__}", _wrap(lambda x, neg=neg: _complement(x, neg))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in ("seq_max", "seq_min"):
        yield "nan", f"{node.func.id}->np.{node.func.id[4:]}", lambda t, n: _set_func(n, _np_attr(node.func.id[4:]))  # type: ignore[attr-defined]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Mult):
        for side in ("left", "right"):
            inner = getattr(node, side)
            if isinstance(inner, ast.BinOp) and isinstance(inner.op, ast.Add | ast.Sub):
                yield "algebra", f"distribute * over the {side} sum", _distribute(side)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add) and isinstance(node.left, ast.BinOp) and isinstance(node.left.op, ast.Add):
        yield "reassoc", "(a + b) + c -> a + (b + c)", _reassociate
    if isinstance(node, ast.keyword) and node.arg == "dtype" and isinstance(node.value, ast.Attribute) and node.value.attr == "float32":
        yield "f64", "accumulate in float64", lambda t, n: _set_attr("float64")(t, n.value)  # type: ignore[attr-defined]
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.MatMult) and not _int_cast(node.left):
        yield "f64", "matmul in float64", lambda t, n: _replace_in_parent(t, n.left, _astype(n.left, "float64"))  # type: ignore[attr-defined]
    if isinstance(node, ast.Constant) and isinstance(node.value, float) and node.value == 0.0:
        negated = isinstance(ix.parent(node), ast.UnaryOp) and isinstance(ix.parent(node).op, ast.USub)  # type: ignore[union-attr]
        if negated:
            yield "zero", "-0.0 -> 0.0", lambda t, n: _replace_in_parent(t, _parent_in(t, n), n)
        else:
            yield "zero", "0.0 -> -0.0", _wrap(lambda x: ast.UnaryOp(ast.USub(), x))


def _int_cast(e: ast.expr) -> bool:
    """x.astype(np.int32) and the like: an integer matmul (exact in float64 too, not a float mutant)."""
    return isinstance(e, ast.Call) and _method(e) == "astype" and bool(e.args) and isinstance(e.args[0], ast.Attribute) \
        and e.args[0].attr.startswith(("int", "uint"))


def _complement(x: ast.expr, neg: Callable[[], ast.cmpop]) -> ast.expr:
    assert isinstance(x, ast.Compare)
    return ast.UnaryOp(ast.Invert(), ast.Compare(x.left, [neg()], x.comparators))


def _np_attr(name: str) -> ast.expr:
    return ast.Attribute(ast.Name("np", ast.Load()), name, ast.Load())


def _set_func(n: ast.Call, f: ast.expr) -> bool:
    n.func = f
    return True


def _distribute(side: str) -> Edit:
    def edit(t: ast.AST, n: ast.AST) -> bool:
        assert isinstance(n, ast.BinOp)
        inner = getattr(n, side)
        other = n.right if side == "left" else n.left
        assert isinstance(inner, ast.BinOp)
        a = ast.BinOp(inner.left, ast.Mult(), copy.deepcopy(other))
        b = ast.BinOp(inner.right, ast.Mult(), copy.deepcopy(other))
        return _replace_in_parent(t, n, ast.BinOp(a, copy.deepcopy(inner.op), b))

    return edit


def _reassociate(t: ast.AST, n: ast.AST) -> bool:
    assert isinstance(n, ast.BinOp) and isinstance(n.left, ast.BinOp)
    a, b, c = n.left.left, n.left.right, n.right
    return _replace_in_parent(t, n, ast.BinOp(a, ast.Add(), ast.BinOp(b, ast.Add(), c)))


def _parent_in(t: ast.AST, n: ast.AST) -> ast.AST:
    for p in ast.walk(t):
        if any(c is n for c in ast.iter_child_nodes(p)):
            return p
    raise ValueError("no parent")


# ---------------------------------------------------------------- edit builders

_READ_WRAPS: list[tuple[str, Callable[[ast.expr], ast.expr]]] = [
    ("neg", lambda x: ast.UnaryOp(ast.USub(), x)),
    ("plus1", lambda x: ast.BinOp(x, ast.Add(), ast.Constant(1))),
    ("minus1", lambda x: ast.BinOp(x, ast.Sub(), ast.Constant(1))),
    ("times2", lambda x: ast.BinOp(x, ast.Mult(), ast.Constant(2))),
    ("abs", lambda x: _np_call("abs", x)),
    ("square", lambda x: ast.BinOp(x, ast.Mult(), copy.deepcopy(x))),
    ("half", lambda x: ast.BinOp(x, ast.Div(), ast.Constant(2))),
    ("zero", lambda x: ast.BinOp(x, ast.Mult(), ast.Constant(0))),
    ("relu", lambda x: _np_call("maximum", x, ast.Constant(0))),
    ("min0", lambda x: _np_call("minimum", x, ast.Constant(0))),
]


def _swap_binop(_t: ast.AST, n: ast.AST) -> bool:
    assert isinstance(n, ast.BinOp)
    n.left, n.right = n.right, n.left
    return True


def _swap_compare(_t: ast.AST, n: ast.AST) -> bool:
    assert isinstance(n, ast.Compare)
    n.left, n.comparators = n.comparators[0], [n.left]
    return True


def _swap_args(i: int, j: int) -> Edit:
    def edit(_t: ast.AST, n: ast.AST) -> bool:
        assert isinstance(n, ast.Call)
        n.args[i], n.args[j] = n.args[j], n.args[i]
        return True

    return edit


def _set_cmp(make: Callable[[], ast.cmpop]) -> Edit:
    def edit(_t: ast.AST, n: ast.AST) -> bool:
        assert isinstance(n, ast.Compare)
        n.ops = [make()]
        return True

    return edit


def _slice_edit(start: int, stop: int) -> Edit:
    def edit(_t: ast.AST, n: ast.AST) -> bool:
        assert isinstance(n, ast.Slice)
        if start:
            n.lower = _plus(n.lower or ast.Constant(0), start)
        if stop:
            if n.upper is None:
                return False
            n.upper = _plus(n.upper, stop)
        return True

    return edit


def _every_slice(edit: Edit) -> Edit:
    def every(t: ast.AST, n: ast.AST) -> bool:
        slices = [s for s in ast.walk(n) if isinstance(s, ast.Slice)]
        return bool(slices) and all(edit(t, s) for s in slices)

    return every


def _slice_step2(_t: ast.AST, n: ast.AST) -> bool:
    assert isinstance(n, ast.Slice)
    if n.step is not None:
        return False
    n.step = ast.Constant(2)
    return True


def _plus(e: ast.expr, k: int) -> ast.expr:
    """e + k, folded when e is a literal (so `0 + 1` reads as `1` and `0 - 1` as `-1`)."""
    if isinstance(e, ast.Constant) and isinstance(e.value, int):
        return ast.Constant(e.value + k)
    return ast.BinOp(e, ast.Add() if k > 0 else ast.Sub(), ast.Constant(abs(k)))


def _set_const(v: int | float) -> Edit:
    def edit(_t: ast.AST, n: ast.AST) -> bool:
        assert isinstance(n, ast.Constant)
        n.value = v
        return True

    return edit


def _set_attr(attr: str) -> Edit:
    def edit(_t: ast.AST, n: ast.AST) -> bool:
        assert isinstance(n, ast.Attribute)
        n.attr = attr
        return True

    return edit


def _wrap(f: Callable[[ast.expr], ast.expr]) -> Edit:
    def edit(t: ast.AST, n: ast.AST) -> bool:
        assert isinstance(n, ast.expr)
        return _replace_in_parent(t, n, f(n))

    return edit


def _rename(new: str) -> Edit:
    def edit(_t: ast.AST, n: ast.AST) -> bool:
        assert isinstance(n, ast.Name)
        n.id = new
        return True

    return edit


def _np_call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(ast.Attribute(ast.Name("np", ast.Load()), name, ast.Load()), list(args), [])


def _astype(x: ast.expr, np_name: str) -> ast.expr:
    return ast.Call(ast.Attribute(x, "astype", ast.Load()), [ast.Attribute(ast.Name("np", ast.Load()), np_name, ast.Load())], [])


# ---------------------------------------------------------------- tree queries


def _line_starts(text: str) -> list[int]:
    starts = [0]
    for line in text.splitlines(keepends=True):
        starts.append(starts[-1] + len(line))
    return starts


def _replace_in_parent(tree: ast.AST, old: ast.AST, new: ast.AST) -> bool:
    for parent in ast.walk(tree):
        for f, v in ast.iter_fields(parent):
            if v is old:
                setattr(parent, f, new)
                return True
            if isinstance(v, list):
                for k, c in enumerate(v):
                    if c is old:
                        v[k] = new
                        return True
    return False


def _is_np(e: ast.AST) -> bool:
    return isinstance(e, ast.Name) and e.id == "np"


def _np_func(call: ast.Call) -> str | None:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) and _is_np(f.value) else None


class _Index:
    """The original program's tree with its parent links, for the questions sites ask."""

    def __init__(self, tree: ast.Module, decls: dict[str, TS.ArgDecl]):
        self.tree = tree
        self.decls = decls
        self.has_floats = any(d.dtype.is_float for d in decls.values())
        self.parents = {id(c): n for n in ast.walk(tree) for c in ast.iter_child_nodes(n)}
        self.targets: set[int] = set()  # nodes inside assignment targets
        self.target_roots: set[int] = set()
        for st in tree.body:
            if isinstance(st, ast.Assign):
                self.targets |= {id(n) for n in ast.walk(st.targets[0])}
                root = st.targets[0]
                while isinstance(root, ast.Subscript | ast.Attribute | ast.Call):
                    root = root.value if isinstance(root, ast.Subscript | ast.Attribute) else root.func
                self.target_roots.add(id(root))

    def parent(self, node: ast.AST) -> ast.AST | None:
        return self.parents.get(id(node))

    def in_index_position(self, node: ast.AST) -> bool:
        """Whether `node` is part of an index expression (a slice bound, x.shape[k], a reshape
        or transpose argument, a keyword such as axis=): there it is a size, not data."""
        child, parent = node, self.parent(node)
        while parent is not None:
            if isinstance(parent, ast.Subscript) and parent.slice is child:
                return True
            if isinstance(parent, ast.Slice | ast.keyword):
                return True
            if isinstance(parent, ast.Call) and any(a is child and _index_argument(parent, k) for k, a in enumerate(parent.args)):
                return True
            child, parent = parent, self.parent(parent)
        return False

    def is_assign_root(self, node: ast.AST) -> bool:
        """Whether the name is the buffer an assignment writes (the `rename` category mutates
        reads; a different target is a different write, caught structurally)."""
        return id(node) in self.target_roots

    def argument_read(self, node: ast.AST) -> TS.ArgDecl | None:
        """The argument when `node` reads one as data: `a[...]` (the innermost subscript of a
        non-size argument) or a scalar argument `s`; None for sizes, targets and index positions."""
        if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
            name = node.value.id
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
            parent = self.parent(node)
            if isinstance(parent, ast.Subscript | ast.Attribute) and parent.value is node:
                return None  # the read is the subscript (or x.shape[k], an index)
            name = node.id
        else:
            return None
        d = self.decls.get(name)
        if d is None or d.is_size or id(node) in self.targets or self.in_index_position(node):
            return None
        return d


def _index_argument(call: ast.Call, k: int) -> bool:
    """Whether the k-th positional argument of the call is a size, axis or dtype, not data."""
    if _method(call) in ("reshape", "transpose", "astype"):
        return True
    if _method(call) == "sliding_window_view" or _np_func(call) == "transpose":
        return k > 0
    return _np_func(call) in ("full", "zeros", "ones") and k == 0


def _method(call: ast.Call) -> str | None:
    """The name of a method call x.f(...) that is not an np function."""
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) and not _is_np(f.value) else None


def _is_typed_literal(node: ast.AST) -> bool:
    """np.int32(7), np.float32(0.25): a literal operand, perturbed like an argument read."""
    return isinstance(node, ast.Call) and _np_func(node) in _TYPED_LITERALS and len(node.args) == 1 \
        and isinstance(node.args[0], ast.Constant | ast.UnaryOp)


def _flipped_np_dtype(dt: TS.DType) -> str | None:
    names = {v: k for k, v in _NP_DTYPES.items()}
    np_name = names.get(dt.name)
    return SIGN_FLIP[np_name] if np_name is not None else None
