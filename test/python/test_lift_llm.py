"""The LLM proposer through the real client and a real socket (the loopback server), driven by
the raising driver: what the model answers is verified like any proposal, failures go back to
the model with their reasons, nothing in a reply is ever executed."""

from __future__ import annotations

import ast
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from liftcomp.diagnostics import LiftcompError
from liftcomp.interop.mlir_tool import parse_mlir
from liftcomp.lift import tensorspec as TS
from liftcomp.lift.analysis import analyse
from liftcomp.lift.llm_proposer import (
    LLMProposer,
    build_messages,
    operator_reference,
    proposer_for_config,
    render_function,
    tensorspec_policy,
)
from liftcomp.lift.proposer import Feedback, Problem
from liftcomp.lift.raising import (
    FunctionReport,
    RaiseOptions,
    arg_names_from_source,
    check_candidate,
    lift_function,
)
from liftcomp.lift.terms import Poly
from liftcomp.lift.verify import decls_of
from liftcomp.llm import CacheMiss, LLMClient, LLMConfig, RejectedCode, extract_program
from liftcomp.llm.testing import Delay, LoopbackLLMServer, Malformed, Reply, Status

SCALE_ADD = """
func.func @scale_add(%x: memref<?xf32>, %y: memref<?xf32>, %out: memref<?xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %two = arith.constant 2.0 : f32
  scf.for %i = %c0 to %n step %c1 {
    %a = memref.load %x[%i] : memref<?xf32>
    %b = memref.load %y[%i] : memref<?xf32>
    %p = arith.mulf %two, %a : f32
    %s = arith.addf %p, %b : f32
    memref.store %s, %out[%i] : memref<?xf32>
  }
  return
}
"""
CORRECT = "out[0:n] = 2.0 * x[0:n] + y[0:n]"
WRONG = "out[0:n] = x[0:n] + y[0:n]"


def fenced(code: str, prose: str = "") -> str:
    return f"{prose}\n```python\n{code}\n```\n" if prose else f"```python\n{code}\n```"


class Kernel:
    def __init__(self, src: str):
        self.src = src
        self.module = parse_mlir(src)
        self.fn = next(op for op in self.module.ops)
        self.name = self.fn.sym_name.data  # type: ignore[attr-defined]
        self.names = arg_names_from_source(src)[self.name]

    def problem(self) -> Problem:
        summary = analyse(self.fn, self.names)  # type: ignore[arg-type]
        return Problem(self.name, summary, self.fn, decls_of(summary))

    def lift(
        self, proposer: LLMProposer, strategy: str = "llm-only", **opts: Any
    ) -> FunctionReport:
        options = RaiseOptions(llm=proposer, strategy=strategy, **opts)
        report, _ = lift_function(self.module, self.fn, options, self.names)  # type: ignore[arg-type]
        return report

    def counterexample(self, text: str) -> str:
        """What the driver's verifier says about `text`, asked here independently."""
        p = self.problem()
        verdict, _ = check_candidate(
            self.module, self.fn, p.summary, text, RaiseOptions(), time.monotonic() + 30
        )  # type: ignore[arg-type]
        assert verdict.level is None and verdict.counterexample is not None, verdict
        return verdict.counterexample.describe()


@pytest.fixture(scope="module")
def kernel() -> Kernel:
    return Kernel(SCALE_ADD)


def proposer(server: LoopbackLLMServer, n: int = 1, **config: Any) -> LLMProposer:
    return LLMProposer(LLMClient(server.config(**config)), n=n)


# ---------------------------------------------------------------- prompt and policy


def test_policy_is_the_parsers_vocabulary() -> None:
    """Every function the prompt documents is whitelisted, and a program using each of the
    prompt's spellings gets through both the whitelist and TensorSpec's parser."""
    decls = [
        TS.ArgDecl("x", TS.DType("f32"), (Poly.var("n"),)),
        TS.ArgDecl("m", TS.DType("f32"), (Poly.var("n"), Poly.var("n"))),
        TS.ArgDecl("out", TS.DType("f32"), (Poly.var("n"),), output=True),
        TS.ArgDecl("n", TS.DType("i64"), None, is_size=True),
    ]
    policy = tensorspec_policy(decls)
    reference = operator_reference()
    ast.parse(reference)  # the stubs are real Python
    for call in policy.calls:
        assert (
            f"def {call.removeprefix('np.')}(" in reference or call.removeprefix("np.") in reference
        ), call
    programs = [
        "out[0:n] = np.where(x[0:n] > 0, x[0:n], np.float32(0.0))",
        "out[0:n] = np.maximum(x[0:n], 0.0) + np.sum(m[0:n, 0:n], axis=1, dtype=np.float32)",
        "out[0:n] = (m @ x).astype(np.float32) - m.T.sum(axis=0) + np.max(m, axis=1, initial=-np.inf)",
        "t = x[0:n].reshape(n, 1)\nout[0:n] = t[0:n, 0] * m[0:n, 0:x.shape[0]:1].transpose().dot(x)",
        "out[0:n] = np.fmod(np.rint(x), np.abs(x[:, None][0:n, 0]))",
        "return np.sum(x, dtype=np.float32)",
    ]
    for text in programs:
        canonical = ast.unparse(extract_program(fenced(text), policy))
        TS.parse_program(canonical, decls)


