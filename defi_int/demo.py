"""The demo batch: deploy on the embedded chain, sign orders, validate, settle one batch, report.

Until the keeper lands this is the main job: five traders sign orders; the desk fills what it can
from its own book (opposing orders net inside the batch) up to its inventory cap and routes the
rest to the AMM when the order allows it; an expired order and a forged signature show the
off-chain rejections. One ``settle`` transaction carries the batch; the report compares every
internal price with what the AMM would have charged for the same size.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from defi_int.chain import Chain, MarketParams, SystemParams
from defi_int.chain.views import batch_view, domain, fill_events, read_ledger
from defi_int.market.amm import AmmMathError
from defi_int.market.ledger import notional
from defi_int.orders.model import Fill, Order
from defi_int.orders.validation import validate_batch
from defi_int.testing import OrderMaker, build_session
from defi_int.types import BPS, ONE

FEE_BPS = 2
HALF_SPREAD_BPS = 5


@dataclass
class Plan:
    order: Order
    fill: Fill
    amm_quote_same_size: int | None


def _fmt(amount: int, decimals: int = 18, places: int = 4) -> str:
    return f"{amount / 10**decimals:,.{places}f}"


def run(report_dir: Path = Path("reports")) -> dict[str, Any]:
    params = SystemParams(markets=(MarketParams(inventory_cap=5 * ONE),))
    chain = Chain.embedded()
    system, traders = build_session(chain, params)
    maker = OrderMaker(system, domain(system))
    mark = chain.call(system.oracle.functions.price(0))
    now = chain.timestamp()

    wishes = [(0, True, 3), (1, True, 4), (2, False, 2), (3, True, 2), (4, False, 1)]
    orders = [
        maker.order(traders[i], is_buy=buy, size=units * ONE, nonce=100 + i, max_fee_bps=10)
        for i, (_, buy, units) in enumerate(wishes)
    ]
    view = batch_view(system, orders)
    pool = view.pools[0]
    inventory = view.ledger.position(system.desk, 0)
    cap = params.markets[0].inventory_cap
    plans = []
    for trader, order in zip(traders, orders, strict=True):
        room = cap + inventory if order.is_buy else cap - inventory  # how far the desk may go short/long
        internal = max(0, min(order.size, room))
        inventory += -internal if order.is_buy else internal
        try:
            amm_quote = pool.quote_buy(internal) if order.is_buy else pool.quote_sell(internal)
        except AmmMathError:
            amm_quote = None
        # Desk price: the oracle skewed by half a spread against the trader, but never worse than
        # the AMM would be for the same size (best execution, checked again on-chain).
        skew = mark * HALF_SPREAD_BPS // BPS
        price = mark + skew if order.is_buy else mark - skew
        if amm_quote is not None:
            scale = params.price_scale
            price = (
                min(price, amm_quote * scale // internal)
                if order.is_buy
                else max(price, -(-amm_quote * scale // internal))
            )
        if order.size > internal:
            pool.swap(order.is_buy, order.size - internal)  # the AMM leg moves the pool for later fills
        fill = maker.fill(
            trader, order, internal_size=internal, internal_price=price, amm_size=order.size - internal, fee_bps=FEE_BPS
        )
        plans.append(Plan(order, fill, amm_quote))

    hostile = [
        maker.fill(traders[0], maker.order(traders[0], expiry=now - 1, nonce=900)),
        maker.fill(traders[1], maker.order(traders[1], nonce=901), signature=maker.sign(traders[2], orders[2])),
    ]
    check = validate_batch(
        [p.fill for p in plans] + hostile, batch_view(system, [p.order for p in plans] + [h.order for h in hostile])
    )
    receipt = maker.settle(check.accepted)
    events = fill_events(system, receipt)
    ledger = read_ledger(system, [t.address for t in traders])
    unit = params.decimals

    rows = []
    for plan, event in zip(plans, events, strict=True):
        o, a = plan.order, event
        paid = notional(a.internal_size, a.internal_price, params.price_scale, is_buy=o.is_buy)
        improvement = None
        if plan.amm_quote_same_size and a.internal_size:
            gap = plan.amm_quote_same_size - paid if o.is_buy else paid - plan.amm_quote_same_size
            improvement = gap * BPS / plan.amm_quote_same_size
        rows.append(
            {
                "trader": o.trader,
                "side": "buy" if o.is_buy else "sell",
                "size": _fmt(o.size),
                "internal": _fmt(a.internal_size),
                "internal_price": _fmt(a.internal_price, places=2),
                "amm": _fmt(a.amm_size),
                "amm_quote": _fmt(a.amm_quote, unit, 2),
                "fee": _fmt(a.fee, unit, 2),
                "improvement_vs_amm_bps": None if improvement is None else round(improvement, 2),
            }
        )
    token_balance = chain.call(system.token.functions.balanceOf(system.vault.address))
    summary = {
        "block": receipt["blockNumber"],
        "gas_used": receipt["gasUsed"],
        "fills": len(check.accepted),
        "rejected_off_chain": [{"reason": e.reason, "detail": e.detail} for _, e in check.rejected],
        "desk_inventory": _fmt(ledger.position(system.desk, 0)),
        "desk_cash": _fmt(ledger.cash[system.desk], unit, 2),
        "fees_collected": _fmt(ledger.cash.get(ledger.fee_recipient, 0), unit, 2),
        "vault_token_balance_equals_sum_of_cash": token_balance
        == sum(chain.call(system.vault.functions.cash(a)) for a in ledger.cash),
        "fills_detail": rows,
    }
    report_dir.mkdir(parents=True, exist_ok=True)
    (report_dir / "demo.json").write_text(json.dumps(summary, indent=2) + "\n")
    return summary


def print_summary(summary: dict[str, Any]) -> None:
    print(f"settled {summary['fills']} fills in block {summary['block']} for {summary['gas_used']:,} gas")
    header = ("side", "size", "internal", "internal_price", "amm", "amm_quote", "fee", "improvement_vs_amm_bps")
    print("  ".join(f"{h:>14}" for h in header))
    for row in summary["fills_detail"]:
        print("  ".join(f"{'-' if row[h] is None else row[h]!s:>14}" for h in header))
    for rejection in summary["rejected_off_chain"]:
        print(f"rejected off-chain ({rejection['reason']}): {rejection['detail']}")
    print(
        f"desk inventory {summary['desk_inventory']}, desk cash {summary['desk_cash']}, "
        f"fees {summary['fees_collected']}; vault balance == sum of cash: "
        f"{summary['vault_token_balance_equals_sum_of_cash']}"
    )
