"""What the desk knows when an order arrives: one feature vector per order, computed at receipt.

Data flow, the same in the simulator and the bot (both through ``scorer.Scorer``)::

    observe_market(step, now, market, oracle, updated_at, amm_mid, amm_base)   once per step and market
        │   the oracle's path (the last 21 steps), the pool, the oracle's age
        ▼
    features(order, now, inventory, cap, fills, marked)   at receipt -> OrderFeatures (pure read)
        ▼
    note_order(order, now)   after scoring: the market's recent flow and the trader's last order

``OrderFeatures`` holds four groups (``NAMES`` is their stable order, ``as_array`` the model's row):

- **the trader**: internal fills marked so far and their size-weighted mean markout (the per-trader
  rule's inputs, ``traders.TraderBook`` of fills); the orders marked so far, counterfactual labels
  included, with their mean and recency-weighted markout; seconds since the trader's last order
  (``IDLE_CAP_S`` for a trader never seen);
- **the order**: size in base units and as a share of the AMM's base reserve; aggressiveness (how
  far the limit reaches through the oracle, bps); ``allowAmm``; ``maxFeeBps``; seconds to expiry;
- **the market**: oracle log-returns over the last 1, 5 and 20 steps (bps; 0 until that much
  history); realized volatility (root mean square of the last 20 one-step returns, bps per step);
  the AMM mid's deviation from the oracle (bps); the oracle's age (seconds); the flow of the last
  ``FLOW_WINDOW`` steps (the current one included, the orders received before this one): its
  imbalance (Σ signed size / Σ size, in −1..1), its net signed size (base units) and how many
  orders it holds. The imbalance alone hides how much flow leans one way: two orders on one side
  and twelve on one side are both an imbalance of 1, and informed takers who act on the same news
  arrive as the second kind;
- **the desk**: its inventory as a share of the cap; its quote for the order's whole size at
  receipt, in bps from the oracle on the desk's side (its half-spread and its inventory skew: what
  the desk earns against the oracle before the price moves; 0 when it quotes none). A label is the
  desk's markout at that quote, so the quote's part of it is known at receipt, and the models
  learn only the rest, the move (``models``).

Directional features are in the order's direction (× +1 for a buy, −1 for a sell): a positive
return, AMM deviation or flow imbalance means the market moves the way the order trades; a
positive inventory share means filling the order brings the desk's inventory toward zero. So a
model sees buys and sells alike.

Pure: ints in, floats out; no chain, no model.
"""

from __future__ import annotations

import itertools
import math
from collections import deque
from dataclasses import dataclass, field, fields
from operator import attrgetter
from typing import Any, ClassVar

import numpy as np
import numpy.typing as npt

from defi_int.keeper.toxicity.traders import TraderStats
from defi_int.orders.model import Order
from defi_int.types import BPS, ONE

#: Seconds since the last order of a trader never seen before (and the most the feature shows).
IDLE_CAP_S = 86_400.0
#: Returns are measured over these many steps.
RETURN_STEPS = (1, 5, 20)
#: Realized volatility over the last this many one-step returns.
VOLATILITY_STEPS = 20
#: The flow imbalance counts the orders of the last this many steps, the current one included.
FLOW_WINDOW = 5


