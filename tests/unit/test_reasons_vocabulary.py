"""One vocabulary of reasons: unique codes, every custom error a contract can revert with is either
an order's reason or named here as not about an order, and the API's statuses come from it."""

from __future__ import annotations

import re

import pytest

from defi_int.bot.errors import CODES, ApiRejection
from defi_int.chain.artifacts import load
from defi_int.reasons import Reason, reason_table

#: Custom errors that are never about a trader's order: roles, set-up, owner setters, the token,
#: liquidations (the close factor, its minimum size, a close nobody can take) and the desk's shares.
NOT_ABOUT_AN_ORDER = {
    "AmmAlreadySet", "CannotClose", "CannotLiquidate", "EmptyBatch", "FeeTooHigh", "FundingUnitUnavailable",
    "InsufficientAllowance", "InsufficientAmount", "InsufficientBalance", "InsufficientCash",
    "InvalidCloseFactor", "InvalidDeviationBps", "InvalidFundingParams", "InvalidLiquidationParams",
    "InvalidMarginRatios", "InvalidMarket", "InvalidMaxAge", "InvalidReserves", "LiquidationTooSmall",
    "MarketAlreadyListed", "NoCode", "NoPosition", "NotDelegated", "NotKeeper", "NotLiquidatable",
    "NotOperator", "NotOrderTrader", "NotOwner", "NotSettlement", "NotShares", "NotUpdater", "NotVault",
    "PoolAlreadyInitialized", "PriceOutOfRange", "ReadReverted", "SettlementAlreadySet", "SharesAlreadySet",
    "SlippageExceeded", "TokenTransferFailed", "TransferToZeroAddress", "ZeroAddress", "ZeroAmount",
}  # fmt: skip
CONTRACTS = ("Settlement", "Vault", "PerpAmm", "PriceOracle", "CollateralToken")


def custom_errors() -> set[str]:
    return {item["name"] for name in CONTRACTS for item in load(name).abi if item["type"] == "error"}


def test_every_code_is_unique_snake_case_and_spelled_once():
    codes = [r.code for r in Reason]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"[a-z]+(_[a-z]+)*", code) for code in codes)
    assert all(Reason.of_code(r.code) is r and r == r.code for r in Reason)


def test_every_custom_error_is_an_orders_reason_or_declared_not_about_an_order():
    errors = custom_errors()
    named = {e for r in Reason for e in r.errors}
    assert named <= errors, f"reasons name errors no contract declares: {sorted(named - errors)}"
    unclassified = errors - named - NOT_ABOUT_AN_ORDER
    assert not unclassified, f"give these custom errors a reason or list them as not about an order: {unclassified}"
    assert not named & NOT_ABOUT_AN_ORDER


@pytest.mark.parametrize("error", sorted({e for r in Reason for e in r.errors}))
def test_a_revert_maps_back_to_the_reason_that_names_it(error):
    reason = Reason.of_error(error)
    assert error in reason.errors


def test_an_error_without_a_reason_of_its_own_is_a_chain_revert():
    assert Reason.of_error("NotKeeper") is Reason.CHAIN_REVERTED
    assert Reason.of_error("Panic") is Reason.CHAIN_REVERTED


def test_the_api_answers_with_the_reasons_status_and_refuses_a_reason_that_is_no_answer():
    assert CODES["insufficient_margin"] == 422 and CODES["rate_limited"] == 429 and CODES["not_found"] == 404
    rejection = ApiRejection(Reason.STALE_ORACLE, "market 0 is stale")
    assert (rejection.code, rejection.status) == ("stale_oracle", 503)
    with pytest.raises(ValueError, match="not an answer"):
        ApiRejection(Reason.NOT_SELECTED, "waits")


def test_reasons_that_rest_are_the_market_moving_not_the_order_being_bad():
    assert Reason.LIMIT_NOT_MET.transient and Reason.INSUFFICIENT_MARGIN.transient and Reason.STALE_ORACLE.transient
    assert not Reason.BAD_SIGNATURE.transient and not Reason.EXPIRED.transient and not Reason.CANCELLED.transient


def test_the_table_for_the_docs_has_a_row_per_reason():
    rows = reason_table()
    assert len(rows) == len(Reason)
    assert ("expired", "422", "OrderExpired", "final", Reason.EXPIRED.message) in rows
