"""The keeper bot's durable journal: SQLite (stdlib ``sqlite3``), WAL, ``synchronous=FULL``.

It holds every order's state transitions (with reasons and times), every settle transaction
through its stages (planned → signed → sent → mined → confirmed → reconciled, with replacements
at the same nonce), the fills as booked from the chain's events (the columns of ``fills.csv``),
breaker changes and the kill switch, the desk's equity history, and cursors (the last confirmed /
reconciled block). The API threads and the loop share one ``Journal``: each thread gets its own
connection, and every stage change is one SQLite transaction.

Parts: ``schema`` (DDL, version, migrations), ``records`` (what goes in and out; the state
diagrams), ``base`` (connections, transactions), ``orders``, ``settles``, ``risk``.

What a restarting loop reads: ``live_orders()`` (to reload its book), ``open_settles()`` (signed
transactions to rebroadcast or find mined; planned ones to drop or sign — never a second
transaction for fills in flight), ``orders_in_flight()``, ``settles_to_reconcile()``,
``cursor("confirmed")``, ``kill_switch()`` and ``equity_history()``.
"""

from defi_int.bot.journal.orders import Admission, OrderJournal
from defi_int.bot.journal.records import (
    BookedLeg,
    BreakerChange,
    Cursor,
    InFlight,
    LegRecord,
    OrderEvent,
    OrderRecord,
    PlannedFill,
    Reason,
    SettleRecord,
    SignedTx,
)
from defi_int.bot.journal.risk import RiskJournal
from defi_int.bot.journal.schema import SCHEMA_VERSION
from defi_int.bot.journal.settles import SettleJournal


class Journal(OrderJournal, SettleJournal, RiskJournal):
    """The journal file: orders, settles and risk in one SQLite database (see the module docstring)."""


__all__ = [
    "SCHEMA_VERSION",
    "Admission",
    "BookedLeg",
    "BreakerChange",
    "Cursor",
    "InFlight",
    "Journal",
    "LegRecord",
    "OrderEvent",
    "OrderRecord",
    "PlannedFill",
    "Reason",
    "SettleRecord",
    "SignedTx",
]
