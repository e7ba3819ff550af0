"""The built-in proposer: syntax-directed first, then alternative spellings pruned by
counterexamples."""

from __future__ import annotations

import numpy as np
from lift_helpers import parsed
from liftcomp.executor import Interpreter
from liftcomp.lift.analysis import analyse
from liftcomp.lift.proposer import Feedback, Problem, SymbolicProposer, symbolic_candidates
from liftcomp.lift.verify import Counterexample, decls_of, make_args


def _problem(name: str) -> tuple[Problem, object, object]:
    m, fn, names = parsed(name)
    s = analyse(fn, names)
    return Problem(name, s, fn, decls_of(s)), m, fn


def test_variants_exist_for_matmul() -> None:
    problem, _, _ = _problem("gemm_nn_f32")
    cands = symbolic_candidates(problem.summary)
    assert isinstance(cands, list) and len(cands) >= 2
    assert "@" in cands[0] and "@" not in cands[1]  # the matmul idiom first, a plain sum after


def _counterexample(problem: Problem, m: object, fn: object, corrupt: bool) -> Counterexample:
    s = problem.summary
    args = make_args(s, fn, np.random.default_rng(3), {}, {a.name: 4 for a in s.args if a.kind == "buffer"}, "full")  # type: ignore[arg-type]
    inputs = {a.name: x.copy() for a, x in zip(s.args, args, strict=True)}
    Interpreter(m).call(problem.name, args)  # type: ignore[arg-type]
    outs = {a.name: x for a, x in zip(s.args, args, strict=True) if a.written}
    if corrupt:
        outs = {k: v + 1 for k, v in outs.items()}
    sizes = {f"{a.name}.shape[{d}]": n for a, x in zip(s.args, args, strict=True) for d, n in enumerate(x.shape)}
    return Counterexample(inputs, "C[0, 0]", 0, 0, outs, [], sizes)


def test_first_round_is_the_syntax_directed_program() -> None:
    problem, _, _ = _problem("gemm_nn_f32")
    assert SymbolicProposer().propose(problem, Feedback()) == [symbolic_candidates(problem.summary)[0]]  # type: ignore[index]


def test_counterexamples_prune_alternatives() -> None:
    problem, m, fn = _problem("gemm_nn_f32")
    first = symbolic_candidates(problem.summary)[0]  # type: ignore[index]
    # A counterexample on which the original's real outputs are recorded: the equivalent
    # alternative agrees with them, so it is kept.
    good = Feedback([(first, "pretend it failed")], [_counterexample(problem, m, fn, corrupt=False)])
    p = SymbolicProposer()
    assert len(p.propose(problem, good)) >= 1 and p.pruned == 0
    # Recorded outputs that the alternative does not reproduce: it is pruned without verification.
    bad = Feedback([(first, "pretend it failed")], [_counterexample(problem, m, fn, corrupt=True)])
    p = SymbolicProposer()
    assert p.propose(problem, bad) == [] and p.pruned >= 1
