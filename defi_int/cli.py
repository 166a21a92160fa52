"""Command line: ``defi-int demo`` runs the main job and writes its report under ``reports/``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from defi_int.exceptions import DefiIntError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="defi-int", description="An internalizing desk for on-chain derivatives.")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="deploy on the embedded chain, settle a batch of signed orders, report")
    demo.add_argument("--report-dir", type=Path, default=Path("reports"))
    args = parser.parse_args(argv)
    try:
        if args.command == "demo":
            from defi_int.demo import print_summary, run

            summary = run(args.report_dir)
            print_summary(summary)
            print(f"report written to {args.report_dir / 'demo.json'}")
    except DefiIntError as exc:
        print(f"defi-int: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
