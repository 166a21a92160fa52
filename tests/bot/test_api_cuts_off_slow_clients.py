"""Slow clients hold nothing: 100 connections that send part of a body, and 100 that send part of a
request head, are cut off after the request timeout, while the API keeps answering everyone else."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest
from botkit import Orders, account

from defi_int.bot.api import create_app
from defi_int.bot.config import ApiLimits
from defi_int.bot.serve import ApiServer

SLOW = 100
TIMEOUT = 2.0


@pytest.fixture
def limits() -> ApiLimits:
    return ApiLimits(request_timeout=TIMEOUT, orders_per_second=1_000, burst=1_000)


@pytest.fixture
def server(state):
    served = ApiServer(create_app(state), request_timeout=TIMEOUT).start()
    yield served
    served.stop()


def connect(server: ApiServer, data: bytes) -> socket.socket:
    sock = socket.create_connection((server.host, server.port), timeout=10)
    sock.sendall(data)
    return sock


def closed_after(sock: socket.socket) -> bytes:
    """Everything the server sent before closing the connection."""
    received = b""
    while chunk := sock.recv(4096):
        received += chunk
    return received


def test_a_hundred_slow_bodies_and_heads_are_cut_off_and_the_api_keeps_answering(server, state):
    body = json.dumps(Orders().body(account(3))).encode()
    head = (
        f"POST /v1/orders HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: {len(body)}\r\n\r\n"
    ).encode()
    started = time.monotonic()
    bodies = [connect(server, head + body[:40]) for _ in range(SLOW)]
    heads = [connect(server, b"POST /v1/orders HTTP/1.1\r\nhost: x\r\ncontent-le") for _ in range(SLOW)]

    with httpx.Client(base_url=server.url, timeout=5) as http:
        orders = Orders(nonce=500)
        answered = [http.post("/v1/orders", json=orders.body(account(i % 5))).status_code for i in range(20)]
        assert answered == [201] * 20
        assert http.get("/healthz").status_code in (200, 503)
        assert time.monotonic() - started < TIMEOUT  # answered while 200 slow connections were open

    for sock in bodies:
        answer = closed_after(sock)
        assert answer.startswith(b"HTTP/1.1 408 "), answer[:80]
        assert b'"code":"request_timeout"' in answer
    for sock in heads:
        assert closed_after(sock) == b""
    assert time.monotonic() - started < TIMEOUT + 5
    assert state.journal.status_counts()["resting"] == 20  # none of the slow bodies was journaled
