"""Benchmark: order signing, off-chain validation and batch settlement, measured on a real chain.

Run with ``make bench`` or ``.venv/bin/python scripts/bench_settle.py [--fills N] [--repeat R]
[--json PATH] [--backend NAME | --rpc-url URL]``. It measures and prints a table (and writes the figures as JSON
with ``--json``); it asserts nothing. Progress goes to stderr, the table to stdout.

Every figure comes from a run on one backend: py-evm by default (the reference the gas snapshot
is taken on), ``--backend revm`` or ``anvil``, or the node at ``--rpc-url`` (which must support
``evm_snapshot``/``evm_revert``, as anvil and hardhat do); gas is the same on every one. Each
measurement is repeated R times from the same chain state (snapshot, measure, revert) and reported
as the median and the minimum over the R runs.

Setup: deploy the system, fund N traders (``System.fund``), and build for each trader an order to
buy 0.1 unit of market 0 with nonce 1 and another with nonce 2. Then:

1. **signing** — ``sign_order`` (eth-account; coincurve when installed) over the N nonce-1 orders.
2. **settle, new traders** — the N nonce-1 fills, all internal at the oracle price: every trader's
   first fill ever. The last run is kept, so afterwards every trader holds 0.1 unit.
3. **validation** — ``batch_view`` for the N nonce-2 orders (chain reads) and ``validate_batch``
   over their N fills (pure Python), timed separately.
4. **settle, existing traders** — the N nonce-2 fills, all internal: traders who already hold a
   position.
5. **settle, mixed** — the N nonce-2 orders again, from the same state as 4: even fills internal,
   odd fills routed whole to the AMM (``internal_size = 0``, ``amm_size = size``).

Gas per fill is the receipt's ``gasUsed`` divided by N (so it carries a share of the 21,000 base
cost and of the calldata). Seconds per batch are wall-clock around ``OrderMaker.settle`` (ABI
encoding, signing, sending, execution and the receipt). The settle gas limit is 150,000 per fill
(15,000,000 for 100 fills) unless ``--gas`` says otherwise.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, TextIO

from eth_account.signers.local import LocalAccount
from eth_keys.backends import get_backend

from defi_int.chain import BACKENDS, Chain, System, deploy_system
from defi_int.chain.views import batch_view, domain
from defi_int.orders import Fill, Order, sign_order, validate_batch
from defi_int.testing import OrderMaker
from defi_int.types import ONE

MARKET = 0
ORDER_SIZE = ONE // 10  # 0.1 unit per order
TRADER_MARGIN = 10_000  # whole collateral tokens each: far above the margin 0.1-0.2 unit needs
LIMIT_PCT = 105  # limit = 105 % of the oracle: room for the AMM legs' price impact in the mixed batch
ORDER_LIFETIME = 86_400  # seconds; outlives the whole run on any backend
GAS_PER_FILL = 150_000  # settle gas limit per fill: 15,000,000 for 100 fills


# ----------------------------------------------------------------- progress


class Progress:
    """Per-phase lines on stderr, with a bar for the long loops when stderr is a terminal."""

    def __init__(self, stream: TextIO = sys.stderr) -> None:
        self.stream = stream
        self.start = time.perf_counter()
        self.tty = stream.isatty()

    def _stamp(self) -> str:
        return f"[{time.perf_counter() - self.start:6.1f}s]"

    def line(self, message: str) -> None:
        print(f"{self._stamp()} {message}", file=self.stream, flush=True)

    def bar(self, label: str, done: int, total: int) -> None:
        if self.tty:
            width = 30
            filled = width * done // max(total, 1)
            bar = "#" * filled + "." * (width - filled)
            end = "\n" if done >= total else ""
            print(f"\r{self._stamp()} {label} [{bar}] {done}/{total}", end=end, file=self.stream, flush=True)
        elif done == total or done % max(total // 4, 1) == 0:
            self.line(f"{label} {done}/{total}")


# ------------------------------------------------------------------ figures


@dataclass
class Figure:
    """One measured quantity over the R runs."""

    name: str
    unit: str
    samples: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return float(statistics.median(self.samples))

    @property
    def min(self) -> float:
        return float(min(self.samples))

    def as_json(self) -> dict[str, Any]:
        return {"unit": self.unit, "median": self.median, "min": self.min, "samples": self.samples}


@dataclass
class Phase:
    """A group of figures measured together, with facts about the run (counts, gas limit ...)."""

    title: str
    figures: dict[str, Figure] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)

    def add(self, key: str, name: str, unit: str, value: float) -> None:
        self.figures.setdefault(key, Figure(name, unit)).samples.append(value)

    def as_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            **self.facts,
            "figures": {key: fig.as_json() for key, fig in self.figures.items()},
        }


# ---------------------------------------------------------------- the bench


@dataclass
class Bench:
    chain: Chain
    system: System
    maker: OrderMaker
    fills: int
    repeat: int
    gas: int
    progress: Progress

    def timed_runs(self, label: str, run: Callable[[int], None], *, keep_last: bool) -> None:
        """Runs ``run(i)`` R times, each from the same state; the last run's state is kept if asked."""
        for i in range(self.repeat):
            keep = keep_last and i == self.repeat - 1
            snapshot = None if keep else self.chain.snapshot()
            self.progress.line(f"{label}: run {i + 1}/{self.repeat}")
            run(i)
            if snapshot is not None:
                self.chain.revert(snapshot)

    def measure_settle(self, phase: Phase, label: str, fills: Sequence[Fill], *, keep_last: bool) -> None:
        n = len(fills)
        phase.facts.update({"fills": n, "gas_limit": self.gas})

        def run(_: int) -> None:
            start = time.perf_counter()
            receipt = self.maker.settle(fills, gas=self.gas)
            seconds = time.perf_counter() - start
            gas_used = int(receipt["gasUsed"])
            phase.add("gas_per_fill", "gas per fill", "gas", gas_used / n)
            phase.add("gas_per_batch", "gas per batch", "gas", gas_used)
            phase.add("seconds_per_batch", "wall-clock per batch", "s", seconds)
            phase.add("fills_per_second", "throughput", "fills/s", n / seconds)

        self.timed_runs(label, run, keep_last=keep_last)


