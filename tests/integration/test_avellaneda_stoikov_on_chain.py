"""The Avellaneda–Stoikov experiment through the project: the chain settles exactly the paper's model.

``model_run`` replays a path with the same draws and the keeper's pricing, without a chain; every
fill the model implies must be settled on chain at the quoted price, so the desk's cash and final
inventory on chain equal the model's to the unit. γ = 1 pushes quotes through the oracle often
(the skew beats the half-spread), where the fill probability saturates.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.cli import main
from defi_int.research.avellaneda import default_scenario, model_run
from defi_int.research.runs import figures
from defi_int.types import ONE


@pytest.mark.parametrize(("mode", "gamma", "seed"), [("as", 1.0, 3), ("as_symmetric", 0.1, 4)])
def test_the_chain_settles_every_fill_of_the_papers_model_at_its_price(mode: str, gamma: float, seed: int) -> None:
    overrides = ["steps=40", f"keeper.pricing_mode={mode}", f"keeper.risk_aversion={gamma}"]
    result = run_scenario(load_scenario(default_scenario(), overrides=overrides, seed=seed))
    cash, inventory = model_run(default_scenario(), overrides, seed)
    assert result.invariants and all(result.invariants.values())
    assert result.end.positions.get(0, 0) == inventory
    assert result.end.cash - result.start.cash == cash
    close = result.closing_prices[0]
    assert figures(result)["pnl_at_close_units"] == cash + inventory * close // ONE
    assert result.orders_filled > 10 and not result.rejections


def test_the_experiment_on_other_parameters_holds_every_run_to_the_model_run(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "as"
    args = [
        "experiment",
        "avellaneda-stoikov",
        "--paths",
        "2",
        "--set",
        "steps=12",
        "--set",
        "keeper.risk_aversion=0.5",
    ]
    assert main([*args, "--out", str(out), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "model: runs equal to the unit" in printed and "4 of 4 runs equal it to the unit" in printed
    table = (out / "table.csv").read_text().splitlines()
    assert len(table) == 3 and table[0].startswith("gamma,strategy,steps,paths")
    assert [line.split(",")[:4] for line in table[1:]] == [
        ["0.5", "inventory", "12", "2"],
        ["0.5", "symmetric", "12", "2"],
    ]
    results = (out / "results.csv").read_text().splitlines()
    assert results[0].startswith("gamma,strategy,steps,") and len(results) == 5
    assert (out / "table.parquet").stat().st_size > 0 and "runs equal to the model" in (out / "report.html").read_text()
