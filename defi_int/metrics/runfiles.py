"""The run directory as the execution report's input: ``orders.csv``, ``hedges.csv`` and
``counterfactuals.csv`` written from a ``RunResult``, and a run directory read back into one.

A run's report directory holds everything the execution report needs (``execution``, ``routing``,
``segments``, ``audits``): ``fills.csv`` (the legs), ``timeseries.csv`` (the mids and oracle marks
later fills are marked at), ``orders.csv`` (every order received, with what the desk saw at
receipt and how it ended), ``hedges.csv`` (the desk's own AMM trades), ``counterfactuals.csv``
(the batches' re-matches) and ``summary.json``'s ``report_params`` (the collateral's decimals, the
markout horizons, the pools' fees, the audits' parameters). ``load_run_dir`` reads them into a
``RunResult`` carrying exactly what the execution report reads, so ``defi-int report execution
RUN_DIR`` rebuilds the run's execution files byte for byte. Columns come from
``definitions.COLUMNS``; amounts are written exactly (``output.fixed`` / ``output.units``) and
read back exactly. A file that is missing or malformed is an ``OutputError`` naming it and the line.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, TypeVar, cast

from defi_int.exceptions import OutputError
from defi_int.metrics.definitions import columns
from defi_int.metrics.output import Chunks, csv_file, fixed, units
from defi_int.metrics.records import AuditSettings, Counterfactual, Hedge, OrderLog, OrderStatus, RunResult, TimePoint
from defi_int.orders.booking import Leg
from defi_int.types import to_fixed

T = TypeVar("T")

#: The files ``load_run_dir`` reads.
INPUT_FILES: tuple[str, ...] = (
    "summary.json",
    "fills.csv",
    "timeseries.csv",
    "orders.csv",
    "hedges.csv",
    "counterfactuals.csv",
)


def _opt(value: int | None) -> str:
    return "" if value is None else fixed(value)


def _opt_float(value: float | None) -> str:
    return "" if value is None else repr(value)


def _order_rows(result: RunResult) -> Iterator[list[str]]:
    for o in result.orders:
        yield [
            "0x" + o.digest.hex(), o.trader, result.trader_type(o.trader), str(o.market), "buy" if o.is_buy else "sell",
            fixed(o.size), fixed(o.limit_price), str(o.expiry), str(int(o.allow_amm)), str(o.max_fee_bps),
            str(o.received_step), str(o.received_time), _opt(o.oracle_at_receipt), _opt(o.amm_mid_at_receipt),
            _opt(o.desk_price_at_receipt), _opt(o.amm_price_at_receipt), str(int(o.marketable)), o.status,
            o.action or "", o.reason or "", fixed(o.filled), fixed(o.internal),
            "" if o.first_fill_time is None else str(o.first_fill_time),
            "" if o.last_fill_time is None else str(o.last_fill_time),
            _opt_float(o.p_toxic), _opt_float(o.expected_markout_bps),
        ]  # fmt: skip


def _hedge_rows(result: RunResult) -> Iterator[list[str]]:
    for h in result.hedges:
        yield [
            str(h.step), str(h.block), str(h.time), str(h.market), "buy" if h.is_buy else "sell", fixed(h.size),
            units(h.quote, result.decimals), fixed(h.oracle_price), str(h.gas),
        ]  # fmt: skip


def _counterfactual_rows(result: RunResult) -> Iterator[list[str]]:
    d = result.decimals
    for c in result.counterfactuals:
        yield [
            str(c.step), str(c.block), str(c.market), "0x" + c.digest.hex(), c.trader, "buy" if c.is_buy else "sell",
            c.variant, fixed(c.mark), fixed(c.internal), fixed(c.internal_price), fixed(c.amm),
            units(c.amm_quote, d), fixed(c.cf_internal), fixed(c.cf_internal_price), fixed(c.cf_amm),
            units(c.cf_amm_quote, d),
        ]  # fmt: skip


_ROWS: dict[str, Callable[[RunResult], Iterator[list[str]]]] = {
    "orders.csv": _order_rows,  # one row per order received, in arrival order
    "hedges.csv": _hedge_rows,  # one row per hedge, in chain order
    "counterfactuals.csv": _counterfactual_rows,  # one row per order a batch's re-match changed
}


def record_file(name: str, result: RunResult) -> Chunks:
    """``orders.csv``, ``hedges.csv`` or ``counterfactuals.csv`` made piece by piece as it is written."""
    rows = _ROWS[name]
    return csv_file(columns(name), lambda: rows(result))


def report_params(result: RunResult) -> dict[str, Any]:
    """What the execution report needs besides the tables (``summary.json``'s ``report_params``)."""
    audit = result.audit
    return {
        "decimals": result.decimals,
        "markout_horizons": list(result.markout_horizons),
        "amm_fee_bps": {str(m): fee for m, fee in sorted(result.amm_fee_bps.items())},
        "trading_ahead_blocks": audit.trading_ahead_blocks,
        "equal_treatment_bps": audit.equal_treatment_bps,
        "routing_period_seconds": audit.routing_period_seconds,
    }


# ----------------------------------------------------------------------------- reading back


def load_run_dir(run_dir: str | Path) -> RunResult:
    """A run directory's files as a ``RunResult`` holding what the execution report reads."""
    root = Path(run_dir)
    if not root.is_dir():
        raise OutputError(str(run_dir), "is not a run's report directory")
    summary = _json(root / "summary.json")
    params = summary.get("report_params")
    if not isinstance(params, dict):
        raise OutputError(str(root / "summary.json"), "has no report_params; was it written by this version?")
    decimals = int(params["decimals"])
    result = RunResult(
        scenario=str(summary.get("scenario", "")),
        seed=int(summary.get("seed", 0)),
        backend=str(summary.get("backend", "")),
        contracts=dict(summary.get("contracts", {})),
        price_scale=10 ** (36 - decimals),
        decimals=decimals,
        block_time=0,
        markout_horizons=tuple(int(h) for h in params["markout_horizons"]),
        amm_fee_bps={int(m): int(fee) for m, fee in params["amm_fee_bps"].items()},
        audit=AuditSettings(
            int(params["trading_ahead_blocks"]),
            float(params["equal_treatment_bps"]),
            int(params["routing_period_seconds"]),
        ),
    )
    types: dict[str, str] = {}

    def fill(row: Mapping[str, str]) -> Leg:
        types[row["trader"].lower()] = row["trader_type"]
        return Leg(
            _digest(row["order_digest"]), 0, cast(Any, row["venue"]), row["trader"], int(row["market"]),
            row["side"] == "buy", to_fixed(row["size"]), _units(row["quote"], decimals), to_fixed(row["price"]),
            to_fixed(row["limit_price"]), _units(row["fee"], decimals), to_fixed(row["oracle_price"]),
            to_fixed(row["amm_mid"]), _units(row["amm_quote"], decimals), to_fixed(row["amm_quote_price"]),
            int(row["gas"]), int(row["block"]), int(row["time"]), int(row["step"]),
        )  # fmt: skip

    def point(row: Mapping[str, str]) -> TimePoint:
        return TimePoint(
            int(row["step"]), int(row["block"]), int(row["time"]), int(row["market"]), to_fixed(row["index_price"]),
            to_fixed(row["oracle_price"]), to_fixed(row["amm_mid"]), to_fixed(row["inventory"]),
            _units(row["desk_cash"], decimals), _units(row["fee_cash"], decimals),
        )  # fmt: skip

    def order(row: Mapping[str, str]) -> OrderLog:
        types[row["trader"].lower()] = row["trader_type"]
        return OrderLog(
            _digest(row["order_digest"]), row["trader"], int(row["market"]), row["side"] == "buy",
            to_fixed(row["size"]), to_fixed(row["limit_price"]), int(row["expiry"]), row["allow_amm"] == "1",
            int(row["max_fee_bps"]), int(row["received_step"]), int(row["received_time"]),
            oracle_at_receipt=_opt_fixed(row["oracle_at_receipt"]),
            amm_mid_at_receipt=_opt_fixed(row["amm_mid_at_receipt"]),
            desk_price_at_receipt=_opt_fixed(row["desk_price_at_receipt"]),
            amm_price_at_receipt=_opt_fixed(row["amm_price_at_receipt"]),
            marketable=row["marketable"] == "1", status=cast(OrderStatus, row["status"]),
            action=row["action"] or None, reason=row["reason"] or None, filled=to_fixed(row["filled"]),
            internal=to_fixed(row["internal"]), first_fill_time=_opt_int(row["first_fill_time"]),
            last_fill_time=_opt_int(row["last_fill_time"]), p_toxic=_opt_float_in(row["p_toxic"]),
            expected_markout_bps=_opt_float_in(row["expected_markout_bps"]),
        )  # fmt: skip

    def hedge(row: Mapping[str, str]) -> Hedge:
        return Hedge(
            int(row["step"]), int(row["block"]), int(row["time"]), int(row["market"]), row["side"] == "buy",
            to_fixed(row["size"]), _units(row["quote"], decimals), to_fixed(row["oracle_price"]), int(row["gas"]),
        )  # fmt: skip

    def counterfactual(row: Mapping[str, str]) -> Counterfactual:
        return Counterfactual(
            int(row["step"]), int(row["block"]), int(row["market"]), _digest(row["order_digest"]), row["trader"],
            row["side"] == "buy", row["variant"], to_fixed(row["mark"]), to_fixed(row["internal"]),
            to_fixed(row["internal_price"]), to_fixed(row["amm"]), _units(row["amm_quote"], decimals),
            to_fixed(row["cf_internal"]), to_fixed(row["cf_internal_price"]), to_fixed(row["cf_amm"]),
            _units(row["cf_amm_quote"], decimals),
        )  # fmt: skip

    result.fills = _table(root / "fills.csv", None, fill)
    result.timeseries = _table(root / "timeseries.csv", None, point)
    result.orders = _table(root / "orders.csv", columns("orders.csv"), order)
    result.hedges = _table(root / "hedges.csv", columns("hedges.csv"), hedge)
    result.counterfactuals = _table(root / "counterfactuals.csv", columns("counterfactuals.csv"), counterfactual)
    result.trader_types = types
    return result


def _json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except FileNotFoundError:
        raise OutputError(str(path), "is missing: RUN_DIR must be a run's report directory") from None
    except (OSError, ValueError) as exc:
        raise OutputError(str(path), f"cannot be read as JSON ({exc})") from None
    if not isinstance(data, dict):
        raise OutputError(str(path), "is not a JSON object")
    return data


def _table(path: Path, header: Sequence[str] | None, parse: Callable[[Mapping[str, str]], T]) -> list[T]:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise OutputError(str(path), "is missing: RUN_DIR must be a run's report directory") from None
    except OSError as exc:
        raise OutputError(str(path), f"cannot be read ({exc.strerror or exc})") from None
    reader = csv.DictReader(io.StringIO(text))
    if header is not None and reader.fieldnames != list(header):
        raise OutputError(str(path), f"has the columns {reader.fieldnames}, expected {list(header)}")
    out = []
    for line, row in enumerate(reader, start=2):
        try:
            out.append(parse(row))
        except (KeyError, ValueError, TypeError) as exc:
            raise OutputError(str(path), f"line {line}: {exc!r}") from None
    return out


def _digest(text: str) -> bytes:
    return bytes.fromhex(text.removeprefix("0x"))


def _units(text: str, decimals: int) -> int:
    try:
        value = Decimal(text).scaleb(decimals)
    except InvalidOperation:
        raise ValueError(f"{text!r} is not an amount") from None
    if value != value.to_integral_value():
        raise ValueError(f"{text!r} has more than {decimals} decimals")
    return int(value)


def _opt_fixed(text: str) -> int | None:
    return None if text == "" else to_fixed(text)


def _opt_int(text: str) -> int | None:
    return None if text == "" else int(text)


def _opt_float_in(text: str) -> float | None:
    return None if text == "" else float(text)