def fund_traders(chain: Chain, system: System, n: int, progress: Progress) -> list[LocalAccount]:
    traders = []
    for i in range(n):
        trader = chain.account(f"bench-trader-{i}")
        system.fund(trader, TRADER_MARGIN * system.params.unit)
        traders.append(trader)
        progress.bar("funding traders", i + 1, n)
    return traders


def build_orders(
    maker: OrderMaker, traders: Sequence[LocalAccount], nonce: int, price: int, expiry: int
) -> list[Order]:
    return [
        maker.order(
            trader,
            market=MARKET,
            is_buy=True,
            size=ORDER_SIZE,
            limit_price=price * LIMIT_PCT // 100,
            expiry=expiry,
            nonce=nonce,
        )
        for trader in traders
    ]


def run_bench(
    chain: Chain, n: int, repeat: int, gas: int, progress: Progress
) -> tuple[dict[str, Phase], dict[str, Any]]:
    progress.line(f"deploying the system on {chain.kind} chain (id {chain.chain_id})")
    system = deploy_system(chain)
    dom = domain(system)
    maker = OrderMaker(system, dom)
    bench = Bench(chain, system, maker, n, repeat, gas, progress)

    progress.line(f"funding {n} traders with {TRADER_MARGIN:,} tokens of margin each")
    traders = fund_traders(chain, system, n, progress)

    price = int(chain.call(system.oracle.functions.latest(MARKET))[0])
    expiry = chain.timestamp() + ORDER_LIFETIME
    progress.line("building orders (nonce 1 and nonce 2 for every trader)")
    first_orders = build_orders(maker, traders, 1, price, expiry)
    second_orders = build_orders(maker, traders, 2, price, expiry)
    setup = {"oracle_price": price / ONE, "order_size": ORDER_SIZE / ONE, "limit_price": price * LIMIT_PCT // 100 / ONE}

    phases: dict[str, Phase] = {}

    # 1. signing
    signing = phases["signing"] = Phase("order signing (eth-account)", facts={"orders": n})
    first_sigs: list[bytes] = []
    for i in range(repeat):
        progress.line(f"signing {n} orders: run {i + 1}/{repeat}")
        start = time.perf_counter()
        first_sigs = [sign_order(t, o, dom) for t, o in zip(traders, first_orders, strict=True)]
        seconds = time.perf_counter() - start
        signing.add("seconds", "wall-clock for N orders", "s", seconds)
        signing.add("orders_per_second", "throughput", "orders/s", n / seconds)
    second_sigs = [sign_order(t, o, dom) for t, o in zip(traders, second_orders, strict=True)]

    def fill(trader: LocalAccount, order: Order, sig: bytes, *, amm: bool = False) -> Fill:
        if amm:
            return maker.fill(trader, order, internal_size=0, amm_size=order.size, internal_price=price, signature=sig)
        return maker.fill(trader, order, internal_price=price, signature=sig)

    first_fills = [fill(t, o, s) for t, o, s in zip(traders, first_orders, first_sigs, strict=True)]
    second_fills = [fill(t, o, s) for t, o, s in zip(traders, second_orders, second_sigs, strict=True)]
    mixed_fills = [
        fill(t, o, s, amm=i % 2 == 1)
        for i, (t, o, s) in enumerate(zip(traders, second_orders, second_sigs, strict=True))
    ]

    # 2. new traders: first fill ever; the last run stays, so every trader then holds a position.
    new = phases["settle_new"] = Phase("settle, N new traders (first fill ever)")
    bench.measure_settle(new, "settle, new traders", first_fills, keep_last=True)

    # 3. off-chain validation of the existing-trader batch, on the state it will settle on.
    validation = phases["validation"] = Phase("off-chain validation", facts={"fills": n})
    for i in range(repeat):
        progress.line(f"batch_view + validate_batch: run {i + 1}/{repeat}")
        start = time.perf_counter()
        view = batch_view(system, second_orders)
        read = time.perf_counter() - start
        start = time.perf_counter()
        check = validate_batch(second_fills, view)
        checked = time.perf_counter() - start
        validation.add("batch_view_seconds", "batch_view (chain reads)", "s", read)
        validation.add("validate_seconds", "validate_batch", "s", checked)
        validation.add("validate_fills_per_second", "validate_batch throughput", "fills/s", n / checked)
        validation.add("total_fills_per_second", "view + validate throughput", "fills/s", n / (read + checked))
        validation.facts.update({"accepted": len(check.accepted), "rejected": len(check.rejected)})
        if check.rejected:
            reasons = sorted({exc.reason for _, exc in check.rejected})
            validation.facts["rejection_reasons"] = reasons

    # 4. existing traders: each already holds 0.1 unit and buys 0.1 more with nonce 2.
    existing = phases["settle_existing"] = Phase("settle, N existing traders (hold a position)")
    bench.measure_settle(existing, "settle, existing traders", second_fills, keep_last=False)

    # 5. mixed: the same orders from the same state, every other fill routed whole to the AMM.
    mixed = phases["settle_mixed"] = Phase("settle, mixed (½ internal, ½ AMM leg)")
    mixed.facts.update({"internal_fills": n - n // 2, "amm_fills": n // 2})
    bench.measure_settle(mixed, "settle, mixed batch", mixed_fills, keep_last=False)

    return phases, setup


# ------------------------------------------------------------------ output


def environment(chain: Chain) -> dict[str, Any]:
    versions: dict[str, str | None] = {}
    for package in ("web3", "eth-tester", "py-evm", "pyrevm", "eth-account", "eth-keys", "coincurve"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = None
    names = {"pyevm": "in-process eth-tester/py-evm", "revm": "in-process revm (pyrevm, exact mode)"}
    backend = names.get(chain.kind, f"JSON-RPC node {chain.url}")
    client: str | None = None
    try:
        client = str(chain.w3.client_version)
    except Exception:  # the client name is informative only
        client = None
    return {
        "backend": backend,
        "client_version": client,
        "chain_id": chain.chain_id,
        "ecc_backend": type(get_backend()).__name__,
        "python": platform.python_version(),
        "platform": platform.platform(),
        "packages": versions,
    }


def _number(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value:.4f}" if value < 10 else f"{value:.2f}"
    if unit == "gas":
        return f"{value:,.0f}"
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def render(phases: dict[str, Phase], env: dict[str, Any], config: dict[str, Any], setup: dict[str, Any]) -> str:
    lines = [
        f"defi-int settle benchmark — {env['backend']} (chain id {env['chain_id']})",
        f"fills N = {config['fills']}, repeats R = {config['repeat']}, settle gas limit = {config['gas']:,}, "
        f"orders buy {setup['order_size']} unit at oracle {setup['oracle_price']:,.2f} "
        f"(limit {setup['limit_price']:,.2f})",
        f"ECC backend: {env['ecc_backend']}; python {env['python']}; "
        + ", ".join(f"{k} {v}" for k, v in env["packages"].items()),
        "",
    ]
    header = f"{'phase':<44} {'figure':<28} {'unit':<9} {'median':>14} {'min':>14}"
    lines += [header, "-" * len(header)]
    for phase in phases.values():
        title = phase.title
        for fig in phase.figures.values():
            lines.append(
                f"{title:<44} {fig.name:<28} {fig.unit:<9} {_number(fig.median, fig.unit):>14} "
                f"{_number(fig.min, fig.unit):>14}"
            )
            title = ""
    lines.append("")
    validation = phases["validation"].facts
    lines.append(f"validation: {validation['accepted']} of {validation['fills']} fills accepted")
    if validation.get("rejection_reasons"):
        lines.append(f"  rejected for: {', '.join(validation['rejection_reasons'])}")
    lines += [
        "min is the lowest of the R runs for every figure: the fastest run for seconds, the slowest for rates.",
        "gas per fill = receipt gasUsed / N (includes a share of the 21,000 base cost and calldata).",
    ]
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--fills", type=int, default=100, metavar="N", help="fills per batch (default 100)")
    parser.add_argument("--repeat", type=int, default=3, metavar="R", help="runs per measurement (default 3)")
    parser.add_argument("--json", type=Path, default=None, metavar="PATH", help="also write the figures as JSON")
    parser.add_argument("--backend", choices=BACKENDS, default="pyevm", help="the chain (default: pyevm)")
    parser.add_argument("--rpc-url", default=None, metavar="URL", help="run against this JSON-RPC node")
    parser.add_argument("--gas", type=int, default=None, help=f"settle gas limit (default {GAS_PER_FILL:,} per fill)")
    args = parser.parse_args(argv)
    if args.fills < 2:
        parser.error("--fills must be at least 2 (the mixed batch needs one fill of each kind)")
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    if args.fills * 2 * ORDER_SIZE > 100 * ONE:
        parser.error("--fills above 500 would take the desk past its default 100-unit inventory cap")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    gas = args.gas if args.gas is not None else GAS_PER_FILL * args.fills
    progress = Progress()
    chain = Chain.open("rpc" if args.rpc_url else args.backend, url=args.rpc_url)
    try:
        phases, setup = run_bench(chain, args.fills, args.repeat, gas, progress)
        env = environment(chain)
    finally:
        chain.close()
    progress.line("done")
    config = {"fills": args.fills, "repeat": args.repeat, "gas": gas}
    print(render(phases, env, config, setup))
    if args.json is not None:
        payload = {
            "config": config,
            "setup": setup,
            "environment": env,
            "results": {key: phase.as_json() for key, phase in phases.items()},
        }
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        progress.line(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
