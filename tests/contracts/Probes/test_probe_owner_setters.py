"""Probe: every owner setter is bounded, and at the edges it accepts the system keeps working
(issue 8, fifth hole: ``setMaxAge(2^256 - 1)`` made every price read panic).

For each setter, the largest (and smallest) value it takes is set, then a price is read, a fill is
settled, a withdrawal made and funding accrued; none may fail with a panic or without a reason.
One past the edge, each setter reverts with its custom error, never a panic."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from defi_int.exceptions import ContractRevert
from defi_int.types import ONE

YEAR = 365 * 86_400
UINT96_MAX = 2**96 - 1

#: setter -> (accepted edge values, (first refused value, its error))
SETTERS: dict[str, tuple[list[tuple[Any, ...]], tuple[tuple[Any, ...], str]]] = {
    "oracle.setMaxAge": ([(0,), (YEAR,)], ((YEAR + 1,), "InvalidMaxAge")),
    "vault.setInventoryCap": ([(0, 0), (0, UINT96_MAX)], ((0, UINT96_MAX + 1), "AmountOutOfRange")),
    "vault.setMarginRatios": ([(1, 1), (10_000, 10_000)], ((10_001, 1), "InvalidMarginRatios")),
    "vault.setFunding": ([(0, 0, 0), (0, 3_600, 10_000), (0, 30 * 86_400, 0)], ((0, 3_599, 0), "InvalidFundingParams")),
    "vault.setLiquidationParams": ([(0, 0, 0), (10_000, 10_000, 10_000)], ((10_001, 0, 0), "InvalidLiquidationParams")),
    "settlement.setMaxDeviationBps": ([(0,), (10_000,)], ((10_001,), "InvalidDeviationBps")),
    "amm.setPoolFee": ([(0, 0), (0, 9_999)], ((0, 10_000), "FeeTooHigh")),
}


def _fn(system: Any, setter: str, args: tuple[Any, ...]) -> Any:
    contract, name = setter.split(".")
    return getattr(getattr(system, contract).functions, name)(*args)


@pytest.fixture
def still_works(defi_system, defi_traders, defi_orders) -> Callable[[], None]:
    """Reads a price, settles a fill, withdraws, accrues funding; any revert must be a named custom error."""
    s = defi_system

    def check() -> None:
        steps: list[Callable[[], Any]] = [
            lambda: s.chain.call(s.oracle.functions.price(0)),
            lambda: defi_orders.settle([defi_orders.fill(defi_traders[0], size=ONE // 10)]),
            lambda: s.chain.transact(defi_traders[1], s.vault.functions.withdraw(1_000), gas=300_000),
            lambda: s.update_funding(0),
        ]
        for step in steps:
            try:
                step()
            except ContractRevert as exc:
                assert exc.error_name != "Panic", f"a panic after the setter: {exc}"

    return check


@pytest.mark.parametrize("setter", sorted(SETTERS))
def test_every_owner_setter_accepts_its_edges_and_the_system_keeps_working(defi_system, still_works, setter):
    s = defi_system
    for args in SETTERS[setter][0]:
        s.chain.transact(s.owner, _fn(s, setter, args), gas=300_000)
        still_works()


@pytest.mark.parametrize("setter", sorted(SETTERS))
def test_every_owner_setter_refuses_one_past_its_edge_with_its_error(defi_system, reverts, setter):
    s = defi_system
    args, error = SETTERS[setter][1]
    with pytest.raises(ContractRevert) as caught:
        s.chain.transact(s.owner, _fn(s, setter, args), gas=300_000)
    assert caught.value.error_name == error


def test_set_max_age_to_the_largest_uint_reverts_instead_of_breaking_every_price_read(defi_system, reverts):
    s = defi_system
    with reverts("InvalidMaxAge", maxAge=2**256 - 1):
        s.chain.transact(s.owner, s.oracle.functions.setMaxAge(2**256 - 1), gas=80_000)
    assert s.chain.call(s.oracle.functions.price(0)) == 2_000 * ONE


def test_the_oracle_constructor_is_held_to_the_same_bound(defi_system):
    with pytest.raises(ContractRevert) as caught:
        defi_system.chain.deploy(defi_system.owner, "PriceOracle", defi_system.owner.address, YEAR + 1)
    assert caught.value.error_name == "InvalidMaxAge"
