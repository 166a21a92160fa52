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

``ApiRejection.code`` is the ``code`` of every error body the API sends: a ``Reason`` of the
package's one vocabulary (``defi_int.reasons``), whose HTTP status it goes out with.
"""

from __future__ import annotations

from defi_int.exceptions import DefiIntError
from defi_int.reasons import Reason

#: Every ``code`` an API error body can carry, with the HTTP status it goes out with: the reasons
#: of the one vocabulary (``defi_int.reasons.Reason``) that have a status.
CODES: dict[str, int] = {r.code: r.status for r in Reason if r.status is not None}


class BotError(DefiIntError):
    """Something the bot service refuses or cannot do."""


class ApiRejection(BotError):
    """A request the API refuses: its ``Reason`` (``code``), the HTTP ``status``, a one-line ``message``."""

    def __init__(self, reason: Reason, message: str) -> None:
        if reason.status is None:
            raise ValueError(f"reason {reason.code!r} is not an answer the API gives")
        self.reason = reason
        self.code = reason.code
        self.status = reason.status
        self.message = message
        super().__init__(f"{reason.code}: {message}")


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
