"""``Vault.liquidate`` in Python, exact to the unit (``contracts/vault/VaultLiquidation.sol``).

``liquidate(ledger, liquidator, account, market, size, env)`` books on ``ledger`` (and moves
``env.pools``) what the Vault books, or raises ``LedgerViolation`` naming its custom error. The
steps, in the contract's order:

1. the account settles its funding in ``market``; it must be below maintenance margin and hold a
   position there; a ``size`` below the minimum (``min_liquidation_notional`` at the oracle price)
   is refused unless it is the whole position;
2. the close factor (``close_factor``) bounds the size: the whole position below
   ``full_liquidation_bps`` of maintenance, when the penalty is not below maintenance plus the
   buffer, or when less would leave less than the minimum; else what brings the account back to
   maintenance plus ``liquidation_buffer_bps`` at the oracle price after the penalty;
3. the desk takes what its cap and margin allow at the oracle price (``desk_room``), the AMM what
   it can of the rest within the slippage bound and its floor (``amm_room``, bisection to within
   2^-20); nothing taken by either raises ``CannotClose``;
4. the closes are booked, the penalty (capped at the equity left) split, bad debt realized, the
   funding charges paid to the pool, and a pool that moved sampled again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from defi_int.market.amm import Pool, get_amount_in, get_amount_out
from defi_int.market.books import INSURANCE_FUND, Env, LedgerViolation, book_margin, ceil_div, is_reducing
from defi_int.types import BPS


class Ledger(Protocol):
    """What a liquidation reads and books of ``market.ledger.Ledger`` (its parameters, the books'
    rounding and checks): the ledger calls this module, so this module names only the part it uses."""

    price_scale: int
    maintenance_margin_bps: int
    desk: str
    amm: str
    markets: list[int]
    caps: dict[int, int]
    cash: dict[str, int]
    penalty_bps: int
    liquidator_share_bps: int
    max_slippage_bps: int
    liquidation_buffer_bps: int
    full_liquidation_bps: int
    min_liquidation_notional: int
    bad_debt: int

    def position(self, account: str, market: int) -> int: ...
    def margin_state(self, account: str, env: Env, ratio_bps: int) -> tuple[int, int]: ...
    def _accrue(self, market: int, env: Env) -> tuple[int, int]: ...
    def _apply(
        self, account: str, market: int, base: int, cash: int, mark: int, unit: int, *, log: bool = True
    ) -> tuple[int, int]: ...
    def _pool(self, market: int, total: int, mark: int, unit: int) -> None: ...
    def _check(self, account: str, market: int, before: int, after: int, env: Env) -> None: ...


MAX_RESERVE = 2**112 - 1


@dataclass(frozen=True)
class Liquidation:
    """What ``Ledger.liquidate`` did (the ``Liquidated`` event's fields)."""

    account: str
    market: int
    liquidator: str
    size: int  # signed as the position was
    to_desk: int
    to_amm: int
    amm_quote: int
    mark: int
    penalty: int
    bad_debt: int  # realized now (0: none)


def liquidate(ledger: Ledger, liquidator: str, account: str, market: int, size: int, env: Env) -> Liquidation:
    """The body of ``Vault.liquidate`` once its guards passed; see the module docstring."""
    mark, unit = ledger._accrue(market, env)
    pos, charged = ledger._apply(account, market, 0, 0, mark, unit)
    total = charged
    value, required = ledger.margin_state(account, env, ledger.maintenance_margin_bps)
    if value >= 0 and value >= required:
        raise LedgerViolation("NotLiquidatable", f"{account} holds {value} >= maintenance {required}")
    if pos == 0:
        raise LedgerViolation("NoPosition", f"{account} has no position in market {market}")
    price = env.prices.get(market)
    if price is None:
        raise LedgerViolation("StalePrice", f"market {market} has no fresh oracle price")
    held, long = abs(pos), pos > 0
    side = 1 if long else -1
    least = ceil_div(ledger.min_liquidation_notional * ledger.price_scale, price)
    if size < least and size < held:
        raise LedgerViolation("LiquidationTooSmall", f"size {size} below the minimum {least}")
    allowed = min(size, close_factor(ledger, account, env, held, price, value, required, least))
    to_desk = desk_room(ledger, env, market, long, price, allowed)
    if to_desk < allowed and to_desk < least:  # no partial close below the minimum
        to_desk = 0
    to_amm = amm_room(ledger, env, market, long, price, allowed - to_desk, least)
    closed = to_desk + to_amm
    if closed == 0:
        raise LedgerViolation("CannotClose", f"neither the desk nor the AMM can take any of {allowed}")
    cash = 0
    desk_before = amm_before = amm_quote = 0
    if to_desk:
        amount = to_desk * price
        quote = amount // ledger.price_scale if long else -ceil_div(amount, ledger.price_scale)
        cash += quote
        desk_before, desk_charged = ledger._apply(ledger.desk, market, side * to_desk, -quote, mark, unit)
        total += desk_charged
    if to_amm:
        amm_quote = _amm_close(ledger, env, market, long, price, to_amm)
        quote = amm_quote if long else -amm_quote
        cash += quote
        amm_before, amm_charged = ledger._apply(ledger.amm, market, side * to_amm, -quote, mark, unit)
        total += amm_charged
    ledger._apply(account, market, -side * closed, cash, mark, unit)
    penalty, liquidator_charged = _penalty(ledger, liquidator, account, market, closed, price, mark, unit, env)
    total += liquidator_charged
    debt = _realize_bad_debt(ledger, account, market, mark, unit)
    ledger._pool(market, total, mark, unit)
    if to_amm:
        ledger._accrue(market, env)
    if to_desk:
        ledger._check(ledger.desk, market, desk_before, desk_before + side * to_desk, env)
    if to_amm:
        ledger._check(ledger.amm, market, amm_before, amm_before + side * to_amm, env)
    return Liquidation(account, market, liquidator, side * closed, to_desk, to_amm, amm_quote, price, penalty, debt)


def close_factor(
    ledger: Ledger, account: str, env: Env, held: int, price: int, value: int, required: int, least: int
) -> int:
    """The most a liquidation may close of a position of ``held`` (``VaultLiquidation._closeFactor``)."""
    if value < 0 or value * BPS < required * ledger.full_liquidation_bps:
        return held
    ratio = ledger.maintenance_margin_bps + ledger.liquidation_buffer_bps
    if ratio <= ledger.penalty_bps:
        return held
    target = ledger.margin_state(account, env, ratio)[1]
    need = ceil_div((target - value + 3) * ledger.price_scale * BPS, price * (ratio - ledger.penalty_bps))
    need = max(need, least)
    return held if need >= held or held - need < least else need


def _house_margin(ledger: Ledger, account: str, env: Env) -> tuple[int, int] | None:
    """(equity, maintenance) of a house book, or None when a market it holds is stale."""
    try:
        return ledger.margin_state(account, env, ledger.maintenance_margin_bps)
    except LedgerViolation:
        return None


def desk_room(ledger: Ledger, env: Env, market: int, long: bool, price: int, allowed: int) -> int:
    """What the desk takes at the oracle price (``VaultLiquidation._deskRoom``)."""
    pos = ledger.position(ledger.desk, market)
    facing = pos if long else -pos
    cap = ledger.caps.get(market, 0)
    if cap <= facing:
        return 0
    want = min(allowed, cap - facing)
    free = -facing if facing < 0 else 0
    if want <= free:
        return want
    state = _house_margin(ledger, ledger.desk, env)
    if state is None:
        return free
    value, required = state
    m, scaled = ledger.maintenance_margin_bps, ledger.price_scale * BPS
    slack = value - required + ceil_div(abs(facing) * price * m, scaled)
    if slack <= 0:
        return free
    room = slack * scaled // (price * m) - facing
    if room <= free:
        return free
    return min(room, want)


def amm_room(ledger: Ledger, env: Env, market: int, long: bool, price: int, want: int, least: int) -> int:
    """What the AMM closes of ``want`` (``VaultLiquidation._ammRoom``): a partial close below
    ``least`` (the minimum size) is none."""
    if want == 0 or not ledger.amm:
        return 0
    pool = env.pools.get(market)
    if pool is None or pool.base == 0:
        return 0
    position = ledger.position(ledger.amm, market)
    state = _house_margin(ledger, ledger.amm, env)
    own = book_margin(position, price, ledger.maintenance_margin_bps, ledger.price_scale)[1]

    def takes(size: int) -> bool:
        ok, amount = amm_quote(ledger, pool, long, price, size)
        if not ok:
            return False
        after = position + (size if long else -size)
        if is_reducing(position, after):
            return True
        if state is None:
            return False
        before = book_margin(position, price, 0, ledger.price_scale)[0]
        value, required = book_margin(after, price, ledger.maintenance_margin_bps, ledger.price_scale)
        value += state[0] - before + (-amount if long else amount)
        required += state[1] - own
        return value >= 0 and value >= required

    if takes(want):
        return want
    lo, hi = 0, want
    while hi - lo > 1 and hi - lo > hi >> 20:
        mid = (lo + hi) >> 1
        if takes(mid):
            lo = mid
        else:
            hi = mid
    return 0 if lo < least else lo


def amm_quote(ledger: Ledger, pool: Pool, long: bool, price: int, size: int) -> tuple[bool, int]:
    """The AMM's quote for closing ``size`` and whether it is within the bound and the pool's range."""
    notional, slip = size * price, ledger.max_slippage_bps
    if long:
        if pool.base + size > MAX_RESERVE:
            return False, 0
        amount = get_amount_out(size, pool.base, pool.quote, pool.fee_bps)
        return amount != 0 and amount >= notional * (BPS - slip) // (ledger.price_scale * BPS), amount
    if size >= pool.base:
        return False, 0
    amount = get_amount_in(size, pool.quote, pool.base, pool.fee_bps)
    if pool.quote + amount > MAX_RESERVE:
        return False, 0
    return amount <= ceil_div(notional * (BPS + slip), ledger.price_scale * BPS), amount


def _amm_close(ledger: Ledger, env: Env, market: int, long: bool, price: int, size: int) -> int:
    """``PerpAmm.liquidationSwap``: the pool moves; ``amm_room`` made sure it takes ``size``."""
    pool = env.pools[market]
    trial = Pool(pool.base, pool.quote, pool.fee_bps)
    quote = trial.swap(not long, size)
    env.pools[market] = trial
    return quote


def _penalty(
    ledger: Ledger,
    liquidator: str,
    account: str,
    market: int,
    closed: int,
    price: int,
    mark: int,
    unit: int,
    env: Env,
) -> tuple[int, int]:
    penalty = ceil_div(closed * price * ledger.penalty_bps, ledger.price_scale * BPS)
    left = ledger.margin_state(account, env, 0)[0]
    if left <= 0:
        return 0, 0
    penalty = min(penalty, left)
    if penalty == 0:
        return 0, 0
    share = penalty * ledger.liquidator_share_bps // BPS
    ledger._apply(account, market, 0, -penalty, mark, unit)
    charged = ledger._apply(liquidator, market, 0, share, mark, unit)[1] if share else 0
    if penalty != share:
        ledger._apply(INSURANCE_FUND, market, 0, penalty - share, mark, unit)
    return penalty, charged


def _realize_bad_debt(ledger: Ledger, account: str, market: int, mark: int, unit: int) -> int:
    if any(ledger.position(account, m) for m in ledger.markets):
        return 0
    debt = -ledger.cash.get(account, 0)
    if debt <= 0:
        return 0
    ledger._apply(account, market, 0, debt, mark, unit)
    ledger._apply(INSURANCE_FUND, market, 0, -debt, mark, unit)
    ledger.bad_debt += debt
    return debt
