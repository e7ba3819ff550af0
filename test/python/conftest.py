"""Shared pytest fixtures. Keep each small; add yours below."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from liftcomp.llm.testing import LoopbackLLMServer

# liftcomp's test-only passes (liftcomp-test-bridge), here and in every tool a test starts.
os.environ["LIFTCOMP_TEST_PASSES"] = "1"


@pytest.fixture
def llm_server() -> Iterator[LoopbackLLMServer]:
    """A scripted OpenAI-compatible server on 127.0.0.1 (see liftcomp.llm.testing), stopped after."""
    with LoopbackLLMServer() as server:
        yield server
