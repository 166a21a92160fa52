"""The bot's errors, a branch of the package's one exception tree (``defi_int.exceptions``).

::

    DefiIntError
    └── BotError                     anything the bot service refuses or cannot do
        ├── ApiRejection             a request refused: .code (machine-readable), .status (HTTP), .message
        ├── KeeperConflict           another keeper or journal settles for this deployment with this
        │                            keeper's key, or this journal lacks what the chain holds (exit 2)
        └── JournalError             the journal refuses a transition or cannot be opened
            ├── JournalVersionError  the file was written by a newer schema than this code knows
            └── OrderInFlight        an order is in a settle transaction that is not final yet

``ApiRejection.code`` is the ``code`` of every 4xx body the API sends; the list of codes is
``CODES``.
"""

from __future__ import annotations

from defi_int.exceptions import DefiIntError

#: Every ``code`` an API error body can carry, with the HTTP status it goes out with.
CODES: dict[str, int] = {
    "malformed": 422,  # the body or a parameter does not parse, or a field is out of range
    "bad_signature": 422,  # the signature is not 65 strict bytes or is not the trader's
    "wrong_domain": 422,  # signed for another chain or contract (the body's ``domain`` differs)
    "expired": 422,  # the order's expiry (or the cancel's deadline) has passed
    "unknown_market": 422,  # the market is not listed by the deployment
    "duplicate": 409,  # another live order of the trader already uses this nonce
    "in_flight": 409,  # the order is in a settle transaction that is not final yet
    "not_cancellable": 409,  # the order is already filled, cancelled, expired or rejected
    "not_found": 404,  # no such order (or route)
    "method_not_allowed": 405,
    "too_large": 413,  # the body is over the size limit
    "request_timeout": 408,  # the request's body did not arrive whole within the API's request_timeout
    "unsupported_media_type": 415,  # the body is not application/json
    "rate_limited": 429,  # the trader sent orders faster than the rate limit
    "resting_cap": 429,  # the trader already has the most resting orders allowed
    "insufficient_margin": 422,  # the trader's free margin cannot carry the order (deposit first: defi-int fund)
    "unauthorized": 401,  # the admin token is missing or wrong
    "admin_disabled": 403,  # no admin token is configured in the environment
    "no_snapshot": 503,  # the loop has not published a market snapshot yet
    "internal": 500,  # a bug: the request changed nothing (the log has the traceback)
}


class BotError(DefiIntError):
    """Something the bot service refuses or cannot do."""


class ApiRejection(BotError):
    """A request the API refuses: ``code`` from ``CODES``, its HTTP ``status``, a one-line ``message``."""

    def __init__(self, code: str, message: str) -> None:
        if code not in CODES:
            raise ValueError(f"unknown API error code {code!r}")
        self.code = code
        self.status = CODES[code]
        self.message = message
        super().__init__(f"{code}: {message}")


class KeeperConflict(BotError):
    """One keeper per journal and per deployment: another process holds the journal, another journal
    settles with this keeper's key, or this journal lacks what the chain holds. The keeper refuses to
    run (the command exits 2); the message says what was found and what to do."""


class JournalError(BotError):
    """The journal refuses a transition (the message says which and why) or cannot be opened."""


class JournalVersionError(JournalError):
    """The journal file carries a schema version newer than the code knows (``found``, ``known``)."""

    def __init__(self, path: str, found: int, known: int) -> None:
        self.path = path
        self.found = found
        self.known = known
        super().__init__(f"{path}: journal schema version {found} is newer than this code's {known}; upgrade defi-int")


class OrderInFlight(JournalError):
    """The order ``digest`` is in settle ``settle_id`` (stage ``stage``), not final yet."""

    def __init__(self, digest: bytes, settle_id: int, stage: str, tx_hash: bytes | None) -> None:
        self.digest = digest
        self.settle_id = settle_id
        self.stage = stage
        self.tx_hash = tx_hash
        tx = f" (tx 0x{tx_hash.hex()})" if tx_hash else ""
        super().__init__(f"order 0x{digest.hex()} is in settle {settle_id}{tx}, stage {stage}, not final yet")
