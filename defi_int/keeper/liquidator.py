"""The liquidator's decision: which accounts are below maintenance margin and how much to close.

``plan_liquidations`` reads a venue ``Snapshot`` (its ledger holds the watched accounts, its env the
batch's time, fresh prices and pools) and returns the ``LiquidationOrder``s a liquidator sends
now, in order. It decides on the exact mirror of the Vault (``Ledger.liquidate``), on a copy that
each planned liquidation changes, so later ones see the desk's room and the pools the earlier ones
left, and nothing is sent that the Vault would refuse:

1. an account is a candidate while ``Ledger.is_liquidatable`` (it holds a position and its equity,
   pending funding counted, is below its maintenance margin); accounts of a stale market cannot
   be valued and wait;
2. its positions are closed largest notional first, each as a whole, as far as the Vault can take
   it: the desk takes what its cap allows at the oracle price, the AMM must close the rest within
   the slippage bound; when the whole position does not fit, the largest size that does is found
   by bisection on the mirror (the AMM's price moves with size, so a smaller close may fit);
3. once the account is back above maintenance (or has nothing left to close), the next account.

Pure: no chain, no web3; the keeper sends the orders through its venue (``Venue.liquidate``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from defi_int.market.amm import AmmMathError, Pool
from defi_int.market.ledger import Env, Ledger, LedgerViolation

#: Vault refusals that mean "too large for the venue now", where a smaller close may go through.
_TOO_LARGE = frozenset({"SlippageExceeded", "InsufficientLiquidity", "InvalidReserves", "ZeroAddress"})


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
    """The largest close of the account's largest position the Vault takes now, applied to ``ledger``."""
    for market in _by_notional(ledger, env, account):
        size = abs(ledger.position(account, market))
        refusal = _attempt(ledger, env, liquidator, account, market, size, apply=True)
        if refusal is None:
            return LiquidationOrder(account, market, size)
        if refusal not in _TOO_LARGE:
            continue
        low, high = 0, size  # closing `low` works (or nothing does), closing `high` does not
        while high - low > max(size // 1_000, 1):
            middle = (low + high) // 2
            if _attempt(ledger, env, liquidator, account, market, middle, apply=False) is None:
                low = middle
            else:
                high = middle
        if low and _attempt(ledger, env, liquidator, account, market, low, apply=True) is None:
            return LiquidationOrder(account, market, low)
    return None


def _by_notional(ledger: Ledger, env: Env, account: str) -> list[int]:
    """The markets where ``account`` holds a position, largest notional at the oracle first."""
    held = [m for m in ledger.markets if ledger.position(account, m) and m in env.prices]
    return sorted(held, key=lambda m: (-abs(ledger.position(account, m)) * env.prices[m], m))


def _attempt(
    ledger: Ledger, env: Env, liquidator: str, account: str, market: int, size: int, *, apply: bool
) -> str | None:
    """The Vault's refusal of this close now (its custom error), or None when it takes it; with
    ``apply`` a close taken is booked on ``ledger`` and ``env``, otherwise both stay as they are."""
    if not apply:
        ledger = ledger.copy()
        env = Env(env.now, env.prices, {m: Pool(p.base, p.quote, p.fee_bps) for m, p in env.pools.items()})
    try:
        ledger.liquidate(liquidator, account, market, size, env)
    except LedgerViolation as exc:
        return exc.error
    except AmmMathError as exc:
        return type(exc).__name__
    return None