def test_prompt_is_deterministic_and_shows_the_kernel(kernel: Kernel) -> None:
    first = build_messages(kernel.problem(), Feedback())
    again = build_messages(Kernel(SCALE_ADD).problem(), Feedback())  # a fresh parse and analysis
    assert first == again
    user = first[1]["content"]
    # The nest, as written in the MLIR above: out[i] = 2.0 * x[i] + y[i] for i < n.
    assert "def scale_add(x, y, out, n):" in user
    assert "for i in range(0, n):" in user
    assert "t2 = 2.0 * t0  # f32" in user
    assert "out[i] = t3" in user
    assert "- out: np.float32 array of shape (out.shape[0],), written (an output)" in user
    assert "- n: a size (index)" in user
    assert "np.where" in first[0]["content"]


def test_render_affine_unsigned_and_if() -> None:
    src = """
func.func @k(%a: memref<8x9xi8>, %o: memref<7x9xi32>) {
  %z = arith.constant 0 : i32
  affine.for %i = 0 to 7 {
    affine.for %j = 0 to 9 step 3 {
      %v = affine.load %a[%i + 1, %j] : memref<8x9xi8>
      %w = arith.extui %v : i8 to i32
      %c = arith.cmpi ult, %w, %z : i32
      %r = scf.if %c -> (i32) {
        scf.yield %z : i32
      } else {
        %q = arith.divsi %w, %w : i32
        scf.yield %q : i32
      }
      affine.store %r, %o[%i, %j] : memref<7x9xi32>
    }
  }
  return
}
"""
    k = Kernel(src)
    code, helpers = render_function(k.fn, ["a", "o"])
    expected = """\
def k(a, o):
    for i in range(0, 7):
        for j in range(0, 9, 3):
            t0 = a[i + 1, j]  # i8
            t1 = extui(t0, i32)  # i32
            t2 = ult(t1, 0)  # i1
            if t2:
                t3 = 0  # i32
            else:
                t4 = divsi(t1, t1)  # i32
                t3 = t4  # i32
            o[i, j] = t3
"""
    assert code == expected
    assert [h.split("(")[0] for h in helpers] == ["divsi", "extui", "ult"]


# ---------------------------------------------------------------- the loop with the driver


def test_correct_answer_accepted(llm_server: LoopbackLLMServer, kernel: Kernel) -> None:
    llm_server.script(Reply([fenced(CORRECT, "Here it is:"), "I cannot help with that."]))
    report = kernel.lift(proposer(llm_server, n=2))
    assert (report.status, report.proof, report.proposer) == ("lifted", "proved", "llm")
    assert report.program == CORRECT
    assert report.llm_calls == 1
    [request] = llm_server.requests
    assert request.body["n"] == 2 and request.body["temperature"] == 0.7
    assert "def scale_add(x, y, out, n):" in request.text
    assert not llm_server.unscripted


def test_wrong_answer_gets_counterexample_then_corrected(
    llm_server: LoopbackLLMServer, kernel: Kernel
) -> None:
    llm_server.script(Reply([fenced(WRONG)]), Reply([fenced(CORRECT)]))
    report = kernel.lift(proposer(llm_server))
    assert (report.status, report.proposer, report.program) == ("lifted", "llm", CORRECT)
    assert report.llm_calls == 2
    first, second = llm_server.requests
    counterexample = kernel.counterexample(WRONG)
    assert counterexample not in first.text
    assert counterexample in second.text
    assert WRONG in second.text


