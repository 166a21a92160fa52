"""The per-fill table: one row per booked ``Leg``, written as ``fills.csv``.

``derive`` computes the two per-fill statistics the summary reuses (price improvement against the
AMM and deviation from the oracle, both in bps, from the trader's exact integers); ``fill_rows``
renders records plus those numbers as strings in ``FILL_COLUMNS`` order; ``write_fills_csv`` writes
them. Amounts stay exact: sizes and prices as plain decimals ("2001.5"), fee and quotes with the
collateral's ``decimals`` places, bps with four places. Identical records give identical bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from defi_int.metrics.output import Chunks, bps, csv_file, csv_text, fixed, ratio_bps, units, write_atomic
from defi_int.orders.booking import Leg

FILL_COLUMNS: tuple[str, ...] = (
    "block",
    "time",
    "step",
    "order_digest",
    "trader",
    "trader_type",
    "market",
    "side",
    "venue",
    "size",
    "price",
    "limit_price",
    "oracle_price",
    "amm_mid",
    "amm_quote_price",
    "price_improvement_bps",
    "deviation_bps",
    "fee",
    "gas",
    "quote",
    "amm_quote",
)


@dataclass(frozen=True)
class FillMetrics:
    """The derived numbers of one fill; ``None`` where the reference price is missing (zero)."""

    price_improvement_bps: float | None
    deviation_bps: float | None


def price_improvement_bps(fill: Leg) -> float | None:
    """What the trader gained against the AMM for the same size, in bps of the AMM's price.

    Buy: ``(amm_quote_price - price) / amm_quote_price``; sell: ``(price - amm_quote_price) /
    amm_quote_price``. Zero on AMM legs (the AMM is the reference); ``None`` for an internal leg
    without an AMM quote (``amm_quote_price`` 0, e.g. the pool could not take the size).
    """
    if fill.venue == "amm":
        return 0.0
    gain = fill.amm_quote_price - fill.price if fill.is_buy else fill.price - fill.amm_quote_price
    return ratio_bps(gain, fill.amm_quote_price)


def deviation_bps(fill: Leg) -> float | None:
    """Signed distance of the fill price from the oracle, ``(price - oracle) / oracle``, in bps."""
    return ratio_bps(fill.price - fill.oracle_price, fill.oracle_price)


def derive(fill: Leg) -> FillMetrics:
    """Both derived numbers of ``fill``."""
    return FillMetrics(price_improvement_bps(fill), deviation_bps(fill))


def fill_row(fill: Leg, decimals: int, trader_type: str = "unknown") -> list[str]:
    """One CSV row in ``FILL_COLUMNS`` order (``trader_type``: the trader's population)."""
    metrics = derive(fill)
    return [
        str(fill.block),
        str(fill.time),
        str(fill.step),
        fill.order_digest,
        fill.trader,
        trader_type,
        str(fill.market),
        "buy" if fill.is_buy else "sell",
        fill.venue,
        fixed(fill.size),
        fixed(fill.price),
        fixed(fill.limit_price),
        fixed(fill.oracle_price),
        fixed(fill.amm_mid),
        fixed(fill.amm_quote_price),
        bps(metrics.price_improvement_bps),
        bps(metrics.deviation_bps),
        units(fill.fee, decimals),
        str(fill.gas),
        units(fill.quote, decimals),
        units(fill.amm_quote, decimals),
    ]


def fill_rows(fills: Iterable[Leg], decimals: int, types: Mapping[str, str] | None = None) -> list[list[str]]:
    """All rows, in the order the legs were given (chain order); ``types``: lower-case address -> population."""
    return list(_rows(fills, decimals, types))


def _rows(fills: Iterable[Leg], decimals: int, types: Mapping[str, str] | None) -> Iterator[list[str]]:
    types = types or {}
    for fill in fills:
        yield fill_row(fill, decimals, types.get(fill.trader.lower(), "unknown"))


def fills_csv(fills: Sequence[Leg], decimals: int, types: Mapping[str, str] | None = None) -> bytes:
    """The whole ``fills.csv`` as bytes."""
    return csv_text(FILL_COLUMNS, _rows(fills, decimals, types)).encode()


def fills_csv_file(fills: Sequence[Leg], decimals: int, types: Mapping[str, str] | None = None) -> Chunks:
    """``fills.csv`` made piece by piece as it is written (``output.csv_file``): the report's."""
    return csv_file(FILL_COLUMNS, lambda: _rows(fills, decimals, types))


def write_fills_csv(fills: Sequence[Leg], path: Path, decimals: int, types: Mapping[str, str] | None = None) -> Path:
    """Writes ``fills.csv`` atomically; the same legs always give the same bytes."""
    return write_atomic(path, fills_csv(fills, decimals, types))
