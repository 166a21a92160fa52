"""What a scenario run records: the input of every metric, table, plot and report.

The runner (``defi_int.sim``) fills a ``RunResult`` from the chain's events and views; the metrics
(``defi_int.metrics``) turn it into ``fills.csv``, ``timeseries.csv``, ``summary.json``, charts and
``report.html`` without touching the chain. Amounts are exact integers in their on-chain units
(``defi_int.types``): sizes in 1e18 base units, prices in 1e18 USD per base unit, cash in
collateral units. Floats appear only in the statistics derived from these records.
"""

from __future__ import annotations

from collections.abc import MutableSequence
from dataclasses import dataclass, field
from typing import Literal

from defi_int.orders.booking import Leg
from defi_int.params import KeeperParams

DeskEventKind = Literal["mark", "internal", "hedge", "fee", "funding", "liquidation", "capital"]


OrderStatus = Literal["open", "filled", "expired", "rejected", "cancelled"]


@dataclass
class OrderLog:
    """One order the keeper received, from receipt to its end: the execution-quality report's input.

    The ``*_at_receipt`` figures are what the desk saw when the order arrived (``keeper.quote``'s
    receipt: the oracle, the AMM's mid, the desk's own price and the AMM's average price for the
    order's whole size; ``None`` where there was none). ``status`` is where the order ended:
    ``filled`` (whole), ``expired`` or ``cancelled`` (with ``filled`` what it got before),
    ``rejected`` (``reason`` says why), ``open`` (still resting when the run ended). ``action`` and
    ``reason`` are the latest batch's trace (``keeper.trace``), or the rejection's reason.
    """

    digest: bytes
    trader: str
    market: int
    is_buy: bool
    size: int
    limit_price: int
    expiry: int
    allow_amm: bool
    max_fee_bps: int
    received_step: int
    received_time: int
    oracle_at_receipt: int | None = None
    amm_mid_at_receipt: int | None = None
    desk_price_at_receipt: int | None = None
    amm_price_at_receipt: int | None = None
    marketable: bool = False  # the limit reached the better of the two prices at receipt
    status: OrderStatus = "open"
    action: str | None = None
    reason: str | None = None
    filled: int = 0
    internal: int = 0  # of ``filled``: from the desk's inventory
    first_fill_time: int | None = None
    last_fill_time: int | None = None
    p_toxic: float | None = None  # the toxicity model's score at receipt (None: no model)
    expected_markout_bps: float | None = None
    features: tuple[float, ...] | None = None  # what the model saw at receipt (``toxicity.OrderFeatures.NAMES``)


@dataclass(frozen=True)
class ScoredLabel:
    """A prediction made at an order's receipt against its outcome: the desk's markout at the horizon.

    ``counterfactual``: the order was not filled from inventory by then; the label is the desk's
    quote at receipt marked at the horizon (what filling it would have earned).
    """

    digest: bytes
    trader: str
    step: int  # the step of the trade (the fill's, or the receipt's for a counterfactual label)
    marked_at: int  # the step its markout was measured
    size: int
    p_toxic: float
    expected_markout_bps: float
    markout_bps: float
    counterfactual: bool


@dataclass(frozen=True)
class Hedge:
    """One of the desk's own AMM trades (a hedge of its book past the soft limit), as it settled."""

    step: int
    block: int
    time: int  # the block's timestamp
    market: int
    is_buy: bool  # the desk's side
    size: int  # base units
    quote: int  # collateral paid (buy) or received (sell)
    oracle_price: int  # the oracle mark when the hedge was decided, 1e18
    gas: int = 0


@dataclass(frozen=True)
class Counterfactual:
    """One order whose planned legs a counterfactual re-match of its batch changed (``keeper.audit``).

    ``variant`` is the re-match: ``permuted`` (the batch's orders served in reverse arrival order)
    or ``no_skew`` (priced without the inventory skew). The first four numbers are the batch's plan,
    the ``cf_`` ones the re-match's, both before validation: sizes in base units, the internal
    price 1e18 (0 without an internal leg), the AMM quote in collateral units (0 without one).
    """

    step: int
    block: int  # the block of the view the batch was planned on
    market: int
    digest: bytes
    trader: str
    is_buy: bool
    variant: str
    mark: int  # the batch's oracle mark, 1e18
    internal: int
    internal_price: int
    amm: int
    amm_quote: int
    cf_internal: int
    cf_internal_price: int
    cf_amm: int
    cf_amm_quote: int


_KEEPER = KeeperParams()


@dataclass(frozen=True)
class AuditSettings:
    """The audits' declared parameters (``keeper.trading_ahead_blocks`` ..., ``defi_int.params``)."""

    trading_ahead_blocks: int = _KEEPER.trading_ahead_blocks
    equal_treatment_bps: float = _KEEPER.equal_treatment_bps
    routing_period_seconds: int = _KEEPER.routing_period_seconds

    @classmethod
    def from_params(cls, keeper: KeeperParams) -> AuditSettings:
        return cls(keeper.trading_ahead_blocks, keeper.equal_treatment_bps, keeper.routing_period_seconds)


@dataclass(frozen=True)
class TimePoint:
    """The state of one market at the end of one scenario step."""

    step: int
    block: int
    time: int
    market: int
    index_price: int  # the price path's value at this step (what informed traders foresee), 1e18
    oracle_price: int  # the price the oracle holds (it may lag the path or be stale), 1e18
    amm_mid: int  # 1e18
    inventory: int  # the desk's position in this market, base units
    desk_cash: int  # the desk's Vault cash (all markets), collateral units
    fee_cash: int  # the fee recipient's Vault cash, collateral units
    desk_nav: int = 0  # Vault.deskNav() at the oracle's last prices, collateral units
    total_shares: int = 0  # the desk's shares outstanding (DeskShares.totalShares)


