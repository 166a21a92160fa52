"""Writes or checks the committed OpenAPI document (``docs/openapi.json``) against the app's.

``python -m defi_int.bot.openapi`` rewrites it (``make openapi``); ``--check`` exits 1 with a
one-line message when the committed file differs (a test runs the same comparison). The document
does not depend on the deployment: the app is built over a throwaway journal and a dummy domain.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path
from typing import Any

from defi_int.bot.api import create_app
from defi_int.bot.config import ServiceConfig
from defi_int.bot.journal import Journal
from defi_int.bot.state import BotState
from defi_int.keeper.config import KeeperConfig
from defi_int.orders.eip712 import Domain

DEFAULT_PATH = Path("docs/openapi.json")


def document() -> dict[str, Any]:
    """The app's OpenAPI document."""
    with tempfile.TemporaryDirectory() as folder, Journal(Path(folder) / "openapi.sqlite") as journal:
        keeper = KeeperConfig(pricing={}, risk_limits={}, soft_limits={})
        config = ServiceConfig(domain=Domain(1, "0x" + "00" * 20), markets=(), keeper=keeper)
        return create_app(BotState(config, journal, environ={})).openapi()


def render(doc: dict[str, Any]) -> str:
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m defi_int.bot.openapi", description=__doc__.splitlines()[0])
    parser.add_argument("path", nargs="?", type=Path, default=DEFAULT_PATH)
    parser.add_argument("--check", action="store_true", help="fail when the committed document differs")
    args = parser.parse_args(argv)
    text = render(document())
    if args.check:
        committed = args.path.read_text() if args.path.exists() else ""
        if committed != text:
            print(f"{args.path} differs from the app's OpenAPI document: run `make openapi`", file=sys.stderr)
            return 1
        print(f"{args.path} matches the app")
        return 0
    args.path.parent.mkdir(parents=True, exist_ok=True)
    args.path.write_text(text)
    print(f"wrote {args.path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
