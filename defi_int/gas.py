"""Gas of named operations, measured on a fresh embedded chain, against a committed snapshot.

``measure()`` deploys a system with funding on (period 8 h, cap 100 bps) and the oracle 0.1 %
below the AMM mid, so every fill below settles a nonzero funding charge; time passes between
batches. It runs each operation once and returns its gas from the receipt. Settlements go through
``settleCompact`` (what ``System.settle`` sends) unless named ``_abi``; 1, 10 and 100 fills:

- ``existing``: traders who already hold a position, the next nonce of the block of 8 nonces their
  book caches (the nonce is recorded in the book's own word: one storage word a fill);
- ``scattered``: the same traders, each nonce far from its last one (another 128-nonce word the
  trader has used before): the book's cached block is written back into its word and the nonce's
  block read from its own;
- ``fresh_word``: the same traders, each nonce in a word they never used: the cached block is
  written back into its (written) word, the new word is read and stays zero;
- ``first_move``: traders whose only nonces so far lie in the block their book caches, each nonce
  in a word they never used: the cached block's own word was never written, so the write-back pays
  a new storage slot (what a trader signing sequential nonces pays once every 128 nonces);
- ``new``: a trader's first fill (it has deposited: its book exists and caches the first block).

``internal_fill_<case>_100`` is the per-fill cost of the 100-fill batch of that case; ``liquidate``
closes a whole position on the desk, funding settled first. The snapshot
lives in ``tests/gas_snapshot.json``; ``python -m defi_int.gas`` prints the table, ``--update``
rewrites the snapshot, ``--check`` fails on a regression over 2%.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from defi_int.chain import Chain, MarketParams, System, SystemParams
from defi_int.chain.views import domain
from defi_int.testing import OrderMaker, build_session
from defi_int.types import ONE

SNAPSHOT = Path("tests/gas_snapshot.json")
TOLERANCE = 0.02
SIZES = (1, 10, 100)
STEP = ONE // 10
#: Funding as the measurement runs it: an 8-hour period, a 1 % cap, the oracle 10 bps off the AMM
#: mid, measured there (at impact prices 10 bps is inside the band and no fill would pay funding);
#: an inventory cap the desk's side of every batch fits under.
PARAMS = SystemParams(
    markets=(
        MarketParams(
            funding_period=8 * 3_600, funding_cap_bps=100, funding_impact_notional=0, inventory_cap=1_000 * ONE
        ),
    )
)
ORACLE_OFFSET_BPS = 10
#: Seconds between two measured batches, so the funding index moves.
BETWEEN_BATCHES = 60
#: The nonce words the cases use: 0 and 7 for existing and scattered, 20+ for fresh ones, 40+ for
#: first moves.
WORD = 128


def fund_traders(system: System, label: str, count: int) -> list[LocalAccount]:
    """``count`` new traders with 10,000 tokens of margin each."""
    traders = [system.chain.account(f"gas-{label}-{i}") for i in range(count)]
    for trader in traders:
        system.fund(trader, 10_000 * system.params.unit)
    return traders


def settle_batch(
    maker: OrderMaker, traders: list[LocalAccount], nonce: int, *, fee_bps: int = 2, compact: bool = True
) -> Any:
    """``BETWEEN_BATCHES`` seconds later, every trader buys ``STEP`` with ``nonce``, all internal."""
    chain = maker.system.chain
    chain.set_next_block_timestamp(chain.timestamp() + BETWEEN_BATCHES)
    fills = [maker.fill(t, maker.order(t, size=STEP, nonce=nonce), fee_bps=fee_bps) for t in traders]
    receipt = maker.system.settle(fills, gas=400_000 + 80_000 * len(fills), compact=compact)
    return receipt


def gas_system(chain: Chain) -> tuple[System, OrderMaker, list[LocalAccount]]:
    """The measured deployment: funding on, the oracle ``ORACLE_OFFSET_BPS`` below the AMM mid."""
    system, traders = build_session(chain, PARAMS)
    mid = PARAMS.markets[0].price
    system.set_price(0, mid * (10_000 - ORACLE_OFFSET_BPS) // 10_000)
    return system, OrderMaker(system, domain(system)), traders


def _batch(maker: OrderMaker, traders: list[LocalAccount], nonce: int, *, compact: bool = True) -> int:
    return int(settle_batch(maker, traders, nonce, compact=compact)["gasUsed"])


def measure(chain: Chain | None = None) -> dict[str, int]:
    """Gas of every named operation; see the module docstring."""
    chain = chain or Chain.embedded()
    system, maker, (alice, bob, *_) = gas_system(chain)
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
    gas["amm_swap"] = int(send(alice, system.amm.functions.swap(0, True, ONE, quote), gas=250_000)["gasUsed"])
    hedge = system.settlement.functions.hedge(0, False, ONE, 0)
    gas["hedge"] = int(send(system.keeper_account, hedge, gas=300_000)["gasUsed"])
    gas["withdraw_with_position"] = int(
        send(alice, system.vault.functions.withdraw(100 * system.params.unit), gas=200_000)["gasUsed"]
    )
    gas["update_funding"] = int(system.update_funding(0)["gasUsed"])
    mixed = [
        maker.fill(t, maker.order(t, size=2 * STEP, nonce=7), internal_size=STEP, amm_size=STEP, fee_bps=2)
        for t in (alice, bob)
    ]
    gas["settle_mixed_2"] = int(maker.settle(mixed)["gasUsed"])

    for count in SIZES:
        existing = fund_traders(system, f"old{count}", count)
        _batch(maker, existing, nonce=1)  # the book caches block 0
        # the cache moves to word 7's block 112; block 0 goes back into word 0, a new slot
        gas[f"settle_{count}_first_move"] = _batch(maker, existing, nonce=(40 + count) * WORD)
        _batch(maker, existing, nonce=7 * WORD)  # word 7 read; the last block goes back into its word
        _batch(maker, existing, nonce=2)  # word 7 written, word 0 read: both words exist from here on
        _batch(maker, existing, nonce=7 * WORD + 1)
        gas[f"settle_{count}_existing"] = _batch(maker, existing, nonce=7 * WORD + 2)
        gas[f"settle_{count}_scattered"] = _batch(maker, existing, nonce=3)
        gas[f"settle_{count}_fresh_word"] = _batch(maker, existing, nonce=(20 + count) * WORD)
        gas[f"settle_{count}_new"] = _batch(maker, fund_traders(system, f"new{count}", count), nonce=1)
    abi = fund_traders(system, "abi", 100)
    _batch(maker, abi, nonce=1, compact=False)
    gas["settle_100_existing_abi"] = _batch(maker, abi, nonce=2, compact=False)
    for case in ("existing", "scattered", "fresh_word", "first_move", "new"):
        gas[f"internal_fill_{case}_100"] = gas[f"settle_100_{case}"] // 100
    gas["liquidate"] = _liquidation(system, maker)
    return gas


def _liquidation(system: System, maker: OrderMaker) -> int:
    """An account long 9 base on 2,000 tokens of margin, liquidated whole by the desk after a 10 % fall."""
    chain = system.chain
    levered = chain.account("gas-levered")
    system.fund(levered, 2_000 * system.params.unit)
    maker.settle([maker.fill(levered, size=9 * ONE)])
    price = chain.call(system.oracle.functions.latest(0))[0]
    chain.set_next_block_timestamp(chain.timestamp() + BETWEEN_BATCHES)
    system.set_price(0, price * 9 // 10)
    _, receipt = system.liquidate(chain.account("gas-liquidator"), levered.address, 0, 9 * ONE)
    return receipt.gas_used


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
