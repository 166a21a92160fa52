"""A hand-made run for the execution report and its audits: orders with receipts, legs, hedges, re-matches.

One market, collateral with 6 decimals (price scale 1e30); steps 0..6, block ``100 + 10·step`` at
time ``T0 + 12·step``. Orders (digest ``0x0N..``):

1. informed buy 1, marketable (mid 2000, AMM 2003 for the size), filled internally at 2001 in block 111;
2. noise sell 2, marketable (AMM 1996), 1 internally at 1999 and 1 on the AMM at 1997, block 111;
3. noise buy 0.1 (a $200 order), not marketable (limit 1990), expired unfilled;
4. informed buy 3, marketable at receipt in step 2 (mid 2004, AMM 2010), 1.5 filled internally at
   2005 in block 131, the rest expired; the desk bought 1 on the AMM in block 125 before that;
5. noise sell 1, marketable (AMM 1998), filled internally at 1999 in block 111 (same batch as 2);
6. noise buy 1, refused at intake (no receipt);
7. noise buy 1, marketable, cancelled unfilled.

Every leg is compliant: 0 best-execution violations, 0 unequal prices; the hedge trades ahead of
order 4 (6 blocks). The re-matches: order 1 would have got half its size internally in reverse
order; order 2 would have got a better price without the skew.
"""

from __future__ import annotations

from dataclasses import replace

from defi_int.metrics.records import Counterfactual, Hedge, OrderLog, RunResult, TimePoint
from defi_int.orders.booking import Leg

ONE = 10**18
USD = 10**6
T0 = 1_700_000_000
INFORMED = "0x" + "aa" * 20
NOISE = "0x" + "bb" * 20


def digest(n: int) -> bytes:
    return bytes([n]) * 32


def usd(price: float) -> int:
    return round(price * ONE)


def order(n: int, trader: str, is_buy: bool, size: float, step: int, **fields: object) -> OrderLog:
    log = OrderLog(
        digest(n), trader, 0, is_buy, round(size * ONE), usd(2100 if is_buy else 1900), T0 + 3600, True, 30,
        step, T0 + 12 * step,
    )  # fmt: skip
    for name, value in fields.items():
        setattr(log, name, value)
    return log


def leg(n: int, trader: str, is_buy: bool, size: float, price: float, amm: float, block: int, **kw: object) -> Leg:
    step = (block - 100) // 10
    s, p, a = round(size * ONE), usd(price), usd(amm)
    base = Leg(
        digest(n), 0, "internal", trader, 0, is_buy, s, s * p // 10**30, p, usd(2100 if is_buy else 1900),
        s * p // 10**30 * 2 // 10_000, usd(2000), usd(2000), s * a // 10**30, a, 50_000, block, T0 + 12 * step,
        step,
    )  # fmt: skip
    return replace(base, **kw)  # type: ignore[arg-type]


def receipt(mid: float, amm: float, desk: float, marketable: bool = True) -> dict[str, object]:
    return {
        "oracle_at_receipt": usd(mid),
        "amm_mid_at_receipt": usd(mid),
        "desk_price_at_receipt": usd(desk),
        "amm_price_at_receipt": usd(amm),
        "marketable": marketable,
    }


def build_flow_result() -> RunResult:
    oracle = [2000, 2000, 2003, 2002, 2000, 2002, 2004]
    amm = [2000, 2001, 2004, 2002, 1999, 2003, 2005]
    timeseries = [
        TimePoint(s, 100 + 10 * s + 9, T0 + 12 * s + 9, 0, usd(oracle[s]), usd(oracle[s]), usd(amm[s]), 0, 0, 0)
        for s in range(7)
    ]
    orders = [
        order(1, INFORMED, True, 1, 1, status="filled", filled=ONE, internal=ONE, **receipt(2000, 2003, 2001)),
        order(2, NOISE, False, 2, 1, status="filled", filled=2 * ONE, internal=ONE, **receipt(2000, 1996, 1999)),
        order(3, NOISE, True, 0.1, 1, status="expired", limit_price=usd(1990), **receipt(2000, 2000.6, 2001, False)),
        order(4, INFORMED, True, 3, 2, status="expired", filled=ONE * 3 // 2, internal=ONE * 3 // 2,
              **receipt(2004, 2010, 2005)),
        order(5, NOISE, False, 1, 1, status="filled", filled=ONE, internal=ONE, **receipt(2000, 1998, 1999)),
        order(6, NOISE, True, 1, 1, status="rejected", reason="bad_signature"),
        order(7, NOISE, True, 1, 2, status="cancelled", **receipt(2004, 2007, 2005)),
    ]  # fmt: skip
    fills = [
        leg(1, INFORMED, True, 1, 2001, 2003, 111),
        leg(2, NOISE, False, 1, 1999, 1997.5, 111),
        leg(2, NOISE, False, 1, 1997, 1997, 111, venue="amm", fee=399_400),
        leg(5, NOISE, False, 1, 1999, 1998, 111),
        leg(4, INFORMED, True, 1.5, 2005, 2010, 131, oracle_price=usd(2003), time=T0 + 36 + 2),
    ]
    hedges = [Hedge(2, 125, T0 + 24 + 5, 0, True, ONE, 2006 * USD, usd(2003), 90_000)]
    counterfactuals = [
        Counterfactual(1, 105, 0, digest(1), INFORMED, True, "permuted", usd(2000), ONE, usd(2001), 0, 0,
                       ONE // 2, usd(2001), ONE // 2, 1003 * USD),
        Counterfactual(1, 105, 0, digest(2), NOISE, False, "no_skew", usd(2000), ONE, usd(1999), ONE, 1997 * USD,
                       ONE, usd(2000), ONE, 1997 * USD),
    ]  # fmt: skip
    return RunResult(
        scenario="flow",
        seed=3,
        backend="embedded",
        contracts={},
        price_scale=10**30,
        decimals=6,
        block_time=12,
        markout_horizons=(1, 2, 5),
        trader_types={INFORMED: "informed", NOISE: "noise"},
        fills=fills,
        orders=orders,
        hedges=hedges,
        counterfactuals=counterfactuals,
        timeseries=timeseries,
        amm_fee_bps={0: 30},
        orders_total=7,
    )
