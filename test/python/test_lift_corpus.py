"""Lifting the whole corpus with the built-in proposer: what has a tensor form is lifted and
proved, what has none stays unchanged, and every accepted program agrees with the original
under a fresh differential test (other seeds, other sizes) run here, independently of the
driver's own checks."""

from __future__ import annotations

import numpy as np
import pytest
from lift_helpers import corpus, parsed
from liftcomp.corpus.check import check_kernel, compare_outputs, make_inputs
from liftcomp.lift import tensorspec as TS
from liftcomp.lift.raising import Lifted, RaiseOptions, raise_function

NAMES = sorted(corpus())


@pytest.fixture(scope="module")
def results() -> dict[str, object]:
    out = {}
    for name in NAMES:
        m, fn, names = parsed(name)
        # The driver's way: the whole function, else nest by nest or around a kept loop.
        out[name] = raise_function(m, fn, RaiseOptions(), names)
    return out


def test_lift_rate_and_proofs(results: dict[str, object]) -> None:
    with_form = [n for n in NAMES if corpus()[n].form]
    lifted = [n for n in with_form if results[n][0].status == "lifted"]  # type: ignore[index]
    proved = [n for n in lifted if results[n][0].proof == "proved"]  # type: ignore[index]
    assert len(lifted) >= 0.95 * len(with_form), sorted(set(with_form) - set(lifted))
    assert len(proved) >= 0.85 * len(lifted)


@pytest.mark.parametrize("name", [n for n in NAMES if corpus()[n].suite == "extra_loops"])
def test_loop_structure_kernels_lift_and_prove(results: dict[str, object], name: str) -> None:
    """Issue 17's kernels (reduction loop outside the output loops, triangles, scratch buffers,
    diagonals, sequential statements, time loops) each lift with a proof, not a weaker level."""
    report = results[name][0]  # type: ignore[index]
    assert (report.status, report.proof) == ("lifted", "proved"), report.reason


@pytest.mark.parametrize("name", [n for n in NAMES if not corpus()[n].form])
def test_no_form_left_unchanged(results: dict[str, object], name: str) -> None:
    report, lifted = results[name]  # type: ignore[misc]
    assert report.status == "unchanged" and lifted is None
    assert report.reason


@pytest.mark.parametrize("name", [n for n in NAMES if corpus()[n].form])
def test_accepted_program_matches_reference(results: dict[str, object], name: str) -> None:
    """The accepted TensorSpec, evaluated with numpy on the corpus's own inputs (its metadata
    sizes and domains, seeds 10..12), equals the kernel's numpy reference."""
    report, lifted = results[name]  # type: ignore[misc]
    if not isinstance(lifted, Lifted):
        pytest.skip(f"not lifted as one program: {report.reason}")  # test_to_linalg_corpus runs those
    k = corpus()[name]
    m, fn, _ = parsed(name)
    for seed in (10, 11, 12):
        args = make_inputs(k, fn, k.sizes, np.random.default_rng(seed), edge=seed % 2 == 1)
        ref_args = [a.copy() if isinstance(a, np.ndarray) else a for a in args]
        with np.errstate(all="ignore"):
            expected_ret = k.reference(*ref_args)
        sizes: dict[str, int] = {}
        for a, v in zip(lifted.summary.args, args, strict=True):
            if a.kind == "size":
                sizes[a.name] = int(v)
            elif isinstance(v, np.ndarray):
                sizes.update({f"{a.name}.shape[{d}]": s for d, s in enumerate(v.shape)})
        TS.set_sizes(sizes)
        named = {a.name: (v.copy() if isinstance(v, np.ndarray) else v) for a, v in zip(lifted.summary.args, args, strict=True)}
        outs, rets = TS.evaluate(lifted.program, named)
        got_args = [outs.get(a.name, named[a.name]) if isinstance(named[a.name], np.ndarray) else named[a.name] for a in lifted.summary.args]
        cmp = compare_outputs(k, ref_args, expected_ret, got_args, list(rets))
        assert cmp.ok, f"seed {seed}: {cmp.detail}\n{report.program}"


def test_executor_is_an_independent_oracle() -> None:
    # Sanity of the oracle itself on one kernel (the corpus test covers all of them).
    k = corpus()["darken_blend_8"]
    m, _, _ = parsed("darken_blend_8")
    assert check_kernel(k, m).ok
