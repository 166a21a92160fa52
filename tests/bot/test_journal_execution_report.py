"""The keeper report's execution section from the journal: orders with their receipts, legs, hedges,
the re-matches the loop journaled; ``defi-int report execution --db`` writes it alone."""

from __future__ import annotations

import csv
import json

from botkit import NOW, leg, planned, tx

from defi_int.bot.journal import HedgeRecord, Journal, Sample
from defi_int.bot.report import journal_result, report_command
from defi_int.cli import main
from defi_int.keeper.book import Receipt
from defi_int.metrics.records import Counterfactual
from defi_int.types import ONE

BLOCK_HASH = b"\xbb" * 32
DEPLOYMENT = {
    "chain_id": 31337,
    "contracts": {"Settlement": "0x" + "22" * 20, "Vault": "0x" + "33" * 20},
    "protocol": {"decimals": 6},
    "markets": [{"id": 0, "inventory_cap": "100", "amm_fee_bps": 30}],
}


def desk_journal(journal: Journal, orders, alice, bob) -> tuple[bytes, bytes, bytes]:
    """Three orders (two with receipts), one settle filling the first whole and the second in part,
    a hedge, samples at blocks 110..130 and one re-match."""
    journal.set_meta("deployment", json.dumps(DEPLOYMENT))
    seen = Receipt(NOW + 5, 109, 0, 2_000 * ONE, True, 2_000 * ONE, 2_001 * ONE, 2_003 * ONE, True)
    a, b, c = orders.signed(alice), orders.signed(bob, size=4 * ONE), orders.signed(alice, is_buy=False)
    journal.add_order(*a, receipt=seen)
    journal.add_order(*b, receipt=seen)
    journal.add_order(*c)
    settle = journal.plan_settle("batch", [planned(a[2]), planned(b[2], ONE)])
    journal.sign_settle(settle.id, tx(1))
    legs = [leg(a[2]), leg(b[2], ONE, fill_index=1)]
    journal.mark_mined(settle.id, tx(1).tx_hash, block_number=120, block_hash=BLOCK_HASH, block_time=NOW + 24,
                       status=1, gas_used=150_000, legs=legs)  # fmt: skip
    journal.record_hedge(HedgeRecord(b"\x01" * 32, 0, 117, BLOCK_HASH, NOW + 20, 0, True, ONE, 2_005 * 10**6,
                                     2_000 * ONE, 90_000))  # fmt: skip
    journal.record_samples(
        [Sample(s, 0, 110 + 10 * s, BLOCK_HASH, NOW + 12 * s, 2_000 * ONE, 2_000 * ONE, 0, 10**12, 0) for s in range(3)]
    )
    journal.record_counterfactuals(
        [Counterfactual(0, 109, 0, a[2], a[0].trader, True, "permuted", 2_000 * ONE, 2 * ONE, 2_001 * ONE, 0, 0,
                        ONE, 2_001 * ONE, 0, 0)]
    )  # fmt: skip
    return a[2], b[2], c[2]


def test_the_journal_gives_every_order_with_its_receipt_fills_and_status(journal, orders, alice, bob):
    a, b, c = desk_journal(journal, orders, alice, bob)
    result, _ = journal_result(journal)
    logs = {o.digest: o for o in result.orders}
    assert set(logs) == {a, b, c}
    assert (logs[a].status, logs[a].filled, logs[a].internal) == ("filled", 2 * ONE, 2 * ONE)
    assert (logs[b].status, logs[b].filled) == ("open", ONE)  # partially filled, still live
    assert logs[a].amm_price_at_receipt == 2_003 * ONE and logs[a].marketable and logs[a].received_time == NOW + 5
    assert logs[a].first_fill_time == NOW + 24
    assert logs[c].amm_mid_at_receipt is None and not logs[c].marketable
    (hedge,) = result.hedges
    assert (hedge.block, hedge.time, hedge.is_buy, hedge.step) == (117, NOW + 20, True, 1)
    (rematch,) = result.counterfactuals
    assert (rematch.digest, rematch.step, rematch.cf_internal) == (a, 0, ONE)
    assert result.amm_fee_bps == {0: 30}


def test_the_keeper_report_holds_the_execution_section_and_its_audits(journal, orders, alice, bob, tmp_path):
    desk_journal(journal, orders, alice, bob)
    paths = report_command(journal.path, tmp_path / "report")
    summary = json.loads(paths["summary.json"].read_text())
    assert summary["audits"]["best_execution"]["violations"] == 0
    # the desk bought on the AMM at block 117, three blocks before filling the two buys it held
    assert summary["audits"]["trading_ahead"]["violations"] == 2
    assert "<h2>Execution quality and audits</h2>" in paths["report.html"].read_text()
    with paths["execution.csv"].open() as fh:
        table = [(r["order_type"], r["size_bucket"], r["orders"], r["fill_rate"]) for r in csv.DictReader(fh)]
    assert table == [("marketable", "1K-5K", "1", "1.000000"), ("marketable", "5K-10K", "1", "0.250000")]


def test_report_execution_from_a_journal_writes_the_section_alone(journal, orders, alice, bob, tmp_path, capsys):
    desk_journal(journal, orders, alice, bob)
    out = tmp_path / "execution"
    assert main(["report", "execution", "--db", str(journal.path), "--out", str(out)]) == 0
    assert "trading_ahead 2" in capsys.readouterr().out
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["orders.csv", "hedges.csv", "counterfactuals.csv", "execution.csv", "routing.csv", "segments.csv",
         "counterfactual_gains.csv", "violations.csv", "execution.html"]
    )  # fmt: skip
