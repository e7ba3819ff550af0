"""Safe extraction of one whitelisted Python expression from an LLM reply.

The reply's code is parsed with `ast.parse` and inspected; it is never compiled, evaluated, executed,
imported or given to a shell. What is accepted is decided by an ExpressionPolicy:

    policy = ExpressionPolicy.of(
        calls={"matmul", "np.sum", "np.where"},   # call targets: bare or dotted names
        attrs={"T", "reshape", "astype"},         # attributes/methods allowed on any allowed value
        names={"A", "B", "np.float32"},           # free names (inputs), bare or dotted
        keywords={"axis"},                        # keyword argument names
    )
    expr = extract_expression(reply_text, policy)   # -> ast.expr, or raises RejectedCode(reason)

`extract_program(reply_text, policy) -> ast.Module` accepts straight-line programs instead
(temporaries, writes into views of inputs, a final return); see `validate_program`.

Accepted code forms for an expression (after taking the code out of the reply, see `extract_code`):
- one expression statement:            `matmul(A, B).T`
- one return statement:                `return matmul(A, B)`
- one function returning one expression: `def spec(A, B):  ["docstring"]  return matmul(A, B)`
  (positional parameters only, each one of `policy.names`; annotations are ignored, never evaluated).

Inside the expression: names, constants (int, float, bool, None, `...`; strings only with
`allow_strings`), arithmetic/bitwise/comparison/boolean operators, `a if c else b`, subscripts and
slices, tuple and list displays, calls whose target is in `calls` or is a method in `attrs`, keyword
arguments in `keywords`. Everything else is rejected with a reason meant to be sent back to the model:
imports, any statement but the forms above, loops, comprehensions, lambdas, walrus, f-strings, dicts,
sets, starred arguments, dunder names anywhere, unknown names, attributes and call targets.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections.abc import Iterable
from dataclasses import dataclass

from liftcomp.llm.errors import RejectedCode

DEFAULT_OPERATORS: frozenset[type[ast.AST]] = frozenset(
    {
        ast.Add, ast.Sub, ast.Mult, ast.Div, ast.FloorDiv, ast.Mod, ast.Pow, ast.MatMult,
        ast.BitAnd, ast.BitOr, ast.BitXor, ast.LShift, ast.RShift,
        ast.UAdd, ast.USub, ast.Invert, ast.Not,
        ast.Eq, ast.NotEq, ast.Lt, ast.LtE, ast.Gt, ast.GtE,
        ast.And, ast.Or,
    }
)  # fmt: skip


@dataclass(frozen=True)
class ExpressionPolicy:
    """What an extracted expression may contain. See the module docstring."""

    calls: frozenset[str] = frozenset()
    attrs: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    keywords: frozenset[str] = frozenset()
    operators: frozenset[type[ast.AST]] = DEFAULT_OPERATORS
    allow_strings: bool = False
    allow_function: bool = True
    max_chars: int = 20_000  # of the reply and of its code
    max_nodes: int = 2_000
    max_statements: int = 32  # programs only
    max_depth: int = 64  # keeps recursive consumers of the AST (and this checker) safe

    @staticmethod
    def of(
        *,
        calls: Iterable[str] = (),
        attrs: Iterable[str] = (),
        names: Iterable[str] = (),
        keywords: Iterable[str] = (),
        allow_strings: bool = False,
        allow_function: bool = True,
    ) -> ExpressionPolicy:
        return ExpressionPolicy(
            calls=frozenset(calls),
            attrs=frozenset(attrs),
            names=frozenset(names),
            keywords=frozenset(keywords),
            allow_strings=allow_strings,
            allow_function=allow_function,
        )


_FENCE = re.compile(
    r"^[ \t]*(?P<fence>```|~~~)[ \t]*(?P<lang>[\w+.-]*)[^\n]*\n(?P<body>.*?)(?:^[ \t]*(?P=fence)[ \t]*$|\Z)",
    re.MULTILINE | re.DOTALL,
)
_PYTHON_LANGS = {"python", "py", "python3", "numpy"}


def extract_code(reply_text: str) -> str:
    """The code of a reply: its last ```python (or untagged) fenced block, else the whole text.

    An unterminated fence (a truncated reply) runs to the end of the text. Blocks tagged with another
    language are ignored; a reply with only such blocks is rejected.
    """
    blocks = [(m.group("lang").lower(), m.group("body")) for m in _FENCE.finditer(reply_text)]
    if not blocks:
        return reply_text.strip()
    python = [body for lang, body in blocks if lang in _PYTHON_LANGS]
    untagged = [body for lang, body in blocks if lang == ""]
    chosen = python or untagged
    if not chosen:
        langs = ", ".join(sorted({lang for lang, _ in blocks}))
        raise RejectedCode(f"no Python code block in the reply (found only: {langs})")
    return textwrap.dedent(chosen[-1]).strip()


def extract_expression(reply_text: str, policy: ExpressionPolicy) -> ast.expr:
    """The single whitelisted expression in an LLM reply; raises RejectedCode(reason) otherwise."""
    if len(reply_text) > policy.max_chars:
        raise RejectedCode(
            f"reply too long ({len(reply_text)} characters, at most {policy.max_chars})"
        )
    return validate_expression(extract_code(reply_text), policy)


def validate_expression(code: str, policy: ExpressionPolicy) -> ast.expr:
    """Parse `code` (no fences) and return its expression if the policy allows it."""
    expr = _single_expression(_parse(code, policy), policy)
    _Checker(policy).check(expr)
    return expr


def _parse(code: str, policy: ExpressionPolicy) -> ast.Module:
    if not code:
        raise RejectedCode("the reply contains no code")
    if len(code) > policy.max_chars:
        raise RejectedCode(f"code too long ({len(code)} characters, at most {policy.max_chars})")
    try:
        module = ast.parse(code, mode="exec")
    except SyntaxError as e:
        raise RejectedCode(f"not valid Python: {e.msg} (line {e.lineno})") from None
    except ValueError as e:  # null bytes
        raise RejectedCode(f"not valid Python: {e}") from None
    except (RecursionError, MemoryError):
        raise RejectedCode("expression too large or nested too deeply to parse") from None
    _check_size_and_dunders(module, policy)
    return module


def _check_size_and_dunders(tree: ast.AST, policy: ExpressionPolicy) -> None:
    # Iterative, so a pathological tree cannot overflow the stack before it is rejected.
    # Dunders are reported first, wherever they are: the clearest reason for the worst code.
    count = 0
    stack: list[tuple[ast.AST, int]] = [(tree, 0)]
    while stack:
        node, depth = stack.pop()
        count += 1
        if count > policy.max_nodes:
            raise RejectedCode(f"expression too large (more than {policy.max_nodes} AST nodes)")
        if depth > policy.max_depth:
            raise RejectedCode(
                f"expression nested too deeply (more than {policy.max_depth} levels)"
            )
        name = None
        if isinstance(node, ast.Name):
            name = node.id
        elif isinstance(node, ast.Attribute):
            name = node.attr
        elif isinstance(node, ast.keyword | ast.arg):
            name = node.arg
        if name is not None and _is_dunder(name):
            raise RejectedCode(f"dunder name '{name}' is not allowed")
        stack.extend((child, depth + 1) for child in ast.iter_child_nodes(node))


_STATEMENT_REASONS: dict[type[ast.AST], str] = {
    ast.Import: "imports are not allowed",
    ast.ImportFrom: "imports are not allowed",
    ast.For: "loops are not allowed",
    ast.AsyncFor: "loops are not allowed",
    ast.While: "loops are not allowed",
    ast.Assign: "assignments are not allowed: write one expression",
    ast.AugAssign: "assignments are not allowed: write one expression",
    ast.AnnAssign: "assignments are not allowed: write one expression",
    ast.ClassDef: "class definitions are not allowed",
    ast.AsyncFunctionDef: "async functions are not allowed",
}


def _statement_reason(stmt: ast.stmt) -> str:
    return _STATEMENT_REASONS.get(
        type(stmt), f"'{type(stmt).__name__}' statements are not allowed: write one expression"
    )


def _statements(module: ast.Module, policy: ExpressionPolicy) -> tuple[list[ast.stmt], bool]:
    """The top-level statements, or the body of the single function (docstring dropped).

    The flag says whether they came from a function (whose value must be `return`ed).
    """
    body = list(module.body)
    for stmt in body:  # the most telling reason first (an import beside the answer, a loop)
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.For | ast.While | ast.AsyncFor):
            raise RejectedCode(_statement_reason(stmt))
    if len(body) == 1 and isinstance(body[0], ast.FunctionDef) and policy.allow_function:
        return _function_body(body[0], policy), True
    return body, False


def _function_body(fn: ast.FunctionDef, policy: ExpressionPolicy) -> list[ast.stmt]:
    if fn.decorator_list:
        raise RejectedCode("decorators are not allowed")
    if getattr(fn, "type_params", None):
        raise RejectedCode("type parameters are not allowed")
    args = fn.args
    if args.vararg or args.kwarg or args.kwonlyargs or args.defaults or args.kw_defaults:
        raise RejectedCode("the function may only have plain positional parameters")
    for arg in [*args.posonlyargs, *args.args]:
        if arg.arg not in policy.names:
            raise RejectedCode(
                f"parameter '{arg.arg}' is not one of the inputs ({_listing(policy.names)})"
            )
    body = list(fn.body)
    if (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        body = body[1:]  # docstring
    for stmt in body:
        if isinstance(stmt, ast.Import | ast.ImportFrom | ast.For | ast.While | ast.AsyncFor):
            raise RejectedCode(f"in the function body: {_statement_reason(stmt)}")
    return body


def _single_expression(module: ast.Module, policy: ExpressionPolicy) -> ast.expr:
    body, in_function = _statements(module, policy)
    if len(body) != 1:
        where = "the function body" if in_function else "the code"
        raise RejectedCode(f"expected exactly one expression, {where} has {len(body)} statements")
    stmt = body[0]
    if isinstance(stmt, ast.Return) and stmt.value is not None:
        return stmt.value
    if isinstance(stmt, ast.Expr) and not in_function:
        return stmt.value
    if in_function:
        raise RejectedCode("the function body must be a single 'return <expression>'")
    raise RejectedCode(_statement_reason(stmt))


def extract_program(reply_text: str, policy: ExpressionPolicy) -> ast.Module:
    """The whitelisted straight-line program in an LLM reply; raises RejectedCode(reason).

    See `validate_program`.
    """
    if len(reply_text) > policy.max_chars:
        raise RejectedCode(
            f"reply too long ({len(reply_text)} characters, at most {policy.max_chars})"
        )
    return validate_program(extract_code(reply_text), policy)


def validate_program(code: str, policy: ExpressionPolicy) -> ast.Module:
    """Parse `code` as a straight-line program and return it if the policy allows it.

    Statements, in order (top level, or the body of one function as in `validate_expression`):
    - `t = expr`: a temporary, usable by later statements; inputs (`policy.names`) cannot be rebound;
    - `buf[view] = expr` (or `buf.reshape(...)[...] = expr`, ...): the target is checked like an
      expression and must be rooted at an input name;
    - `return expr` or `return e1, e2`: last statement only.
    Every expression is checked as in `validate_expression`. The result is a new Module holding just
    these statements (function and docstring unwrapped): `ast.unparse` of it is canonical text for a
    text-based parser such as TensorSpec's.
    """
    module = _parse(code, policy)
    body, _ = _statements(module, policy)
    if not body:
        raise RejectedCode("the code has no statements")
    if len(body) > policy.max_statements:
        raise RejectedCode(f"too many statements ({len(body)}, at most {policy.max_statements})")
    checker = _Checker(policy)
    for i, stmt in enumerate(body):
        if isinstance(stmt, ast.Return):
            if stmt.value is None:
                raise RejectedCode("'return' needs a value")
            if i != len(body) - 1:
                raise RejectedCode("statements after 'return' are not allowed")
            checker.check(stmt.value)
        elif isinstance(stmt, ast.Assign):
            if len(stmt.targets) != 1:
                raise RejectedCode("chained assignments (a = b = ...) are not allowed")
            checker.check(stmt.value)  # before binding: `t = t + 1` uses an unknown name
            checker.bind(stmt.targets[0])
        elif isinstance(stmt, ast.Expr):
            raise RejectedCode(
                "a bare expression has no effect: write 'return <expr>' or assign an output"
            )
        elif isinstance(stmt, ast.AugAssign):
            raise RejectedCode(
                "augmented assignments (+=, ...) are not allowed: write 'x = x + ...'"
            )
        else:
            raise RejectedCode(_statement_reason(stmt))
    return ast.Module(body=body, type_ignores=[])


def _is_dunder(name: str) -> bool:
    return name.startswith("__") and name.endswith("__")


def _dotted(node: ast.expr) -> str | None:
    """'np.linalg.norm' for a chain of attributes on a name, else None."""
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if not isinstance(node, ast.Name):
        return None
    parts.append(node.id)
    return ".".join(reversed(parts))


def _listing(names: Iterable[str]) -> str:
    listed = sorted(names)
    return ", ".join(listed) if listed else "none"


_EXPRESSION_REASONS: dict[type[ast.AST], str] = {
    ast.ListComp: "comprehensions are not allowed",
    ast.SetComp: "comprehensions are not allowed",
    ast.DictComp: "comprehensions are not allowed",
    ast.GeneratorExp: "comprehensions are not allowed",
    ast.Lambda: "lambdas are not allowed",
    ast.NamedExpr: "assignment expressions (:=) are not allowed",
    ast.JoinedStr: "f-strings are not allowed",
    ast.Dict: "dict displays are not allowed",
    ast.Set: "set displays are not allowed",
    ast.Starred: "starred expressions are not allowed",
    ast.Await: "await is not allowed",
    ast.Yield: "yield is not allowed",
    ast.YieldFrom: "yield is not allowed",
}


class _Checker:
    def __init__(self, policy: ExpressionPolicy):
        self.policy = policy
        self.temps: set[str] = set()  # names bound by earlier statements of a program

    def bind(self, target: ast.expr) -> None:
        """Check an assignment target and, for a temporary, make its name known."""
        if isinstance(target, ast.Name):
            if target.id in self.policy.names:
                raise RejectedCode(
                    f"cannot rebind input '{target.id}': write '{target.id}[...] = ...'"
                )
            self.temps.add(target.id)
            return
        root = target
        while isinstance(root, ast.Subscript | ast.Attribute | ast.Call):
            root = root.func if isinstance(root, ast.Call) else root.value
        if not isinstance(target, ast.Subscript | ast.Attribute) or not isinstance(root, ast.Name):
            raise RejectedCode(
                "assignment target must be a name or a view of an input (e.g. out[0:n])"
            )
        if root.id not in self.policy.names:
            raise RejectedCode(f"assignment target '{root.id}' is not an input buffer")
        self.check(target)

    def check(self, node: ast.expr) -> None:
        match node:
            case ast.Name(id=name):
                self._name(name)
            case ast.Constant(value=value):
                self._constant(value)
            case ast.Attribute():
                self._attribute(node)
            case ast.Call():
                self._call(node)
            case ast.BinOp(left=left, op=op, right=right):
                self._operator(op)
                self.check(left)
                self.check(right)
            case ast.UnaryOp(op=op, operand=operand):
                self._operator(op)
                self.check(operand)
            case ast.BoolOp(op=op, values=values):
                self._operator(op)
                for value in values:
                    self.check(value)
            case ast.Compare(left=left, ops=ops, comparators=comparators):
                for op in ops:
                    self._operator(op)
                self.check(left)
                for value in comparators:
                    self.check(value)
            case ast.IfExp(test=test, body=body, orelse=orelse):
                self.check(test)
                self.check(body)
                self.check(orelse)
            case ast.Subscript(value=value, slice=index):
                self.check(value)
                self.check(index)
            case ast.Slice(lower=lower, upper=upper, step=step):
                for part in (lower, upper, step):
                    if part is not None:
                        self.check(part)
            case ast.Tuple(elts=elts) | ast.List(elts=elts):
                for elt in elts:
                    self.check(elt)
            case _:
                reason = _EXPRESSION_REASONS.get(type(node))
                raise RejectedCode(reason or f"'{type(node).__name__}' is not allowed")

    def _name(self, name: str) -> None:
        if _is_dunder(name):
            raise RejectedCode(f"dunder name '{name}' is not allowed")
        if name not in self.policy.names and name not in self.temps:
            known = _listing(self.policy.names | self.temps)
            raise RejectedCode(f"unknown name '{name}' (allowed: {known})")

    def _constant(self, value: object) -> None:
        if value is None or value is Ellipsis or isinstance(value, bool | int | float):
            return
        if isinstance(value, str) and self.policy.allow_strings:
            return
        raise RejectedCode(f"constant {value!r} of type {type(value).__name__} is not allowed")

    def _operator(self, op: ast.AST) -> None:
        if type(op) not in self.policy.operators:
            raise RejectedCode(f"operator '{type(op).__name__}' is not allowed")

    def _attribute(self, node: ast.Attribute) -> None:
        if _is_dunder(node.attr):
            raise RejectedCode(f"dunder attribute '{node.attr}' is not allowed")
        dotted = _dotted(node)
        if dotted is not None and dotted in self.policy.names:
            return
        if node.attr not in self.policy.attrs:
            shown = dotted or f"<expr>.{node.attr}"
            raise RejectedCode(
                f"attribute '{shown}' is not allowed (allowed attributes: "
                f"{_listing(self.policy.attrs)})"
            )
        self.check(node.value)

    def _call(self, node: ast.Call) -> None:
        func = node.func
        dotted = _dotted(func)
        if dotted is not None and any(_is_dunder(part) for part in dotted.split(".")):
            raise RejectedCode(f"dunder name in call to '{dotted}' is not allowed")
        if dotted is not None and dotted in self.policy.calls:
            pass
        elif isinstance(func, ast.Attribute) and func.attr in self.policy.attrs:
            self.check(func.value)  # a method call on an allowed value, e.g. A.reshape(...)
        else:
            shown = dotted or ast.unparse(func)[:60]
            raise RejectedCode(
                f"call to unknown function '{shown}' (allowed: {_listing(self.policy.calls)})"
            )
        for arg in node.args:
            self.check(arg)
        for kw in node.keywords:
            if kw.arg is None:
                raise RejectedCode("'**' arguments are not allowed")
            if _is_dunder(kw.arg) or kw.arg not in self.policy.keywords:
                raise RejectedCode(
                    f"keyword argument '{kw.arg}' is not allowed "
                    f"(allowed: {_listing(self.policy.keywords)})"
                )
            self.check(kw.value)
