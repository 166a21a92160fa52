"""Probe: every owner setter is bounded, and at the edges it accepts the system keeps working
(issue 8, fifth hole: ``setMaxAge(2^256 - 1)`` made every price read panic; issue 17:
``maxSlippageBps`` could be set to 10,000, an AMM close at any price).

For each setter, the largest (and smallest) value it takes is set, then a price is read, a fill is
settled, a withdrawal made, funding accrued and a liquidation tried; none may fail with a panic or
without a reason. Past each edge, each setter reverts with its custom error, never a panic. Every
bound is on the setter's NatSpec (the interfaces)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from defi_int.exceptions import ContractRevert, OrderRejected
from defi_int.types import ONE

YEAR = 365 * 86_400
UBOOK_MAX = 2**96 - 1
BOOK_MAX = 2**87 - 1  # a book holds int88
ZERO = "0x" + "00" * 20

#: setter -> (accepted edge values, [(a refused value, its error) ...]): every owner setter with a bound.
SETTERS: dict[str, tuple[list[tuple[Any, ...]], list[tuple[tuple[Any, ...], str]]]] = {
    "oracle.setMaxAge": ([(0,), (YEAR,)], [((YEAR + 1,), "InvalidMaxAge")]),
    "oracle.setPrice": ([(0, 1), (0, 2**128 - 1)], [((0, 0), "PriceOutOfRange"), ((0, 2**128), "PriceOutOfRange")]),
    "vault.setInventoryCap": ([(0, 0), (0, UBOOK_MAX)], [((0, UBOOK_MAX + 1), "AmountOutOfRange")]),
    "vault.setMarginRatios": (
        [(1, 1), (10_000, 10_000)],
        [((10_001, 1), "InvalidMarginRatios"), ((100, 0), "InvalidMarginRatios"), ((100, 101), "InvalidMarginRatios")],
    ),
    "vault.setFunding": (
        [(0, 0, 0), (0, 3_600, 10_000), (0, 30 * 86_400, 0)],
        [
            ((0, 3_599, 0), "InvalidFundingParams"),
            ((0, 30 * 86_400 + 1, 0), "InvalidFundingParams"),
            ((0, 3_600, 10_001), "InvalidFundingParams"),
        ],
    ),
    "vault.setFundingImpact": ([(0, 0), (0, BOOK_MAX)], [((0, BOOK_MAX + 1), "AmountOutOfRange")]),
    "vault.setLiquidationParams": (
        [(0, 0, 0), (1_000, 10_000, 1_000)],
        [
            ((1_001, 0, 0), "InvalidLiquidationParams"),
            ((0, 10_001, 0), "InvalidLiquidationParams"),
            ((0, 0, 1_001), "InvalidLiquidationParams"),
        ],
    ),
    "vault.setCloseFactor": (
        [(0, 0, 0), (1_000, 9_500, BOOK_MAX)],
        [
            ((1_001, 0, 0), "InvalidCloseFactor"),
            ((0, 9_501, 0), "InvalidCloseFactor"),
            ((0, 0, BOOK_MAX + 1), "InvalidCloseFactor"),
        ],
    ),
    "vault.setFeeRecipient": ([], [((ZERO,), "ZeroAddress")]),
    "vault.setAmm": ([], [((ZERO,), "AmmAlreadySet")]),
    "vault.listMarket": (
        [(9, UBOOK_MAX)],
        [((2**32 - 1, 0), "InvalidMarket"), ((9, UBOOK_MAX + 1), "AmountOutOfRange")],
    ),
    "settlement.setMaxDeviationBps": ([(0,), (10_000,)], [((10_001,), "InvalidDeviationBps")]),
    "amm.setPoolFee": ([(0, 0), (0, 9_999)], [((0, 10_000), "FeeTooHigh")]),
    "amm.initializePool": ([(9, 1, 1, 9_999)], [((9, 1, 1, 10_000), "FeeTooHigh"), ((9, 0, 1, 0), "InvalidReserves")]),
    "amm.setSettlement": ([], [((ZERO,), "SettlementAlreadySet")]),
    "vault.setShares": ([], [((ZERO,), "SharesAlreadySet")]),
    "shares.setParams": (
        [(0, 0, 1), (30 * 86_400, 100, 10_000)],
        [
            ((30 * 86_400 + 1, 0, 1), "InvalidShareParams"),
            ((0, 101, 1), "InvalidShareParams"),
            ((0, 0, 0), "InvalidShareParams"),
            ((0, 0, 10_001), "InvalidShareParams"),
        ],
    ),
}
OTHER_SETTERS = ("listMarket", "initializePool", "transferOwnership")
#: Owner functions without a bound, and why none is needed.
UNBOUNDED = {
    "setOperator": "a role: granting it is the owner's decision, it moves no parameter",
    "setPaused": "a switch",
    "setKeeper": "a role",
    "setUpdater": "a role",
    "transferOwnership": "refuses the zero address (Owned)",
    "mint": "the collateral token's own supply, not the protocol's",
}


def test_every_owner_setter_has_a_bound_tested_here(defi_system):
    """Each contract's setters are in ``SETTERS`` (with the values at and past their bounds) or in
    ``UNBOUNDED`` with a reason: a new setter cannot ship untested."""
    s = defi_system
    names = {"oracle": s.oracle, "vault": s.vault, "settlement": s.settlement, "amm": s.amm, "shares": s.shares}
    for prefix, contract in names.items():
        for entry in contract.abi:
            name = entry.get("name", "")
            if entry.get("type") != "function" or entry.get("stateMutability") in ("view", "pure"):
                continue
            if (name.startswith("set") and not name.startswith("settle")) or name in OTHER_SETTERS:
                assert f"{prefix}.{name}" in SETTERS or name in UNBOUNDED, f"{prefix}.{name} has no bound test"


def _fn(system: Any, setter: str, args: tuple[Any, ...]) -> Any:
    contract, name = setter.split(".")
    return getattr(getattr(system, contract).functions, name)(*args)


@pytest.fixture
def still_works(defi_system, defi_traders, defi_orders) -> Callable[[], None]:
    """Reads a price, settles a fill, withdraws, accrues funding, tries a liquidation; any revert
    must be a named custom error."""
    s = defi_system

    def check() -> None:
        steps: list[Callable[[], Any]] = [
            lambda: s.chain.call(s.oracle.functions.price(0)),
            lambda: defi_orders.settle([defi_orders.fill(defi_traders[0], size=ONE // 10)]),
            lambda: s.chain.transact(defi_traders[1], s.vault.functions.withdraw(1_000), gas=300_000),
            lambda: s.update_funding(0),
            lambda: s.chain.transact(
                defi_traders[1], s.vault.functions.liquidate(defi_traders[2].address, 0, ONE), gas=800_000
            ),
        ]
        for step in steps:
            try:
                step()
            except ContractRevert as exc:
                assert exc.error_name != "Panic", f"a panic after the setter: {exc}"
            except OrderRejected:  # the order cannot even be built (a limit beyond uint128): no call made
                pass

    return check


@pytest.mark.parametrize("setter", sorted(SETTERS))
def test_every_owner_setter_accepts_its_edges_and_the_system_keeps_working(defi_system, still_works, setter):
    s = defi_system
    for args in SETTERS[setter][0]:
        s.chain.transact(s.owner, _fn(s, setter, args), gas=300_000)
        still_works()


@pytest.mark.parametrize(
    ("setter", "args", "error"),
    [(setter, args, error) for setter, (_, refused) in sorted(SETTERS.items()) for args, error in refused],
)
def test_every_owner_setter_refuses_one_past_its_edge_with_its_error(defi_system, setter, args, error):
    s = defi_system
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
