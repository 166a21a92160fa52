"""The liquidator's decision: which accounts are below maintenance margin and how much to close.

``plan_liquidations`` reads a venue ``Snapshot`` (its ledger holds the watched accounts, its env the
batch's time, fresh prices and pools) and returns the ``LiquidationOrder``s a liquidator sends
now, in order. It decides on the exact mirror of the Vault (``Ledger.liquidate``), on a copy that
each planned liquidation changes, so later ones see the desk's room and the pools the earlier ones
left, and nothing is sent that the Vault would refuse:

1. an account is a candidate while ``Ledger.is_liquidatable`` (it holds a position and its equity,
   pending funding counted, is below its maintenance margin); accounts of a stale market cannot
   be valued and wait;
2. its positions are liquidated largest notional first, each for what the Vault closes of it now:
   the close factor's bound (what restores maintenance plus the buffer, or the whole position),
   as far as the desk and the AMM can take it; the order carries that size, so the chain, seeing
   the same state, closes exactly it; a market where nothing can be closed (``CannotClose``) is
   passed over;
3. once the account is back above maintenance (or nothing more can be closed), the next account.

Pure: no chain, no web3; the keeper sends the orders through its venue (``Venue.liquidate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from defi_int.market.amm import Pool
from defi_int.market.ledger import Env, Ledger, LedgerViolation


@dataclass(frozen=True)
class LiquidationOrder:
    """Close up to ``size`` (base units, unsigned) of ``account``'s position in ``market``."""

    account: str
    market: int
    size: int


def plan_liquidations(
    ledger: Ledger, env: Env, accounts: Iterable[str], liquidator: str, *, limit: int
) -> list[LiquidationOrder]:
    """The liquidations to send now, at most ``limit``; see the module docstring.

    ``ledger`` and ``env`` are left as they were: the planning runs on copies.
    """
    trial = ledger.copy()
    world = Env(env.now, dict(env.prices), {m: Pool(p.base, p.quote, p.fee_bps) for m, p in env.pools.items()})
    orders: list[LiquidationOrder] = []
    for account in dict.fromkeys(accounts):
        if account == liquidator:
            continue
        while len(orders) < limit and _liquidatable(trial, account, world):
            order = _next_close(trial, world, account, liquidator)
            if order is None:
                break
            orders.append(order)
    return orders


def _liquidatable(ledger: Ledger, account: str, env: Env) -> bool:
    try:
        return ledger.is_liquidatable(account, env)
    except LedgerViolation:  # a market it holds is stale: it cannot be valued, nor liquidated
        return False


def _next_close(ledger: Ledger, env: Env, account: str, liquidator: str) -> LiquidationOrder | None:
    """The next liquidation of the account the Vault takes now, applied to ``ledger`` and ``env``."""
    for market in _by_notional(ledger, env, account):
        try:
            done = ledger.liquidate(liquidator, account, market, abs(ledger.position(account, market)), env)
        except LedgerViolation:
            continue
        return LiquidationOrder(account, market, abs(done.size))
    return None


def _by_notional(ledger: Ledger, env: Env, account: str) -> list[int]:
    """The markets where ``account`` holds a position, largest notional at the oracle first."""
    held = [m for m in ledger.markets if ledger.position(account, m) and m in env.prices]
    return sorted(held, key=lambda m: (-abs(ledger.position(account, m)) * env.prices[m], m))
