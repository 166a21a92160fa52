"""``defi-int status``: a running keeper's state from its ``/readyz`` and ``/metrics``, as a person reads it.

One screen: ready or not and each readiness check (node, oracle, breakers) with its line, the
loop's pulse, orders by status, fills booked, what is in flight, each market's inventory and
oracle age, the breakers open, and the counters of what the loop met (reorgs, replacements,
liquidations ...), the RPC errors and the API's refusals. ``render`` is pure (the tests feed it
the two answers); ``status_command`` fetches them. Exit code: 0 ready, 1 not ready or not
answering (the caller maps it).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from prometheus_client.parser import text_string_to_metric_families

from defi_int.bot.tools import KeeperApi
from defi_int.types import ONE


@dataclass(frozen=True)
class Status:
    ready: bool
    text: str


def status_command(api: str) -> Status:
    """Reads ``/readyz`` and ``/metrics`` of the keeper at ``api`` (see the module docstring)."""
    keeper = KeeperApi(api)
    code, ready_text = keeper.get_text("/readyz")
    _, metrics_text = keeper.get_text("/metrics")
    import json

    try:
        ready = json.loads(ready_text)
    except ValueError:
        ready = {"ready": False, "checks": {"api": {"ok": False, "detail": f"/readyz answered HTTP {code}"}}}
    return render(keeper.url, ready, metrics_text)


def samples(metrics_text: str) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample of a Prometheus text, by sample name (``_total``, ``_count`` ... kept)."""
    found: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
    for family in text_string_to_metric_families(metrics_text):
        for sample in family.samples:
            found[sample.name].append((dict(sample.labels), float(sample.value)))
    return found


def render(url: str, ready: dict[str, Any], metrics_text: str) -> Status:
    """The screen for one answer of ``/readyz`` and one of ``/metrics``."""
    series = samples(metrics_text)
    ok = bool(ready.get("ready"))
    lines = [f"keeper {url}: {'ready' if ok else 'NOT READY'}"]
    for name, check in ready.get("checks", {}).items():
        lines.append(f"  {name:<9} {'ok ' if check.get('ok') else 'NO '} {check.get('detail', '')}")
    age = _one(series, "defi_int_loop_age_seconds")
    if age is not None:
        lines.append(f"  loop      {'ran ' + format(age, '.1f') + ' s ago' if age >= 0 else 'has not run yet'}")
    orders = _by(series, "defi_int_orders", "status")
    if orders:
        lines.append("orders:    " + ", ".join(f"{int(v)} {k.replace('_', ' ')}" for k, v in orders.items()))
    fills = _by(series, "defi_int_fills_booked", "venue")
    backlog = _by(series, "defi_int_journal_backlog", "kind")
    if fills or backlog:
        lines.append(
            f"fills:     {int(fills.get('internal', 0))} internal, {int(fills.get('amm', 0))} AMM legs booked; in "
            f"flight {int(backlog.get('settles_in_flight', 0))} transactions ({int(backlog.get('orders_in_flight', 0))}"
            f" orders), {int(backlog.get('settles_unreconciled', 0))} to reconcile"
        )
    inventory = _by(series, "defi_int_inventory", "market")
    oracle = _by(series, "defi_int_oracle_age_seconds", "market")
    for market in sorted(set(inventory) | set(oracle), key=lambda m: int(m) if m.isdigit() else 0):
        lines.append(
            f"market {market}:  inventory {inventory.get(market, 0) / ONE:g}, oracle price {oracle.get(market, 0):.0f}"
            " s old"
        )
    open_breakers = [
        f"{labels['breaker']}{'[' + labels['market'] + ']' if labels.get('market') else ''}"
        for labels, value in series.get("defi_int_breaker_open", [])
        if value
    ]
    lines.append("breakers:  " + (", ".join(open_breakers) + " open" if open_breakers else "all closed"))
    for title, name, label in (
        ("events:   ", "defi_int_loop_events_total", "event"),
        ("rpc errors:", "defi_int_rpc_errors_total", "method"),
        ("refusals: ", "defi_int_api_rejections_total", "code"),
    ):
        counts = {k: v for k, v in _by(series, name, label).items() if v}
        if counts:
            lines.append(f"{title} " + ", ".join(f"{k} {int(v)}" for k, v in sorted(counts.items())))
    latency = _histogram(series, "defi_int_settle_latency_seconds")
    if latency is not None:
        lines.append(f"settles:   {latency[0]} confirmed, {latency[1]:.2f} s from signature to confirmation on average")
    return Status(ok, "\n".join(lines))


def _one(series: dict[str, list[tuple[dict[str, str], float]]], name: str) -> float | None:
    found = series.get(name)
    return found[0][1] if found else None


def _by(series: dict[str, list[tuple[dict[str, str], float]]], name: str, label: str) -> dict[str, float]:
    return {labels.get(label, ""): value for labels, value in series.get(name, [])}


def _histogram(series: dict[str, list[tuple[dict[str, str], float]]], name: str) -> tuple[int, float] | None:
    count, total = _one(series, name + "_count"), _one(series, name + "_sum")
    if not count or total is None:
        return None
    return int(count), total / count
