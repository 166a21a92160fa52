"""The liquidator's watch decides as a scan of every account would, on every shipped scenario.

At every step of a run on revm, before the keeper's liquidator reads anything, the books of every
account that ever traded are read on chain (what ``Keeper.liquidate`` did before the watch) and
``plan_liquidations`` plans on all of them: the watched liquidator must plan the same closes, in
the same order, and every book the watch vouches for must equal the chain's to the unit (cash,
positions, funding marks). The long scenarios run their first steps only; stress_jumps, whose
leveraged traders are liquidated, runs whole.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from defi_int import load_scenario, run_scenario
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.liquidator import LiquidationOrder, plan_liquidations
from defi_int.market.ledger import Ledger

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"
#: Steps run per scenario; absent: the whole scenario.
STEPS = {"bench_10k": 120, "bench_bot": 30, "avellaneda_stoikov": 120, "replay": 150}


def chain_book(ledger: Ledger, account: str) -> tuple[int, dict[int, int], dict[int, int]]:
    positions = {m: p for m in ledger.markets if (p := ledger.position(account, m))}
    marks = {m: k for m in ledger.markets if (k := ledger.marks.get((account, m), 0))}
    return ledger.cash[account], positions, marks


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.toml")), ids=lambda p: p.stem)
def test_the_watched_liquidator_plans_what_a_scan_of_every_account_plans(path: Path, monkeypatch) -> None:
    watched = Keeper.liquidation_orders
    seen = {"steps": 0, "vouched": 0, "orders": 0, "read": 0}

    def against_a_full_scan(self: Keeper, accounts, *, limit: int = 10, step: int | None = None):
        liquidator = self.venue.liquidator
        full = self.venue.snapshot({}, [*accounts, liquidator]).view
        expected = plan_liquidations(full.ledger, full.env, accounts, liquidator, limit=limit)
        assert self.watch is not None
        for account in accounts:
            book = self.watch.book(account)
            if book is not None:
                assert book == chain_book(full.ledger, account), f"step {step}: {account}"
                seen["vouched"] += 1
        before = self.watch.stats.read
        orders: list[LiquidationOrder] = watched(self, accounts, limit=limit, step=step)
        assert orders == expected, f"step {step}"
        seen["steps"] += 1
        seen["orders"] += len(orders)
        seen["read"] += self.watch.stats.read - before
        return orders

    monkeypatch.setattr(Keeper, "liquidation_orders", against_a_full_scan)
    steps = STEPS.get(path.stem)
    scenario = load_scenario(path, overrides=[] if steps is None else [f"steps={steps}"])

    result = run_scenario(scenario, backend="revm")

    assert seen["steps"] == scenario.steps
    assert seen["vouched"] > 0
    assert seen["read"] < seen["vouched"]  # the point of the watch: most books are not read
    assert len(result.liquidations) <= seen["orders"]
    if path.stem == "stress_jumps":
        assert len(result.liquidations) >= 2
