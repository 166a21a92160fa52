"""The keeper bot's durable journal: SQLite (stdlib ``sqlite3``), WAL, ``synchronous=FULL``.

It holds every order's state transitions (with reasons and times), every settle transaction
through its stages (planned → signed → sent → mined → confirmed → reconciled, with replacements
at the same nonce), the fills as booked from the chain's events (the columns of ``fills.csv``),
breaker changes and the kill switch, the desk's equity history, and cursors (the last confirmed /
reconciled block). The API threads and the loop share one ``Journal``: each thread gets its own
connection, and every stage change is one SQLite transaction.

Parts: ``schema`` (DDL, version, migrations), ``records`` (what goes in and out; the state
diagrams), ``base`` (connections, transactions), ``orders``, ``settles``, ``perp`` (the
liquidator's transactions, funding and liquidations as booked), ``recovery`` (transactions the
chain holds and the journal lacks, taken in by ``--recover``), ``desk`` (hedges and the report's
market samples), ``risk``.

What a restarting loop reads: ``live_orders(include_in_flight=True)`` (to reload its book),
``open_settles()`` (signed transactions to rebroadcast or find mined; planned ones to drop —
never a second transaction for fills in flight), ``settles_to_reconcile()``, ``cursor(...)``,
``kill_switch()`` and ``equity_history()``; while running it follows the API's intake through
``order_changes(after)`` (the order events since the last it saw).
"""

from defi_int.bot.journal.desk import DeskJournal
from defi_int.bot.journal.orders import Admission, OrderJournal
from defi_int.bot.journal.perp import PerpJournal
from defi_int.bot.journal.records import (
    BreakerChange,
    Close,
    Cursor,
    FundingRecord,
    HedgeRecord,
    InFlight,
    LegRecord,
    LiquidationBooked,
    OrderEvent,
    OrderRecord,
    ReasonNote,
    Sample,
    SettleFill,
    SettleRecord,
    SignedTx,
)
from defi_int.bot.journal.recovery import RecoveryJournal
from defi_int.bot.journal.risk import RiskJournal
from defi_int.bot.journal.schema import SCHEMA_VERSION
from defi_int.bot.journal.settles import SettleJournal


class Journal(OrderJournal, RecoveryJournal, PerpJournal, SettleJournal, DeskJournal, RiskJournal):
    """The journal file: orders, settles, liquidations and funding, the desk and risk in one SQLite
    database (see the module docstring)."""


__all__ = [
    "SCHEMA_VERSION",
    "Admission",
    "BreakerChange",
    "Close",
    "Cursor",
    "FundingRecord",
    "HedgeRecord",
    "InFlight",
    "Journal",
    "LegRecord",
    "LiquidationBooked",
    "OrderEvent",
    "OrderRecord",
    "ReasonNote",
    "Sample",
    "SettleFill",
    "SettleRecord",
    "SignedTx",
]
