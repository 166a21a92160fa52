"""reference/scenarios.md: every shipped scenario (``scripts/scenarios/*.toml``), read by the loader.

Each file is loaded as ``defi-int run`` loads it (no chain): its name and description, its clock,
its markets and their price paths, its trader populations, the keeper's pricing and toxicity model,
and whether funding is on. A scenario added to ``scripts/scenarios/`` gets its row at the next
``make docs``.
"""

from __future__ import annotations

import warnings
from pathlib import Path

from defi_int.reference.markdown import banner, table

SCENARIOS = Path(__file__).resolve().parents[2] / "scripts" / "scenarios"


def _arbitrageurs(count: int) -> str:
    return "" if not count else f"; {count} arbitrageur" + ("s" if count > 1 else "")


def page() -> str:
    from defi_int.params import fixed_to_str
    from defi_int.sim.scenario import load_scenario

    rows = []
    for path in sorted(SCENARIOS.glob("*.toml")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            scenario = load_scenario(path)
        markets = "; ".join(
            f"{m.symbol or f'M{m.market_id}'} {m.path} from {fixed_to_str(m.price)}"
            + (f", funding every {m.funding_period // 3600} h" if m.funding_period else "")
            for m in scenario.markets
        )
        traders = ", ".join(f"{t.count} {t.name}" for t in scenario.traders)
        keeper = scenario.keeper
        pricing = keeper.pricing_mode + (
            f", {keeper.effective_toxicity_model}" if keeper.effective_toxicity_model != "none" else ""
        )
        rows.append(
            (
                f"`{path.name}`",
                scenario.description,
                f"{scenario.steps:,} × {scenario.block_time} s",
                markets,
                traders + _arbitrageurs(scenario.arbitrage.count),
                pricing,
            )
        )
    lines = banner(
        "Shipped scenarios",
        "`scripts/scenarios/*.toml`, each loaded as `defi-int run` loads it",
        "Run any of them with `defi-int run scripts/scenarios/NAME.toml`; every key they leave out takes its "
        "default from [Parameters](parameters.md). The keeper column is `keeper.pricing_mode` and, when one is "
        "on, the toxicity model.",
    )
    lines += [*table(("file", "what", "steps", "markets", "traders", "keeper"), rows), ""]
    return "\n".join(lines).rstrip() + "\n"
