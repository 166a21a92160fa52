"""The mirror venue is the chain in Python: the same keeper, fed the same orders, settles the same fills
and hedges on ``MirrorVenue`` as on the deployed contracts (``ChainVenue`` on py-evm).

The two worlds start alike (the plugin's deployment: ``SystemParams()`` defaults and five traders
with the same margin); only the EIP-712 domain differs, so digests are left out of the comparison.
"""

from __future__ import annotations

from typing import Any

from defi_int.chain.venue import ChainVenue
from defi_int.keeper.config import KeeperConfig
from defi_int.keeper.keeper import Keeper
from defi_int.keeper.mirror import MirrorVenue
from defi_int.keeper.pricing import PricingParams
from defi_int.orders.model import Order
from defi_int.orders.signing import sign_order
from defi_int.testing import TRADER_MARGIN
from defi_int.types import ONE

PRICING = PricingParams(5.0, 2.0, 0.64 / (365 * 24 * 3600), 3600.0, 100, 0.0, 10**30)
CONFIG = KeeperConfig(pricing={0: PRICING}, risk_limits={0: 4 * ONE}, soft_limits={0: 3 * ONE}, hedge_to=ONE, fee_bps=3)
#: (trader, is_buy, size in tenths, limit offset in bps, allow_amm) per batch
BATCHES = [
    [(0, True, 30, 150, True), (1, False, 12, 150, True), (2, True, 25, 150, True), (3, True, 8, 40, False)],
    [(4, False, 70, 150, True), (0, False, 9, 150, True), (1, True, 5, 2, True)],
    [(2, True, 11, 150, True), (3, False, 13, 150, False)],
]


def run(keeper: Keeper, traders: list[Any], now: int) -> list[tuple[Any, ...]]:
    booked: list[tuple[Any, ...]] = []
    nonce = 0
    for step, batch in enumerate(BATCHES):
        for index, is_buy, tenths, offset, allow_amm in batch:
            nonce += 1
            mark = 2_000 * ONE
            limit = mark * (10_000 + offset) // 10_000 if is_buy else mark * (10_000 - offset) // 10_000
            trader = traders[index]
            order = Order(trader.address, 0, is_buy, tenths * ONE // 10, limit, now + 3_600, nonce, 30, allow_amm)
            keeper.intake(order, sign_order(trader, order, keeper.domain), now=now + 1)
        outcome = keeper.step(step)
        booked += [
            (e.trader, e.internal_size, e.internal_price, e.amm_size, e.amm_quote, e.fee) for e in outcome.events
        ]
        booked += [(h.is_buy, h.size, h.quote) for h in outcome.hedges]
    return booked


def test_the_keeper_settles_the_same_fills_and_hedges_on_the_mirror_as_on_the_chain(
    defi_system: Any, defi_traders: Any
) -> None:
    on_chain = run(Keeper(ChainVenue(defi_system), CONFIG), defi_traders, defi_system.chain.timestamp())
    mirror = MirrorVenue.new()
    for trader in defi_traders:
        mirror.fund(trader.address, TRADER_MARGIN * 10**6)
    in_python = run(Keeper(mirror, CONFIG), defi_traders, mirror.now)
    assert any(len(b) == 3 for b in on_chain)  # the desk hedged
    assert any(b[3] for b in on_chain if len(b) == 6)  # and routed to the AMM
    assert in_python == on_chain
    desk = defi_system.chain.call(defi_system.vault.functions.inventory(0))
    assert mirror.world.ledger.position(mirror.world.desk, 0) == desk
