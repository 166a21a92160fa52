"""reference/gas.md: the gas of every named operation, from the committed snapshot.

The figures are ``tests/gas_snapshot.json`` (``make gas-snapshot`` writes it, a test holds the
contracts to it within 2 %); what each name measures is ``defi_int.gas``'s docstring.
"""

from __future__ import annotations

import json
from pathlib import Path

from defi_int.reference.markdown import banner, prose, table

SNAPSHOT = Path(__file__).resolve().parents[2] / "tests" / "gas_snapshot.json"


def page() -> str:
    import defi_int.gas

    snapshot: dict[str, int] = json.loads(SNAPSHOT.read_text(encoding="utf-8"))
    lines = banner("Gas table", "`tests/gas_snapshot.json` and `defi_int/gas.py`", prose(defi_int.gas.__doc__))
    rows = [(f"`{name}`", f"{gas:,}") for name, gas in snapshot.items()]
    lines += [*table(("operation", "gas"), rows), ""]
    return "\n".join(lines).rstrip() + "\n"
