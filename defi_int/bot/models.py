"""The API's request and response bodies (pydantic v2): strict, unknown fields refused.

Integers travel as decimal strings (a uint256 nonce does not fit a JSON number that JavaScript can
read back); booleans as JSON booleans; bytes as 0x-prefixed hex. The order's fields keep their
Solidity names (``limitPrice``, ``maxFeeBps`` ...), as in the EIP-712 message a wallet signs.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

Uint = Annotated[
    str, StringConstraints(pattern=r"^(0|[1-9][0-9]{0,77})$"), Field(description="an unsigned integer, decimal")
]
Int = Annotated[str, StringConstraints(pattern=r"^(0|-?[1-9][0-9]{0,77})$"), Field(description="an integer, decimal")]
Address = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{40}$"), Field(description="a 20-byte address")]
Bytes32 = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{64}$"), Field(description="32 bytes, hex")]
Signature = Annotated[str, StringConstraints(pattern=r"^0x[0-9a-fA-F]{130}$"), Field(description="65 bytes r|s|v, hex")]
Side = Literal["buy", "sell"]
OrderStatus = Literal["resting", "partially_filled", "filled", "cancelled", "expired", "rejected"]
#: ``GET /v1/orders?status=``: a status, or ``live`` (resting or partially filled).
StatusFilter = Literal["resting", "partially_filled", "filled", "cancelled", "expired", "rejected", "live"]

#: One line per pattern, for error messages that say what was expected.
PATTERN_MEANING = {
    r"^(0|[1-9][0-9]{0,77})$": "an unsigned integer as a decimal string (no sign, no leading zeros)",
    r"^(0|-?[1-9][0-9]{0,77})$": "an integer as a decimal string",
    r"^0x[0-9a-fA-F]{40}$": "a 0x-prefixed 20-byte hex address",
    r"^0x[0-9a-fA-F]{64}$": "0x and 64 hex digits",
    r"^0x[0-9a-fA-F]{130}$": "a 0x-prefixed 65-byte hex signature (r, s, v)",
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class OrderMessage(_Strict):
    """The EIP-712 ``Order`` message, field for field."""

    trader: Address
    market: Uint
    isBuy: bool
    size: Uint
    limitPrice: Uint
    expiry: Uint
    nonce: Uint
    maxFeeBps: Uint
    allowAmm: bool


class DomainIn(_Strict):
    """The EIP-712 domain the client signed in (optional; a mismatch is answered ``wrong_domain``)."""

    name: Annotated[str, StringConstraints(max_length=64)]
    version: Annotated[str, StringConstraints(max_length=16)]
    chainId: int | Uint
    verifyingContract: Address


class OrderSubmission(_Strict):
    """``POST /v1/orders``: a signed order."""

    order: OrderMessage
    signature: Signature
    domain: DomainIn | None = None


class OrderAccepted(_Strict):
    """The order's digest and status (``resting`` when new; a repeat gives its current status)."""

    digest: Bytes32
    status: str


class ErrorBody(_Strict):
    """Every 4xx/5xx answer: a machine-readable ``code`` and a one-line ``message``."""

    code: str
    message: str


class ReasonOut(_Strict):
    """A reason of the one vocabulary (``defi_int.reasons``): its code and the sentence for this case."""

    code: str
    message: str
    at: float | None = None


class LegOut(_Strict):
    """One booked leg of a fill."""

    txHash: Bytes32
    block: int
    blockHash: Bytes32
    venue: Literal["internal", "amm"]
    size: Uint
    price: Uint
    quote: Uint
    fee: Uint


class InFlightOut(_Strict):
    settleId: int
    stage: str
    txHash: Bytes32 | None


class EventOut(_Strict):
    at: float
    event: str
    status: str
    detail: str


class ReceiptOut(_Strict):
    """What the desk saw when the order arrived (prices 1e18 USD per base unit; the desk's and the
    AMM's for the order's whole size)."""

    time: int
    block: int
    oraclePrice: Uint
    oracleFresh: bool
    ammMid: Uint
    deskPrice: Uint | None
    ammPrice: Uint | None
    marketable: bool = Field(description="the limit reached the better of the desk's and the AMM's price")


class DecisionOut(_Strict):
    """The priced choice when a toxicity model scored the order (bps of its notional at the mark)."""

    model: str
    pToxic: float
    expectedMarkoutBps: float
    spreadBps: float
    riskBps: float
    evInternalBps: float
    routeCostBps: float
    widenBps: float
    cap: float


