"""Journal: what a restarting loop reads back from the file after the process is gone."""

from __future__ import annotations

from botkit import leg, planned, tx

from defi_int.bot.breakers import Trip
from defi_int.bot.journal import Journal
from defi_int.types import ONE


def test_a_reopened_journal_gives_the_loop_everything_it_resumes_from(tmp_path, orders, alice, bob):
    path = tmp_path / "keeper.sqlite"
    made = [orders.signed(who) for who in (alice, bob, alice, bob)]
    journal = Journal(path)
    for o in made:
        journal.add_order(*o)
    d = [o[2] for o in made]
    planned_only = journal.plan_settle("p", [planned(d[0])])
    signed = journal.plan_settle("s", [planned(d[1], ONE)])
    journal.sign_settle(signed.id, tx(1, nonce=4))
    mined = journal.plan_settle("m", [planned(d[2])])
    journal.sign_settle(mined.id, tx(2, nonce=5))
    journal.mark_mined(
        mined.id, tx(2, nonce=5).tx_hash, block_number=9, block_hash=b"\x09" * 32, block_time=1, status=1,
        gas_used=1, legs=[leg(d[2])],
    )  # fmt: skip
    journal.set_cursor("confirmed", 8, b"\x08" * 32)
    journal.set_kill_switch(True, "operator: investigating a price feed")
    journal.record_breakers([Trip("stale_oracle", 0, "price 4000 s old")])
    journal.record_equity(100, 9, 5_000_000)
    journal.close()

    with Journal(path) as reopened:
        assert [s.batch_id for s in reopened.open_settles()] == ["p", "s", "m"]
        by_batch = {s.batch_id: s for s in reopened.open_settles()}
        assert by_batch["p"].stage == "planned" and by_batch["p"].txs == ()
        assert by_batch["s"].txs[0].raw == tx(1, nonce=4).raw and by_batch["s"].nonce == 4
        assert by_batch["m"].stage == "mined" and by_batch["m"].block_number == 9
        assert [r.digest for r in reopened.live_orders()] == [d[3]]
        assert {f.digest for f in reopened.orders_in_flight()} == {d[0], d[1], d[2]}
        assert reopened.cursor("confirmed").block == 8
        assert reopened.kill_switch() == "operator: investigating a price feed"
        assert [(c.name, c.market) for c in reopened.open_breakers()] == [("kill_switch", None), ("stale_oracle", 0)]
        assert reopened.equity_history(0) == [(100, 5_000_000)]
        assert reopened.backlog() == {"settles_in_flight": 3, "orders_in_flight": 3, "settles_unreconciled": 0}
        assert planned_only.id == by_batch["p"].id
