"""Fixtures for the CollateralToken tests: the deployed token (shared helpers in ../conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def token(defi_system):
    return defi_system.token
