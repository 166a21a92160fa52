"""/metrics: Prometheus text with orders, fills, backlog, inventory, breakers, latency, gas, RPC errors."""

from __future__ import annotations

from botkit import NOW, desk_snapshot, leg, planned, tx
from prometheus_client.parser import text_string_to_metric_families

from defi_int.types import ONE


def scrape(client) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }


def test_metrics_follow_the_journal_the_snapshot_and_what_the_loop_reports(client, state, orders, alice, clock):
    digests = [bytes.fromhex(client.post("/v1/orders", json=orders.body(alice)).json()["digest"][2:]) for _ in range(3)]
    client.post("/v1/orders", json={"order": {}})  # one refusal
    journal = state.journal
    settle = journal.plan_settle("b1", [planned(digests[0], amm=ONE)])
    journal.sign_settle(settle.id, tx(1))
    in_flight = scrape(client)
    clock.advance(6.5)
    journal.mark_mined(
        settle.id, tx(1).tx_hash, block_number=9, block_hash=b"\x09" * 32, block_time=NOW, status=1,
        gas_used=130_000, legs=[leg(digests[0], ONE), leg(digests[0], ONE, venue="amm")],
    )  # fmt: skip
    settle = journal.mark_confirmed(settle.id, 2)
    state.metrics.settle_confirmed(settle)
    state.metrics.rpc_error("eth_sendRawTransaction")
    state.publish(desk_snapshot(inventory=-97 * ONE))

    m = scrape(client)

    assert in_flight[("defi_int_journal_backlog", (("kind", "settles_in_flight"),))] == 1
    assert in_flight[("defi_int_journal_backlog", (("kind", "orders_in_flight"),))] == 1
    assert m[("defi_int_journal_backlog", (("kind", "settles_in_flight"),))] == 0
    assert m[("defi_int_journal_backlog", (("kind", "settles_unreconciled"),))] == 1
    assert m[("defi_int_orders", (("status", "resting"),))] == 2
    assert m[("defi_int_orders", (("status", "filled"),))] == 1
    assert m[("defi_int_fills_booked", (("venue", "internal"),))] == 1
    assert m[("defi_int_fills_booked", (("venue", "amm"),))] == 1
    assert m[("defi_int_settle_latency_seconds_count", ())] == 1
    assert m[("defi_int_settle_latency_seconds_sum", ())] == 6.5
    assert m[("defi_int_gas_per_fill_sum", ())] == 130_000
    assert m[("defi_int_rpc_errors_total", (("method", "eth_sendRawTransaction"),))] == 1
    assert m[("defi_int_api_rejections_total", (("code", "malformed"),))] == 1
    assert m[("defi_int_inventory", (("market", "0"),))] == -97 * ONE
    assert m[("defi_int_oracle_age_seconds", (("market", "0"),))] == 10
    assert m[("defi_int_breaker_open", (("breaker", "inventory"), ("market", "0")))] == 1
    assert m[("defi_int_breaker_open", (("breaker", "stale_oracle"), ("market", "0")))] == 0
    assert m[("defi_int_breaker_open", (("breaker", "kill_switch"), ("market", "")))] == 0
