"""A run as pandas DataFrames: ``to_frames(result)`` for notebooks.

Why pandas: it is what a quant's notebook, plotly express, statsmodels and seaborn take as they
are, and through its Arrow-backed dtypes it holds the exact on-chain integers in a real decimal
column. Polars' ``Decimal`` stops at 38 digits (128 bits), one digit short of a ``uint128``.

Every amount comes twice:

- ``price``, ``size``, ``fee`` ... as ``float64`` in decimal units (USD per base unit, base units,
  collateral tokens), for statistics and charts;
- ``price_units``, ``size_units``, ``fee_units`` ... as the exact integer the chain holds (1e18
  fixed point for sizes and prices, the collateral's smallest unit for cash), in an
  ``ArrowDtype(decimal256(39, 0))`` column. A 1e18-scaled price of 10,000 USD is already 1e22,
  past ``int64`` (9.2e18), and the contracts take prices and sizes up to ``uint128`` (3.4e38, 39
  digits), past ``decimal128(38, 0)`` too; ``decimal256(39, 0)`` holds every one of them exactly,
  sums and differences included (Arrow widens the precision), and its values read back as Python
  ``Decimal`` (``int(value)`` gives the chain's integer). Python ints in an ``object`` column would
  be exact too, but slow and untyped: Parquet, sorting and arithmetic would not know them.

The tables are declared once, column by column (``FILL_COLUMNS``, ``TIMESERIES_COLUMNS``,
``LIQUIDATION_COLUMNS``): each names the record's field it reads and its unit, so a renamed field
of ``RunResult`` is a one-line change here. ``summary`` is ``summarize(result)`` as one row, its
nested keys joined with dots (``pnl_breakdown.spread``), so the summaries of many runs stack with
``pandas.concat``. ``rows_frame`` turns a study's rows (dicts) into a frame the same way: numbers
stay numbers, and integers past ``int64`` become the exact decimal type.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import pyarrow as pa

from defi_int.types import ONE

if TYPE_CHECKING:
    import pandas as pd

    from defi_int.metrics.records import RunResult

#: The exact integers' Arrow type: every uint128 (39 digits) fits; see the module docstring.
EXACT = pa.decimal256(39, 0)
_EXACT_MAX = 10**39 - 1

Unit = Literal["fixed", "cash", "int", "float", "text", "bool"]


@dataclass(frozen=True)
class Column:
    """One column: ``name`` in the frame, read by ``read`` from a record; ``fixed`` (1e18) and
    ``cash`` (collateral units) amounts also give ``name_units``, the exact integer."""

    name: str
    read: Callable[[Any], Any]
    unit: Unit


def attr(name: str, unit: Unit, attribute: str | None = None) -> Column:
    """A column that reads the record's attribute ``attribute`` (default: ``name``)."""
    key = attribute or name
    return Column(name, lambda record: getattr(record, key), unit)


FILL_COLUMNS: tuple[Column, ...] = (
    attr("step", "int"),
    attr("block", "int"),
    attr("time", "int"),
    attr("order_digest", "text"),
    attr("trader", "text"),
    attr("trader_type", "text"),
    attr("market", "int"),
    Column("side", lambda fill: "buy" if fill.is_buy else "sell", "text"),
    attr("venue", "text"),
    attr("size", "fixed"),
    attr("price", "fixed"),
    attr("limit_price", "fixed"),
    attr("oracle_price", "fixed"),
    attr("amm_mid", "fixed"),
    attr("amm_quote_price", "fixed"),
    Column("price_improvement_bps", lambda fill: _derived(fill).price_improvement_bps, "float"),
    Column("deviation_bps", lambda fill: _derived(fill).deviation_bps, "float"),
    attr("fee", "cash"),
    attr("gas", "int"),
    attr("quote", "cash"),
    attr("amm_quote", "cash"),
)

LIQUIDATION_COLUMNS: tuple[Column, ...] = (
    attr("step", "int"),
    attr("block", "int"),
    attr("account", "text"),
    attr("trader_type", "text"),
    attr("market", "int"),
    attr("size", "fixed"),
    attr("to_desk", "fixed"),
    attr("to_amm", "fixed"),
    attr("amm_quote", "cash"),
    attr("mark", "fixed"),
    attr("penalty", "cash"),
    attr("bad_debt", "cash"),
    attr("uncovered", "cash"),
)


@dataclass(frozen=True)
class _Typed:
    """A booked leg with its trader's population (kept with the run, not with the leg)."""

    leg: Any
    trader_type: str

    def __getattr__(self, name: str) -> Any:
        return getattr(self.leg, name)


def _derived(fill: Any) -> Any:
    from defi_int.metrics.fills import derive

    return derive(fill.leg if isinstance(fill, _Typed) else fill)


@dataclass(frozen=True)
class TimeRow:
    """A ``TimePoint`` with what belongs to its step: the desk's equity and the cumulative PnL parts."""

    point: Any
    equity: int
    pnl: Any


def _point(name: str, unit: Unit) -> Column:
    return Column(name, lambda row: getattr(row.point, name), unit)


def _pnl(part: str) -> Column:
    return Column(f"pnl_{part}", lambda row: getattr(row.pnl, part), "cash")