def test_malformed_replies(llm_server: LoopbackLLMServer, kernel: Kernel) -> None:
    """An unparsable HTTP body is retried by the client; replies without a usable program are
    rejected, and the next request (same round) says why."""
    llm_server.script(
        Malformed(),
        Reply(
            [
                "Sorry, I am not sure.",
                fenced("out[0:n] = (x[0:n] +"),
                fenced("for i in range(n): pass"),
                "",
            ]
        ),
        Reply([fenced(CORRECT)] * 4),
    )
    p = proposer(llm_server, n=4)
    report = kernel.lift(p)
    assert (report.status, report.proposer, report.program) == ("lifted", "llm", CORRECT)
    assert report.llm_calls == 3  # the malformed body, its retry, the second request
    assert p.stats.rejected == 4
    third = llm_server.requests[2].text
    assert "not valid Python" in third
    assert "loops are not allowed" in third
    assert "(an empty reply)" in third


def test_500_429_and_timeout_are_retried(llm_server: LoopbackLLMServer, kernel: Kernel) -> None:
    llm_server.script(
        Status(500),
        Status(429, {"Retry-After": "0.01"}),
        Delay(2.0, Reply([fenced(WRONG)])),  # answered after the client gave up
        Reply([fenced(CORRECT)]),
    )
    p = proposer(llm_server, timeout_s=0.3)
    report = kernel.lift(p)
    assert (report.status, report.proposer, report.program) == ("lifted", "llm", CORRECT)
    assert report.llm_calls == 4
    assert p.client.usage.retries == 3
    assert len(llm_server.requests) == 4


def test_a_slow_model_does_not_eat_the_kernel_timeout(llm_server: LoopbackLLMServer, kernel: Kernel) -> None:
    """The first answer arrives after the kernel timeout; the second round still happens."""
    llm_server.script(Delay(1.5, Reply([fenced(WRONG)])), Reply([fenced(CORRECT)]))
    report = kernel.lift(proposer(llm_server, timeout_s=5.0), kernel_timeout_s=1.0)
    assert (report.status, report.proposer, report.program) == ("lifted", "llm", CORRECT)
    assert report.seconds > 1.5


def test_non_retryable_error_falls_back_to_symbolic(
    llm_server: LoopbackLLMServer, kernel: Kernel
) -> None:
    llm_server.script(Status(401, message="bad key"))
    report = kernel.lift(proposer(llm_server), strategy="llm-first")
    assert (report.status, report.proposer) == ("lifted", "symbolic")
    assert report.llm_calls == 1


def test_budget_exhaustion_falls_back_to_symbolic(
    llm_server: LoopbackLLMServer, kernel: Kernel
) -> None:
    llm_server.script(Reply([fenced(WRONG)]))
    p = proposer(llm_server, max_calls=1)
    report = kernel.lift(p, strategy="llm-first")
    assert (report.status, report.proof, report.proposer) == ("lifted", "proved", "symbolic")
    assert report.llm_calls == 1
    assert len(llm_server.requests) == 1 and not llm_server.unscripted
    assert p.exhausted is not None and "1 of 1 calls" in p.exhausted
    # Spent for the rest of the run: the next function asks nothing.
    report = kernel.lift(p, strategy="llm-only")
    assert report.status == "unchanged" and report.llm_calls == 0
    assert "budget exhausted" in (report.reason or "")
    assert len(llm_server.requests) == 1


def test_calls_are_counted_per_function(llm_server: LoopbackLLMServer, kernel: Kernel) -> None:
    llm_server.script(Reply([fenced(WRONG)]), Reply([fenced(CORRECT)]), Reply([fenced(CORRECT)]))
    p = proposer(llm_server)
    assert kernel.lift(p).llm_calls == 2
    assert kernel.lift(p).llm_calls == 1
    assert p.calls == 3


def test_symbolic_first_leaves_the_llm_alone_when_not_needed(
    llm_server: LoopbackLLMServer, kernel: Kernel
) -> None:
    report = kernel.lift(proposer(llm_server), strategy="symbolic-first")
    assert (report.status, report.proposer, report.llm_calls) == ("lifted", "symbolic", 0)
    assert llm_server.requests == []


