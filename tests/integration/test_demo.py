"""The main job: one batch with internal fills, an AMM remainder and two off-chain rejections."""

import json

from defi_int.cli import main


def test_demo_settles_the_batch_and_writes_its_report(tmp_path, capsys):
    assert main(["demo", "--report-dir", str(tmp_path)]) == 0
    report = json.loads((tmp_path / "demo.json").read_text())
    assert report["fills"] == 5
    assert [r["reason"] for r in report["rejected_off_chain"]] == ["expired", "wrong-signer"]
    assert report["vault_token_balance_equals_sum_of_cash"] is True
    routed = [row for row in report["fills_detail"] if row["amm"] != "0.0000"]
    assert len(routed) == 1 and routed[0]["internal"] == "2.0000"
    assert all(
        row["improvement_vs_amm_bps"] is None or row["improvement_vs_amm_bps"] >= 0 for row in report["fills_detail"]
    )
    assert report["desk_inventory"] == "-4.0000"
    assert "settled 5 fills" in capsys.readouterr().out
