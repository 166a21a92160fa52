"""What goes into the journal and what comes out: plain frozen records, no SQLite.

Order statuses (``OrderRecord.status``) — an order is *live* while resting or partially filled::

    resting ──fills booked──▶ partially_filled ──▶ filled
       │ ▲                         │ ▲
       │ └──── fills unbooked (reorg) ┘
       └──────────┴──▶ cancelled | expired | rejected   (terminal; never while in flight)

Settle stages (``SettleRecord.stage``); *in flight* = planned, signed, sent or mined::

    planned ─▶ signed ─▶ sent ─▶ mined ─▶ confirmed ─▶ reconciled
       │         │ ▲ (replaced: same nonce, fees bumped; or a no-op cancel taking the nonce back)
       │         │ │  ▲       │ status 0 ─▶ failed
       │         │ │  └───────┴── mined / confirmed / reconciled, block no longer canonical: back to
       │         │ │              sent, fills unbooked, orders still in flight (the same signed
       │         │ │              transaction may land again, so nothing else may fill them)
       └─────────┴─┴──▶ dropped   (never landed: its nonce went to another transaction, or it was
                                   never signed); ``reorged`` instead when it had been mined once

An order in a settle in flight cannot be cancelled, expired or rejected; leaving flight (failed,
dropped, reorged, or mined without its fill) releases it back to its live status.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from defi_int.keeper.book import Receipt
from defi_int.orders.booking import Leg, LegContext
from defi_int.orders.model import Order
from defi_int.reasons import Reason

RESTING = "resting"
PARTIALLY_FILLED = "partially_filled"
FILLED = "filled"
CANCELLED = "cancelled"
EXPIRED = "expired"
REJECTED = "rejected"
ORDER_STATUSES = (RESTING, PARTIALLY_FILLED, FILLED, CANCELLED, EXPIRED, REJECTED)
LIVE = (RESTING, PARTIALLY_FILLED)
TERMINAL = (FILLED, CANCELLED, EXPIRED, REJECTED)

PLANNED, SIGNED, SENT, MINED = "planned", "signed", "sent", "mined"
CONFIRMED, RECONCILED = "confirmed", "reconciled"
FAILED, DROPPED, REORGED = "failed", "dropped", "reorged"
SETTLE_STAGES = (PLANNED, SIGNED, SENT, MINED, CONFIRMED, RECONCILED, FAILED, DROPPED, REORGED)
IN_FLIGHT = (PLANNED, SIGNED, SENT, MINED)
CLOSED = (FAILED, DROPPED, REORGED)
#: The transactions that go through the settle stages: a batch of fills, or one liquidation.
SETTLE, LIQUIDATION = "settle", "liquidation"


@dataclass(frozen=True)
class ReasonNote:
    """Why an order has not filled (or why it was rejected): the reason, a sentence, when."""

    code: Reason
    detail: str
    at: float


@dataclass(frozen=True)
class OrderRecord:
    """An order as the journal holds it."""

    order: Order
    signature: bytes
    digest: bytes
    status: str
    filled: int  # base units booked from the chain's events
    reason: ReasonNote | None
    received_at: float
    updated_at: float
    receipt: Receipt | None = None  # what the desk saw when the order arrived (``keeper.quote``)
    trace: dict[str, Any] | None = None  # the latest batch's trace (``OrderTrace.as_dict``)
    score: dict[str, Any] | None = None  # the toxicity model's score: model, p_toxic, expected_markout_bps

    @property
    def remaining(self) -> int:
        return self.order.size - self.filled

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass(frozen=True)
class OrderEvent:
    """One line of an order's history (``id`` and ``digest`` when read as a change feed)."""

    at: float
    event: str
    status: str
    detail: str
    settle_id: int | None
    id: int = 0
    digest: bytes = b""


@dataclass(frozen=True)
class SettleFill:
    """One fill of a settle as journaled from the keeper's ``PlannedFill``: the legs it expects, and
    the market they were planned against (what a booked leg records besides the chain's event)."""

    digest: bytes
    internal_size: int
    internal_price: int  # 0 without an internal leg
    amm_size: int
    amm_quote: int  # the AMM leg's expected quote, collateral units (0 without one)
    fee_bps: int
    mark: int | None = None  # the oracle price the legs were planned at (None: stale)
    amm_mid: int = 0  # the AMM's mid before this fill's legs (0: no pool)
    amm_reference: int | None = None  # the AMM's quote for the internal size (best execution), if compared
    internal_quote: int = 0  # the internal leg's notional, rounded against the trader
    internal_fee: int = 0

    @property
    def leg_context(self) -> LegContext:
        """What the plan knew of the market around this fill's legs (``orders.booking``)."""
        return LegContext(self.fee_bps, self.mark, self.amm_mid, self.amm_reference)


