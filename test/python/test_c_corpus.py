"""The C versions of corpus kernels: each lifts through the C frontend to a program the prover
shows equal to the MLIR version's loops (and the other way round), and runs equal on random
inputs in the reference executor and compiled with gcc/g++ (liftcomp.testing.c_corpus)."""

import shutil

import pytest
from liftcomp.testing.c_corpus import c_kernels, lift_and_prove, run_executor, run_gcc


@pytest.mark.skipif(shutil.which("gcc") is None or shutil.which("g++") is None, reason="needs gcc and g++")
def test_c_corpus_equals_mlir_corpus():
    kernels = c_kernels()
    suites = {k.spec.suite for k in kernels}
    assert len(kernels) >= 30 and len(suites) >= 10, (len(kernels), suites)
    for k in kernels:
        lift_and_prove(k)
        if not k.problems:
            run_executor(k, seeds=range(2))
    run_gcc(kernels)
    bad = {k.name: k.problems for k in kernels if k.problems}
    assert not bad, bad
    for k in kernels:
        assert len(k.proofs) == 2, (k.name, k.proofs)
        assert k.gcc_compared >= 2, (k.name, "gcc outputs not compared")