def _timeseries_columns() -> tuple[Column, ...]:
    from defi_int.metrics.pnl import PARTS
    from defi_int.metrics.timeseries import amm_oracle_deviation_bps

    return (
        _point("step", "int"),
        _point("block", "int"),
        _point("time", "int"),
        _point("market", "int"),
        _point("index_price", "fixed"),
        _point("oracle_price", "fixed"),
        _point("amm_mid", "fixed"),
        Column("amm_oracle_deviation_bps", lambda row: amm_oracle_deviation_bps(row.point), "float"),
        _point("inventory", "fixed"),
        _point("desk_cash", "cash"),
        _point("fee_cash", "cash"),
        Column("desk_equity", lambda row: row.equity, "cash"),
        *(_pnl(part) for part in PARTS),
        Column("pnl_total", lambda row: row.pnl.total, "cash"),
    )


@dataclass(frozen=True)
class Frames:
    """A run's tables: one row per fill leg, per market and step, per liquidation, and the summary."""

    fills: pd.DataFrame
    timeseries: pd.DataFrame
    liquidations: pd.DataFrame
    summary: pd.DataFrame


def exact(values: Iterable[int | None]) -> pd.Series:
    """Exact integers as a ``decimal256(39, 0)`` series (``None`` stays missing)."""
    import pandas as pd

    return pd.Series(pa.array(list(values), type=EXACT), dtype=pd.ArrowDtype(EXACT))


def table(records: Sequence[Any], columns: Sequence[Column], decimals: int) -> pd.DataFrame:
    """The frame of ``records`` by ``columns``; see the module docstring for the units."""
    import numpy as np
    import pandas as pd

    tokens = 10**decimals
    data: dict[str, Any] = {}
    for column in columns:
        values = [column.read(record) for record in records]
        if column.unit == "fixed":
            data[column.name] = np.array([v / ONE for v in values], dtype=np.float64)
        elif column.unit == "cash":
            data[column.name] = np.array([v / tokens for v in values], dtype=np.float64)
        elif column.unit == "int":
            data[column.name] = np.array(values, dtype=np.int64)
        elif column.unit == "float":
            data[column.name] = np.array([np.nan if v is None else v for v in values], dtype=np.float64)
        elif column.unit == "bool":
            data[column.name] = np.array(values, dtype=bool)
        else:
            data[column.name] = pd.Series(values, dtype="string") if values else pd.Series([], dtype="string")
    for column in columns:
        if column.unit in ("fixed", "cash"):
            data[f"{column.name}_units"] = exact(column.read(record) for record in records)
    return pd.DataFrame(data)


#: Records a ``chunked_table`` turns into a frame at a time.
TABLE_CHUNK = 50_000


def chunked_table(records: Iterable[Any], columns: Sequence[Column], decimals: int) -> pd.DataFrame:
    """``table`` of ``records`` read in one pass, ``TABLE_CHUNK`` at a time, the pieces concatenated:
    the same frame, without holding every record (a run's spooled fills) at once."""
    import pandas as pd

    pieces, chunk = [], []
    for record in records:
        chunk.append(record)
        if len(chunk) >= TABLE_CHUNK:
            pieces.append(table(chunk, columns, decimals))
            chunk = []
    if chunk or not pieces:
        pieces.append(table(chunk, columns, decimals))
    return pieces[0] if len(pieces) == 1 else pd.concat(pieces, ignore_index=True)


def summary_frame(summary: Mapping[str, Any]) -> pd.DataFrame:
    """``summary`` as one row, nested keys joined with dots (``pnl_breakdown.spread``)."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, node: Any) -> None:
        if isinstance(node, Mapping):
            for key, value in node.items():
                walk(f"{prefix}.{key}" if prefix else str(key), value)
        else:
            flat[prefix] = node

    walk("", summary)
    return rows_frame([flat])


def rows_frame(rows: Sequence[Mapping[str, Any]]) -> pd.DataFrame:
    """Rows (dicts) as a frame, columns in first-seen order: floats and ints as numbers (ints past
    ``int64`` and ``*_units`` columns exact), booleans as a nullable boolean, the rest as strings."""
    import pandas as pd

    names: dict[str, None] = {}
    for row in rows:
        for name in row:
            names.setdefault(name)
    return pd.DataFrame({name: _series([row.get(name) for row in rows], name) for name in names})


def _series(values: list[Any], name: str) -> pd.Series:
    import pandas as pd

    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return pd.Series(values, dtype="boolean")
    if present and all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        if name.endswith("_units") or not all(-(2**63) <= v < 2**63 for v in present):
            if all(abs(v) <= _EXACT_MAX for v in present):
                return exact(values)
        elif len(present) == len(values):
            return pd.Series(values, dtype="int64")
        else:
            return pd.Series(values, dtype="Int64")
    if present and all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return pd.Series([float("nan") if v is None else float(v) for v in values], dtype="float64")
    return pd.Series([None if v is None else v if isinstance(v, str) else str(v) for v in values], dtype="string")


def to_frames(result: RunResult) -> Frames:
    """The run's ``Frames``; see the module docstring."""
    from defi_int.metrics.pnl import PnlPoint, cumulative_pnl
    from defi_int.metrics.summary import summarize
    from defi_int.metrics.timeseries import desk_equity

    decimals = result.decimals
    pnl = {point.step: point for point in cumulative_pnl(result)}
    equity = desk_equity(result.timeseries, result.price_scale)
    rows = [
        TimeRow(point, equity[point.step], pnl.get(point.step, PnlPoint(point.step, 0, 0, 0, 0)))
        for point in result.timeseries
    ]
    typed = (_Typed(f, result.trader_type(f.trader)) for f in result.fills)
    return Frames(
        fills=chunked_table(typed, FILL_COLUMNS, decimals),
        timeseries=table(rows, _timeseries_columns(), decimals),
        liquidations=table(result.liquidations, LIQUIDATION_COLUMNS, decimals),
        summary=summary_frame(summarize(result)),
    )