@dataclass(frozen=True, slots=True)
class OrderFeatures:
    """The features of one order at receipt; see the module docstring for each group."""

    # the trader
    trader_fills: int  # internal fills marked
    trader_fill_markout_bps: float  # their size-weighted mean markout (0 before the first)
    trader_marked: int  # orders marked, counterfactual labels included
    trader_mean_bps: float  # their size-weighted mean markout
    trader_recent_bps: float  # their recency-weighted mean markout
    trader_idle_s: float  # seconds since the trader's last order, at most IDLE_CAP_S
    # the order
    size: float  # base units
    size_share: float  # of the AMM's base reserve (0: no pool)
    aggressiveness_bps: float  # how far the limit reaches through the oracle, in the order's direction
    allow_amm: int  # 0 or 1
    max_fee_bps: int
    expiry_s: float  # seconds to expiry
    # the market, in the order's direction
    return_1_bps: float
    return_5_bps: float
    return_20_bps: float
    volatility_bps: float  # per step, not signed
    amm_deviation_bps: float  # (AMM mid − oracle) / oracle
    oracle_age_s: float  # not signed
    flow_imbalance: float
    flow_net: float  # Σ signed size over the window, base units
    flow_orders: int  # orders in the window (not signed)
    # the desk
    inventory_share: float  # inventory / cap, + when filling brings the desk toward zero
    quote_spread_bps: float  # the desk's quote at receipt against the oracle, + when it is in the desk's favour

    NAMES: ClassVar[tuple[str, ...]]

    def as_array(self) -> npt.NDArray[np.float64]:
        """The features as a float row, in ``NAMES`` order."""
        return np.array(_VALUES(self), dtype=np.float64)

    def as_floats(self) -> tuple[float, ...]:
        """The features as floats, in ``NAMES`` order (the row ``as_array`` holds, as a tuple)."""
        return tuple(map(float, _VALUES(self)))

    def as_dict(self) -> dict[str, float]:
        """The features by name, as floats (river's input)."""
        return dict(zip(self.NAMES, map(float, _VALUES(self)), strict=True))

    @classmethod
    def from_array(cls, row: npt.NDArray[np.float64] | list[float]) -> OrderFeatures:
        """The inverse of ``as_array`` (counts and flags back to ints)."""
        values = [float(v) for v in row]
        if len(values) != len(cls.NAMES):
            raise ValueError(f"expected {len(cls.NAMES)} features, got {len(values)}")
        named: dict[str, Any] = {n: int(v) if n in _INTS else v for n, v in zip(cls.NAMES, values, strict=True)}
        return cls(**named)


OrderFeatures.NAMES = tuple(f.name for f in fields(OrderFeatures))
_VALUES = attrgetter(*OrderFeatures.NAMES)
_INTS = frozenset({"trader_fills", "trader_marked", "allow_amm", "max_fee_bps", "flow_orders"})


@dataclass
class _Market:
    """What the desk has seen of one market."""

    step: int = -1  # the latest step observed
    now: int = 0
    oracle: int = 0  # 1e18 USD per base unit
    updated_at: int = 0
    amm_mid: int = 0
    amm_base: int = 0
    log_prices: deque[float] = field(default_factory=lambda: deque(maxlen=max(RETURN_STEPS) + 1))
    returns: tuple[float, ...] = (0.0,) * len(RETURN_STEPS)  # of the oracle's path, up (not signed): at each read
    volatility: float = 0.0
    flow: deque[tuple[int, int]] = field(default_factory=deque)  # (step, signed size in base units) of recent orders
    flow_signed: int = 0  # Σ of ``flow``'s signed sizes, kept as orders come and go (exact integers)
    flow_total: int = 0  # Σ of their absolute values


