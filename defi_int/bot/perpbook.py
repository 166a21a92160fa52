"""Booking the perpetuals' events: the Vault's funding charges and liquidations, as the journal keeps them.

Beside the fills' legs (``booking``), the desk's books move by two more kinds of event, which the
simulator's recorder books too:

- ``FundingSettled``: each word a book's funding settled (the desk's net run in a settle, a hedge,
  a liquidation; the AMM's; a liquidated account's) -> ``FundingRecord``;
- ``Liquidated`` (with its transaction's ``BadDebtRealized``): a close, whoever sent it; the part
  the desk took moves its position and cash -> ``LiquidationBooked``.

Both come from the chain's decoders (``views.funding_logged``, ``views.liquidations_logged``) over a
receipt's logs or a scanned block range, with where they were logged, so booking twice is harmless.
``liquidation_line`` is the operator's log line of one liquidation.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from defi_int.bot.journal import FundingRecord, LiquidationBooked
from defi_int.chain.views import Logged
from defi_int.keeper.venue import FundingCharge, LiquidationEvent
from defi_int.types import ONE


def funding_records(logged: Iterable[Logged[FundingCharge]]) -> list[FundingRecord]:
    """The journal's records of funding charges, in order."""
    return [
        FundingRecord(
            x.tx_hash, x.log_index, x.position, x.block_number, x.block_hash, x.item.account, x.item.market,
            x.item.amount,
        )
        for x in logged
    ]  # fmt: skip


def liquidation_records(
    logged: Iterable[Logged[LiquidationEvent]], block_time: Callable[[int], int]
) -> list[LiquidationBooked]:
    """The journal's records of liquidations, in order; ``block_time(number)`` gives a block's timestamp."""
    records = []
    for x in logged:
        e = x.item
        records.append(
            LiquidationBooked(
                x.tx_hash, x.log_index, x.block_number, x.block_hash, block_time(x.block_number), e.account,
                e.market, e.liquidator, e.size, e.to_desk, e.to_amm, e.amm_quote, e.mark, e.penalty, e.bad_debt,
                e.uncovered,
            )
        )  # fmt: skip
    return records


def liquidation_line(event: LiquidationEvent, gas: int, tx_hash: bytes, decimals: int) -> str:
    """One line for the operator: who, how much, where it went, the penalty and any bad debt."""
    unit = 10**decimals
    side = "long" if event.size > 0 else "short"
    debt = (
        f", bad debt {event.bad_debt / unit:,.6f} ({event.uncovered / unit:,.6f} uncovered)" if event.bad_debt else ""
    )
    return (
        f"liquidation: {event.account} {side} {abs(event.size) / ONE:g} in market {event.market} closed at "
        f"{event.mark / ONE:,.4f} (desk {event.to_desk / ONE:g}, AMM {event.to_amm / ONE:g}), penalty "
        f"{event.penalty / unit:,.6f}{debt}; gas {gas:,}, block {event.block}, tx 0x{tx_hash.hex()}"
    )