class ScoreOut(_Strict):
    """The toxicity model's score of the order at the keeper's intake."""

    model: str
    pToxic: float = Field(description="the probability that the desk's markout at the horizon is negative")
    expectedMarkoutBps: float = Field(description="the desk's expected markout at the horizon, bps of its price")


class TraceOut(_Strict):
    """What the latest batch that saw the order did with it, the numbers, and the one rule that bound."""

    action: Literal["internalize", "partial", "widen", "route", "rest", "decline"]
    reason: ReasonOut | None = Field(description="the rule that bound (null: filled whole from inventory)")
    remaining: Uint
    internalSize: Uint
    internalPrice: Uint
    ammSize: Uint
    ammQuote: Uint
    mark: Uint | None
    ammMid: Uint
    deskQuote: Uint | None = Field(description="the desk's price for the remaining size, before netting and room")
    ammReference: Uint | None = Field(description="collateral units the AMM would charge/pay for the remaining size")
    time: int | None
    decision: DecisionOut | None


class OrderOut(_Strict):
    """``GET /v1/orders/{digest}``."""

    digest: Bytes32
    status: OrderStatus
    order: OrderMessage
    filled: Uint
    remaining: Uint
    reason: ReasonOut | None = Field(description="why the order has not filled, or why it was closed")
    inFlight: InFlightOut | None = Field(description="the settle transaction the order is in, until it is final")
    receipt: ReceiptOut | None = Field(description="what the desk saw when the order arrived")
    trace: TraceOut | None = Field(description="what the latest batch that saw it did, and why")
    score: ScoreOut | None = Field(description="the toxicity model's score at intake (null: no model)")
    fills: list[LegOut]
    history: list[EventOut]


class OrderSummaryOut(_Strict):
    """One of a trader's orders (``GET /v1/orders``): ``GET /v1/orders/{digest}`` has its fills and history."""

    digest: Bytes32
    status: OrderStatus
    order: OrderMessage
    filled: Uint
    remaining: Uint
    reason: ReasonOut | None
    receivedAt: float


class OrdersOut(_Strict):
    """``GET /v1/orders?trader=&status=``: a trader's orders, the latest received first."""

    trader: Address
    orders: list[OrderSummaryOut]


class CancelRequest(_Strict):
    """``POST /v1/orders/{digest}/cancel``: the trader's signature of ``CancelOrder(order, deadline)``."""

    deadline: Uint
    signature: Signature


class QuoteOut(_Strict):
    """``GET /v1/quote``: the desk's price now and the AMM's for the same size (1e18 USD per base unit)."""

    market: int
    side: Side
    size: Uint
    deskPrice: Uint | None
    deskReason: ReasonOut | None = Field(description="why the desk would not fill it now")
    ammPrice: Uint | None = Field(description="the AMM's average price for the size, rounded against the trader")
    ammQuote: Uint | None = Field(description="collateral units the AMM would charge (buy) or pay (sell)")
    ammReason: ReasonOut | None = Field(description="why the AMM cannot take the size now")
    oraclePrice: Uint
    oracleFresh: bool
    block: int
    time: int


class BreakerOut(_Strict):
    name: str
    market: int | None
    detail: str


class MarketOut(_Strict):
    market: int
    oraclePrice: Uint
    oracleUpdatedAt: int
    oracleMaxAge: int
    oracleFresh: bool
    ammMid: Uint | None
    ammBase: Uint | None
    ammQuote: Uint | None
    ammFeeBps: int | None
    inventory: Int
    inventoryCap: Uint
    breakers: list[BreakerOut]


class MarketsOut(_Strict):
    """``GET /v1/markets``: every listed market at the loop's latest snapshot."""

    block: int
    time: int
    markets: list[MarketOut]


class HealthOut(_Strict):
    status: Literal["ok", "stalled"]
    loopAgeSeconds: float | None
    detail: str


class CheckOut(_Strict):
    ok: bool
    detail: str


class ReadyOut(_Strict):
    ready: bool
    checks: dict[str, CheckOut]
    breakers: list[BreakerOut]


class KillSwitchIn(_Strict):
    """``POST /v1/admin/kill-switch``: engage (or release) the kill switch, with a reason."""

    engaged: bool
    reason: Annotated[str, StringConstraints(min_length=1, max_length=200)]


class KillSwitchOut(_Strict):
    engaged: bool
    reason: str | None