EVIL = [
    "__import__('os').system('touch {marker}')",
    "out[0:n] = x[0:n]\n__import__('os').system('touch {marker}')",
    "def f(x, y, out, n):\n    import os\n    os.system('touch {marker}')\n    return x",
    "out[0:n] = open('{marker}', 'w')",
    "out[0:n] = x.__class__.__base__.__subclasses__()[0]",
    "out[0:n] = eval(\"__import__('os').system('touch {marker}')\")",
    "out[0:n] = [x for _ in range(1)][0][0:n]",
    "out[0:n] = (lambda: x)()",
]
DANGEROUS_EVENTS = (
    "os.system",
    "subprocess.Popen",
    "os.posix_spawn",
    "os.exec",
    "os.spawn",
    "os.fork",
    "pty.spawn",
)
_audit: dict[str, Any] = {"armed": False, "events": []}


def _contains(consts: tuple[Any, ...], needle: str) -> bool:
    for c in consts:
        if isinstance(c, str) and needle in c:
            return True
        if hasattr(c, "co_consts") and _contains(c.co_consts, needle):
            return True
    return False


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if not _audit["armed"]:
        return
    needle = _audit["needle"]
    if event in DANGEROUS_EVENTS:
        _audit["events"].append((event, args))
    elif event == "open" and args and needle in str(args[0]):
        _audit["events"].append((event, args))
    elif (
        event == "exec"
        and args
        and hasattr(args[0], "co_consts")
        and _contains(args[0].co_consts, needle)
    ):
        _audit["events"].append((event, args))


def test_side_effect_code_is_rejected_and_never_runs(
    llm_server: LoopbackLLMServer, kernel: Kernel, tmp_path: Path
) -> None:
    marker = tmp_path / "PWNED"
    evil = [fenced(e.format(marker=marker)) for e in EVIL]
    llm_server.script(Reply(evil), Reply([fenced(CORRECT)] * len(evil)))
    sys.addaudithook(_hook)  # stays installed (hooks cannot be removed) but only acts when armed

    # The detector works: running a process and executing code that names the marker are seen.
    _audit.update(armed=True, events=[], needle=str(marker))
    subprocess.run(["true"], check=True)
    exec(compile(f"s = '{marker}x'", "<control>", "exec"), {})  # noqa: S102 - a constant
    _audit["armed"] = False
    assert [e for e, _ in _audit["events"]] == ["subprocess.Popen", "exec"]

    _audit.update(armed=True, events=[])
    try:
        p = LLMProposer(LLMClient(llm_server.config()), n=len(evil), max_failures_shown=len(evil))
        report = kernel.lift(p)
    finally:
        _audit["armed"] = False
    assert _audit["events"] == []
    assert not marker.exists()
    assert (report.status, report.proposer, report.program) == ("lifted", "llm", CORRECT)
    assert p.stats.rejected == len(evil)
    # Each reply was rejected with its reason, and the reasons went back to the model.
    policy = tensorspec_policy(kernel.problem().decls)
    second = llm_server.requests[1].text
    for reply in evil:
        with pytest.raises(RejectedCode) as rejected:
            extract_program(reply, policy)
        assert f"rejected before verification: {rejected.value.reason}" in second
    assert "dunder name '__import__' is not allowed" in second


# ---------------------------------------------------------------- cache modes and configuration


def test_replay_miss_is_an_error_not_a_fallback(kernel: Kernel, tmp_path: Path) -> None:
    config = LLMConfig(models=("m",), cache_mode="replay", cache_dir=tmp_path / "empty")
    with pytest.raises(CacheMiss, match="no entry"):
        kernel.lift(proposer_for_config(config), strategy="llm-first")


def test_record_then_replay_without_server(kernel: Kernel, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    with LoopbackLLMServer() as server:
        server.script(Reply([fenced(WRONG)]), Reply([fenced(CORRECT)]))
        recorded = kernel.lift(
            proposer_for_config(server.config(cache_mode="record", cache_dir=cache), n=1)
        )
    assert len(list(cache.rglob("*.json"))) == 2
    config = LLMConfig(
        models=("loopback-model",), cache_mode="replay", cache_dir=cache
    )  # no endpoint
    p = proposer_for_config(config, n=1)
    replayed = kernel.lift(p)
    assert (replayed.status, replayed.proposer, replayed.program) == (
        recorded.status,
        "llm",
        CORRECT,
    )
    assert (recorded.llm_calls, replayed.llm_calls, p.cache_hits) == (2, 0, 2)


def test_no_endpoint_is_a_clear_error(tmp_path: Path) -> None:
    for config in (LLMConfig(), LLMConfig(models=("m",))):
        with pytest.raises(
            LiftcompError, match="LIFTCOMP_MODEL .* OPENAI_API_KEY .* OPENAI_BASE_URL"
        ):
            proposer_for_config(config)
