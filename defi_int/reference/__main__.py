"""``python -m defi_int.reference [--check] [DOCS]``: write the reference pages, or list the stale ones."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from defi_int.reference import stale, write


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m defi_int.reference", description=__doc__)
    parser.add_argument("docs", nargs="?", type=Path, default=Path("docs"), help="the docs directory (default: docs)")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 when a page is stale")
    args = parser.parse_args(argv)
    if args.check:
        pages = stale(args.docs)
        for page in pages:
            print(f"stale: docs/{page} (run: make docs)", file=sys.stderr)
        return 1 if pages else 0
    for page in write(args.docs):
        print(f"wrote docs/{page}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
