"""Fixtures for the PriceOracle tests: the deployed oracle (shared helpers in ../conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def oracle(defi_system):
    return defi_system.oracle
