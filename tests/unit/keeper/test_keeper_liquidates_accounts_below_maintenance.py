"""The keeper's liquidator: from one snapshot of the watched accounts, the pure decision of
``keeper.liquidator.plan_liquidations`` (who is below maintenance margin, how much to close, on
the exact mirror of ``Vault.liquidate``), each close sent through the venue (``Keeper.liquidate``).

The levered trader: 2,400 USD of margin, long 10 bought on the AMM at about 2,026 (initial margin
10 %); maintenance is 5 %, the penalty 2.5 % of the closed notional, the close factor restores
maintenance plus 1 % and takes everything below half of maintenance (``MirrorVenue.new`` defaults,
as the contracts').
"""

from __future__ import annotations

from eth_account import Account
from eth_utils.crypto import keccak
from mirror_world import TRADERS, make_world

from defi_int.keeper.liquidator import LiquidationOrder, plan_liquidations
from defi_int.keeper.mirror import MirrorMarket
from defi_int.types import ONE

UNIT = 10**6
LEVERED = Account.from_key(keccak(text="mirror levered trader"))
QUOTE_LIMIT = 10**30


def _levered_long_on_the_amm(world, account: str = LEVERED.address, margin: int = 2_400 * UNIT) -> None:
    world.venue.fund(account, margin)
    world.venue.swap(account, 0, True, 10 * ONE, QUOTE_LIMIT)


def test_an_account_below_maintenance_is_closed_on_the_desk_as_far_as_the_close_factor_allows(world):
    _levered_long_on_the_amm(world)
    watched = [LEVERED.address, TRADERS[0].address]
    assert world.keeper.liquidate(watched) == []  # at the open it is above maintenance

    world.venue.post_price(0, 1_850 * ONE)  # equity ~638 against 925 of maintenance
    (receipt,) = world.keeper.liquidate(watched)

    event = receipt.event
    assert event.account == LEVERED.address and event.to_desk == event.size and event.to_amm == 0
    assert 7 * ONE < event.size < 8 * ONE  # what brings it back to 6 % after the 2.5 % penalty
    assert event.penalty == -(-event.size * 1_850 * 250 // 10**16)
    ledger = world.venue.world.ledger
    assert ledger.position(LEVERED.address, 0) == 10 * ONE - event.size
    assert world.desk_position() == event.size
    assert world.keeper.liquidate(watched) == []  # healthy again


def test_an_account_far_below_maintenance_is_closed_whole(world):
    _levered_long_on_the_amm(world)
    world.venue.post_price(0, 1_800 * ONE)  # equity ~138, below half of maintenance
    (receipt,) = world.keeper.liquidate([LEVERED.address])
    assert (receipt.event.size, receipt.event.to_desk) == (10 * ONE, 10 * ONE)
    assert world.venue.world.ledger.position(LEVERED.address, 0) == 0


def test_what_the_desk_cap_does_not_allow_is_closed_on_the_amm():
    world = make_world(markets=(MirrorMarket(inventory_cap=4 * ONE),))
    _levered_long_on_the_amm(world)
    world.venue.post_price(0, 1_800 * ONE)

    (receipt,) = world.keeper.liquidate([LEVERED.address])

    assert (receipt.event.to_desk, receipt.event.to_amm) == (4 * ONE, 6 * ONE)
    assert world.venue.world.ledger.position(LEVERED.address, 0) == 0


def test_a_close_the_amm_cannot_take_whole_is_the_part_the_vault_takes():
    # No desk room and a thin pool a seller left just above the oracle: closing all 10 would move
    # the AMM past the 2 % slippage bound; the Vault closes what fits, and the plan says so.
    world = make_world(markets=(MirrorMarket(inventory_cap=0, amm_base=300 * ONE),))
    _levered_long_on_the_amm(world, margin=3_000 * UNIT)
    world.venue.swap(TRADERS[1].address, 0, False, 25 * ONE, 0)  # the mid comes down to ~1,814
    world.venue.post_price(0, 1_800 * ONE)  # far below maintenance: the whole position may go
    snapshot = world.venue.snapshot({}, [LEVERED.address])

    orders = plan_liquidations(
        snapshot.view.ledger, snapshot.view.env, [LEVERED.address], world.venue.liquidator, limit=1
    )

    (order,) = orders
    assert 5 * ONE < order.size < 10 * ONE
    (receipt,) = world.keeper.liquidate([LEVERED.address], limit=1)
    assert receipt.event.to_amm == order.size


def test_planning_leaves_the_snapshot_as_it_was_and_stops_at_the_limit(world):
    _levered_long_on_the_amm(world)
    world.venue.post_price(0, 1_800 * ONE)
    snapshot = world.venue.snapshot({}, [LEVERED.address])
    ledger, env = snapshot.view.ledger, snapshot.view.env
    before = (dict(ledger.cash), dict(ledger.positions), dict(env.pools))

    assert plan_liquidations(ledger, env, [LEVERED.address], world.venue.liquidator, limit=0) == []
    orders = plan_liquidations(ledger, env, [LEVERED.address, LEVERED.address], world.venue.liquidator, limit=5)

    assert orders == [LiquidationOrder(LEVERED.address, 0, 10 * ONE)]
    assert (dict(ledger.cash), dict(ledger.positions), dict(env.pools)) == before


def test_the_liquidator_never_liquidates_itself(world):
    liquidator = world.venue.liquidator
    _levered_long_on_the_amm(world, liquidator)
    world.venue.post_price(0, 1_850 * ONE)
    assert world.keeper.liquidate([liquidator]) == []