@dataclass
class FlowWatch:
    """The market, flow and trader state features are computed from (see the module docstring)."""

    _markets: dict[int, _Market] = field(default_factory=dict)
    _last_order: dict[str, int] = field(default_factory=dict)  # trader -> unix seconds of the last order
    _swept_at: int = 0  # when traders idle long enough to read as never seen were last forgotten

    def observe_market(
        self, step: int, now: int, market: int, oracle_price: int, updated_at: int, amm_mid: int, amm_base: int
    ) -> None:
        """What the desk reads of ``market`` at ``step`` (once per step; a second read replaces the first).

        ``oracle_price`` is the last posted price (1e18), stale or not, posted at ``updated_at``;
        ``amm_mid`` the pool's mid (1e18, 0: no pool) and ``amm_base`` its base reserve.
        """
        if oracle_price <= 0:
            raise ValueError(f"market {market}: the oracle price must be positive, got {oracle_price}")
        state = self._markets.get(market)
        if state is None:
            state = self._markets[market] = _Market()
        if step < state.step:
            raise ValueError(f"market {market}: step {step} observed after step {state.step}")
        log_price = math.log(oracle_price / ONE)
        if step == state.step:
            state.log_prices[-1] = log_price
        else:
            state.log_prices.append(log_price)
        state.step, state.now = step, now
        state.returns = tuple(self._return(state, steps) for steps in RETURN_STEPS)
        state.volatility = self._volatility(state)
        state.oracle, state.updated_at, state.amm_mid, state.amm_base = oracle_price, updated_at, amm_mid, amm_base
        while state.flow and state.flow[0][0] <= step - FLOW_WINDOW:
            _, size = state.flow.popleft()
            state.flow_signed -= size
            state.flow_total -= abs(size)
        if now >= self._swept_at + IDLE_CAP_S:  # once a day: a trader idle for two reads as never seen
            self._swept_at = now
            self._last_order = {t: at for t, at in self._last_order.items() if now - at <= 2 * IDLE_CAP_S}

    def features(
        self,
        order: Order,
        now: int,
        inventory: int,
        cap: int,
        fills: TraderStats,
        marked: TraderStats,
        quote: int | None = None,
    ) -> OrderFeatures:
        """``order``'s features at ``now`` (pure: nothing is recorded; see ``note_order``).

        ``inventory`` is the desk's position in the order's market and ``cap`` the most it may hold
        (base units); ``fills`` the trader's marked internal fills, ``marked`` the trader's marked
        orders (counterfactual labels included); ``quote`` the desk's price for the order's whole
        size (1e18; None: it quotes none). A market never observed has zero market features.
        """
        side = 1.0 if order.is_buy else -1.0
        state = self._markets.get(order.market) or _Market()
        last = self._last_order.get(order.trader.lower())
        idle = IDLE_CAP_S if last is None else min(float(now - last), IDLE_CAP_S)
        oracle = state.oracle
        aggressiveness = side * (order.limit_price - oracle) * BPS / oracle if oracle else 0.0
        returns = [side * r for r in state.returns]
        deviation = (state.amm_mid - oracle) * BPS / oracle if oracle and state.amm_mid else 0.0
        signed, total = state.flow_signed / ONE, state.flow_total / ONE
        return OrderFeatures(
            trader_fills=fills.fills,
            trader_fill_markout_bps=fills.mean,
            trader_marked=marked.fills,
            trader_mean_bps=marked.mean,
            trader_recent_bps=marked.recent,
            trader_idle_s=idle,
            size=order.size / ONE,
            size_share=order.size / state.amm_base if state.amm_base else 0.0,
            aggressiveness_bps=aggressiveness,
            allow_amm=int(order.allow_amm),
            max_fee_bps=order.max_fee_bps,
            expiry_s=float(order.expiry - now),
            return_1_bps=returns[0],
            return_5_bps=returns[1],
            return_20_bps=returns[2],
            volatility_bps=state.volatility,
            amm_deviation_bps=side * deviation,
            oracle_age_s=float(now - state.updated_at) if state.updated_at else 0.0,
            flow_imbalance=side * signed / total if total else 0.0,
            flow_net=side * signed,
            flow_orders=len(state.flow),
            inventory_share=side * inventory / cap if cap else 0.0,
            quote_spread_bps=side * (quote - oracle) * BPS / oracle if quote and oracle else 0.0,
        )

    def note_order(self, order: Order, now: int) -> None:
        """An order was received (after scoring it): it joins its market's flow and its trader's clock."""
        state = self._markets.get(order.market)
        if state is None:
            state = self._markets[order.market] = _Market()
        size = order.size if order.is_buy else -order.size
        state.flow.append((state.step, size))
        state.flow_signed += size
        state.flow_total += order.size
        self._last_order[order.trader.lower()] = now

    def oracle(self, market: int) -> int:
        """The latest oracle price observed for ``market`` (0: never observed)."""
        state = self._markets.get(market)
        return state.oracle if state else 0

    @staticmethod
    def _return(state: _Market, steps: int) -> float:
        prices = state.log_prices
        if len(prices) <= steps:
            return 0.0
        return (prices[-1] - prices[-1 - steps]) * BPS

    @staticmethod
    def _volatility(state: _Market) -> float:
        prices = list(state.log_prices)[-VOLATILITY_STEPS - 1 :]
        if len(prices) < 2:
            return 0.0
        squares = [((b - a) * BPS) ** 2 for a, b in itertools.pairwise(prices)]
        return math.sqrt(sum(squares) / len(squares))
