"""What a scenario run records: the input of every metric, table, plot and report.

The runner (``defi_int.sim``) fills a ``RunResult`` from the chain's events and views; the metrics
(``defi_int.metrics``) turn it into ``fills.csv``, ``timeseries.csv``, ``summary.json``, plots and
``report.html`` without touching the chain. Amounts are exact integers in their on-chain units
(``defi_int.types``): sizes in 1e18 base units, prices in 1e18 USD per base unit, cash in
collateral units. Floats appear only in the statistics derived from these records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

Venue = Literal["internal", "amm"]
DeskEventKind = Literal["mark", "internal", "hedge", "fee", "funding", "liquidation", "capital"]


@dataclass(frozen=True)
class FillRecord:
    """One leg of one settled order, as the chain booked it (``FillsSettled``).

    A fill with both an internal and an AMM leg gives two records (venue ``internal`` then
    ``amm``). Prices of AMM legs are averages: ``quote * price_scale / size`` rounded against the
    trader (up on a buy, down on a sell), which is exactly how the contract checks the limit.
    """

    step: int  # scenario step (one keeper batch per step)
    block: int  # block of the settle transaction
    time: int  # that block's timestamp
    order_digest: str  # 0x-prefixed EIP-712 digest
    trader: str
    trader_type: str  # the population the trader belongs to: "noise", "informed"
    market: int
    is_buy: bool  # the trader's side
    venue: Venue
    size: int  # base units (1e18)
    quote: int  # collateral units paid (buy) or received (sell) for ``size``, before the fee
    price: int  # 1e18: the internal price, or the AMM leg's average price
    limit_price: int  # the order's limit (1e18)
    oracle_price: int  # the oracle price at settlement (1e18)
    amm_mid: int  # the AMM's mid just before this leg (1e18)
    amm_quote: int  # collateral the AMM would have charged (buy) / paid (sell) for ``size`` just before this leg
    amm_quote_price: int  # ``amm_quote`` as an average price, rounded like ``price``
    fee: int  # collateral units charged on this leg
    gas: int  # this record's share of its settle transaction's gas (shares sum to the gas used)


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


@dataclass
class RunResult:
    """Everything a run produced; ``defi_int.metrics.report.write_report`` turns it into files."""

    scenario: str
    seed: int
    backend: str  # the backend (revm, pyevm, anvil) or the node URL
    contracts: dict[str, str]  # contract name -> address
    price_scale: int  # size (1e18) * price (1e18) / price_scale = collateral units
    decimals: int  # collateral token decimals
    block_time: int  # seconds per scenario step
    markout_horizons: tuple[int, ...]  # in steps
    closing_prices: dict[int, int] = field(default_factory=dict)  # market -> the path at the run's end (not posted)
    flow_digest: str = ""  # sha256 of every order the agents sent, in order (the run's order flow)
    fills: list[FillRecord] = field(default_factory=list)
    timeseries: list[TimePoint] = field(default_factory=list)
    desk_events: list[DeskEvent] = field(default_factory=list)
    start: BookState = field(default_factory=lambda: BookState(0, 0, {}, {}))
    end: BookState = field(default_factory=lambda: BookState(0, 0, {}, {}))
    orders_total: int = 0  # signed orders the keeper received
    orders_filled: int = 0  # orders with at least one settled leg
    orders_rejected: int = 0  # orders dropped with a reason (off-chain intake or isolated on-chain revert)
    orders_expired: int = 0  # orders that rested until expiry without any fill
    orders_open: int = 0  # orders still resting in the keeper's book when the run ended
    rejections: dict[str, int] = field(default_factory=dict)  # reason code -> count
    settle_transactions: int = 0
    settle_gas: int = 0  # gas used by all settle transactions
    hedge_transactions: int = 0
    hedge_gas: int = 0
    liquidations: list[LiquidationRecord] = field(default_factory=list)
    liquidation_gas: int = 0
    insurance_fund: int = 0  # the insurance fund's Vault cash at the end, collateral units
    depositors: dict[str, int] = field(default_factory=dict)  # the depositors' share operations by outcome
    invariants: dict[str, bool] = field(default_factory=dict)  # name -> holds, read from the chain at the end
    wall_seconds: float = 0.0
    phase_seconds: dict[str, float] = field(default_factory=dict)  # where the wall time went (setup, oracle ...)
