"""Benchmark: the keeper's own work, without an EVM, on the mirror venue.

Run with ``.venv/bin/python scripts/bench_keeper.py [--orders N] [--batch B] [--json PATH]``. It signs
``N`` orders from 50 traders around the oracle (half buys, half sells, some far from the market),
then measures:

- **intake**: orders admitted per second (signature recovery, digest, book admission);
- **validation** of one batch as the keeper's plan (digests from intake, AMM quotes from the
  planner) and as bare fills (digests, signatures and quotes computed again, as before the plan);
- **batches**: ``Keeper.step`` on batches of up to ``B`` orders until the book is empty, with the
  time of each step (select, snapshot, prune, plan, validate, settle on the mirror, reconcile,
  hedge) and fills per second.

The mirror venue replays ``settle`` in Python (signatures included), so "settle" here is the cost
of that replay, not of a chain. It asserts nothing; ``--json`` writes the same figures.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

from eth_account import Account
from eth_utils.crypto import keccak

from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.mirror import MirrorMarket, MirrorVenue
from defi_int.keeper.pricing import PricingParams
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_order
from defi_int.orders.validation import validate_batch, validate_plan
from defi_int.types import ONE

TRADERS = 50


class Timed:
    """Wraps the keeper's steps to add up the seconds spent in each."""

    def __init__(self, keeper: Keeper, names: tuple[str, ...]) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        for name in names:
            original = getattr(keeper, name)

            def timed(*args: Any, _original: Any = original, _name: str = name, **kwargs: Any) -> Any:
                started = time.perf_counter()
                try:
                    return _original(*args, **kwargs)
                finally:
                    self.seconds[_name] += time.perf_counter() - started

            setattr(keeper, name, timed)


def measure(orders: int, batch: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    venue = MirrorVenue.new((MirrorMarket(inventory_cap=10_000 * ONE),))
    traders = [Account.from_key(keccak(text=f"bench trader {i}")) for i in range(TRADERS)]
    for trader in traders:
        venue.fund(trader.address, 10_000_000 * 10**6)
    pricing = PricingParams(5.0, 0.1, 0.64 / 31_536_000, 3_600.0, 100, 0.0, venue.world.price_scale)
    config = KeeperConfig(pricing={0: pricing}, risk_limits={0: 5_000 * ONE}, soft_limits={0: None}, max_batch=batch)
    keeper = Keeper(venue, config)
    mark = venue.oracle[0][0]
    signed = []
    for nonce in range(orders):
        trader = traders[nonce % TRADERS]
        is_buy = rng.random() < 0.5
        offset = rng.choice((50, 50, 50, -5_000))  # a quarter rest far from the market
        limit = mark * (10_000 + offset) // 10_000 if is_buy else mark * (10_000 - offset) // 10_000
        size = rng.randint(1, 30) * ONE // 10
        order = Order(trader.address, 0, is_buy, size, limit, venue.now + 3_600, nonce + 1, 30, True)
        signed.append((order, sign_order(trader, order, venue.domain)))

    started = time.perf_counter()
    for order, signature in signed:
        keeper.intake(order, signature, now=venue.now + 1)
    intake = time.perf_counter() - started

    # One batch validated both ways: the plan (digests from intake, signatures verified there, AMM
    # quotes from the planner) and bare fills (digests, signatures and quotes computed again).
    selected = keeper.select()
    snapshot = keeper.snapshot(selected)
    plan = keeper.plan(keeper.prune(selected, snapshot).live, snapshot).fills
    started = time.perf_counter()
    validate_plan(plan, snapshot.view)
    as_plan = time.perf_counter() - started
    started = time.perf_counter()
    validate_batch([p.fill for p in plan], snapshot.view)
    as_fills = time.perf_counter() - started

    timed = Timed(keeper, ("select", "snapshot", "prune", "plan", "validate", "settle", "reconcile", "hedge"))
    fills = batches = 0
    started = time.perf_counter()
    while True:
        outcome = keeper.step(batches)
        batches += 1
        fills += len(outcome.events)
        if not outcome.events:
            break
    stepping = time.perf_counter() - started
    return {
        "orders": orders,
        "batch": batch,
        "intake_seconds": round(intake, 3),
        "intake_orders_per_second": round(orders / intake, 1),
        "batches": batches,
        "fills": fills,
        "step_seconds": round(stepping, 3),
        "fills_per_second": round(fills / stepping, 1),
        "milliseconds_per_batch": round(1_000 * stepping / batches, 2),
        "phase_seconds": {k: round(v, 3) for k, v in timed.seconds.items()},
        "validate_plan_ms": round(1_000 * as_plan, 2),
        "validate_bare_fills_ms": round(1_000 * as_fills, 2),
        "validated_fills": len(plan),
        "resting_at_end": len(keeper.book),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--orders", type=int, default=5_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    row = measure(args.orders, args.batch, args.seed)
    print(f"intake:  {row['orders']} orders in {row['intake_seconds']} s = {row['intake_orders_per_second']} orders/s")
    print(
        f"batches: {row['batches']} of up to {row['batch']} orders, {row['fills']} fills in {row['step_seconds']} s"
        f" = {row['fills_per_second']} fills/s, {row['milliseconds_per_batch']} ms per batch"
        f" ({row['resting_at_end']} far orders left resting)"
    )
    print("  " + ", ".join(f"{k} {v:.3f}s" for k, v in row["phase_seconds"].items()))
    print(
        f"validating one batch of {row['validated_fills']} fills: as the keeper's plan {row['validate_plan_ms']} ms,"
        f" as bare fills (digests and signatures again) {row['validate_bare_fills_ms']} ms"
    )
    if args.json:
        args.json.write_text(json.dumps(row, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
