"""``defi-int traders``' poster sends again a POST that got no answer (the keeper restarting): the API
answers a repeat with the same result, so nothing is lost or doubled; its closing line counts the keeper's
refusals apart from the orders never answered."""

from __future__ import annotations

import threading
import time

from botkit import Orders, account

from defi_int.bot.api import create_app
from defi_int.bot.serve import ApiServer
from defi_int.bot.traders import Poster, TradersSummary
from defi_int.chain.anvil import free_port


def test_orders_posted_while_the_keeper_is_down_are_taken_once_it_listens(state):
    port = free_port()
    summary = TradersSummary()
    poster = Poster(f"http://127.0.0.1:{port}", 4, summary)
    orders = Orders()
    bodies = [orders.body(account(i % 5)) for i in range(12)]
    for body in bodies:
        poster.post(body)
    time.sleep(0.4)  # every POST refused: nothing listens yet
    server = ApiServer(create_app(state), port=port).start()
    try:
        for body in bodies[:3]:
            poster.post(body)  # repeats: the same answer, no second order
        poster.close()
    finally:
        server.stop()
    assert summary.accepted == 15 and summary.lost == 0 and summary.retries >= 4
    assert len(set(summary.digests)) == 12 and state.journal.status_counts()["resting"] == 12
    assert ", 0 lost (never answered; " in summary.line()


def test_an_order_never_answered_is_counted_lost_apart_from_the_keepers_refusals():
    summary = TradersSummary()
    poster = Poster(f"http://127.0.0.1:{free_port()}", 2, summary, retry_seconds=0.3)
    orders = Orders()
    for i in range(3):
        poster.post(orders.body(account(i)))
    closing = threading.Thread(target=poster.close)
    closing.start()
    closing.join(10)
    summary.outcomes["expired"] += 1  # as a refusal by the keeper would be counted
    assert summary.lost == 3 and summary.accepted == 0
    assert "0 accepted, 1 refused by the keeper (expired x1), 3 lost (never answered; " in summary.line()
