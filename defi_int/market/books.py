"""The ledger's primitives, shared by the Vault's mirrors: its accounts no key holds, its error, its
rounding rules (a trade's notional, a fee, a book's value and margin) and the ``Env`` a ledger call
reads beyond the ledger (time, fresh oracle prices, AMM pools).

``notional`` is the one place the trade rounding rule lives: a buyer pays the notional rounded up,
a seller receives it rounded down; ``book_margin`` is ``BookLib.margin``. ``ledger`` (the Vault's
books), ``liquidation`` (``Vault.liquidate``) and ``shares`` (the desk's depositors) build on it.
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from dataclasses import dataclass, field

from eth_utils.address import to_checksum_address
from eth_utils.crypto import keccak

from defi_int.market.amm import Pool
from defi_int.types import BPS

#: The accounts no key holds (``Vault.insuranceFund()``, ``Vault.fundingPool()``).
INSURANCE_FUND = to_checksum_address(keccak(text="DefiInt.insuranceFund")[-20:])
FUNDING_POOL = to_checksum_address(keccak(text="DefiInt.fundingPool")[-20:])


class LedgerViolation(Exception):
    """A ledger rule the Vault enforces would fail; ``error`` is the Vault's custom error name."""

    def __init__(self, error: str, detail: str) -> None:
        self.error = error
        self.detail = detail
        self.leg: int | None = None
        super().__init__(f"{error}: {detail}")


def ceil_div(a: int, b: int) -> int:
    return 0 if a == 0 else (a - 1) // b + 1


def notional(size: int, price: int, price_scale: int, *, is_buy: bool) -> int:
    """Collateral units for ``size`` at ``price``, rounded against the trader."""
    raw = size * price
    return ceil_div(raw, price_scale) if is_buy else raw // price_scale


def fee_for(amount: int, fee_bps: int) -> int:
    """The desk fee on ``amount``, rounded up."""
    return ceil_div(amount * fee_bps, BPS)


def book_margin(position: int, price: int, ratio_bps: int, price_scale: int) -> tuple[int, int]:
    """A book's value and requirement at ``price``, both rounded against the account (``BookLib.margin``)."""
    if position == 0:
        return 0, 0
    amount = abs(position) * price
    value = amount // price_scale if position > 0 else -ceil_div(amount, price_scale)
    return value, ceil_div(amount * ratio_bps, price_scale * BPS) if ratio_bps else 0


def is_reducing(before: int, after: int) -> bool:
    """Whether a move from ``before`` to ``after`` only shrinks the position."""
    return (0 <= after < before) if before >= 0 else (before < after <= 0)


@dataclass(frozen=True)
class Env:
    """What a ledger call reads beyond the ledger: time, fresh oracle prices, AMM pools."""

    now: int
    prices: Mapping[int, int]
    pools: MutableMapping[int, Pool] = field(default_factory=dict)
