"""Fixtures shared by the integration tests (the shipped plugin provides the chain and system)."""

from __future__ import annotations

import pytest


@pytest.fixture
def eth_calls(defi_chain, monkeypatch):
    """The ``eth_call``s the embedded chain answers from here on, one entry per call."""
    calls = []
    tester = defi_chain.tester
    original = tester.call

    def counting(*args, **kwargs):
        calls.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(tester, "call", counting)
    return calls
