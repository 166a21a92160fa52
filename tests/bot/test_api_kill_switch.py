"""The kill switch: an admin endpoint behind a token from the environment, or a signal; journaled."""

from __future__ import annotations

import os
import signal
import time

import pytest
from botkit import ADMIN_TOKEN, desk_snapshot
from fastapi.testclient import TestClient

from defi_int.bot.api import create_app
from defi_int.bot.state import BotState, install_kill_signal


def engage(client, token: str | None, engaged: bool = True):
    headers = {} if token is None else {"Authorization": f"Bearer {token}"}
    return client.post("/v1/admin/kill-switch", json={"engaged": engaged, "reason": "operator test"}, headers=headers)


def test_the_kill_switch_needs_the_admin_token(client, state):
    assert engage(client, None).json()["code"] == "unauthorized"
    assert engage(client, "wrong").status_code == 401
    assert state.journal.kill_switch() is None


def test_without_a_configured_token_the_admin_endpoint_is_disabled(config, journal, clock):
    state = BotState(config, journal, clock=clock, environ={})
    with TestClient(create_app(state)) as client:
        response = engage(client, ADMIN_TOKEN)
    assert response.status_code == 403 and response.json()["code"] == "admin_disabled"


def test_the_kill_switch_stops_everything_shows_everywhere_and_outlives_a_restart(client, state, config, clock):
    state.node_status(True, "ok")
    state.publish(desk_snapshot())
    response = engage(client, ADMIN_TOKEN)

    assert response.json() == {"engaged": True, "reason": "operator test"}
    assert state.board().blocks_settle(0).name == "kill_switch"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json()["breakers"][0]["name"] == "kill_switch"
    assert 'defi_int_breaker_open{breaker="kill_switch",market=""} 1.0' in client.get("/metrics").text
    state.publish(desk_snapshot())  # the loop's next iteration keeps it open
    assert state.board().trip("kill_switch") is not None

    restarted = BotState(config, state.journal, clock=clock, environ={})
    assert restarted.board().trip("kill_switch").detail == "operator test"

    assert engage(client, ADMIN_TOKEN, engaged=False).json() == {"engaged": False, "reason": None}
    assert state.board().closed and client.get("/readyz").status_code == 200


def test_a_signal_engages_the_kill_switch(state):
    previous = signal.getsignal(signal.SIGUSR1)
    try:
        install_kill_signal(state)
        os.kill(os.getpid(), signal.SIGUSR1)
        deadline = time.monotonic() + 5
        # the handler's thread journals the switch, then publishes the board: wait for both
        while (state.journal.kill_switch() is None or state.board().trip("kill_switch") is None) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.01)
    finally:
        signal.signal(signal.SIGUSR1, previous)

    assert state.journal.kill_switch() == "signal SIGUSR1 received"
    assert state.board().trip("kill_switch") is not None


@pytest.mark.parametrize(
    "body", [{"engaged": "yes", "reason": "x"}, {"engaged": True, "reason": ""}, {"engaged": True}]
)
def test_a_malformed_kill_switch_request_is_refused(client, body):
    response = client.post("/v1/admin/kill-switch", json=body, headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert response.status_code == 422 and response.json()["code"] == "malformed"
