"""The Settlement suite runs every test through both entry points, ``settleCompact`` and
``settle(Fill[])`` (the ``entry`` fixture), so both are held to the same checks, errors and effects.
A test that only one entry can express parametrizes ``entry`` itself. The helpers (``expect_rejection``,
``expect_revert``, ``read_book``) are in ../conftest.py.

The market the fixtures deploy (``SystemParams()``): oracle 2000 USD, AMM 1000 base against
2,000,000 USD with a 30 bps fee, collateral with 6 decimals (price scale 1e30), band 100 bps,
desk cap 100 base, initial margin 10 %, and 1,000,000 USD of margin per trader.
"""

from __future__ import annotations

import pytest

MARKET = 0


@pytest.fixture(params=["compact", "abi"])
def entry(request: pytest.FixtureRequest) -> str:
    """The settlement entry point under test: ``settleCompact`` or ``settle(Fill[])``."""
    return str(request.param)