@dataclass(frozen=True)
class DeskEvent:
    """One change to the desk as a business (its Vault book plus the fee account), in chain order.

    - ``mark``: the oracle price of ``market`` became ``price`` (no cash, no base).
    - ``internal``: the desk took the other side of an internal leg: its position moved by
      ``base_delta`` and its cash by ``cash_delta``; ``price`` is the oracle price at that moment.
    - ``hedge``: the desk traded its own book on the AMM (same fields as ``internal``).
    - ``fee``: the fee account's cash grew by ``cash_delta`` (``base_delta`` 0, ``price`` 0).
    - ``funding``: the desk's book settled funding: its cash moved by ``cash_delta`` (+: received).
    - ``liquidation``: the desk took a liquidated account's position at the oracle ``price`` (same
      fields as ``internal``).
    """

    step: int
    kind: DeskEventKind
    market: int
    base_delta: int
    cash_delta: int
    price: int


@dataclass(frozen=True)
class LiquidationRecord:
    """One liquidation the keeper sent (the Vault's ``Liquidated``, with the bad debt it realized)."""

    step: int
    block: int
    account: str
    trader_type: str
    market: int
    size: int  # base units closed, signed as the position was (+: a long was closed)
    to_desk: int  # taken by the desk at ``mark``
    to_amm: int  # closed on the AMM for ``amm_quote``
    amm_quote: int
    mark: int  # the oracle price of the close, 1e18
    penalty: int  # collateral units the account paid (liquidator's share and insurance fund's)
    bad_debt: int  # collateral units the insurance fund paid for the account
    uncovered: int  # the part of ``bad_debt`` beyond what the fund held


@dataclass(frozen=True)
class BookState:
    """The desk as a business at one moment: its Vault cash and positions, the fee account, marks."""

    cash: int
    fee_cash: int
    positions: dict[int, int]  # market -> desk position, base units
    marks: dict[int, int]  # market -> oracle price, 1e18


#: The ``RunResult`` lists that grow with the run (a recorder spools them: ``metrics.spool``).
RECORD_LISTS = ("fills", "orders", "labels", "hedges", "counterfactuals", "timeseries", "desk_events", "liquidations")


@dataclass
class RunResult:
    """Everything a run produced; ``defi_int.metrics.report.write_report`` turns it into files.

    The record lists grow with the run: a run's recorder makes them ``metrics.spool.SpooledList``s
    (full chunks on disk, read back in one pass), anything else may set plain lists. Read them by
    iterating, ``len`` or indexing, as sequences, never by assuming a ``list``.
    """

    scenario: str
    seed: int
    backend: str  # the backend (revm, pyevm, anvil) or the node URL
    contracts: dict[str, str]  # contract name -> address
    price_scale: int  # size (1e18) * price (1e18) / price_scale = collateral units
    decimals: int  # collateral token decimals
    block_time: int  # seconds per scenario step
    markout_horizons: tuple[int, ...]  # in steps
    trader_types: dict[str, str] = field(default_factory=dict)  # lower-case address -> population name
    closing_prices: dict[int, int] = field(default_factory=dict)  # market -> the path at the run's end (not posted)
    flow_digest: str = ""  # sha256 of every order the agents sent, in order (the run's order flow)
    fills: MutableSequence[Leg] = field(default_factory=list)  # every booked leg, in chain order (``booking``)
    orders: MutableSequence[OrderLog] = field(default_factory=list)  # every order received, in arrival order
    labels: MutableSequence[ScoredLabel] = field(default_factory=list)  # the model's predictions against outcomes
    hedges: MutableSequence[Hedge] = field(default_factory=list)  # the desk's own AMM trades, in chain order
    counterfactuals: MutableSequence[Counterfactual] = field(default_factory=list)  # re-matches that changed an order
    amm_fee_bps: dict[int, int] = field(default_factory=dict)  # market -> the AMM pool's fee
    audit: AuditSettings = field(default_factory=AuditSettings)
    timeseries: MutableSequence[TimePoint] = field(default_factory=list)
    desk_events: MutableSequence[DeskEvent] = field(default_factory=list)
    start: BookState = field(default_factory=lambda: BookState(0, 0, {}, {}))
    end: BookState = field(default_factory=lambda: BookState(0, 0, {}, {}))
    orders_total: int = 0  # signed orders the keeper received
    orders_filled: int = 0  # orders with at least one settled leg
    orders_rejected: int = 0  # orders dropped with a reason (off-chain intake or isolated on-chain revert)
    orders_expired: int = 0  # orders that rested until expiry without any fill
    orders_open: int = 0  # orders still resting in the keeper's book when the run ended
    rejections: dict[str, int] = field(default_factory=dict)  # reason code (``defi_int.reasons``) -> count
    arbitrage_reverts: dict[str, int] = field(default_factory=dict)  # custom error -> the arbitrageurs' reverted swaps
    settle_transactions: int = 0
    settle_gas: int = 0  # gas used by all settle transactions
    hedge_transactions: int = 0
    hedge_gas: int = 0
    liquidations: MutableSequence[LiquidationRecord] = field(default_factory=list)
    liquidation_gas: int = 0
    insurance_fund: int = 0  # the insurance fund's Vault cash at the end, collateral units
    depositors: dict[str, int] = field(default_factory=dict)  # the depositors' share operations by outcome
    invariants: dict[str, bool] = field(default_factory=dict)  # name -> holds, read from the chain at the end

    def trader_type(self, trader: str) -> str:
        """The population ``trader`` belongs to (``"unknown"`` outside the scenario's, e.g. the bot's)."""
        return self.trader_types.get(trader.lower(), "unknown")

    wall_seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)  # where the wall time went (setup, oracle ...)
