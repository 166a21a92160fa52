"""Gas of named operations, measured on a fresh embedded chain, against a committed snapshot.

``measure()`` deploys a system, runs each operation once and returns its gas from the receipt.
Settlements are measured for 1, 10 and 100 fills, from traders who already hold a position (the
common case: their ledger slot and nonce word are warm-able, non-zero) and from new traders (first
fill ever: every slot goes from zero). ``internal_fill_existing_100`` is the per-fill cost of the
100-fill batch. The snapshot lives in ``tests/gas_snapshot.json``; ``python -m defi_int.gas``
prints the table, ``--update`` rewrites the snapshot, ``--check`` fails on a regression over 2%.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eth_account.signers.local import LocalAccount

from defi_int.chain import Chain, System
from defi_int.chain.views import domain
from defi_int.testing import OrderMaker, build_session
from defi_int.types import ONE

SNAPSHOT = Path("tests/gas_snapshot.json")
TOLERANCE = 0.02
SIZES = (1, 10, 100)
STEP = ONE // 10


def _traders(system: System, label: str, count: int) -> list[LocalAccount]:
    traders = [system.chain.account(f"gas-{label}-{i}") for i in range(count)]
    for trader in traders:
        system.fund(trader, 10_000 * system.params.unit)
    return traders


def _settle_batch(maker: OrderMaker, traders: list[LocalAccount], nonce: int, *, fee_bps: int = 2) -> int:
    fills = [maker.fill(t, maker.order(t, size=STEP, nonce=nonce), fee_bps=fee_bps) for t in traders]
    receipt = maker.settle(fills, gas=400_000 + 80_000 * len(fills))
    return int(receipt["gasUsed"])


def measure(chain: Chain | None = None) -> dict[str, int]:
    """Gas of every named operation; see the module docstring."""
    chain = chain or Chain.embedded()
    system, (alice, bob, *_) = build_session(chain)
    maker = OrderMaker(system, domain(system))
    send = chain.transact
    gas: dict[str, int] = {}

    system.mint(alice.address, 1_000 * system.params.unit)
    send(alice, system.token.functions.approve(system.vault.address, 1_000 * system.params.unit), gas=60_000)
    gas["deposit"] = int(
        send(alice, system.vault.functions.deposit(1_000 * system.params.unit), gas=120_000)["gasUsed"]
    )
    gas["withdraw"] = int(
        send(alice, system.vault.functions.withdraw(500 * system.params.unit), gas=150_000)["gasUsed"]
    )
    order = maker.order(bob, nonce=10**6)
    gas["cancel"] = int(send(bob, system.settlement.functions.cancel(order.as_tuple()), gas=100_000)["gasUsed"])
    quote = chain.call(system.amm.functions.quoteBuy(0, ONE))
    gas["amm_swap"] = int(send(alice, system.amm.functions.swap(0, True, ONE, quote), gas=200_000)["gasUsed"])
    hedge = system.settlement.functions.hedge(0, False, ONE, 0)
    gas["hedge"] = int(send(system.keeper_account, hedge, gas=250_000)["gasUsed"])
    mixed = [
        maker.fill(t, maker.order(t, size=2 * STEP, nonce=7), internal_size=STEP, amm_size=STEP, fee_bps=2)
        for t in (alice, bob)
    ]
    gas["settle_mixed_2"] = int(maker.settle(mixed)["gasUsed"])

    for count in SIZES:
        existing = _traders(system, f"old{count}", count)
        _settle_batch(maker, existing, nonce=1)
        gas[f"settle_{count}_existing"] = _settle_batch(maker, existing, nonce=2)
        gas[f"settle_{count}_new"] = _settle_batch(maker, _traders(system, f"new{count}", count), nonce=1)
    gas["internal_fill_existing_100"] = gas["settle_100_existing"] // 100
    return gas


def compare(measured: dict[str, int], snapshot: dict[str, int], tolerance: float = TOLERANCE) -> list[str]:
    """Human-readable regressions: operations over their snapshot by more than ``tolerance``."""
    problems = []
    for name, expected in snapshot.items():
        got = measured.get(name)
        if got is None:
            problems.append(f"{name}: no longer measured")
        elif got > expected * (1 + tolerance):
            problems.append(f"{name}: {got} gas, snapshot {expected} (+{(got - expected) / expected:.1%})")
    problems += [f"{name}: not in the snapshot" for name in measured if name not in snapshot]
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m defi_int.gas", description=__doc__.splitlines()[0])
    parser.add_argument("--snapshot", type=Path, default=SNAPSHOT)
    parser.add_argument("--update", action="store_true", help="rewrite the snapshot with this run")
    parser.add_argument("--check", action="store_true", help="exit 1 on a regression over 2%%")
    args = parser.parse_args(argv)
    measured = measure()
    snapshot = json.loads(args.snapshot.read_text()) if args.snapshot.exists() else {}
    width = max(map(len, measured))
    for name, value in measured.items():
        before = snapshot.get(name)
        delta = "" if before is None else f"  ({value - before:+d})"
        print(f"{name:<{width}}  {value:>10,}{delta}")
    if args.update:
        args.snapshot.write_text(json.dumps(measured, indent=2) + "\n")
        print(f"wrote {args.snapshot}")
    if args.check:
        problems = compare(measured, snapshot)
        for problem in problems:
            print(f"REGRESSION {problem}", file=sys.stderr)
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
