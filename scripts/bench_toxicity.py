"""Benchmark: the toxicity model's cost per order, as the bot pays it (one order at a time).

Run with ``.venv/bin/python scripts/bench_toxicity.py [--orders N] [--models M ...] [--json PATH]``.
For each model it plays a synthetic market through one ``Scorer`` (an oracle on a random walk, an
AMM near it, 200 traders sending ``--per-step`` orders a step, a third of them filled internally,
every order priced), first ``--warmup`` steps untimed so the models are trained, then ``--orders``
orders timed one by one:

- **features**: ``FlowWatch.features`` for one order;
- **predict**: the model's ``predict`` on that row;
- **score**: ``Scorer.score`` whole (features, predict, noting the order, queueing its label);
- **update**: learning one matured label (the books and the model's ``update``), per label;
- **per order**: score + update, order ``i`` with label ``i`` (the bot's work per order);
- **refit** (gbdt): each refit's time (``end_step``), and spread over the orders of its period. The
  gbdt fits in place here (``keeper.toxicity_fit_lag = 0``), so that the fit's own cost is timed;
  with the default lag it runs in the fit process and ``end_step`` only sends the window and
  installs the trees ``lag`` steps later (``--fit-lag`` times that instead).

Percentiles are per call, in wall-clock time (``time.perf_counter_ns``: what the bot waits,
preemption included) and in the thread's CPU time (``time.thread_time_ns``: the work itself, blind
to the other processes of a shared machine); the load average is printed with them. It asserts
nothing; ``--json`` writes the same figures.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from defi_int.keeper.toxicity.models import MODELS, ToxicityConfig
from defi_int.keeper.toxicity.scorer import Scorer
from defi_int.orders.model import Order
from defi_int.types import BPS, ONE

TRADERS = ["0x" + f"{i:040x}" for i in range(1, 201)]
BLOCK = 12
START = 1_700_000_000


class Timer:
    """Wraps a bound method and keeps the nanoseconds of every call while ``on``: wall-clock
    (``calls``, what the bot waits) and the thread's CPU time (``cpu``, blind to other processes)."""

    def __init__(self, owner: Any, name: str) -> None:
        self.calls: list[int] = []
        self.cpu: list[int] = []
        self.on = False
        original: Callable[..., Any] = getattr(owner, name)

        def timed(*args: Any, **kwargs: Any) -> Any:
            started, cpu = time.perf_counter_ns(), time.thread_time_ns()
            try:
                return original(*args, **kwargs)
            finally:
                if self.on:
                    self.calls.append(time.perf_counter_ns() - started)
                    self.cpu.append(time.thread_time_ns() - cpu)

        setattr(owner, name, timed)


def percentiles(ns: list[int] | np.ndarray) -> dict[str, float]:
    values = np.asarray(ns, dtype=np.float64) / 1_000.0
    if not len(values):
        return {"p50_us": 0.0, "p99_us": 0.0, "max_us": 0.0, "n": 0}
    return {
        "p50_us": float(np.percentile(values, 50)),
        "p99_us": float(np.percentile(values, 99)),
        "max_us": float(values.max()),
        "n": len(values),
    }