@dataclass(frozen=True)
class SignedTx:
    """A signed settle transaction (or a replacement of one at the same nonce)."""

    tx_hash: bytes
    raw: bytes
    nonce: int
    max_fee: int  # wei per gas
    priority_fee: int  # wei per gas
    gas_limit: int
    replaces: bytes | None = None
    signed_at: float = 0.0
    sent_at: float | None = None
    cancel: bool = False  # a no-op to the keeper itself, taking the nonce back from a settle that cannot land


@dataclass(frozen=True)
class LegRecord:
    """A booked leg with the transaction and block it came from."""

    settle_id: int
    tx_hash: bytes
    block_number: int
    block_hash: bytes
    block_time: int
    leg: Leg


@dataclass(frozen=True)
class Close:
    """The liquidation a journaled transaction sends: close up to ``size`` of ``account``'s position."""

    account: str
    market: int
    size: int  # base units, unsigned


@dataclass(frozen=True)
class SettleRecord:
    """A settle transaction through its stages (``kind`` liquidation: one ``Vault.liquidate``, no fills)."""

    id: int
    batch_id: str
    stage: str
    fills: tuple[SettleFill, ...]
    txs: tuple[SignedTx, ...]  # signed in order; the last one is the current
    nonce: int | None
    tx_hash: bytes | None  # the transaction expected to land, or that landed
    block_number: int | None
    block_hash: bytes | None
    block_time: int | None
    status: int | None
    gas_used: int | None
    confirmations: int | None
    detail: str
    times: dict[str, float]  # stage -> when it was reached (planned, signed, sent, mined ...)
    reorgs: int = 0  # times a reorg took its block away (it went back to sent)
    kind: str = SETTLE
    closes: tuple[Close, ...] = ()  # a liquidation's close

    @property
    def in_flight(self) -> bool:
        return self.stage in IN_FLIGHT

    @property
    def current(self) -> SignedTx | None:
        """The transaction now expected to land (the latest signed), if any."""
        return self.txs[-1] if self.txs else None


@dataclass(frozen=True)
class HedgeRecord:
    """A hedge of the desk's own book on the AMM, booked from its ``Hedged`` event."""

    tx_hash: bytes
    log_index: int
    block_number: int
    block_hash: bytes
    block_time: int
    market: int
    is_buy: bool  # the desk buys
    size: int
    quote: int
    oracle_price: int
    gas: int


@dataclass(frozen=True)
class FundingRecord:
    """One charge of the Vault's ``FundingSettled``: what ``account``'s book settled in ``market``."""

    tx_hash: bytes
    log_index: int
    position: int  # its place among the log's charges
    block_number: int
    block_hash: bytes
    account: str
    market: int
    amount: int  # collateral units; +: the account paid


@dataclass(frozen=True)
class LiquidationBooked:
    """One ``Liquidated`` (whoever sent it), with the bad debt its transaction realized for the account."""

    tx_hash: bytes
    log_index: int
    block_number: int
    block_hash: bytes
    block_time: int
    account: str
    market: int
    liquidator: str
    size: int  # signed as the position was
    to_desk: int  # taken by the desk at ``mark``
    to_amm: int
    amm_quote: int
    mark: int
    penalty: int
    bad_debt: int
    uncovered: int


@dataclass(frozen=True)
class Sample:
    """One market at one step of the loop's samples (the report's time series)."""

    step: int
    market: int
    block_number: int
    block_hash: bytes
    time: int
    oracle_price: int
    amm_mid: int
    inventory: int
    desk_cash: int
    fee_cash: int
    insurance_cash: int = 0


@dataclass(frozen=True)
class InFlight:
    """Where an order in flight is: its settle, the stage, the current transaction."""

    digest: bytes
    settle_id: int
    stage: str
    tx_hash: bytes | None


@dataclass(frozen=True)
class BreakerChange:
    """A breaker that opened or closed."""

    name: str
    market: int | None
    open: bool
    detail: str
    at: float


@dataclass(frozen=True)
class Cursor:
    """A block the loop has processed up to (``confirmed``, ``reconciled`` ...)."""

    name: str
    block: int
    block_hash: bytes
