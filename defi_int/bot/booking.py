"""Booking a mined settle: its legs, through the one booking function, and how they differ from the plan.

``booked_legs`` hands the chain's fills (``FillEvent``, one per fill) and what the settle was
journaled with (``SettleFill``: the fee rate, the oracle mark, the AMM's mid and its quote for the
internal size) to ``orders.booking.book``, the function the simulator's recorder books with: the
chain is the truth for sizes, prices, quotes and fees, the plan for the market around the legs.

``mismatches`` compares the events with the plan (the reconciliation at confirmation depth): a
difference is reported, the events are what is booked.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from defi_int.bot.journal import SettleFill, SettleRecord
from defi_int.exceptions import ChainError
from defi_int.keeper.venue import SettleReceipt
from defi_int.orders.booking import FillEvent, Leg, book
from defi_int.orders.model import Order


def booked_legs(
    settle: SettleRecord, receipt: SettleReceipt, price_scale: int, orders: Mapping[bytes, Order]
) -> list[Leg]:
    """The legs of ``receipt``'s fills, in batch order (internal before AMM), gas shared among them.

    ``orders`` are the settle's orders by digest. The events must be the settle's own fills (each
    digest planned once); anything else raises ``ChainError``.
    """
    planned: dict[bytes, SettleFill] = {f.digest: f for f in settle.fills}
    fills = []
    for event in receipt.events:
        fill = planned.get(event.digest)
        if fill is None:
            raise ChainError(f"settle {settle.id}: a fill of 0x{event.digest.hex()}, which it did not plan")
        fills.append((event, orders[event.digest], fill.leg_context))
    return book(fills, price_scale=price_scale, gas_used=receipt.gas_used, block=receipt.block, time=receipt.time)


def mismatches(settle: SettleRecord, events: Sequence[FillEvent]) -> list[str]:
    """How the chain's events differ from the settle's plan, one line each (empty: as planned)."""
    planned = {f.digest: f for f in settle.fills}
    problems = []
    for event in events:
        fill = planned.get(event.digest)
        if fill is None:
            problems.append(f"0x{event.digest.hex()}: filled but not planned")
            continue
        booked = (event.internal_size, event.internal_price, event.amm_size, event.amm_quote)
        expected = (fill.internal_size, fill.internal_price, fill.amm_size, fill.amm_quote)
        if booked != expected:
            problems.append(f"0x{event.digest.hex()}: booked {booked}, planned {expected}")
    return problems