def measure(model: str, orders: int, warmup: int, per_step: int, seed: int, fit_lag: int = 0) -> dict[str, Any]:
    rng = np.random.default_rng(seed)
    scorer = Scorer(ToxicityConfig(model=model, seed=seed, fit_lag=fit_lag))
    features = Timer(scorer.watch, "features")
    predict = Timer(scorer.model, "predict")
    score = Timer(scorer, "score")
    update = Timer(scorer.model, "update")
    refits = Timer(scorer.model, "end_step")
    price, amm, nonce, inventory, step = 2_000.0, 2_000.0, 0, 0, 0
    timed_orders = 0
    while timed_orders < orders:
        timing = step >= warmup
        for timer in (features, predict, score, update, refits):
            timer.on = timing
        now = START + step * BLOCK
        lead = rng.normal(0.0, 0.001)
        amm = price * (1 + lead)
        price *= 1 + lead * 0.6 + rng.normal(0.0, 0.0005)
        oracle = int(price * ONE)
        scorer.observe_market(step, now, 0, oracle, now - BLOCK * (step % 3), int(amm * ONE), 1_000 * ONE)
        for _ in range(per_step):
            nonce += 1
            is_buy = bool(rng.random() < 0.5)
            trader = TRADERS[int(rng.integers(len(TRADERS)))]
            size = int(rng.uniform(0.2, 4.0) * ONE)
            limit = oracle * (BPS + 40) // BPS if is_buy else oracle * (BPS - 40) // BPS
            order = Order(trader, 0, is_buy, size, limit, now + BLOCK * 3, nonce, 10, True)
            quote = oracle * (BPS + 5) // BPS if is_buy else oracle * (BPS - 5) // BPS
            digest = nonce.to_bytes(32, "big")
            scorer.score(order, digest, step=step, now=now, inventory=inventory, cap=30 * ONE, desk_quote=quote)
            if rng.random() < 1 / 3:
                scorer.on_fill(digest, step=step, trader=trader, market=0, trader_buys=is_buy, size=size, price=quote)
                inventory += -size if is_buy else size
            timed_orders += timing
        scorer.on_step(step, {0: oracle})
        step += 1
    fits = int(getattr(scorer.model, "fits", 0))
    result: dict[str, Any] = {"model": model, "fits_total": fits, "timed_orders": timed_orders, "steps": step}
    for clock in ("calls", "cpu"):
        series = {name: getattr(timer, clock) for name, timer in (("features", features), ("predict", predict))}
        series |= {"score": getattr(score, clock), "update": getattr(update, clock)}
        pairs = min(len(series["score"]), len(series["update"]))
        per_order = np.asarray(series["score"][:pairs]) + np.asarray(series["update"][:pairs])
        figures: dict[str, Any] = {name: percentiles(values) for name, values in series.items()}
        figures["per_order"] = percentiles(per_order if model != "none" else series["score"])
        refit = getattr(refits, clock)
        figures["refit_ms_max"] = max(refit, default=0) / 1e6
        figures["refit_us_per_order"] = sum(refit) / 1_000.0 / max(timed_orders, 1)
        result["wall" if clock == "calls" else "cpu"] = figures
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=5_000, help="orders timed per model")
    parser.add_argument("--warmup", type=int, default=300, help="untimed steps first (the models train)")
    parser.add_argument("--per-step", type=int, default=10, help="orders per step")
    parser.add_argument("--models", nargs="+", choices=MODELS, default=list(MODELS))
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--fit-lag", type=int, default=0, help="keeper.toxicity_fit_lag (0: the fit timed in place)")
    parser.add_argument("--json", type=Path, help="write the figures here")
    args = parser.parse_args()
    load = os.getloadavg()
    print(f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} on {os.cpu_count()} cores")
    results = [measure(m, args.orders, args.warmup, args.per_step, args.seed, args.fit_lag) for m in args.models]
    columns = ("features", "predict", "update", "per_order")
    for clock, title in (("wall", "wall-clock time per call"), ("cpu", "the thread's CPU time per call")):
        print(f"\n{title}")
        print(f"{'':<12}" + "".join(f"{name:>18}" for name in columns) + f"{'gbdt refit':>24}")
        print(f"{'model':<12}" + f"{'p50 / p99 µs':>18}" * len(columns) + f"{'max ms / µs per order':>24}")
        for r in results:
            f = r[clock]
            cells = "".join(f"{f[k]['p50_us']:>9.1f} / {f[k]['p99_us']:<6.1f}" for k in columns)
            print(f"{r['model']:<12}{cells}{f['refit_ms_max']:>13.1f} / {f['refit_us_per_order']:<8.1f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {"load_average": load, "orders": args.orders, "per_step": args.per_step, "results": results}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
        print(f"wrote {args.json}")


if __name__ == "__main__":
    main()
