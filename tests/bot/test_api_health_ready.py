"""/healthz follows the loop's pulse; /readyz wants the node, fresh oracles and closed breakers."""

from __future__ import annotations

import pytest
from botkit import NOW, desk_snapshot


def test_healthz_is_ok_while_the_loop_runs_within_five_intervals(client, state, clock):
    assert client.get("/healthz").status_code == 200  # just started: within the grace of 5 intervals
    clock.advance(5.5)
    assert client.get("/healthz").json()["status"] == "stalled"

    state.loop_ran()
    clock.advance(4.9)
    ok = client.get("/healthz")
    assert ok.status_code == 200 and ok.json()["loopAgeSeconds"] == pytest.approx(4.9)

    clock.advance(0.2)
    stalled = client.get("/healthz")
    assert stalled.status_code == 503 and "stalled" in stalled.json()["detail"]


def test_readyz_needs_the_node_a_snapshot_fresh_oracles_and_closed_breakers(client, state):
    body = client.get("/readyz").json()
    assert body["ready"] is False
    assert not body["checks"]["node"]["ok"] and not body["checks"]["oracle"]["ok"]

    state.node_status(True, "block 100 at 127.0.0.1:8545")
    state.publish(desk_snapshot())
    ready = client.get("/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True and ready.json()["breakers"] == []

    state.publish(desk_snapshot(fresh=False, updated_at=NOW - 5_000))
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert not stale.json()["checks"]["oracle"]["ok"] and not stale.json()["checks"]["breakers"]["ok"]
    assert stale.json()["breakers"] == [
        {"name": "stale_oracle", "market": 0, "detail": stale.json()["breakers"][0]["detail"]}
    ]

    state.publish(desk_snapshot())
    state.node_status(False, "connection refused by 127.0.0.1:8545")
    down = client.get("/readyz").json()
    assert down["ready"] is False and down["checks"]["node"]["detail"].startswith("connection refused")


def test_breaker_changes_are_journaled_when_they_open_and_close(state):
    state.publish(desk_snapshot(inventory=-99 * 10**18))
    state.publish(desk_snapshot(inventory=-99 * 10**18))
    state.publish(desk_snapshot(inventory=0))

    history = state.journal.breaker_history()
    assert [(c.name, c.market, c.open) for c in reversed(history)] == [("inventory", 0, True), ("inventory", 0, False)]
    assert state.journal.open_breakers() == []


def test_the_drawdown_breaker_reads_the_journaled_equity_history(state, journal):
    journal.record_equity(NOW - 600, 90, 1_000_000)
    board = state.publish(desk_snapshot(equity=850_000))

    assert [t.name for t in board.trips] == ["drawdown"]
