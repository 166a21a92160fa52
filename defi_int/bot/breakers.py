"""Circuit breakers: a pure evaluation of the desk's state into which activities must stop.

The loop calls ``evaluate_breakers`` once per iteration with the snapshot it just read, the desk's
equity history and the kill switch's state (journaled; an admin endpoint or a signal sets it).
The answer, a ``BreakerBoard``, tells the loop what it may do per market and why not:

=================  ==========================================  =====================================
breaker            trips when                                  what stops
=================  ==========================================  =====================================
``kill_switch``    an operator engaged it                      everything: no settle, no hedge
``stale_oracle``   the oracle is stale for the chain, or older  that market: its orders rest
                   than ``max_oracle_age``
``amm_deviation``  the AMM mid is more than                    routing to the AMM in that market
                   ``max_amm_deviation_bps`` from the oracle
``drawdown``       the desk's equity fell more than            internal fills (every market)
                   ``max_drawdown_bps`` below its peak within
                   ``drawdown_window`` seconds
``inventory``      the desk's ``|inventory|`` reached           internal fills that would grow it
                   ``inventory_hard_stop_bps`` of its cap       (the other side still fills)
=================  ==========================================  =====================================

``BotState.publish`` journals every change of the board (``Journal.record_breakers``) and
exposes it in ``/metrics`` and ``/readyz``. Pure: ints and the snapshot, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from defi_int.bot.snapshot import DeskSnapshot
from defi_int.keeper.matching import Closure, Gate
from defi_int.params import YEAR_SECONDS, Declared, integer
from defi_int.reasons import Reason
from defi_int.types import BPS

KILL_SWITCH = "kill_switch"
STALE_ORACLE = "stale_oracle"
AMM_DEVIATION = "amm_deviation"
DRAWDOWN = "drawdown"
INVENTORY = "inventory"
#: Every breaker, in the order the board reports them.
BREAKERS = (KILL_SWITCH, STALE_ORACLE, AMM_DEVIATION, DRAWDOWN, INVENTORY)


@dataclass(frozen=True, kw_only=True)
class BreakerConfig(Declared):
    """[breakers]: the thresholds of the breakers (see the module docstring), each declared once."""

    max_oracle_age: int | None = integer(None, 1, YEAR_SECONDS, unit="seconds")  # None: the oracle's own
    max_amm_deviation_bps: int = integer(200, 1, BPS, unit="bps")
    max_drawdown_bps: int = integer(1_000, 1, BPS, unit="bps")
    drawdown_window: int = integer(86_400, 1, YEAR_SECONDS, unit="seconds")
    inventory_hard_stop_bps: int = integer(9_500, 1, BPS, unit="bps")  # of the market's inventory cap


@dataclass(frozen=True)
class Trip:
    """One open breaker: its name, its market (None: desk-wide) and why, in one line."""

    name: str
    market: int | None
    detail: str

    @property
    def key(self) -> tuple[str, int | None]:
        return self.name, self.market

    def reason(self) -> str:
        where = "" if self.market is None else f" on market {self.market}"
        return f"breaker {self.name} open{where}: {self.detail}"


@dataclass(frozen=True)
class BreakerBoard:
    """The open breakers at one moment, and what they allow."""

    trips: tuple[Trip, ...] = ()

    @property
    def closed(self) -> bool:
        return not self.trips

    def trip(self, name: str, market: int | None = None) -> Trip | None:
        """The open breaker ``name`` (for ``market``, or desk-wide), if any."""
        for t in self.trips:
            if t.name == name and t.market in (None, market):
                return t
        return None

    def blocks_settle(self, market: int) -> Trip | None:
        """Why nothing of ``market`` may settle now (the orders rest), or None."""
        return self.trip(KILL_SWITCH) or self.trip(STALE_ORACLE, market)

    def blocks_internal(self, market: int, trader_buys: bool, inventory: int) -> Trip | None:
        """Why the desk may not fill this side of ``market`` from its book now, or None.

        ``inventory`` is the desk's position: a trader's buy makes the desk sell, which grows a
        short desk's ``|inventory|``; the inventory breaker blocks only that growing side.
        """
        blocked = self.blocks_settle(market) or self.trip(DRAWDOWN)
        if blocked is not None:
            return blocked
        stop = self.trip(INVENTORY, market)
        grows = (inventory <= 0) if trader_buys else (inventory >= 0)
        return stop if stop is not None and grows else None

    def blocks_amm(self, market: int) -> Trip | None:
        """Why nothing may be routed to the AMM of ``market`` now, or None."""
        return self.blocks_settle(market) or self.trip(AMM_DEVIATION, market)

    def gate(self, market: int, inventory: int) -> Gate:
        """What the keeper's planner may do in ``market`` (the desk at ``inventory``), and why not."""
        return Gate(
            market=_closure(self.blocks_settle(market)),
            internal_buys=_closure(self.blocks_internal(market, True, inventory)),
            internal_sells=_closure(self.blocks_internal(market, False, inventory)),
            amm=_closure(self.blocks_amm(market)),
        )


