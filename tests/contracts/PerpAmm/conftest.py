"""Fixtures for the PerpAmm tests: the deployed AMM (shared helpers in ../conftest.py)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest


@pytest.fixture
def amm(defi_system):
    return defi_system.amm


@pytest.fixture
def snapshot(defi_system) -> Callable[[str], dict[str, Any]]:
    """``snapshot(trader)``: reserves and the ledger of the trader, the AMM's book and the fee recipient on market 0."""

    def read(trader: str) -> dict[str, Any]:
        chain, vault, amm = defi_system.chain, defi_system.vault, defi_system.amm
        who = {"trader": trader, "amm": amm.address, "fees": defi_system.fee_recipient, "desk": defi_system.desk}
        out: dict[str, Any] = {"reserves": tuple(chain.call(amm.functions.reserves(0)))}
        for name, address in who.items():
            out[f"{name}.cash"] = chain.call(vault.functions.cash(address))
            out[f"{name}.position"] = chain.call(vault.functions.position(address, 0))
        return out

    return read
