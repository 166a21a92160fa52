"""The audit: what the chain holds against what the journal booked, order by order.

``audit(system, journal, start_block, accepted=...)`` reads every fill of the deployment (``fill_events_between``)
from the chain (canonical blocks only: the node's logs) and every leg the journal booked, and counts:

- ``double_fills``: fills on the chain the journal does not hold (a transaction it does not know
  settled an order: the same fill signed twice, or another keeper), and orders the chain filled
  beyond their size;
- ``non_canonical``: legs the journal booked that the chain does not hold (a fill from a block a
  reorg took away, left booked), and orders whose booked amount differs from the chain's;
- ``lost_orders``: orders the API accepted (``accepted`` digests, the clients' 201 answers) that the
  journal does not hold, and journaled orders in no acceptable state: every order must be filled,
  cancelled, expired, rejected with a reason, or live (resting or partially filled);
- ``invariants``: the ledger invariants (``views.check_invariants``) over every account that ever
  held cash.

``AuditResult.ok`` is all of it; ``line()`` says it in one line ("0 double fills, 0 lost orders").
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from defi_int.bot.journal import Journal
from defi_int.bot.journal.records import CANCELLED, EXPIRED, FILLED, LIVE, REJECTED
from defi_int.chain.deploy import System
from defi_int.chain.views import check_invariants, fill_events_between, ledger_accounts


@dataclass
class AuditResult:
    orders: int = 0
    chain_fills: int = 0
    booked_legs: int = 0
    double_fills: list[str] = field(default_factory=list)
    non_canonical: list[str] = field(default_factory=list)
    lost_orders: list[str] = field(default_factory=list)
    invariants: dict[str, bool] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not (self.double_fills or self.non_canonical or self.lost_orders) and all(self.invariants.values())

    def line(self) -> str:
        broken = [name for name, holds in self.invariants.items() if not holds]
        return (
            f"{len(self.double_fills)} double fills, {len(self.lost_orders)} lost orders, "
            f"{len(self.non_canonical)} non-canonical fills booked; {self.orders} orders, "
            f"{self.chain_fills} fills on chain, {self.booked_legs} legs booked; "
            f"invariants {'hold' if not broken else 'BROKEN: ' + ', '.join(broken)}"
        )


def audit(system: System, journal: Journal, start_block: int, *, accepted: Iterable[str | bytes] = ()) -> AuditResult:
    """See the module docstring."""
    result = AuditResult()
    events = fill_events_between(system, from_block=start_block)
    chain_by_order: dict[bytes, int] = defaultdict(int)
    chain_logs: set[tuple[bytes, int]] = set()
    for event in events:
        chain_by_order[event.digest] += event.internal_size + event.amm_size
        chain_logs.add((event.tx_hash, event.index))
    result.chain_fills = len(events)
    booked_by_order: dict[bytes, int] = defaultdict(int)
    booked_logs: set[tuple[bytes, int]] = set()
    legs = 0
    for leg in journal.all_legs():
        booked_by_order[leg.leg.digest] += leg.leg.size
        booked_logs.add((leg.tx_hash, leg.leg.fill_index))
        legs += 1
    result.booked_legs = legs
    for tx_hash, index in sorted(chain_logs - booked_logs):
        result.double_fills.append(f"fill {index} of tx 0x{tx_hash.hex()} is not in the journal")
    for tx_hash, index in sorted(booked_logs - chain_logs):
        result.non_canonical.append(f"booked fill {index} of tx 0x{tx_hash.hex()} is not on the chain")
    records = journal.get_orders(list(set(chain_by_order) | set(booked_by_order)))
    for digest in sorted(set(chain_by_order) | set(booked_by_order)):
        held_order = records.get(digest)
        on_chain, booked = chain_by_order.get(digest, 0), booked_by_order.get(digest, 0)
        if held_order is not None and on_chain > held_order.order.size:
            result.double_fills.append(f"order 0x{digest.hex()} filled {on_chain} on chain, over its size")
        if on_chain != booked:
            result.non_canonical.append(f"order 0x{digest.hex()}: {booked} booked, {on_chain} filled on chain")
    counts = journal.status_counts()
    result.orders = sum(counts.values())
    wanted = [bytes.fromhex(d[2:]) if isinstance(d, str) else d for d in accepted]
    held = journal.get_orders(wanted)
    result.lost_orders += [f"order 0x{d.hex()} was accepted and is not in the journal" for d in wanted if d not in held]
    for record in journal.all_orders():
        if record.status in (FILLED, CANCELLED, EXPIRED, *LIVE):
            continue
        if record.status == REJECTED and record.reason is not None:
            continue
        result.lost_orders.append(f"order 0x{record.digest.hex()} is {record.status} without a reason")
    for record in journal.all_orders():
        if record.status == FILLED and chain_by_order.get(record.digest, 0) < record.order.size:
            result.lost_orders.append(f"order 0x{record.digest.hex()} is filled in the journal, not on chain")
    accounts = ledger_accounts(system, from_block=start_block)
    result.invariants = check_invariants(system, accounts)
    return result
