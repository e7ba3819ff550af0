"""Safe extraction of one whitelisted expression from LLM replies."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from liftcomp.llm import (
    ExpressionPolicy,
    LLMClient,
    RejectedCode,
    extract_code,
    extract_expression,
    extract_program,
)
from liftcomp.llm.testing import LoopbackLLMServer, Reply

POLICY = ExpressionPolicy.of(
    calls={"matmul", "add", "np.sum", "np.where", "np.maximum"},
    attrs={"T", "reshape", "astype"},
    names={"A", "B", "np.float32"},
    keywords={"axis"},
)


def _unparse(reply: str, policy: ExpressionPolicy = POLICY) -> str:
    return ast.unparse(extract_expression(reply, policy))


@pytest.mark.parametrize(
    "reply, expected",
    [
        ("matmul(A, B)", "matmul(A, B)"),
        ("return matmul(A, B)", "matmul(A, B)"),
        ("Here it is:\n```python\nreturn add(A, B.T)\n```\nDone.", "add(A, B.T)"),
        ("```py\n    np.sum(A, axis=1)\n```", "np.sum(A, axis=1)"),
        ("```\nA.reshape(4, -1).astype(np.float32)\n```", "A.reshape(4, -1).astype(np.float32)"),
        ("~~~python\nA @ B\n~~~", "A @ B"),
        # the last Python block wins; blocks in other languages are skipped
        ("```python\nA\n```\nbetter:\n```python\nB\n```\n```c\nint x;\n```", "B"),
        (
            'def spec(A, B):\n    """Doc."""\n    return np.maximum(A, 0) + B',
            "np.maximum(A, 0) + B",
        ),
        ("def spec(A: 'ndarray', B) -> 'ndarray':\n    return A * B", "A * B"),
        ("np.where(A > 0, A, -A)[0:2, ..., ::-1]", "np.where(A > 0, A, -A)[0:2, ..., ::-1]"),
        ("A if True else B", "A if True else B"),
        ("```python\nmatmul(A, B)", "matmul(A, B)"),  # truncated reply, unclosed fence
    ],
)
def test_accepted(reply: str, expected: str) -> None:
    assert _unparse(reply) == expected


@pytest.mark.parametrize(
    "reply, reason",
    [
        ("__import__('os').system('true')", "dunder name '__import__'"),
        ("A.__class__.__bases__", "dunder name '__bases__'"),
        ("import numpy as np\nmatmul(A, B)", "imports are not allowed"),
        ("from os import system", "imports are not allowed"),
        ("[a for a in A]", "comprehensions are not allowed"),
        ("np.sum(a for a in A)", "comprehensions are not allowed"),
        ("(lambda: A)()", "call to unknown function"),
        ("lambda: A", "lambdas are not allowed"),
        ("for i in range(3):\n    A", "loops are not allowed"),
        ("while True: pass", "loops are not allowed"),
        ("C = matmul(A, B)", "assignments are not allowed"),
        ("A\nB", "expected exactly one expression, the code has 2 statements"),
        ("open('/etc/passwd')", "call to unknown function 'open'"),
        ("np.linalg.inv(A)", "call to unknown function 'np.linalg.inv'"),
        ("getattr(A, 'T')", "call to unknown function 'getattr'"),
        ("A.tofile", "attribute 'A.tofile' is not allowed"),
        ("np.load", "attribute 'np.load' is not allowed"),
        ("C + A", "unknown name 'C'"),
        ("np", "unknown name 'np'"),
        ("np.sum(A, dtype=1)", "keyword argument 'dtype' is not allowed"),
        ("np.sum(*A)", "starred expressions are not allowed"),
        ("np.sum(A, **B)", "'\\*\\*' arguments are not allowed"),
        ("(x := A)", "assignment expressions"),
        ("f'{A}'", "f-strings are not allowed"),
        ("'rm -rf'", "constant 'rm -rf' of type str"),
        ("{A: B}", "dict displays are not allowed"),
        ("A[0](B)", "call to unknown function"),
        ("def f(X):\n    return X", "parameter 'X' is not one of the inputs"),
        ("def f(A, B=1):\n    return A", "plain positional parameters"),
        ("@d\ndef f(A):\n    return A", "decorators are not allowed"),
        ("def f(A):\n    import os\n    return A", "imports are not allowed"),
        ("def f(A):\n    C = A\n    return C", "the function body has 2 statements"),
        ("class K: pass", "class definitions are not allowed"),
        ("matmul(A, B", "not valid Python"),
        ("The answer is matmul of A and B.", "not valid Python"),
        ("```c\nint main() {}\n```", "no Python code block"),
        ("", "no code"),
        ("-" * 200 + "A", "nested too deeply"),
        ("+".join(["A"] * 3000), "too large"),
    ],
)
def test_rejected_with_reason(reply: str, reason: str) -> None:
    with pytest.raises(RejectedCode, match=reason) as info:
        extract_expression(reply, POLICY)
    assert info.value.reason in str(info.value)


def test_strings_only_when_allowed() -> None:
    policy = ExpressionPolicy.of(calls={"np.einsum"}, names={"A", "B"}, allow_strings=True)
    assert _unparse("np.einsum('ij,jk->ik', A, B)", policy) == "np.einsum('ij,jk->ik', A, B)"


def test_function_form_can_be_disabled() -> None:
    policy = ExpressionPolicy.of(names={"A"}, allow_function=False)
    with pytest.raises(RejectedCode, match="FunctionDef"):
        extract_expression("def f(A):\n    return A", policy)


def test_operator_whitelist() -> None:
    policy = ExpressionPolicy(names=frozenset({"A"}), operators=frozenset({ast.Add}))
    assert _unparse("A + A", policy) == "A + A"
    with pytest.raises(RejectedCode, match="operator 'Pow'"):
        extract_expression("A ** A", policy)


def test_overlong_reply() -> None:
    with pytest.raises(RejectedCode, match="too long"):
        extract_expression("A" + " " * 30_000, POLICY)


def test_extract_code_prefers_python_blocks() -> None:
    reply = "```\nuntagged\n```\n```python\ntagged\n```"
    assert extract_code(reply) == "tagged"
    assert extract_code("  plain text  ") == "plain text"


def test_side_effect_reply_is_rejected_and_never_runs(
    llm_server: LoopbackLLMServer, tmp_path: Path
) -> None:
    marker = tmp_path / "PWNED_x"
    payloads = [
        f"__import__('os').system('touch {marker}')",
        f"```python\nimport os\nos.system('touch {marker}')\n```",
        f"def spec(A, B):\n    return __import__('os').system('touch {marker}')",
        f"open('{marker}', 'w').write('x')",
        f"(lambda: __import__('pathlib').Path('{marker}').touch())()",
        f"[__import__('os').system('touch {marker}') for _ in A]",
    ]
    llm_server.script(Reply(payloads))
    replies = LLMClient(llm_server.config()).complete(
        [{"role": "user", "content": "lift"}], n=len(payloads)
    )
    assert replies == payloads  # the payloads arrived intact through the real client

    for reply in replies:
        with pytest.raises(RejectedCode):
            extract_expression(reply, POLICY)

    # The marker's directory was writable all along, so its absence means nothing ran.
    assert not marker.exists()
    (tmp_path / "writable").touch()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["writable"]


# -- programs (TensorSpec-style straight-line code) ---------------------------------------------

PROGRAM_POLICY = ExpressionPolicy.of(
    calls={"np.where", "np.sum"},
    attrs={"reshape", "shape", "T"},
    names={"a", "b", "out", "n"},
    keywords={"axis"},
)


def _program(reply: str) -> str:
    return ast.unparse(extract_program(reply, PROGRAM_POLICY))


def test_program_accepted() -> None:
    reply = (
        "```python\n"
        "t = a[0:n] * b[0:n]\n"
        "out[0:n] = np.where(t > 0, t, 0)\n"
        "out.reshape(n, 1)[0:n, 0] = t\n"
        "return np.sum(t), t[0]\n"
        "```"
    )
    assert _program(reply) == (
        "t = a[0:n] * b[0:n]\n"
        "out[0:n] = np.where(t > 0, t, 0)\n"
        "out.reshape(n, 1)[0:n, 0] = t\n"
        "return (np.sum(t), t[0])"
    )


def test_program_in_a_function_is_unwrapped() -> None:
    reply = 'def kernel(a, b, out, n):\n    """Doc."""\n    out[0:n] = a[0:n] + b[0:n]'
    assert _program(reply) == "out[0:n] = a[0:n] + b[0:n]"


@pytest.mark.parametrize(
    "reply, reason",
    [
        ("t = t + a", "unknown name 't'"),
        ("u = a\nreturn v", "unknown name 'v'"),
        ("a = b", "cannot rebind input 'a'"),
        ("t = a\nt[0] = b", "target 't' is not an input buffer"),
        ("x, y = a, b", "assignment target must be a name or a view"),
        ("out[0] = a[0] = b", "chained assignments"),
        ("out[0:n] += a", "augmented assignments"),
        ("np.sum(a)", "a bare expression has no effect"),
        ("return a\nout[0] = b", "statements after 'return'"),
        ("out[0:n] = a\nimport os", "imports are not allowed"),
        ("out[0:n] = [x for x in a]", "comprehensions are not allowed"),
        ("out.__class__ = b", "dunder name '__class__'"),
        ("for i in range(n):\n    out[i] = a[i]", "loops are not allowed"),
        ("\n".join(f"t{i} = a" for i in range(40)), "too many statements"),
        ("return", "'return' needs a value"),
    ],
)
def test_program_rejected(reply: str, reason: str) -> None:
    with pytest.raises(RejectedCode, match=reason):
        extract_program(reply, PROGRAM_POLICY)