def _closure(trip: Trip | None) -> Closure | None:
    """A trip as the keeper's reason: a stale oracle is ``stale_oracle``, any other breaker ``breaker_open``."""
    if trip is None:
        return None
    return Closure(Reason.STALE_ORACLE if trip.name == STALE_ORACLE else Reason.BREAKER_OPEN, trip.reason())


def evaluate_breakers(
    snapshot: DeskSnapshot,
    equity_history: Iterable[tuple[int, int]],
    config: BreakerConfig,
    *,
    kill_switch: str | None = None,
) -> BreakerBoard:
    """The breakers open for ``snapshot``; see the module docstring.

    ``equity_history`` is ``(time, equity)`` points (collateral units) before the snapshot; the
    snapshot's own ``equity`` counts as the latest point. ``kill_switch`` is the operator's reason
    when the switch is engaged, None otherwise.
    """
    trips: list[Trip] = []
    if kill_switch is not None:
        trips.append(Trip(KILL_SWITCH, None, kill_switch))
    for market in sorted(snapshot.markets):
        trips.extend(_market_trips(snapshot, market, config))
    drawdown = _drawdown(snapshot, list(equity_history), config)
    if drawdown is not None:
        trips.append(drawdown)
    order = {name: i for i, name in enumerate(BREAKERS)}
    trips.sort(key=lambda t: (order[t.name], -1 if t.market is None else t.market))
    return BreakerBoard(tuple(trips))


def _market_trips(snapshot: DeskSnapshot, market: int, config: BreakerConfig) -> list[Trip]:
    state = snapshot.markets[market]
    trips = []
    age = state.oracle_age(snapshot.time)
    if not state.fresh:
        trips.append(Trip(STALE_ORACLE, market, f"the oracle price is {age} s old, past its max age {state.max_age} s"))
    elif config.max_oracle_age is not None and age > config.max_oracle_age:
        trips.append(Trip(STALE_ORACLE, market, f"the oracle price is {age} s old, over {config.max_oracle_age} s"))
    mid = state.amm_mid(snapshot.price_scale)
    price = state.oracle_price
    if mid is not None and price > 0 and abs(mid - price) * BPS > config.max_amm_deviation_bps * price:
        deviation = abs(mid - price) * BPS / price
        trips.append(
            Trip(
                AMM_DEVIATION,
                market,
                f"the AMM mid is {deviation:.1f} bps from the oracle, over {config.max_amm_deviation_bps} bps",
            )
        )
    hard = state.inventory_cap * config.inventory_hard_stop_bps // BPS
    if state.inventory and abs(state.inventory) >= hard:
        trips.append(
            Trip(INVENTORY, market, f"|inventory| {abs(state.inventory)} reached the hard stop {hard} (base units)")
        )
    return trips


def _drawdown(snapshot: DeskSnapshot, history: Sequence[tuple[int, int]], config: BreakerConfig) -> Trip | None:
    if snapshot.equity is None:
        return None
    start = snapshot.time - config.drawdown_window
    window = [equity for time, equity in history if start <= time <= snapshot.time]
    peak = max([*window, snapshot.equity])
    if peak <= 0 or (peak - snapshot.equity) * BPS <= config.max_drawdown_bps * peak:
        return None
    fall = (peak - snapshot.equity) * BPS / peak
    return Trip(DRAWDOWN, None, f"desk equity is {fall:.1f} bps below its peak, over {config.max_drawdown_bps} bps")
