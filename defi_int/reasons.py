"""One vocabulary of reasons, from the contract's custom errors to the API's answers.

Every "why" the package gives about an order is a ``Reason``: why intake refused it, why the chain
would revert its fill (the off-chain validator) or did (a settle's custom error), why the planner
left it resting or routed it out (the order's trace), why the API answers a request with an error.
A reason knows, in one place:

- ``code``: the stable spelling everywhere (``snake_case``): the API's ``code``, the journal's
  reason column, the simulator's rejection counts, ``fills.csv`` and the reports;
- ``status``: the HTTP status the API answers with when the reason refuses a request (``None``
  for reasons that only ever explain a decision);
- ``errors``: the custom errors the contracts revert with for the same fault (``Reason.of_error``
  maps a revert back; an error with no reason of its own is ``CHAIN_REVERTED``);
- ``transient``: the market or an account moved, so the order may still fill later (it rests)
  rather than being bad;
- ``message``: one sentence for people.

``Reason`` is a ``StrEnum``: a member compares equal to its code, so it can key JSON and SQLite
directly. ``reason_table()`` renders the whole vocabulary for the documentation.
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """See the module docstring; the members are grouped by where they are decided."""

    code: str
    status: int | None
    errors: tuple[str, ...]
    transient: bool
    message: str

    def __new__(
        cls, code: str, status: int | None, errors: tuple[str, ...], message: str, transient: bool = False
    ) -> Reason:
        member = str.__new__(cls, code)
        member._value_ = code
        member.code = code
        member.status = status
        member.errors = errors
        member.message = message
        member.transient = transient
        return member

    # ----------------------------------------------------------- the order itself (intake)
    MALFORMED = (
        "malformed",
        422,
        ("MalformedOrder", "MalformedFill", "SizeOutOfRange"),
        "the order does not parse, or a field is out of its range",
    )
    EMPTY_ORDER = ("empty_order", 422, (), "the order's size is zero")
    BAD_SIGNATURE = ("bad_signature", 422, ("InvalidSigner",), "the signature does not recover to the order's trader")
    BAD_SIGNATURE_LENGTH = ("bad_signature_length", 422, ("InvalidSignatureLength",), "the signature is not 65 bytes")
    BAD_SIGNATURE_S = (
        "bad_signature_s",
        422,
        ("InvalidSignatureS",),
        "the signature's s is in the upper half of the curve order (its malleable twin)",
    )
    BAD_SIGNATURE_V = ("bad_signature_v", 422, ("InvalidSignatureV",), "the signature's v is not 27 or 28")
    WRONG_DOMAIN = ("wrong_domain", 422, (), "the order was signed for another chain or contract")
    EXPIRED = ("expired", 422, ("OrderExpired",), "the order's expiry has passed")
    UNKNOWN_MARKET = ("unknown_market", 422, ("UnknownMarket",), "the market has never had an oracle price")
    MARKET_NOT_LISTED = ("market_not_listed", 422, ("MarketNotListed",), "the Vault does not list the market")
    FEE_ABOVE_MAX = ("fee_above_max", 422, ("FeeAboveMax",), "the desk's fee is above the order's maxFeeBps")
    DUPLICATE = ("duplicate", 409, (), "the keeper already holds this order, or another order on its nonce")
    ALREADY_FILLED = ("already_filled", 409, ("OrderAlreadyFilled",), "the order's nonce is used by a filled order")
    CANCELLED = ("cancelled", 409, ("OrderIsCancelled",), "the order was cancelled")
    OVERFILL = ("overfill", 409, ("Overfill",), "the fill is larger than what is left of the order", True)
    INSUFFICIENT_MARGIN = (
        "insufficient_margin",
        422,
        ("InsufficientMargin",),
        "the account's margin cannot carry the fill",
        True,
    )
    RESTING_CAP = ("resting_cap", 429, (), "the trader already has the most live orders allowed")
    BOOK_FULL = ("book_full", 429, (), "the keeper's book is full of orders ranked ahead of this one")
    EVICTED = ("evicted", 409, (), "a better-ranked order took its place in the full book")
    RATE_LIMITED = ("rate_limited", 429, (), "the trader sent orders faster than the rate limit")

    # ----------------------------------------------------------- the settle rules and the market
    LIMIT_NOT_MET = (
        "limit_not_met",
        422,
        ("LimitPriceExceeded",),
        "the desk's price does not meet the order's limit",
        True,
    )
    OUTSIDE_BAND = (
        "outside_band",
        422,
        ("PriceOutsideBand",),
        "the price is outside the oracle band the Settlement accepts",
        True,
    )
    AMM_BETTER = (
        "amm_better",
        422,
        ("WorseThanAmm",),
        "the AMM gives a better price for the size than the desk can (best execution)",
        True,
    )
    AMM_NOT_ALLOWED = ("amm_not_allowed", 422, ("AmmNotAllowed",), "the order does not allow routing to the AMM")
    AMM_LIMIT_NOT_MET = (
        "amm_limit_not_met",
        422,
        ("AmmLimitExceeded",),
        "the AMM's price for the size is beyond the order's limit",
        True,
    )
    AMM_LIQUIDITY = ("amm_liquidity", 422, ("InsufficientLiquidity",), "the AMM cannot trade the size", True)
    NO_POOL = ("no_pool", 422, ("PoolNotInitialized",), "the market has no AMM pool")
    INVENTORY_CAP = (
        "inventory_cap",
        422,
        ("InventoryCapExceeded",),
        "the desk's inventory room on this side is used up",
        True,
    )
    AMOUNT_OUT_OF_RANGE = (
        "amount_out_of_range",
        422,
        ("AmountOutOfRange",),
        "an amount of the fill is beyond what the ledger holds",
    )
    STALE_ORACLE = ("stale_oracle", 503, ("StalePrice",), "the market's oracle price is stale", True)
    PAUSED = ("paused", 503, ("SettlementPaused", "Paused"), "settlement is paused", True)
    EMPTY_FILL = ("empty_fill", None, ("EmptyFill",), "a fill with both legs zero (a keeper fault)")
    CHAIN_REVERTED = ("chain_reverted", None, (), "the chain reverted the fill with an error of its own")

    # ----------------------------------------------------------- the desk's decision (traces)
    BREAKER_OPEN = ("breaker_open", 503, (), "a circuit breaker is open", True)
    NOT_SELECTED = ("not_selected", None, (), "the batch was full; the order waits its turn", True)
    TOXIC = ("toxic", None, (), "the desk predicts the flow is toxic and does not fill it from inventory", True)
    NEGATIVE_EDGE = (
        "negative_edge",
        None,
        (),
        "filling it from inventory is worth less to the desk than sending it out",
        True,
    )

    # ----------------------------------------------------------- the API's own
    IN_FLIGHT = ("in_flight", 409, (), "the order is in a settle transaction that is not final yet")
    NOT_CANCELLABLE = ("not_cancellable", 409, (), "the order is already filled, cancelled, expired or rejected")
    NOT_FOUND = ("not_found", 404, (), "no such order or route")
    METHOD_NOT_ALLOWED = ("method_not_allowed", 405, (), "the route does not take this method")
    TOO_LARGE = ("too_large", 413, (), "the body is over the size limit")
    REQUEST_TIMEOUT = (
        "request_timeout",
        408,
        (),
        "the request's body did not arrive whole within the API's request_timeout",
    )
    UNSUPPORTED_MEDIA_TYPE = ("unsupported_media_type", 415, (), "the body is not application/json")
    UNAUTHORIZED = ("unauthorized", 401, (), "the admin token is missing or wrong")
    ADMIN_DISABLED = ("admin_disabled", 403, (), "no admin token is configured in the environment")
    NO_SNAPSHOT = ("no_snapshot", 503, (), "the loop has not published a market snapshot yet")
    INTERNAL = ("internal", 500, (), "a bug: the request changed nothing (the log has the traceback)")

    @property
    def error(self) -> str | None:
        """The custom error the chain reverts with for this reason (its first), if any."""
        return self.errors[0] if self.errors else None

    @classmethod
    def of_error(cls, error_name: str) -> Reason:
        """The reason for a contract's custom error (``CHAIN_REVERTED`` for one without its own)."""
        return _BY_ERROR.get(error_name, cls.CHAIN_REVERTED)

    @classmethod
    def of_code(cls, code: str) -> Reason:
        """The reason spelled ``code``; raises ``ValueError`` for a code that is not in the vocabulary."""
        reason = _BY_CODE.get(code)
        if reason is None:
            raise ValueError(f"{code!r} is not a reason code")
        return reason


_BY_CODE: dict[str, Reason] = {reason.code: reason for reason in Reason}
_BY_ERROR: dict[str, Reason] = {error: reason for reason in Reason for error in reason.errors}


def reason_table() -> list[tuple[str, str, str, str, str]]:
    """The vocabulary as rows (code, HTTP status, custom errors, rests or final, message) for the docs."""
    return [
        (
            r.code,
            "" if r.status is None else str(r.status),
            ", ".join(r.errors),
            "rests" if r.transient else "final",
            r.message,
        )
        for r in Reason
    ]
